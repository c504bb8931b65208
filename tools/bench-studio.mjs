// Studio benchmark: the studio's bundle (its page, CodeMirror and its own script; the
// preview's engine is the embedding build, measured by bench-embed.mjs), and the time from
// a keystroke in the editor to the updated preview (the template checked, its findings and
// lint for every setting shown, the form mounted again with the answers kept), after the
// studio's 250 ms pause for more typing, which is not counted: on the largest shipped
// template and on a generated one of 1,000 items. Headless chromium, `formwell preview`
// on loopback; medians of 15 edits. Run after a release build:
// `node tools/bench-studio.mjs`. Prints figures; asserts nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { launch, repo, dist, startPreview } from '../tests/e2e/harness.mjs';

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
let total = 0;
console.log('| part | raw | gzip |\n|---|---:|---:|');
for (const file of ['studio.html', 'studio.css', 'studio.js']) {
  const data = fs.readFileSync(path.join(dist, file));
  const gz = zlib.gzipSync(data, { level: 9 }).length;
  total += gz;
  console.log(`| ${file} | ${kb(data.length)} | ${kb(gz)} |`);
}
console.log(`| studio total (the preview's engine besides) | | ${kb(total)} |`);

const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'formwell-bench-studio-'));
const largest = fs.readdirSync(path.join(repo, 'templates'))
  .map((f) => ({ f, n: (fs.readFileSync(path.join(repo, 'templates', f), 'utf8').match(/"linkId"/g) ?? []).length }))
  .sort((a, b) => b.n - a.n)[0];
fs.copyFileSync(path.join(repo, 'templates', largest.f), path.join(folder, largest.f));
// 100 groups of 9 questions and a heading each: 1,000 items.
const items = Array.from({ length: 100 }, (_, g) => ({
  linkId: `g${g}`, type: 'group', text: `Section ${g + 1}`,
  item: Array.from({ length: 9 }, (_, q) => ({ linkId: `g${g}q${q}`, type: ['string', 'integer', 'boolean'][q % 3], text: `Question ${q + 1} of section ${g + 1}` })),
}));
fs.writeFileSync(path.join(folder, 'generated-1000.json'), JSON.stringify({ resourceType: 'Questionnaire', status: 'draft', title: 'Generated, 1,000 items', item: items }, null, 2));

const preview = await startPreview(folder);
const url = preview.url;
const browser = await launch();
try {
  for (const [file, items] of [[largest.f, largest.n], ['generated-1000.json', 1000]]) {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${url}?template=${file}`);
    await page.locator('#preview form.questionnaire').waitFor({ timeout: 60000 });
    const times = [];
    for (let i = 0; i < 15; i++) {
      // A keystroke in the title: the form's heading changes.
      await page.evaluate(() => { window.studioPreviewMs = undefined; });
      await page.locator('.cm-content').click();
      await page.keyboard.press('Control+Home');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('End');
      const updated = page.evaluate(() => new Promise((r) => window.addEventListener('studio-updated', r, { once: true })));
      await page.keyboard.insertText(' ');
      await updated;
      times.push((await page.evaluate(() => window.studioPreviewMs)) - 250);
    }
    times.sort((a, b) => a - b);
    console.log(`keystroke to updated preview, ${file} (${items} items): median ${times[7].toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times[14].toFixed(0)}), after the 250 ms pause`);
    await page.context().close();
  }
} finally {
  await browser.close();
  preview.close();
}
