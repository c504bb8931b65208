// App benchmark: the release build's transfer size (gzip -9 of wasm + js + css, and of the
// code-impact ruleset that ships beside it), the time to first rendered form in headless
// chromium for the largest shipped template (navigation start to the form's submit button
// in the DOM), and the ruleset's load time in the page (parse and index); medians of 15
// cold loads.
// Run after a release build: `node tools/bench-app.mjs`. Prints figures; asserts nothing.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { startServer, launch, newPage, dist, repo } from '../tests/e2e/harness.mjs';

const sizes = { wasm: 0, js: 0, css: 0 };
const raw = { wasm: 0, js: 0, css: 0 };
// Every file of the build, the app's JS modules under snippets/ too.
// What partners' portals load instead (the embedding build in embed/, its script, the
// iframe mode's script) is measured by tools/bench-embed.mjs; the designers' studio by
// tools/bench-studio.mjs.
const partners = (f) => f.startsWith('embed') || f === 'formwell-embed.js' || f.startsWith('studio');
// The expressions module (tools/split-wasm.mjs) is downloaded only for templates with
// expressions: counted on a line of its own.
const isExpressions = (f) => /^formwell-expressions-[0-9a-f]+\.wasm$/.test(f);
let expressions = null;
for (const file of fs.readdirSync(dist, { recursive: true })) {
  const ext = path.extname(file).slice(1);
  if (isExpressions(file)) {
    const data = fs.readFileSync(path.join(dist, file));
    expressions = [data.length, zlib.gzipSync(data, { level: 9 }).length];
    continue;
  }
  if (!(ext in sizes) || partners(file)) continue;
  const data = fs.readFileSync(path.join(dist, file));
  raw[ext] += data.length;
  sizes[ext] += zlib.gzipSync(data, { level: 9 }).length;
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const total = sizes.wasm + sizes.js + sizes.css;
console.log(`| part | raw | gzip |\n|---|---:|---:|`);
for (const k of Object.keys(sizes)) console.log(`| ${k} | ${kb(raw[k])} | ${kb(sizes[k])} |`);
console.log(`| total (what a template without expressions needs) | ${kb(raw.wasm + raw.js + raw.css)} | ${kb(total)} (budget 275 KB) |`);
if (expressions) {
  console.log(`| expressions module (only for templates with expressions) | ${kb(expressions[0])} | ${kb(expressions[1])} |`);
  console.log(`| total with expressions | ${kb(raw.wasm + raw.js + raw.css + expressions[0])} | ${kb(total + expressions[1])} |`);
} else {
  console.log('| expressions module | not split out (a build other than scripts/build-app) | |');
}

const ruleset = fs.readFileSync(path.join(dist, 'formwell-ruleset.json'));
console.log(`| code-impact ruleset (fetched separately) | ${kb(ruleset.length)} | ${kb(zlib.gzipSync(ruleset, { level: 9 }).length)} |`);

const templates = fs.readdirSync(path.join(repo, 'templates'));
const largest = templates
  .map((f) => ({ id: path.basename(f, '.json'), items: JSON.stringify(JSON.parse(fs.readFileSync(path.join(repo, 'templates', f)))).match(/"linkId"/g).length }))
  .sort((a, b) => b.items - a.items)[0];

const server = await startServer();
const browser = await launch();
const times = [];
const rulesetLoads = [];
try {
  for (let i = 0; i < 15; i++) {
    const context = await browser.newContext({ viewport: { width: 768, height: 1024 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/#/form/${largest.id}`);
    await page.waitForSelector('button[type=submit]');
    times.push(await page.evaluate(() => performance.now()));
    await page.waitForFunction(() => window.formwellRulesetLoadMs !== undefined);
    rulesetLoads.push(await page.evaluate(() => window.formwellRulesetLoadMs));
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
times.sort((a, b) => a - b);
console.log(`\ntime to first rendered form, ${largest.id} (${largest.items} items), loopback, cold cache: ` +
  `median ${times[7].toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times[14].toFixed(0)})`);
rulesetLoads.sort((a, b) => a - b);
console.log(`ruleset load in the page (parse + index, after fetch): median ${rulesetLoads[7].toFixed(1)} ms ` +
  `(min ${rulesetLoads[0].toFixed(1)}, max ${rulesetLoads[14].toFixed(1)})`);
