// Each shipped template, filled like a user (typing, tapping) in headless chromium,
// submitted, and the QuestionnaireResponse it shows checked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, newPage, openTemplate, confirmDialog, tick, answersByLinkId, option, checkAndSend, fillDate } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const open = (id, query) => openTemplate(browser, server, id, query);

/** Submits, confirming the code-impact dialog when one opens, and reads the response. */
async function finish(page, reason) {
  await checkAndSend(page);
  if (reason) await confirmDialog(page, reason);
  await page.waitForSelector('#response-json', { state: 'attached' });
  const response = JSON.parse(await page.textContent('#response-json'));
  assert.deepEqual(page.consoleErrors, []);
  assert.equal(response.resourceType, 'QuestionnaireResponse');
  assert.equal(response.status, 'completed');
  assert.match(response.authored, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const decisions = JSON.parse(await page.textContent('#decisions-json'));
  return { response, answers: answersByLinkId(response), decisions };
}

test('the home page lists every shipped template with its coded-entry count', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/#/`);
  await page.waitForSelector('.template-list');
  const titles = await page.locator('.template h3').allTextContents();
  assert.equal(titles.length, 7);
  assert.ok(titles.includes('Family registration'));
  const harmful = page.locator('.template', { hasText: 'Harmful example' });
  assert.match(await harmful.locator('.meta').textContent(), /Can write 3 coded entries/);
  const family = page.locator('.template', { hasText: 'Family registration' });
  assert.match(await family.locator('.meta').textContent(), /Writes no coded entries/);
  await page.getByRole('link', { name: 'Family registration' }).click();
  await page.waitForSelector('form.questionnaire');
  assert.equal(await page.locator('h1').textContent(), 'Family registration');
});

test('family registration', async () => {
  const page = await open('family-registration');
  await page.getByRole('textbox', { name: 'First name', exact: true }).fill('Amina');
  await page.getByRole('textbox', { name: 'Last name', exact: true }).fill('Begum');
  await page.getByLabel('Postcode').fill('E1 6AN');
  await page.getByLabel('Preferred language').selectOption({ label: 'Bengali' });
  await page.getByLabel("Child's first name").fill('Rafi');
  await fillDate(page, "Child's date of birth", '2024-05-01');
  await option(page, 'Do you agree to share what the centre records with your GP practice and health visiting team?', 'Yes').check();
  await option(page, 'Who gave this answer?', 'The parent or carer named above').check();
  const { response, answers } = await finish(page);
  assert.equal(response.questionnaire, 'https://formwell.example/fhir/Questionnaire/family-registration|1.0.0');
  assert.deepEqual(answers['carer-given-name'], ['Amina']);
  assert.deepEqual(answers['carer-postcode'], ['E1 6AN']);
  assert.deepEqual(answers['carer-language'], ['Bengali']);
  assert.deepEqual(answers['child-birth-date'], ['2024-05-01']);
  assert.deepEqual(answers['consent-share'], [true]);
  assert.equal(answers['carer-language-other'], undefined, 'a hidden question writes nothing');
});

test('antenatal education attendance writes no pregnancy codes', async () => {
  const page = await open('antenatal-education-attendance');
  await fillDate(page, 'Session date', '2026-11-20');
  await option(page, 'Session', 'Feeding your baby').check();
  await option(page, 'Who came to the session?', 'Parent-to-be').check();
  await option(page, 'Who came to the session?', 'Partner').check();
  await option(page, 'How helpful was the session? (1 not at all, 5 very)', '4').check();
  await option(page, 'Would they like to hear about other sessions?', 'Yes').check();
  await tick(page);
  await option(page, 'How should we get in touch?', 'Text message').check();
  const { response, answers } = await finish(page);
  assert.deepEqual(answers['attended-with'], ['Parent-to-be', 'Partner']);
  assert.deepEqual(answers['helpful'], [4]);
  assert.deepEqual(answers['follow-up-how'], ['Text message']);
  assert.doesNotMatch(JSON.stringify(response), /snomed/);
});

test('early speech and language check', async () => {
  const page = await open('speech-language-check-2y');
  await page.getByLabel("Child's age in months").fill('26');
  await option(page, 'About how many words does the child use?', 'Fewer than 10').check();
  await option(page, 'Does the child put two words together ("more milk", "daddy gone")?', 'No').check();
  await option(page, 'Does the child follow a simple instruction ("get your shoes")?', 'Yes').check();
  await tick(page);
  assert.ok(await page.getByText('Suggest the family talks to their health visitor').isVisible(), 'few words prompts the suggestion');
  await page.getByLabel('Languages spoken at home').fill('English\nPolish');
  const { answers } = await finish(page);
  assert.deepEqual(answers['child-age-months'], [26]);
  assert.deepEqual(answers['two-word-phrases'], [false]);
  assert.deepEqual(answers['home-languages'], ['English', 'Polish']);
});

