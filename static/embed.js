// Formwell in a partner's portal: one script tag gives a custom element, <formwell-form>,
// and a JS API, Formwell.mount(element, options). Both put the same form the app shows
// (the engine, the impact guard, the outbox) inside a Shadow DOM on the portal's page, so
// the portal's styles do not reach the form and the form's do not reach the portal.
// The build (tools/embed-script.mjs) fills in the names of the app's files, which are
// fetched from where this script came from; full-line comments are taken out.
(() => {
  if (window.Formwell) return; // the script was included twice
  const here = new URL('.', document.currentScript.src).href;
  const file = (name) => new URL(name, here).href;
  const GLUE = '__FORMWELL_GLUE__';
  const WASM = '__FORMWELL_WASM__';
  const CSS = '__FORMWELL_CSS__';
  let engine;
  const loadEngine = () => (engine ??= import(file(GLUE)).then(async (glue) => {
    await glue.default({ module_or_path: file(WASM) });
    return glue;
  }));
  // What a form keeps on a tablet (its outbox, its token) it keeps here in the page's
  // memory, behind the interface the app's vault (src/vault.js) gives it: nothing goes to
  // the portal's storage, which is the portal's and not the record's.
  if (!window.formwellVault) {
    const rows = new Map();
    window.formwellVault = {
      put: async (_key, staff, kind, id, text) => { rows.set(id, { staff, kind, text }); },
      queue: async (_key, staff, id, text, draft) => {
        rows.set(id, { staff, kind: 'outbox', text });
        if (draft) rows.delete(draft);
      },
      list: async (_key, staff, kind) => [...rows].filter(([, r]) => r.staff === staff && r.kind === kind).map(([id, r]) => [id, r.text]),
      read: async (_key, staff, id) => (rows.get(id)?.staff === staff ? rows.get(id).text : undefined),
      remove: async (id) => { rows.delete(id); },
      acquire: (name) => new Promise((granted) => {
        if (!navigator.locks) return granted(() => {});
        navigator.locks.request(name, () => new Promise((release) => granted(release)));
      }),
      announce: () => {},
      watchOutbox: () => {},
    };
  }
  const styled = (shadow) => new Promise((resolve) => {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = file(CSS);
    link.onload = link.onerror = resolve;
    shadow.appendChild(link);
  });

  // Resolves once the form is on the page (its `ready`), with a handle; rejects with the
  // reason when it cannot be shown (bad options, no such template). Every event is also
  // dispatched on the element as `formwell-<name>` (bubbling out of the Shadow DOM).
  async function mount(element, options = {}) {
    if (!(element instanceof Element)) throw new TypeError('Formwell.mount needs an element to put the form in');
    if (element.formwellForm) element.formwellForm.unmount();
    const shadow = element.shadowRoot ?? element.attachShadow({ mode: 'open' });
    shadow.replaceChildren();
    const [glue] = await Promise.all([loadEngine(), styled(shadow)]);
    const container = document.createElement('div');
    container.className = 'formwell-embedded';
    shadow.appendChild(container);
    const listeners = {};
    let settle;
    const ready = new Promise((resolve, reject) => { settle = { resolve, reject }; });
    const emit = (name, detailJson) => {
      const detail = JSON.parse(detailJson);
      element.dispatchEvent(new CustomEvent(`formwell-${name}`, { detail, bubbles: true, composed: true }));
      for (const listener of listeners[name] ?? []) {
        try { listener(detail); } catch (e) { setTimeout(() => { throw e; }); }
      }
      if (name === 'ready') settle.resolve();
      if (name === 'error') settle.reject(new Error(detail.message));
    };
    const { on: _ignored, ...plain } = options;
    const form = glue.mountForm(container, JSON.stringify(plain), here, emit);
    const handle = {
      on(name, listener) { (listeners[name] ??= []).push(listener); return handle; },
      response: () => JSON.parse(form.response()),
      validate: () => JSON.parse(form.validate()),
      submit: () => form.submit(),
      // What submitting it would send (response, Bundle, decisions), sent nowhere: the studio's view.
      wouldSend: () => JSON.parse(form.wouldSend()),
      unmount() {
        form.unmount();
        shadow.replaceChildren();
        if (element.formwellForm === handle) delete element.formwellForm;
      },
    };
    element.formwellForm = handle;
    for (const [name, listener] of Object.entries(options.on ?? {})) handle.on(name, listener);
    try {
      await ready;
    } catch (e) {
      // Shown in the form as well; the handle stays for the portal to unmount.
      e.handle = handle;
      throw e;
    }
    return handle;
  }

  const attributes = { template: 'template', 'template-url': 'templateUrl', fhir: 'fhir', setting: 'setting', lang: 'lang',
    patient: 'patient', 'patient-name': 'patientName', practitioner: 'practitioner', author: 'author' };

  // <formwell-form template="…" fhir="…" setting="…" lang="…" patient="…" token-endpoint="/my-token">:
  // the token comes from the portal's own back end (`token-endpoint`, fetched with the
  // portal's cookies) or is set as a property (`element.token = …`) before it is added to
  // the page; never an attribute, which would put it in the page's source.
  class FormwellForm extends HTMLElement {
    async connectedCallback() {
      const options = {};
      for (const [attribute, option] of Object.entries(attributes)) {
        if (this.hasAttribute(attribute)) options[option] = this.getAttribute(attribute);
      }
      try {
        let token = this.token;
        const endpoint = this.getAttribute('token-endpoint');
        if (!token && endpoint) {
          // Without one the form still opens, and says it cannot be sent from here.
          const answer = await fetch(new URL(endpoint, location.href), { credentials: 'same-origin' }).catch(() => null);
          if (answer?.ok) token = (await answer.text()).trim();
        }
        if (token) options.token = token;
        await mount(this, options);
      } catch (e) {
        if (!e.handle) {
          this.dispatchEvent(new CustomEvent('formwell-error', { detail: { message: e.message }, bubbles: true, composed: true }));
        }
      }
    }

    disconnectedCallback() {
      this.formwellForm?.unmount();
    }
  }

  // engine(): the loaded engine module itself, for the template studio (static/studio/).
  window.Formwell = { mount, engine: loadEngine };
  if (!customElements.get('formwell-form')) customElements.define('formwell-form', FormwellForm);
})();
