// The template studio: the template's JSON in CodeMirror beside the live form, as staff
// will see it (the embedding engine, `Formwell.mount`); every load finding with its path
// and line; the impact lint for every service setting side by side; and what a filled
// preview would send (the response, the transaction Bundle, the decisions), sent nowhere.
// Served by the app's build (`/studio.html`) and by `formwell preview DIR`, which also
// tells it when a file in the folder was saved.
import { EditorView, basicSetup } from 'codemirror';
import { json } from '@codemirror/lang-json';
import { pathOffsets, offsetOf } from './json-paths.js';

const $ = (id) => document.getElementById(id);
const DEBOUNCE_MS = 250;
const state = { handle: null, name: 'template.json', settings: [], lastGood: null, folder: null, version: 0, changedAt: 0 };

const engine = await window.Formwell.engine();
// A designer opens every kind of template: the expressions module (which the engine keeps
// apart for the forms that need it) comes with it, so a check never waits for it.
await globalThis.formwellExpressions?.load();
const rules = await fetch('formwell-ruleset.json').then((r) => r.text());
engine.studioRules(rules);

const view = new EditorView({
  doc: '',
  extensions: [basicSetup, json(), EditorView.updateListener.of((update) => { if (update.docChanged) edited(); })],
  parent: $('editor'),
});
view.contentDOM.setAttribute('aria-label', "The template's JSON");

let timer;
function edited() {
  state.changedAt ||= performance.now();
  clearTimeout(timer);
  timer = setTimeout(refresh, DEBOUNCE_MS);
}

function setText(text, name) {
  if (name) state.name = name;
  state.changedAt = performance.now();
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}

/** Checks the text and, when it loads, shows it in the preview (keeping the answers). */
async function refresh() {
  const started = state.changedAt || performance.now();
  state.changedAt = 0;
  const text = view.state.doc.toString();
  const checked = JSON.parse(engine.checkTemplate(text));
  const offsets = pathOffsets(text);
  showFindings(checked.findings, offsets);
  showImpact(checked.settings, offsets);
  if (!checked.loaded) {
    const first = checked.findings.find((f) => f.severity === 'error');
    const where = first?.line ? ` (line ${first.line})` : '';
    $('load-state').textContent = `This version does not load${where}: ${first?.message ?? 'see the findings'}. The preview shows the last version that did.`;
    $('load-state').className = 'broken';
    window.studioPreviewMs = performance.now() - started;
    window.dispatchEvent(new Event('studio-updated'));
    return;
  }
  $('load-state').textContent = `${checked.title}: loads${checked.findings.length ? `, with ${checked.findings.length} finding(s)` : ''}.`;
  $('load-state').className = '';
  state.lastGood = text;
  await showPreview(text);
  window.studioPreviewMs = performance.now() - started;
  window.dispatchEvent(new Event('studio-updated'));
}

async function showPreview(text) {
  const previous = state.handle;
  const response = previous ? previous.response() : undefined;
  // Mounted beside the old one and swapped in once ready, so the preview never blanks.
  const next = document.createElement('div');
  next.hidden = true;
  $('preview').append(next);
  try {
    state.handle = await window.Formwell.mount(next, { questionnaire: text, setting: $('setting').value, response: response ?? undefined });
  } catch (e) {
    state.handle = e.handle ?? null;
  }
  previous?.unmount();
  for (const old of [...$('preview').children]) if (old !== next) old.remove();
  next.hidden = false;
  state.handle?.on('change', showWouldSend);
  showWouldSend();
}

function jump(offset) {
  view.dispatch({ selection: { anchor: offset }, scrollIntoView: true });
  view.focus();
}

function showFindings(findings, offsets) {
  const list = $('findings');
  list.replaceChildren();
  if (!findings.length) {
    const li = document.createElement('li');
    li.textContent = 'Nothing to report.';
    list.append(li);
  }
  for (const f of findings) {
    const offset = f.line ? view.state.doc.line(Math.min(f.line, view.state.doc.lines)).from + Math.max((f.column ?? 1) - 1, 0) : offsetOf(offsets, f.path);
    const line = f.line ?? view.state.doc.lineAt(Math.min(offset, view.state.doc.length)).number;
    const li = document.createElement('li');
    li.className = f.severity;
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = `Line ${line}, ${f.path}: ${f.message} (${f.severity.replace('-', ' ')})`;
    button.addEventListener('click', () => jump(Math.min(offset, view.state.doc.length)));
    li.append(button);
    list.append(li);
  }
}

