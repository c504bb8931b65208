// Whose record: the staff journey around the person, walked as a member of staff would on
// a shared tablet, each test ending by reading back what the record stored (subject,
// author, the Patient a registration created) through FHIR search. The person is found
// on both record systems: the independent FHIR server (tests/fhir-server) and `formwell
// serve`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startBackend, launch, tick, signIn, signInSettled, recordReady, fillFamily, fillHealthyEating, checkAndSend,
  storedRows, kept, untilKept, option } from './harness.mjs';

let server, fhir, own, browser;
before(async () => {
  server = await startServer();
  fhir = await startBackend(server.url, 'medplum');
  own = await startBackend(server.url, 'formwell');
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.close(); await fhir?.close(); await own?.close(); });

/** A valid NHS number (modulus 11 check digit), new each time. */
function nhsNumber() {
  for (;;) {
    const digits = Array.from({ length: 9 }, () => Math.floor(Math.random() * 10));
    const check = 11 - (digits.reduce((sum, d, i) => sum + d * (10 - i), 0) % 11);
    if (check === 10) continue;
    return digits.join('') + (check === 11 ? 0 : check);
  }
}

/** A family name no other test uses, so that searches find only this test's people. */
const familyName = () => `Begum${'abcdefghij'[Math.floor(Math.random() * 10)]}${Date.now().toString(36).replace(/\d/g, '')}`.slice(0, 14);

/** Amina (born 3 May 1992, with an NHS number) and a namesake born in 1990, on a backend. */
async function twoAminas(backend) {
  const family = familyName();
  const nhs = nhsNumber();
  const amina = await backend.create({ resourceType: 'Patient', name: [{ family, given: ['Amina'] }], birthDate: '1992-05-03',
    identifier: [{ system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhs }] });
  await backend.create({ resourceType: 'Patient', name: [{ family, given: ['Amina'] }], birthDate: '1990-01-10' });
  const practitioner = await backend.create({ resourceType: 'Practitioner', name: [{ family: 'Patel', given: ['Sam'] }] });
  return { family, nhs, patient: `Patient/${amina.id}`, practitioner: `Practitioner/${practitioner.id}` };
}

/** A tablet (a browser profile) with the app open on a backend, signed in. */
async function tablet(backend, { extra = '', hash = '#/', viewport } = {}) {
  const context = await browser.newContext({ viewport: viewport ?? { width: 768, height: 1024 } });
  const page = await context.newPage();
  page.consoleErrors = [];
  page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
  await page.goto(`${server.url}/?fhir=${encodeURIComponent(backend.url)}&token=${backend.tokenFor('community')}&staff=Sam%20Patel${extra}${hash}`);
  await signIn(page);
  await recordReady(page);
  return { context, page };
}

/** Searches the record from the person picker. */
async function searchFor(page, name, born = '') {
  await page.getByLabel('Name or NHS number').fill(name);
  await page.getByLabel('Date of birth (with a name)').fill(born);
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForSelector('#found-people, #no-one-found, #search-problem');
}

const sent = (page) => page.waitForSelector('.send-status.sent', { timeout: 30000 });

for (const [kind, backend] of [['the independent FHIR server', () => fhir], ['formwell serve', () => own]]) {
  test(`on ${kind}: found by name and date of birth or NHS number, shown on the form, and written as subject and author`, async () => {
    const { family, nhs, patient, practitioner } = await twoAminas(backend());
    const { context, page } = await tablet(backend(), { extra: `&practitioner=${practitioner}`, hash: '#/form/healthy-eating-session' });
    // A form that writes to a record asks whose record first.
    await page.waitForSelector('#person-picker');
    assert.equal(await page.locator('form.questionnaire').count(), 0, 'no question before the person');
    await searchFor(page, `amina  ${family.toLowerCase()}`);
    assert.equal(await page.locator('#found-people button').count(), 2, 'two people share the name');
    await searchFor(page, `Amina ${family}`, '3/5/1992');
    assert.deepEqual(await page.locator('#found-people button').allTextContents(), [`Amina ${family}, born 3 May 1992`]);
    await searchFor(page, `${nhs.slice(0, 3)} ${nhs.slice(3, 6)} ${nhs.slice(6)}`);
    assert.deepEqual(await page.locator('#found-people button').allTextContents(), [`Amina ${family}, born 3 May 1992`]);
    await searchFor(page, '123 456 7890');
    assert.match(await page.locator('#search-problem').textContent(), /Enter a real NHS number/);
    await searchFor(page, `Amina ${family}`, '3/5/1993');
    assert.match(await page.locator('#no-one-found').textContent(), /No one in the record matches/);
    await searchFor(page, `Amina ${family}`, '3/5/1992');
    await page.locator('#found-people button').click();

    await page.waitForSelector('form.questionnaire');
    assert.equal(await page.locator('#recording-for').textContent(), `Recording for: Amina ${family}, born 3 May 1992Change whose record this is for`);
    await fillHealthyEating(page);
    await checkAndSend(page);
    await sent(page);
    assert.match(await page.locator('#send-status h1').textContent(), new RegExp(`^Sent to Amina ${family}'s record at \\d\\d:\\d\\d$`));
    assert.match(await page.locator('#submitted').textContent(), new RegExp(`Recording for: Amina ${family}`), 'the sent page says whose record');

    const [qr, ...more] = await backend().search(`QuestionnaireResponse?subject=${patient}`);
    assert.equal(more.length, 0);
    assert.equal(qr.subject.reference, patient);
    assert.equal(qr.author.reference, practitioner);
    assert.equal(qr.author.display, 'Sam Patel');
    const [provenance] = await backend().search(`Provenance?target=QuestionnaireResponse/${qr.id}`);
    assert.equal(provenance.agent[0].who.reference, practitioner);
    assert.equal(provenance.agent[0].who.display, 'Sam Patel');
    assert.deepEqual(page.consoleErrors, []);
    await context.close();
  });
}

