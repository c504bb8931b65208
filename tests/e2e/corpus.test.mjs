// Every public corpus questionnaire (../shared/data/questionnaires, which CI has) that the
// engine loads also renders in the browser, with no console error; the ones it cannot load
// say why instead of rendering half a form; and the ones that could write codes the
// service (community, the default) may not write say so before any question.
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
  const notForService = [];
  for (const file of files) {
    page.consoleErrors.length = 0;
    await page.evaluate((hash) => { location.hash = hash; }, `#/open?url=${encodeURIComponent(`${server.url}/corpus/${file}`)}`);
    await page.waitForFunction(() => location.hash === '#/opened' || document.querySelector('.error-summary'), null, { timeout: 15000 });
    await tick(page);
    if (await page.locator('#not-for-service').count()) {
      notForService.push(file);
      const guidance = await page.locator('#not-for-service').textContent();
      assert.match(guidance, /This form is not for the community and voluntary sector service.*What to do instead: /, file);
      assert.equal(await page.locator('form.questionnaire').count(), 0, `${file}: no question is asked`);
    } else if (await page.locator('.error-summary').count()) {
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
  console.log(`corpus in the browser: ${rendered} rendered, ${notForService.length} not for the service (${notForService.join(', ')}), ${refused.length} refused with reasons (${refused.join(', ')})`);
  assert.equal(rendered, 92);
  // The one corpus form whose codes the community service may not write: a full health
  // check whose answer options include pregnancy, birth and disease-register codes.
  assert.deepEqual(notForService, ['smartforms__Questionnaire-AboriginalTorresStraitIslanderHealthCheckAssembled-0.1.0.json']);
  // The engine refuses exactly the corpus file with a real error, a loop of conditions (see
  // the engine's corpus test); LHC-Forms' enableWhen test form loads, its four conditions
  // of the wrong type left out with warnings.
  assert.deepEqual(refused, ['lforms__q-enableWhen-with-reference-loop.json']);
});