/** Every code the template can write, and what each setting does with it, side by side. */
function showImpact(settings, offsets) {
  const panel = $('panel-impact');
  panel.replaceChildren();
  if (!settings.length) { panel.textContent = 'The template does not load, so its codes cannot be read.'; return; }
  const summary = document.createElement('ul');
  for (const s of settings) {
    const li = document.createElement('li');
    li.id = `impact-${s.id}`;
    li.innerHTML = '<strong></strong> <span class="severity"></span> <span></span>';
    li.children[0].textContent = s.title;
    li.children[1].textContent = s.blocked ? 'blocked' : s.worst;
    li.children[1].classList.add(s.worst);
    li.children[2].textContent = s.summary;
    summary.append(li);
  }
  panel.append(summary);
  const rows = new Map();
  for (const s of settings) {
    for (const f of s.findings) {
      const code = f.coding ? `${f.coding.code} ${f.coding.display ?? ''}`.trim() : f.definition ?? '';
      const key = `${f.path}|${code}`;
      if (!rows.has(key)) rows.set(key, { f, code, by: {} });
      rows.get(key).by[s.id] = f;
    }
  }
  if (!rows.size) return;
  const table = document.createElement('table');
  table.className = 'impact-table';
  const head = table.createTHead().insertRow();
  for (const title of ['Item', 'Code', ...settings.map((s) => s.title)]) {
    const th = document.createElement('th');
    th.textContent = title;
    head.append(th);
  }
  const body = table.createTBody();
  for (const { f, code, by } of rows.values()) {
    const row = body.insertRow();
    const item = row.insertCell();
    const link = document.createElement('button');
    link.type = 'button';
    link.textContent = f.link_id;
    link.addEventListener('click', () => jump(offsetOf(offsets, f.path)));
    item.append(link);
    row.insertCell().textContent = code;
    for (const s of settings) {
      const cell = row.insertCell();
      const found = by[s.id];
      if (!found) continue;
      cell.dataset.setting = s.id;
      const word = document.createElement('span');
      word.className = `severity ${found.severity}`;
      word.textContent = found.severity;
      cell.append(word, ` ${found.category_title ?? ''}: ${found.reason}`);
      if (found.instead) cell.append(` Instead: ${found.instead}`);
    }
  }
  panel.append(table);
}

function showWouldSend() {
  const sent = state.handle ? state.handle.wouldSend() : null;
  const show = (id, value) => { $(id).textContent = value === undefined ? '' : JSON.stringify(value, null, 2); };
  show('panel-response', sent?.response);
  show('panel-bundle', sent?.bundle ?? (sent?.error ? { error: sent.error } : undefined));
  show('panel-decisions', sent?.decisions);
}

// Tabs.
for (const tab of document.querySelectorAll('[role=tab]')) {
  tab.addEventListener('click', () => {
    for (const other of document.querySelectorAll('[role=tab]')) {
      other.setAttribute('aria-selected', String(other === tab));
      $(other.getAttribute('aria-controls')).hidden = other !== tab;
    }
  });
}

// Preview widths.
for (const button of document.querySelectorAll('[data-width]')) {
  button.addEventListener('click', () => {
    $('preview').style.width = `${button.dataset.width}px`;
    for (const other of document.querySelectorAll('[data-width]')) other.setAttribute('aria-pressed', String(other === button));
  });
}

// The setting the preview is filled as.
const policies = JSON.parse(rules).settings ?? [];
for (const s of policies) $('setting').append(new Option(s.title ?? s.id, s.id));
$('setting').addEventListener('change', () => { if (state.lastGood) showPreview(state.lastGood); });

// Opening: the library (or the folder `formwell preview` watches), a file, an address.
async function openFromLibrary(name) {
  if (state.folder) {
    setText(await (await fetch(`preview/templates/${encodeURIComponent(name)}`, { cache: 'no-store' })).text(), name);
  } else {
    const entry = state.library.find((t) => t.id === name);
    setText(JSON.stringify(entry.questionnaire, null, 2), `${name}.json`);
  }
}
$('library').addEventListener('change', () => openFromLibrary($('library').value));
async function openFile(file) {
  if (file) setText(await file.text(), file.name);
}
$('open-file').addEventListener('change', (e) => openFile(e.target.files[0]));
$('editor').addEventListener('dragover', (e) => e.preventDefault());
$('editor').addEventListener('drop', (e) => { e.preventDefault(); openFile(e.dataTransfer.files[0]); });
$('open-url').addEventListener('submit', async (e) => {
  e.preventDefault();
  const url = $('template-url').value;
  try {
    const answer = await fetch(url);
    if (!answer.ok) throw new Error(`it answered ${answer.status}`);
    setText(await answer.text(), url.split('/').pop() || 'template.json');
  } catch (error) {
    $('load-state').textContent = `${url} could not be opened: ${error.message}`;
    $('load-state').className = 'broken';
  }
});
$('download').addEventListener('click', () => {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([view.state.doc.toString()], { type: 'application/fhir+json' }));
  link.download = state.name.endsWith('.json') ? state.name : `${state.name}.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
});

// A folder from `formwell preview`, or the shipped library.
const folder = await fetch('preview/templates', { cache: 'no-store' }).then((r) => (r.ok ? r.json() : null)).catch(() => null);
const wanted = new URLSearchParams(location.search).get('template');
if (folder) {
  state.folder = folder.folder;
  state.version = folder.version;
  for (const name of folder.templates) $('library').append(new Option(name, name));
  $('watching').textContent = `Watching ${folder.folder}: saved files reload here.`;
  watch();
} else {
  state.library = (await (await fetch('formwell-templates.json')).json()).templates;
  for (const t of state.library) $('library').append(new Option(t.questionnaire.title ?? t.id, t.id));
}
const first = [...$('library').options].find((o) => o.value === wanted || o.value === `${wanted}.json`) ?? $('library').options[0];
if (first) {
  $('library').value = first.value;
  await openFromLibrary(first.value);
}

/** Waits for the folder to change; a saved file that is open is read again. */
async function watch() {
  for (;;) {
    try {
      const answer = await (await fetch(`preview/changes?since=${state.version}`, { cache: 'no-store' })).json();
      state.version = answer.version;
      if (answer.changed.includes($('library').value)) await openFromLibrary($('library').value);
    } catch {
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}