test('the people seen on this tablet are offered again after a lock, kept encrypted', async () => {
  const { family, patient } = await twoAminas(fhir);
  const { context, page } = await tablet(fhir, { extra: `&patient=${patient}`, hash: '#/form/healthy-eating-session' });
  // A link that names the person (a launch context) needs no choosing.
  await page.waitForSelector('form.questionnaire');
  assert.match(await page.locator('#recording-for').textContent(), new RegExp(`Amina ${family}, born 3 May 1992`));
  await fillHealthyEating(page);
  await checkAndSend(page);
  await sent(page);
  // Locked, the person goes with the key; signed in again, the tablet remembers who.
  await page.getByRole('button', { name: 'Lock' }).click();
  await page.waitForSelector('#staff-pin');
  await signIn(page);
  // The link named Amina, so she is chosen again; choosing someone else starts from the
  // people this tablet has seen.
  await page.waitForSelector('#recording-for');
  await page.evaluate(() => { location.hash = '#/person?then=speech-language-check-2y'; });
  await page.waitForSelector('#recent-people');
  assert.deepEqual(await page.locator('#recent-people button').allTextContents(), [`Amina ${family}, born 3 May 1992`]);
  const stored = (await storedRows(page, 'records')).map((r) => r.data).join('\n');
  assert.ok(!stored.includes(family), 'the name is not readable in storage');
  await page.locator('#recent-people button').click();
  await page.waitForSelector('form.questionnaire');
  assert.match(await page.locator('#recording-for').textContent(), new RegExp(`Amina ${family}`));
  assert.equal(await page.locator('h1').first().textContent(), 'Early speech and language check (2 years)');
  // "Change" goes back to choosing.
  await page.locator('#recording-for a').click();
  await page.waitForSelector('#person-picker');
  await context.close();
});

test('a new family is registered by the registration form: the Patient is created in the same transaction', async () => {
  const { context, page } = await tablet(fhir, { hash: '#/form/healthy-eating-session' });
  await page.waitForSelector('#person-picker');
  await page.getByRole('button', { name: 'Register a new family' }).click();
  await page.waitForSelector('form.questionnaire');
  assert.equal(await page.locator('h1').textContent(), 'Family registration');
  const family = familyName();
  await fillFamily(page);
  await page.getByRole('textbox', { name: 'Last name', exact: true }).fill(family);
  await tick(page);
  assert.match(await page.locator('#recording-for').textContent(), new RegExp(`Recording for: Amina ${family}`), 'the banner follows the form');
  await checkAndSend(page);
  await sent(page);
  assert.match(await page.locator('#send-status h1').textContent(), new RegExp(`Sent to Amina ${family}'s record`));
  const people = await fhir.search(`Patient?family=${family}`);
  assert.equal(people.length, 1, 'one Patient');
  assert.deepEqual(people[0].name[0].given, ['Amina']);
  assert.equal(people[0].address[0].postalCode, 'E1 6AN');
  const patient = `Patient/${people[0].id}`;
  const [qr] = await fhir.search(`QuestionnaireResponse?subject=${patient}`);
  assert.equal(qr.subject.reference, patient, 'the response is about the new Patient');
  assert.equal((await fhir.search(`Consent?patient=${patient}`)).length, 1, 'and so is the consent');
  // Registered here, the family is one of the people this tablet has seen.
  await page.evaluate(() => { location.hash = '#/person'; });
  await page.waitForSelector('#recent-people');
  assert.match(await page.locator('#recent-people').textContent(), new RegExp(`Amina ${family}`));
  await context.close();
});

