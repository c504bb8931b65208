// Embedding benchmark: the bytes a partner's portal downloads to show a form (gzip -9 of
// the embedding script, the wasm-bindgen glue, the wasm and the stylesheet; the ruleset
// and the template library are fetched beside them), against the budget (the form
// filler's 275 KB plus at most 5 KB for the embedding script); and the time from
// `Formwell.mount` to the form on the page (its `ready`), on a blank page of a portal on
// another origin, cold cache, `formwell serve` on loopback: medians of 15.
// Run after a release build: `node tools/bench-embed.mjs`. Prints figures; asserts nothing.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { startServer, startBackend, launch, dist } from '../tests/e2e/harness.mjs';
import { startPortal } from '../examples/partner-portal/server.mjs';

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const files = fs.readdirSync(dist, { recursive: true }).map((f) => f.split(path.sep).join('/'));
const parts = [
  ['embedding script', files.find((f) => f === 'formwell-embed.js')],
  ['wasm-bindgen glue', files.find((f) => /^embed\/engine-[0-9a-f]+\.js$/.test(f))],
  ['wasm', files.find((f) => /^embed\/engine-[0-9a-f]+_bg\.wasm$/.test(f))],
  ['css', files.find((f) => /^app-[0-9a-f]+\.css$/.test(f))],
];
let total = 0;
console.log('| part | raw | gzip |\n|---|---:|---:|');
for (const [name, file] of parts) {
  const data = fs.readFileSync(path.join(dist, file));
  const gz = zlib.gzipSync(data, { level: 9 }).length;
  total += gz;
  console.log(`| ${name} (${file}) | ${kb(data.length)} | ${kb(gz)} |`);
}
console.log(`| total a portal downloads to show a form (without expressions) | | ${kb(total)} (budget 280 KB: 275 + 5 for the script) |`);
// The expressions module: only a template with expressions loads it (tools/split-wasm.mjs).
const expressions = files.find((f) => /^embed\/formwell-expressions-[0-9a-f]+\.wasm$/.test(f));
if (expressions) {
  const data = fs.readFileSync(path.join(dist, expressions));
  const gz = zlib.gzipSync(data, { level: 9 }).length;
  console.log(`| expressions module (${expressions}), only for templates with expressions | ${kb(data.length)} | ${kb(gz)} |`);
  console.log(`| total with expressions | | ${kb(total + gz)} |`);
}
for (const file of ['formwell-ruleset.json', 'formwell-templates.json']) {
  const data = fs.readFileSync(path.join(dist, file));
  console.log(`| ${file}, fetched beside it | ${kb(data.length)} | ${kb(zlib.gzipSync(data, { level: 9 }).length)} |`);
}

const server = await startServer();
const portal = await startPortal();
const backend = await startBackend(server.url, 'formwell');
const token = backend.addToken('bench-portal', 'community', portal.url, 'partner');
portal.configure({ formwell: new URL(backend.direct).origin, token });
const browser = await launch();
const times = [];
try {
  for (let i = 0; i < 15; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${portal.url}/blank.html`);
    times.push(await page.evaluate(async ({ fhir, token }) => {
      const host = document.createElement('div');
      document.body.append(host);
      const started = performance.now();
      await window.Formwell.mount(host, { template: 'family-registration', fhir, token });
      if (!host.shadowRoot.querySelector('form.questionnaire button[type=submit]')) throw new Error('no form');
      return performance.now() - started;
    }, { fhir: backend.direct, token }));
    await context.close();
  }
} finally {
  await browser.close();
  await backend.close();
  await portal.close();
  await server.close();
}
times.sort((a, b) => a - b);
console.log(`\nmount to rendered form (family-registration, 17 items; engine, ruleset and templates fetched cold): ` +
  `median ${times[7].toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times[14].toFixed(0)})`);
