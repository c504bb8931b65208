// Fields staff can trust, and a list of forms that stays usable: short scales as radio
// buttons that can record their minimum and be cleared, prompts that stand out and come
// back on the sent page, the error summary focused after a failed check, UK dates that say
// what is missing and refuse births in the future, a phone keypad for phone numbers, and
// the home page with 50 templates.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, newPage, openTemplate, tick, option, fillDate, checkAndSend, answersByLinkId } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const open = (id, query) => openTemplate(browser, server, id, query);

/** The read-back's answer to a question. */
async function readBack(page, question) {
  return page.locator('#summary div', { has: page.locator('dt', { hasText: question }) }).locator('dd').first().textContent();
}

test('a short scale is radio buttons: its minimum can be recorded, and the answer cleared', async () => {
  const page = await open('healthy-eating-session');
  const question = 'Confidence cooking a meal from scratch (0 to 10)';
  assert.equal(await page.getByRole('group', { name: question }).getByRole('radio').count(), 11, 'one button for each of 0 to 10');
  await page.getByLabel('Session number').fill('1');
  await fillDate(page, 'Session date', '2026-11-26');
  await page.getByLabel('Portions of fruit and vegetables eaten yesterday').fill('3');
  await option(page, question, '0').check();
  await tick(page);
  await page.getByRole('button', { name: `Clear the answer to ${question}` }).click();
  await tick(page);
  assert.equal(await page.getByRole('group', { name: question }).getByRole('radio', { checked: true }).count(), 0, 'cleared');
  await page.getByRole('button', { name: 'Check answers' }).click();
  await tick(page);
  assert.match(await page.locator('#error-summary').textContent(), new RegExp(`${question.replace(/[()]/g, '\\$&')}: Answer this question`));
  await option(page, question, '0').check();
  await checkAndSend(page);
  await page.waitForSelector('#response-json', { state: 'attached' });
  const answers = answersByLinkId(JSON.parse(await page.textContent('#response-json')));
  assert.deepEqual(answers.confidence, [0], 'the minimum is an answer like any other');
  assert.deepEqual(page.consoleErrors, []);
});

test('a prompt the answers raise stands out, and is repeated on the read-back and the sent page', async () => {
  const page = await open('speech-language-check-2y');
  const prompt = 'Suggest the family talks to their health visitor';
  assert.equal(await page.getByText(prompt).count(), 0);
  await page.getByLabel("Child's age in months").fill('26');
  await option(page, 'About how many words does the child use?', 'Fewer than 10').check();
  await option(page, 'Does the child put two words together ("more milk", "daddy gone")?', 'No').check();
  await option(page, 'Does the child follow a simple instruction ("get your shoes")?', 'Yes').check();
  await tick(page);
  const shown = page.locator('.item.prompt', { hasText: prompt });
  assert.equal(await shown.getAttribute('role'), 'note');
  const colour = await shown.evaluate((e) => getComputedStyle(e).borderLeftColor);
  assert.equal(colour, 'rgb(244, 119, 56)', 'styled as a warning');
  await page.getByRole('button', { name: 'Check answers' }).click();
  await page.waitForSelector('#check-answers');
  assert.match(await page.locator('#prompts').textContent(), new RegExp(`To do now.*${prompt}`));
  await page.locator('#send').click();
  await page.waitForSelector('#submitted');
  assert.match(await page.locator('#submitted #prompts').textContent(), new RegExp(prompt), 'repeated once sent');
});

test('after a failed check the error summary is in view and focused, even on a phone', async () => {
  const page = await newPage(browser, { width: 360, height: 740 });
  await page.goto(`${server.url}/#/form/family-registration`);
  await page.waitForSelector('form.questionnaire');
  await page.getByLabel('Postcode').scrollIntoViewIfNeeded();
  await page.getByRole('button', { name: 'Check answers' }).click();
  await page.waitForSelector('#error-summary');
  await tick(page);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'error-summary');
  const box = await page.locator('#error-summary').boundingBox();
  assert.ok(box.y > -1 && box.y < 740, `the summary is on screen (top at ${box.y}px)`);
});

