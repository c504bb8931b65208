// The iframe mode (`/embed?template=…&setting=…`), for portals that cannot run the
// embedding script. The portal sends the token with postMessage, never in the address:
//
//   portal → frame  { type: 'formwell:mount', token, fhir?, patient?, patientName?, practitioner?, author?, launchContext? }
//                   { type: 'formwell:submit' }  { type: 'formwell:validate' }  { type: 'formwell:response' }
//   frame → portal  { type: 'formwell:ready' | 'formwell:change' | 'formwell:submitted' | 'formwell:error', detail }
//                   { type: 'formwell:validated', detail: [{ linkId, message }] }  { type: 'formwell:response', detail }
//
// A message counts only from the window that framed this page, and the first mount only
// once the record system has said the token may be used from the sender's origin (it
// names the origins a partner's token works from). From then on only that origin is
// heard, and messages go to that origin alone. Anything else is ignored, unanswered.
(() => {
  const query = new URLSearchParams(location.search);
  const element = document.getElementById('formwell-frame');
  const fhirDefault = new URL('fhir', location.href).href;
  let portal = null; // the origin the frame serves, once the record system has agreed
  let form = null;
  let asking = false; // one mount at a time
  const tell = (type, detail) => { if (portal) window.parent.postMessage({ type, detail }, portal); };

  async function mount(data, origin) {
    if (typeof data.token !== 'string' || !data.token) return;
    const fhir = typeof data.fhir === 'string' ? data.fhir : fhirDefault;
    // Same origin as this frame: the frame asks for the portal, naming it (see the server's
    // effective_origin). A token that does not name that origin is refused: then silence.
    const answer = await fetch(`${fhir}/QuestionnaireResponse?_count=0`, {
      headers: { authorization: `Bearer ${data.token}`, 'formwell-embedder': origin },
    }).catch(() => null);
    if (!answer || answer.status === 403) return;
    portal = origin;
    const options = { fhir, token: data.token, embedder: origin };
    for (const key of ['template', 'templateUrl', 'setting', 'lang']) if (query.has(key)) options[key] = query.get(key);
    for (const key of ['patient', 'patientName', 'practitioner', 'author']) if (typeof data[key] === 'string') options[key] = data[key];
    // Resources for prepopulation: checked by the engine like any option (names, types, the patient's id).
    if (data.launchContext && typeof data.launchContext === 'object') options.launchContext = data.launchContext;
    for (const name of ['ready', 'change', 'submitted', 'error']) {
      element.addEventListener(`formwell-${name}`, (e) => tell(`formwell:${name}`, e.detail));
    }
    try {
      form = await window.Formwell.mount(element, options);
    } catch (e) {
      form = e.handle ?? null; // said in the form and as formwell:error
    }
  }

  window.addEventListener('message', (event) => {
    if (event.source !== window.parent || window.parent === window) return;
    const data = event.data;
    if (!data || typeof data !== 'object' || typeof data.type !== 'string') return;
    if (portal === null) {
      if (data.type === 'formwell:mount' && !asking) {
        asking = true;
        mount(data, event.origin).finally(() => { asking = false; });
      }
      return;
    }
    if (event.origin !== portal || !form) return;
    if (data.type === 'formwell:submit') form.submit();
    if (data.type === 'formwell:validate') tell('formwell:validated', form.validate());
    if (data.type === 'formwell:response') tell('formwell:response', form.response());
  });
})();