test('a form waiting to send says so in plain words, on the form, in the header and on the lock screen', async () => {
  const { patient } = await twoAminas(fhir);
  const { context, page } = await tablet(fhir, { extra: `&patient=${patient}`, hash: '#/form/healthy-eating-session' });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const network = (online) => cdp.send('Network.emulateNetworkConditions', { offline: !online, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await page.waitForSelector('form.questionnaire');
  await network(false);
  await page.waitForFunction(() => /not reachable: no internet connection/.test(document.querySelector('#record-status')?.textContent ?? ''));
  await fillHealthyEating(page);
  await checkAndSend(page);
  await page.waitForFunction(() => /not sent yet/.test(document.querySelector('.send-status.waiting')?.textContent ?? ''));
  assert.match(await page.locator('#send-status h1').textContent(), /^Saved on this tablet, not sent yet: no internet connection$/);
  const colour = await page.locator('#send-status').evaluate((e) => getComputedStyle(e).borderLeftColor);
  assert.equal(colour, 'rgb(244, 119, 56)', 'amber, not the green of sent');
  assert.match(await page.locator('#outbox').textContent(), /1 form waiting to send/);
  await page.getByRole('button', { name: 'Lock' }).click();
  await page.waitForSelector('#staff-pin');
  assert.match(await page.locator('.waiting-to-send').textContent(), /^1 form from Sam Patel is waiting: sign in to send it\.$/);
  assert.equal(await page.locator('#staff-name').inputValue(), 'Sam Patel', 'the last name is kept on the lock screen');
  await network(true);
  await page.locator('#staff-pin').fill('246810');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('#outbox-sent');
  assert.match(await page.locator('#outbox-sent').textContent(), /^1 form sent$/);
  assert.equal((await fhir.search(`QuestionnaireResponse?subject=${patient}`)).length, 1);
  await untilKept(page, 'outbox', 0);
  await context.close();
});

test('sign-in forgives case and spaces, and offers the people who use this tablet', async () => {
  const { patient } = await twoAminas(fhir);
  const { context, page } = await tablet(fhir, { extra: `&patient=${patient}`, hash: '#/form/healthy-eating-session' });
  await page.waitForSelector('form.questionnaire');
  await fillHealthyEating(page);
  await untilKept(page, 'draft', 1);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign out, keep my drafts' }).click();
  await page.waitForSelector('#staff-pin');
  // Typed differently, the same person: their drafts open.
  await page.getByLabel('Your name').fill('  sam   PATEL ');
  await page.locator('#staff-pin').fill('246810');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await signInSettled(page);
  assert.match(await page.locator('.app-staff').textContent(), /Signed in as Sam Patel/);
  await page.evaluate(() => { location.hash = '#/'; });
  await page.waitForSelector('#drafts .draft');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign out, keep my drafts' }).click();
  // Or chosen from the people who use this tablet.
  await page.getByRole('button', { name: 'Sam Patel', exact: true }).click();
  assert.equal(await page.locator('#staff-name').inputValue(), 'Sam Patel');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'staff-pin', 'straight to the PIN');
  await page.locator('#staff-pin').fill('246810');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await signInSettled(page);
  assert.match(await page.locator('.app-staff').textContent(), /Signed in as Sam Patel/);
  await context.close();
});

test('a form with a draft for the same person offers to continue it; an untouched form is no draft', async () => {
  const { family, patient } = await twoAminas(fhir);
  const { context, page } = await tablet(fhir, { extra: `&patient=${patient}`, hash: '#/form/family-registration' });
  await page.waitForSelector('form.questionnaire');
  // Opened, not answered: nothing kept.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await kept(page, 'draft'), 0, 'opening a form makes no draft');
  await page.getByRole('textbox', { name: 'Postcode' }).fill('E1 6AN');
  await untilKept(page, 'draft', 1);
  await page.evaluate(() => { location.hash = '#/'; });
  await page.waitForSelector('#drafts .draft');
  const label = await page.locator('#drafts .draft').textContent();
  assert.match(label, new RegExp(`Family registration.*for Amina ${family}, born 3 May 1992.*\\d\\d:\\d\\d`), label);
  // Opening the same form again for the same person offers the draft.
  await page.getByRole('link', { name: 'Family registration', exact: true }).click();
  await page.waitForSelector('#continue-draft');
  await page.locator('#continue-draft').click();
  await page.waitForSelector('form.questionnaire');
  assert.equal(await page.getByRole('textbox', { name: 'Postcode' }).inputValue(), 'E1 6AN');
  await context.close();
});

test('at 360×740 the header and the impact box fold away: the first question is on the first screen', async () => {
  const { family, patient } = await twoAminas(fhir);
  const { context, page } = await tablet(fhir, { extra: `&patient=${patient}`, viewport: { width: 360, height: 740 } });
  for (const id of ['family-registration', 'antenatal-education-attendance', 'breastfeeding-peer-support', 'change-of-contact-details',
    'healthy-eating-session', 'speech-language-check-2y']) {
    await page.evaluate((id) => { location.hash = `#/form/${id}`; }, id);
    await page.waitForFunction((id) => document.querySelector('form.questionnaire') && location.hash === `#/form/${id}`, id);
    await page.waitForSelector('.impact:not(.loading)', { state: 'attached' }); // a clear one is hidden at this width
    assert.match(await page.locator('#recording-for').textContent(), new RegExp(`Amina ${family}`), id);
    const bottom = await page.locator('form.questionnaire').locator('input, select, textarea').first().evaluate((e) => e.getBoundingClientRect().bottom);
    assert.ok(bottom <= 740, `${id}: the first question ends at ${Math.round(bottom)}px`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${id} scrolls sideways by ${overflow}px`);
  }
  await context.close();
});
