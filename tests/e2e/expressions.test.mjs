// The SDC expressions in the browser, on real templates from the shared corpus (served
// under /corpus/ from ../shared, which CI has): a score that adds up as answers are
// chosen, a question an expression shows, text that follows an answer, and a form filled
// from the person's Patient as the independent FHIR server (tests/fhir-server) holds it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, startBackend, launch, newPage, tick, signIn, recordReady, corpus, dist, fillFamily, fillHarmfulAndSubmit, confirmDialog, checkAndSend } from './harness.mjs';

let server, fhir, browser;
before(async () => { server = await startServer(); fhir = await startBackend(server.url, 'medplum'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); await fhir?.close(); });

const open = async (page, file) => {
  await page.evaluate((hash) => { location.hash = hash; }, `#/open?url=${encodeURIComponent(`${server.url}/corpus/${file}`)}`);
  await page.waitForSelector('form.questionnaire');
};

test('the PHQ-9 total adds up the scores of the answers as they are chosen, and cannot be typed over', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/#/`);
  await open(page, 'lforms__phq9.json');
  const total = page.getByLabel('Patient health questionnaire 9 item total score', { exact: false });
  assert.equal(await total.inputValue(), '');
  // Nearly every day (3) for the first two, several days (1) for the third: 7.
  const choices = [['Nearly every day', 3], ['Nearly every day', 3], ['Several days', 1]];
  let expected = 0;
  for (const [i, [label, score]] of choices.entries()) {
    await page.locator('form.questionnaire select').nth(i).selectOption({ label });
    expected += score;
    await tick(page);
    assert.equal(await total.inputValue(), String(expected), `after ${i + 1} answers`);
  }
  await page.locator('form.questionnaire select').nth(0).selectOption({ label: 'Not at all' });
  await tick(page);
  assert.equal(await total.inputValue(), '4', 'a changed answer moves the total');
  assert.notEqual(await total.getAttribute('readonly'), null, 'the total is calculated, not typed');
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

test('an enableWhenExpression shows its question when the numbers add up, and dynamic text follows an answer', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/#/`);
  await open(page, 'lforms__enableWhenExpressionTest.json');
  const fourth = page.getByText('Fourth question, controlled by enableWhenExpression', { exact: false });
  assert.equal(await fourth.count(), 0);
  await page.getByLabel('First number').fill('2');
  await page.getByLabel('Second number').fill('2.5');
  await tick(page);
  assert.equal(await fourth.count(), 0, '4.5 is not 5');
  await page.getByLabel('Third number').fill('0.5');
  await tick(page);
  assert.equal(await fourth.count(), 1, '2 + 2.5 + 0.5 = 5');

  await open(page, 'androidfhir__behavior_dynamic_question_text.json');
  const legend = page.locator('legend').nth(1);
  assert.match(await legend.textContent(), /^Option Date/, 'the template\'s own text until an option is chosen');
  await page.getByLabel('Second Option', { exact: true }).check();
  await tick(page);
  assert.match(await legend.textContent(), /^Provide "Second Option" Date/);
  await page.getByLabel('Fourth Option', { exact: true }).check();
  await tick(page);
  assert.match(await legend.textContent(), /^Provide "Fourth Option" Date/);
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

/** A tablet signed in on the independent FHIR server, a corpus template opened by its
 * address, and the person with this family name chosen for it. */
async function openFor(file, family) {
  const context = await browser.newContext({ viewport: { width: 768, height: 1024 } });
  const page = await context.newPage();
  page.consoleErrors = [];
  page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
  // Every read of the record the tablet makes, for the tests that check what was asked.
  page.searched = [];
  page.on('request', (r) => { if (r.url().startsWith(fhir.url)) page.searched.push(decodeURIComponent(r.url().slice(fhir.url.length))); });
  await page.goto(`${server.url}/?fhir=${encodeURIComponent(fhir.url)}&token=${fhir.tokenFor('community')}&staff=Sam%20Patel#/`);
  await signIn(page);
  await recordReady(page);
  await page.evaluate((hash) => { location.hash = hash; }, `#/open?url=${encodeURIComponent(`${server.url}/corpus/${file}`)}`);
  await page.waitForSelector('#person-picker');
  await page.getByLabel('Name or NHS number').fill(`Amina ${family}`);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForSelector('#found-people button, #no-one-found, #search-problem');
  await page.locator('#found-people button').first().click();
  await page.waitForSelector('form.questionnaire', { timeout: 10000 }).catch(async (e) => {
    throw new Error(`${e.message}\n${await page.locator('main').textContent()}`);
  });
  return { context, page };
}

const uniqueFamily = (prefix) => `${prefix}${Date.now().toString(36).replace(/\d/g, '')}`;

test('a form is filled from the person\'s record on the independent FHIR server, and says what it could not fill', async () => {
  const family = uniqueFamily('Prefill');
  const patient = await fhir.create({ resourceType: 'Patient', name: [{ family, given: ['Amina'] }], birthDate: '1992-05-03', gender: 'female' });
  const { context, page } = await openFor('lforms__ussg-fhp.json', family);
  // The name and date of birth come at once from what the tablet knows; the gender only
  // from the record, read by id.
  await page.waitForFunction(() => /Filled in from the record[^.]*Gender/.test(document.querySelector('#prefilled')?.textContent ?? ''));
  assert.equal(await page.locator('input[name="/54126-8/54125-0"]').inputValue(), `Amina ${family}`);
  assert.equal(await page.locator('input[name="/54126-8/21112-8"]').count() + await page.getByRole('group', { name: 'Birth Date' }).count() > 0, true);
  // The template fills its gender question (in its family-history group) from %patient.gender.
  const chosen = await page.locator('form.questionnaire select option:checked').allTextContents();
  assert.ok(chosen.includes('Female'), `gender from the record (FHIR's "female" is the option Female): ${chosen}`);
  assert.match(await page.locator('#prefilled').textContent(), /Filled in from the record \(check them\): .*Name/);
  assert.equal(patient.gender, 'female');
  assert.deepEqual(page.consoleErrors, []);
  await context.close();
});

test('a question linked to an Observation code is answered from the person\'s latest one on the record', async () => {
  const family = uniqueFamily('Linked');
  const patient = await fhir.create({ resourceType: 'Patient', name: [{ family, given: ['Amina'] }], birthDate: '1992-05-03' });
  const recent = new Date(Date.now() - 30 * 24 * 3600 * 1000).toISOString();
  await fhir.create({ resourceType: 'Observation', status: 'final', subject: { reference: `Patient/${patient.id}` },
    code: { coding: [{ system: 'http://loinc.org', code: '44250-9' }] }, effectiveDateTime: recent,
    valueCodeableConcept: { coding: [{ system: 'http://loinc.org', code: 'LA6570-1', display: 'More than half the days' }] } });
  const { context, page } = await openFor('lforms__phq9.json', family);
  await page.waitForFunction(() => /Filled in from the record[^.]*Little interest/.test(document.querySelector('#prefilled')?.textContent ?? ''));
  const first = page.locator('form.questionnaire select').first();
  assert.equal(await first.locator('option:checked').textContent(), 'More than half the days');
  assert.equal(await page.getByLabel('Patient health questionnaire 9 item total score').inputValue(), '2', 'the total counts it');
  assert.match(await page.locator('#prefilled').textContent(), /The record did not say, so ask: .*Feeling down/);
  assert.deepEqual(page.consoleErrors, []);
  await context.close();
});

test('a template\'s own search of the person\'s record fills it, and a search of someone else\'s is never run', async () => {
  const family = uniqueFamily('Height');
  const patient = await fhir.create({ resourceType: 'Patient', name: [{ family, given: ['Amina'] }], birthDate: '1992-05-03' });
  await fhir.create({ resourceType: 'Observation', status: 'final', subject: { reference: `Patient/${patient.id}` },
    code: { coding: [{ system: 'http://loinc.org', code: '8302-2' }] }, effectiveDateTime: new Date().toISOString(),
    valueQuantity: { value: 172.5, unit: 'cm', system: 'http://unitsofmeasure.org', code: 'cm' } });
  const { context, page } = await openFor('smartforms__AuCoreObservationBodyHeight.json', family);
  await page.waitForFunction(() => /Filled in from the record[^.]*Observation Value/.test(document.querySelector('#prefilled')?.textContent ?? ''), null, { timeout: 10000 })
    .catch(async (e) => { throw new Error(`${e.message}\n${await page.locator('#prefilled').textContent().catch(() => '(no notice)')}\n${page.searched.join('\n')}`); });
  assert.equal(await page.getByLabel('Observation Value', { exact: true }).inputValue(), '172.5');
  // Every search the tablet made was about this person.
  const searches = page.searched.filter((u) => u.startsWith('/Observation?'));
  assert.equal(searches.length, 1, `one search of Observations: ${page.searched}`);
  assert.match(searches[0], new RegExp(`patient=Patient/${patient.id}$`));
  assert.deepEqual(page.consoleErrors, []);
  await context.close();
});

// The release build keeps the FHIRPath evaluator and the SDC expressions in a module of
// their own (tools/split-wasm.mjs): a tablet that only fills templates without
// expressions never downloads it; a template with them loads it before it is read.
const expressionsModule = (url) => /\/formwell-expressions-[0-9a-f]{16}\.wasm$/.test(url);

test('templates without expressions never download the expressions module; one with them loads it first', async () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(dist, 'asset-manifest.json'), 'utf8'));
  assert.equal(manifest.files.filter(expressionsModule).length, 1, 'the service worker keeps it for offline use');

  const fetched = [];
  const tracked = async (id, query = '') => {
    const page = await newPage(browser);
    page.on('request', (r) => { if (expressionsModule(r.url())) fetched.push(r.url()); });
    await page.goto(`${server.url}/${query}#/form/${id}`);
    await page.waitForSelector('.impact:not(.loading)');
    return page;
  };
  // Two shipped templates, filled and sent, one through the code-impact dialog.
  const family = await tracked('family-registration');
  await fillFamily(family);
  await checkAndSend(family);
  await family.waitForSelector('#response-json', { state: 'attached' });
  await family.close();
  const page = await tracked('harmful-pregnancy-safeguarding-example', '?setting=midwifery');
  await fillHarmfulAndSubmit(page);
  await confirmDialog(page, 'She told us herself today');
  await page.waitForSelector('#response-json', { state: 'attached' });
  // A corpus template without expressions, by its address.
  await open(page, 'lforms__bit-of-everything.json');
  await page.locator('form.questionnaire input[type=text]').first().fill('Some words');
  await page.locator('form.questionnaire input[type=radio]').first().check();
  await tick(page);
  assert.deepEqual(fetched, [], 'nothing asked for the expressions module');
  assert.equal(await page.evaluate(() => window.formwellExpressions.loaded), false);

  await open(page, 'lforms__phq9.json');
  assert.equal(fetched.length, 1, 'the PHQ-9, with a calculated total, loads it once');
  await page.locator('form.questionnaire select').nth(0).selectOption({ label: 'Nearly every day' });
  await tick(page);
  const total = page.getByLabel('Patient health questionnaire 9 item total score', { exact: false });
  assert.equal(await total.inputValue(), '3');
  assert.equal(await page.evaluate(() => window.formwellExpressionsLoadedAtOnce ?? 0), 0, 'loaded before, not when reached');
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});