test('healthy eating session with outcome measures', async () => {
  const page = await open('healthy-eating-session');
  await page.getByLabel('Session number').fill('3');
  await fillDate(page, 'Session date', '2026-11-24');
  await page.getByLabel('Portions of fruit and vegetables eaten yesterday').fill('5');
  await option(page, 'Confidence cooking a meal from scratch (0 to 10)', '7').check();
  await page.getByLabel('Litres of water drunk yesterday').fill('1.5');
  await option(page, 'Recipes tried at home this week', 'Lentil soup').check();
  await option(page, 'What gets in the way of eating well?', 'Cost').check();
  await page.getByLabel('Something else (say what)').fill('Shift work');
  const { answers } = await finish(page);
  assert.deepEqual(answers['session-number'], [3]);
  assert.deepEqual(answers['portions'], [5]);
  assert.deepEqual(answers['confidence'], [7]);
  assert.deepEqual(answers['water'], [1.5]);
  assert.deepEqual(answers['recipes-tried'], ['Lentil soup']);
  assert.deepEqual(answers['barriers'], ['Cost', 'Shift work'], 'open choice keeps a typed answer beside the options');
});

test('breastfeeding peer-support contact', async () => {
  const page = await open('breastfeeding-peer-support');
  await fillDate(page, 'Date of contact', '2026-11-25');
  await option(page, 'Type of contact', 'Home visit').check();
  await page.getByLabel("Baby's age in weeks").fill('6');
  await option(page, 'How is the baby fed at the moment (in the parent\'s words)?', 'Breast milk and formula').check();
  await option(page, 'Support given', 'Positioning and attachment').check();
  await option(page, 'Support given', 'Night feeds').check();
  await fillDate(page, 'Next contact planned', '2026-12-02');
  const { response, answers } = await finish(page);
  assert.deepEqual(answers['support-given'], ['Positioning and attachment', 'Night feeds']);
  assert.deepEqual(answers['next-contact'], ['2026-12-02']);
  assert.doesNotMatch(JSON.stringify(response), /snomed/, 'feeding status is not written as a code');
});

test('change of contact details: a temporary address with an end date', async () => {
  const page = await open('change-of-contact-details');
  await option(page, 'What has changed?', 'Address').check();
  await tick(page);
  await page.getByLabel('Address line 1').fill('12 Mill Lane');
  await page.getByLabel('Town or city').fill('Leeds');
  await page.getByLabel('Postcode').fill('LS1 4AP');
  await option(page, 'Is this a temporary or permanent address?', 'Temporary').check();
  await tick(page);
  await fillDate(page, 'Until when?', '2027-03-31');
  await option(page, 'Have you read the new details back to the person?', 'Yes').check();
  const { answers, decisions } = await finish(page, 'Moved out while the flat is repaired');
  const address = decisions.filter((d) => d.category === 'demographics');
  assert.ok(address.every((d) => d.reason === 'Moved out while the flat is repaired'));
  assert.deepEqual(address[0].demographic_change, { change: 'temporary', until: '2027-03-31' }, "the form's own end date answers the guard's question");
  assert.deepEqual(answers['address-line1'], ['12 Mill Lane']);
  assert.deepEqual(answers['address-permanence'], [{ system: 'http://hl7.org/fhir/address-use', code: 'temp', display: 'Temporary' }]);
  assert.deepEqual(answers['address-until'], ['2027-03-31']);
  assert.equal(answers['phone'], undefined);
});

test('the harmful example submits from a midwifery service once the child protection code is confirmed', async () => {
  const page = await open('harmful-pregnancy-safeguarding-example', '?setting=midwifery');
  await option(page, 'Is the parent pregnant?', 'Yes').check();
  await tick(page);
  await fillDate(page, 'Expected delivery date', '2027-04-01');
  await option(page, 'Is the child subject to a child protection plan?', 'Yes').check();
  const { answers, decisions } = await finish(page, 'Recorded at the case conference');
  assert.deepEqual(decisions.map((d) => [d.entry.link_id, d.severity]), [['pregnant', 'allow'], ['edd', 'allow'], ['cpp', 'confirm']]);
  assert.deepEqual(answers['edd'], ['2027-04-01']);
  assert.deepEqual(answers['cpp'], [true]);
});