test('dates: the UK example, a half-typed date says what is missing, and no date of birth in the future', async () => {
  const page = await open('family-registration');
  const born = page.getByRole('group', { name: 'Date of birth', exact: true });
  assert.match(await born.textContent(), /For example, 27 3 2024/);
  await fillDate(page, 'Date of birth', { day: '3', month: '5' });
  await page.getByRole('button', { name: 'Check answers' }).click();
  await tick(page);
  assert.match(await page.locator('#error-summary').textContent(), /Date of birth: Enter a year/);
  await fillDate(page, 'Date of birth', { day: '', month: '5', year: '1992' });
  await tick(page);
  assert.match(await page.locator('#error-summary').textContent(), /Date of birth: Enter a day/);
  await fillDate(page, 'Date of birth', '2099-01-01');
  await tick(page);
  assert.match(await page.locator('#error-summary').textContent(), /Date of birth: Enter a date of birth that is today or in the past/);
  await fillDate(page, 'Date of birth', '1992-05-03');
  await tick(page);
  assert.doesNotMatch(await page.locator('#error-summary').textContent(), /Date of birth:/);
  // Read back as people say dates.
  await page.getByRole('textbox', { name: 'First name', exact: true }).fill('Amina');
  await page.getByRole('textbox', { name: 'Last name', exact: true }).fill('Begum');
  await page.getByLabel('Postcode').fill('E1 6AN');
  await page.getByLabel("Child's first name").fill('Rafi');
  await fillDate(page, "Child's date of birth", '2024-05-01');
  await option(page, 'Do you agree to share what the centre records with your GP practice and health visiting team?', 'Yes').check();
  await option(page, 'Who gave this answer?', 'The parent or carer named above').check();
  await page.getByRole('button', { name: 'Check answers' }).click();
  await page.waitForSelector('#check-answers');
  assert.equal(await readBack(page, 'Date of birth'), '3 May 1992');
});

test('phone numbers open the phone keypad', async () => {
  for (const [id, label, before] of [['family-registration', 'Mobile phone', null], ['change-of-contact-details', 'New phone number', 'Phone number']]) {
    const page = await open(id);
    if (before) {
      await option(page, 'What has changed?', before).check();
      await tick(page);
    }
    const input = page.getByLabel(label);
    assert.deepEqual(await input.evaluate((e) => [e.type, e.inputMode, e.autocomplete]), ['tel', 'tel', 'tel'], id);
    await page.close();
  }
});

test('the home page stays usable with 50 templates: search, groups by topic, one line each for staff', async () => {
  const context = await browser.newContext({ serviceWorkers: 'block', viewport: { width: 768, height: 1024 } });
  const topics = ['Family support', 'Health and wellbeing', 'Groups and courses', 'Early years'];
  await context.route(/formwell-templates\.json$/, async (route) => {
    const library = await (await route.fetch()).json();
    const shipped = library.templates;
    for (let i = shipped.length; i < 50; i += 1) {
      const copy = structuredClone(shipped[i % shipped.length]);
      copy.id = `${copy.id}-${i}`;
      copy.questionnaire.title = `Session record ${i}`;
      copy.questionnaire.useContext = [{ code: { system: 'http://terminology.hl7.org/CodeSystem/usage-context-type', code: 'focus' },
        valueCodeableConcept: { text: topics[i % topics.length] } }];
      library.templates.push(copy);
    }
    await route.fulfill({ json: library });
  });
  const page = await context.newPage();
  await page.goto(`${server.url}/#/`);
  await page.waitForSelector('#search-forms');
  assert.equal(await page.locator('.template h3').count(), 50);
  const groups = await page.locator('.template-group:not(.not-here) > h2').allTextContents();
  for (const topic of topics) assert.ok(groups.includes(topic), `${topic} in ${groups.join(', ')}`);
  // Staff read one line for each form, without designer notes or FHIR terms.
  for (const description of await page.locator('.template > p:not(.meta)').allTextContents()) {
    assert.ok(description.length <= 200, description);
    assert.doesNotMatch(description, /FHIR|SNOMED|linkId|extension|enableWhen|template|designer/i, description);
  }
  await page.getByLabel('Search the forms').fill('breastfeeding');
  await tick(page);
  assert.deepEqual(await page.locator('.template h3').allTextContents(), ['Breastfeeding peer-support contact']);
  await page.getByLabel('Search the forms').fill('session record 4');
  await tick(page);
  assert.ok((await page.locator('.template h3').count()) >= 1);
  await page.getByLabel('Search the forms').fill('no such form');
  await tick(page);
  assert.match(await page.locator('#no-forms-found').textContent(), /No form matches/);
  await context.close();
});