test('a template whose expressions the check cannot see still works: the module loads when they are reached', async () => {
  // The PHQ-9 with every extension URL written with an escaped letter: the same JSON to a
  // reader, but the text check does not recognise it, so the first call into the
  // evaluator finds a stand-in and loads the module then.
  const hidden = fs.readFileSync(path.join(corpus, 'lforms__phq9.json'), 'utf8')
    .replaceAll('calculatedExpression', 'calculated\\u0045xpression')
    .replaceAll('StructureDefinition/variable', 'StructureDefinition/v\\u0061riable')
    .replaceAll('observationLinkPeriod', 'observationLinkP\\u0065riod');
  assert.ok(hidden.includes('\\u0045'));
  const page = await newPage(browser);
  await page.route(`${server.url}/hidden/phq9.json`, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: hidden }));
  await page.goto(`${server.url}/#/`);
  await page.evaluate((hash) => { location.hash = hash; }, `#/open?url=${encodeURIComponent(`${server.url}/hidden/phq9.json`)}`);
  await page.waitForSelector('form.questionnaire');
  await page.locator('form.questionnaire select').nth(0).selectOption({ label: 'Nearly every day' });
  await page.locator('form.questionnaire select').nth(1).selectOption({ label: 'Several days' });
  await tick(page);
  const total = page.getByLabel('Patient health questionnaire 9 item total score', { exact: false });
  assert.equal(await total.inputValue(), '4');
  assert.equal(await page.evaluate(() => window.formwellExpressionsLoadedAtOnce), 1, 'loaded once, when first reached');
  assert.deepEqual(page.consoleErrors.filter((e) => !/Synchronous XMLHttpRequest/.test(e)), []);
  await page.close();
});
