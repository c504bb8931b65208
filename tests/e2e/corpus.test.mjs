// Every public corpus questionnaire (../shared/data/questionnaires, which CI has) that the
// engine loads also renders in the browser, with no console error; the ones it cannot load
// say why instead of rendering half a form.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, launch, newPage, tick, corpus } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

test('every corpus questionnaire renders or says why it cannot', async () => {
  const files = fs.readdirSync(corpus).filter((f) => f.endsWith('.json')).sort();
  assert.equal(files.length, 94);
  const page = await newPage(browser);
  await page.goto(`${server.url}/#/`);
  await page.waitForSelector('.template-list');
  let rendered = 0;
  const refused = [];
  for (const file of files) {
    page.consoleErrors.length = 0;
    await page.evaluate((hash) => { location.hash = hash; }, `#/open?url=${encodeURIComponent(`${server.url}/corpus/${file}`)}`);
    await page.waitForFunction(() => location.hash === '#/opened' || document.querySelector('.error-summary'), null, { timeout: 15000 });
    await tick(page);
    if (await page.locator('.error-summary').count()) {
      refused.push(file);
      assert.match(await page.locator('.error-summary').textContent(), /is not a form this app can open/, file);
    } else {
      await page.waitForSelector('form.questionnaire');
      assert.ok((await page.locator('h1').textContent()).length > 0, `${file}: no title`);
      rendered += 1;
    }
    assert.deepEqual(page.consoleErrors, [], `${file}: console errors`);
    await page.evaluate(() => { location.hash = '#/'; });
    await page.waitForSelector('.template-list');
  }
  console.log(`corpus in the browser: ${rendered} rendered, ${refused.length} refused with reasons (${refused.join(', ')})`);
  // The engine refuses exactly the two corpus files with real errors (see the engine's corpus test).
  assert.deepEqual(refused, ['lforms__enableWhen-test.R4.json', 'lforms__q-enableWhen-with-reference-loop.json']);
});
