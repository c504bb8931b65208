// Rendering speed against the reference renderer, side by side in one run: Formwell's
// release build and LHC-Forms (npm `lforms`, its web component, R4 support) in the same
// headless chromium, on the same questionnaires.
//
//  1. Generated questionnaires of 100, 1,000 and 5,000 items (tests/e2e/generated.mjs:
//     groups of ten items of every common type, enableWhen chains, every fifth group
//     repeating), each opened in a warm page: from the call to the form drawn, plus one
//     frame. Formwell: the app at its list, then its "open a form by address" route
//     (fetch, load, render). LHC-Forms: fetch, then `LForms.Util.addFormToPage` (it
//     converts and renders).
//  2. A keystroke into a decimal question in the middle of the 1,000- and 5,000-item
//     forms: the input event's handlers and the drawing they cause, up to the next task
//     (before paint), median of 40 keys.
//  3. Every questionnaire of the shared corpus that both render: the median and p90 of
//     the per-form medians (3 runs each).
//
// Run after a release build: `node tools/bench-render.mjs [runs]`. Prints figures;
// asserts nothing. Compare only runs on an idle machine: contention swings the ratios.
// LHC-Forms comes from npm the first time (`npm pack lforms@40.1.3`, unpacked into
// target/lforms-40.1.3: its built files, without the packages it names, which its
// bundle already holds).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, launch, dist, repo, corpus } from '../tests/e2e/harness.mjs';
import { generatedQuestionnaire } from '../tests/e2e/generated.mjs';

const runs = Number(process.argv[2] ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
const ms = (x) => `${x.toFixed(1)} ms`;

const LFORMS = '40.1.3';

/** LHC-Forms' built files, fetched from npm once. */
function lformsDist() {
  const dir = path.join(repo, 'target', `lforms-${LFORMS}`);
  if (!fs.existsSync(path.join(dir, 'package', 'dist'))) {
    fs.mkdirSync(dir, { recursive: true });
    const tarball = execFileSync('npm', ['pack', `lforms@${LFORMS}`, '--silent'], { cwd: dir, encoding: 'utf8' }).trim();
    execFileSync('tar', ['xzf', tarball], { cwd: dir });
  }
  return path.join(dir, 'package', 'dist');
}

/** One folder served from one origin: the app, LHC-Forms beside it, and the forms. */
function stage() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'formwell-render-'));
  fs.cpSync(dist, root, { recursive: true });
  const lforms = lformsDist();
  fs.cpSync(lforms, path.join(root, 'lforms'), { recursive: true, filter: (f) => !f.endsWith('.map') });
  fs.writeFileSync(path.join(root, 'lforms.html'), `<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="lforms/lforms/webcomponent/styles.css">
<script src="lforms/lforms/webcomponent/assets/lib/zone.min.js"></script>
<script src="lforms/lforms/webcomponent/runtime.js" type="module"></script>
<script src="lforms/lforms/webcomponent/polyfills.js" type="module"></script>
<script src="lforms/lforms/webcomponent/main.js" type="module"></script>
<script src="lforms/fhir/R4/lformsFHIR.js" defer></script>
</head><body><div id="form"></div></body></html>`);
  fs.mkdirSync(path.join(root, 'forms'));
  for (const n of [100, 1000, 5000]) {
    fs.writeFileSync(path.join(root, 'forms', `generated-${n}.json`), JSON.stringify(generatedQuestionnaire(n)));
  }
  for (const f of fs.readdirSync(corpus).filter((f) => f.endsWith('.json'))) {
    fs.copyFileSync(path.join(corpus, f), path.join(root, 'forms', f));
  }
  return root;
}

/** Formwell: opens the form at `address` from the list; resolves with ms, or null. */
async function formwellOpen(page, address) {
  return page.evaluate(async (address) => {
    location.hash = '#/';
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const t0 = performance.now();
    location.hash = `#/open?url=${encodeURIComponent(address)}`;
    const deadline = t0 + 60000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 0));
      if (document.querySelector('form.questionnaire')) break;
      if (document.querySelector('.error-summary, #not-for-service') || performance.now() > deadline) return null;
    }
    await new Promise((r) => requestAnimationFrame(() => r()));
    return performance.now() - t0;
  }, address);
}

/** LHC-Forms: fetches and adds the form; resolves with ms, or null when it fails. */
async function lformsOpen(page, address) {
  return page.evaluate(async (address) => {
    window.LForms.Util.removeFormsFromPage?.('form');
    document.getElementById('form').replaceChildren();
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    const t0 = performance.now();
    try {
      const q = await (await fetch(address)).json();
      await window.LForms.Util.addFormToPage(q, 'form', { fhirVersion: 'R4' });
    } catch {
      return null;
    }
    if (!document.querySelector('#form wc-lhc-form lhc-item')) return null;
    await new Promise((r) => requestAnimationFrame(() => r()));
    return performance.now() - t0;
  }, address);
}

/** Takes LHC-Forms' form off its page, so that nothing of it runs while Formwell is timed. */
async function lformsClear(page) {
  await page.evaluate(() => {
    window.LForms.Util.removeFormsFromPage?.('form');
    document.getElementById('form').replaceChildren();
  });
}

/** Types `keys` into the input `selector` finds, one key at a time: per key, its input
 * event's handlers and what they draw, until the next task begins (before paint). */
async function keystrokes(page, selector, keys) {
  return page.evaluate(async ({ selector, keys }) => {
    const input = document.querySelector(selector);
    if (!input) return null;
    input.focus();
    const nextTask = () => new Promise((r) => { const c = new MessageChannel(); c.port1.onmessage = () => r(); c.port2.postMessage(0); });
    const out = [];
    for (const key of keys) {
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const t0 = performance.now();
      input.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
      input.value += key;
      input.dispatchEvent(new InputEvent('input', { data: key, inputType: 'insertText', bubbles: true }));
      input.dispatchEvent(new KeyboardEvent('keyup', { key, bubbles: true }));
      await nextTask();
      out.push(performance.now() - t0);
      // Back to an empty field now and then, so the text stays a short number.
      if (out.length % 4 === 0) {
        input.value = '';
        input.dispatchEvent(new InputEvent('input', { inputType: 'deleteContentBackward', bubbles: true }));
        await nextTask();
      }
    }
    return out;
  }, { selector, keys });
}

const root = stage();
const server = await startServer(root);
// One browser each: pages of one site share a renderer's main thread, and one's work
// (or its garbage) would be timed as the other's.
const browser = await launch();
const other = await launch();
try {
  const app = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await app.goto(`${server.url}/#/`);
  await app.waitForSelector('.template-list');
  const lf = await (await other.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await lf.goto(`${server.url}/lforms.html`);
  await lf.waitForFunction(() => window.LForms?.Util?.addFormToPage);

  console.log(`rendering, ${runs} runs each, medians (min–max); headless chromium, ${os.cpus().length} cores`);
  console.log('| | Formwell | LHC-Forms 40.1.3 | ratio |\n|---|---:|---:|---:|');
  const row = (name, a, b) => console.log(`| ${name} | ${ms(median(a))} (${ms(Math.min(...a))}–${ms(Math.max(...a))}) | ${ms(median(b))} (${ms(Math.min(...b))}–${ms(Math.max(...b))}) | ${(median(b) / median(a)).toFixed(1)}× |`);
  for (const n of [100, 1000, 5000]) {
    const address = `${server.url}/forms/generated-${n}.json`;
    const [a, b] = [[], []];
    for (let i = 0; i < runs; i += 1) {
      a.push(await formwellOpen(app, address));
      b.push(await lformsOpen(lf, address));
      await lformsClear(lf);
    }
    row(`render ${n.toLocaleString('en-GB')} items`, a, b);
    if (n >= 1000) {
      // The decimal question of the middle group, already on screen in both.
      const g = Math.floor(n / 20);
      const keys = '1212121212121212121212121212121212121212'.split('');
      const k1 = await keystrokes(app, `input[name="g${g}.q5"]`, keys);
      await lformsOpen(lf, address);
      const k2 = await keystrokes(lf, `input[id="g${g}.q5/1/1"]`, keys);
      await lformsClear(lf);
      if (k1 && k2) row(`keystroke on ${n.toLocaleString('en-GB')} items (handlers + render)`, k1, k2);
      else console.log(`| keystroke on ${n} items | ${k1 ? 'measured' : 'field not found'} | ${k2 ? 'measured' : 'field not found'} | |`);
    }
  }

  // The corpus: every questionnaire both render.
  const files = fs.readdirSync(path.join(root, 'forms')).filter((f) => !f.startsWith('generated-'));
  const [ours, theirs] = [[], []];
  let onlyOne = 0;
  for (const f of files) {
    const address = `${server.url}/forms/${f}`;
    const [a, b] = [[], []];
    for (let i = 0; i < 3; i += 1) {
      a.push(await formwellOpen(app, address));
      b.push(await lformsOpen(lf, address));
      await lformsClear(lf);
    }
    if (a.includes(null) || b.includes(null)) {
      onlyOne += 1;
      continue;
    }
    ours.push(median(a));
    theirs.push(median(b));
  }
  console.log(`| ${ours.length} corpus questionnaires both render: median of per-form medians | ${ms(median(ours))} | ${ms(median(theirs))} | ${(median(theirs) / median(ours)).toFixed(1)}× |`);
  console.log(`| the same: p90 | ${ms(quantile(ours, 0.9))} | ${ms(quantile(theirs, 0.9))} | ${(quantile(theirs, 0.9) / quantile(ours, 0.9)).toFixed(1)}× |`);
  console.log(`(${onlyOne} of ${files.length} left out: one of the two did not render them)`);
} finally {
  await browser.close();
  await other.close();
  await server.close();
  fs.rmSync(root, { recursive: true, force: true });
}
