// Submitting to an independently written FHIR R4 server (tests/fhir-server: Medplum's FHIR
// router and validator, in memory, on 127.0.0.1): what a submission writes, read back
// through FHIR search; exactly one copy when the same Bundle arrives twice, after a
// timeout the server committed, or after 500s; a refused submission kept with a clear
// message; and every Bundle validated as R4 by the server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startBackend, launch, newPage, tick, option, confirmDialog, fillHarmfulAndSubmit, deliverTwice, signIn, fillFamily, recordReady, checkAndSend, fillDate } from './harness.mjs';

let server, fhir, browser;
before(async () => { server = await startServer(); fhir = await startBackend(server.url); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); await fhir?.close(); });

/** A new person and member of staff on the server, and the app opened for them. */
async function openFor(id, extra = '') {
  const patient = await fhir.create({ resourceType: 'Patient', name: [{ family: 'Begum', given: ['Amina'] }],
    address: [{ use: 'home', line: ['1 Old Road'], city: 'Leeds', postalCode: 'LS1 1AA' }] });
  const practitioner = await fhir.create({ resourceType: 'Practitioner', name: [{ family: 'Patel', given: ['Sam'] }] });
  const setting = /setting=([a-z_]+)/.exec(extra)?.[1] ?? 'community';
  const query = `?fhir=${encodeURIComponent(fhir.url)}&token=${fhir.tokenFor(setting)}&patient=Patient/${patient.id}` +
    `&practitioner=Practitioner/${practitioner.id}&staff=Sam%20Patel${extra}`;
  const page = await newPage(browser);
  await page.goto(`${server.url}/${query}#/form/${id}`);
  await signIn(page);
  await page.waitForSelector('.impact:not(.loading)');
  await recordReady(page);
  // Read back as a member of staff of the same setting would.
  const search = (q) => fhir.search(q, setting);
  return { page, patient: `Patient/${patient.id}`, practitioner: `Practitioner/${practitioner.id}`, search };
}

async function fillHarmfulAndConfirm(page) {
  await fillHarmfulAndSubmit(page);
  await confirmDialog(page, 'Plan confirmed at the case conference');
}

const sent = (page) => page.waitForSelector('.send-status.sent', { timeout: 20000 });

test('a submission is read back through FHIR search: response, consent and provenance', async () => {
  const { page, patient, practitioner } = await openFor('family-registration');
  await fillFamily(page);
  await checkAndSend(page);
  await sent(page);
  const responses = await fhir.search(`QuestionnaireResponse?subject=${patient}`);
  assert.equal(responses.length, 1);
  const qr = responses[0];
  assert.equal(qr.questionnaire, 'https://formwell.example/fhir/Questionnaire/family-registration|1.0.0');
  assert.equal(qr.author.reference, practitioner);
  assert.match(qr.identifier.value, /^[0-9a-f-]{36}\/response$/);
  const byIdentifier = await fhir.search(`QuestionnaireResponse?identifier=${encodeURIComponent(`${qr.identifier.system}|${qr.identifier.value}`)}`);
  assert.equal(byIdentifier.length, 1, 'findable by its identifier');

  const consents = await fhir.search(`Consent?patient=${patient}`);
  assert.equal(consents.length, 1);
  assert.equal(consents[0].provision.type, 'permit');
  assert.equal(consents[0].sourceReference.reference, `QuestionnaireResponse/${qr.id}`, 'the urn:uuid reference was resolved');
  const provenance = await fhir.search(`Provenance?target=QuestionnaireResponse/${qr.id}`);
  assert.equal(provenance.length, 1);
  assert.match(provenance[0].policy[0], /^https:\/\/formwell.example\/ruleset\/[0-9a-f]{16}$/);
  // The status speaks of the person; the records written are for support.
  assert.match(await page.locator('#send-status h1').textContent(), /^Sent to Amina Begum's record at \d\d:\d\d$/);
  assert.doesNotMatch(await page.locator('#send-status').textContent(), /QuestionnaireResponse/);
  assert.match(await page.locator('details.support .locations').textContent(), new RegExp(`QuestionnaireResponse/${qr.id}`));
  assert.deepEqual(page.consoleErrors, []);
});

test('extracted answers become Observations, with the confirmed decision on the Provenance', async () => {
  const { page, patient, search } = await openFor('harmful-pregnancy-safeguarding-example', '&setting=midwifery');
  await fillHarmfulAndConfirm(page);
  await sent(page);
  const observations = await search(`Observation?subject=${patient}`);
  assert.deepEqual(observations.map((o) => o.code.coding[0].code).sort(), ['161714006', '342191000000101', '77386006']);
  const [qr] = await search(`QuestionnaireResponse?subject=${patient}`);
  assert.ok(observations.every((o) => o.derivedFrom[0].reference === `QuestionnaireResponse/${qr.id}`));
  const [provenance] = await search(`Provenance?target=QuestionnaireResponse/${qr.id}`);
  assert.equal(provenance.target.length, 4);
  const decision = provenance.extension.find((e) => e.extension.some((p) => p.url === 'category' && p.valueCode === 'child_protection'));
  const part = (name) => decision.extension.find((p) => p.url === name);
  assert.equal(part('reason').valueString, 'Plan confirmed at the case conference');
  assert.equal(part('confirmedBy').valueString, 'Sam Patel');
});

test('the same Bundle arriving twice leaves one copy of each resource', async () => {
  const { page, patient, search } = await openFor('harmful-pregnancy-safeguarding-example', '&setting=midwifery');
  // Every POST of a Bundle reaches the server twice, as a retrying proxy might send it.
  await deliverTwice(page, fhir.url);
  await fillHarmfulAndConfirm(page);
  await sent(page);
  assert.equal((await search(`QuestionnaireResponse?subject=${patient}`)).length, 1);
  assert.equal((await search(`Observation?subject=${patient}`)).length, 3);
  const [qr] = await search(`QuestionnaireResponse?subject=${patient}`);
  assert.equal((await search(`Provenance?target=QuestionnaireResponse/${qr.id}`)).length, 1);
});

test('a timeout after the server committed: the app asks before sending again, and finds it stored', async () => {
  const { page, patient, search } = await openFor('harmful-pregnancy-safeguarding-example', '&setting=midwifery&sendTimeoutMs=1000');
  const before = await fhir.control('stats');
  await fhir.control('hold', { ms: 2500 });
  await fillHarmfulAndConfirm(page);
  await sent(page);
  const after = await fhir.control('stats');
  assert.equal(after.posts - before.posts, 1, 'one POST: the lost answer was found by searching, not by sending again');
  assert.equal((await search(`QuestionnaireResponse?subject=${patient}`)).length, 1);
  assert.equal((await search(`Observation?subject=${patient}`)).length, 3);
});

test('500 then 200: tried again until taken, one copy', async () => {
  const { page, patient } = await openFor('family-registration');
  await fhir.control('fail', { count: 2, status: 500 });
  await fillFamily(page);
  await checkAndSend(page);
  await page.waitForFunction(() => /not sent yet/.test(document.querySelector('.send-status.waiting')?.textContent ?? ''));
  assert.match(await page.locator('#send-status').textContent(), /Saved on this tablet, not sent yet: the record system had a problem \(it answered 500\)Family registrationFor Amina Begum's record\. It will be tried again in about \d+ seconds?, and sent by itself/);
  assert.match(await page.locator('#outbox').textContent(), /1 form waiting to send.*Last error: the record system had a problem \(it answered 500\)/);
  await page.locator('#send-status').getByRole('button', { name: 'Send now' }).click();
  await sent(page);
  assert.equal((await fhir.search(`QuestionnaireResponse?subject=${patient}`)).length, 1);
  assert.equal((await fhir.search(`Consent?patient=${patient}`)).length, 1);
});

test('a refused submission shows the reason in plain words and stays saved', async () => {
  const { page, patient } = await openFor('family-registration');
  await page.evaluate((url) => { location.hash = `#/open?url=${encodeURIComponent(url)}`; }, `${server.url}/fixtures/attendance-with-a-bad-code.json`);
  await page.waitForSelector('form.questionnaire');
  await option(page, 'Attended the session?', 'Yes').check();
  await checkAndSend(page);
  await page.waitForSelector('.send-status.refused', { timeout: 20000 });
  const text = await page.locator('#send-status').textContent();
  assert.match(text, /The record system refused this form: invalid code format.*\(at Bundle\.entry\[1\]\.resource\.code\.coding\[0\]\.code\) \(HTTP 400\)/i);
  assert.match(text, /It is kept here, not lost/);
  assert.match(await page.locator('#bundle-json').textContent(), /" attended"/, 'the Bundle is still there to fix and resend');
  assert.equal((await fhir.search(`QuestionnaireResponse?subject=${patient}`)).length, 0, 'nothing partial was stored');
  await page.goto(page.url().replace(/#.*$/, '#/'));
  await page.reload();
  await signIn(page);
  await page.waitForSelector('#outbox-list .outgoing');
  assert.match(await page.locator('#outbox-refused').textContent(), /1 form refused/);
  assert.match(await page.locator('#outbox-list').textContent(), /refused: invalid code format/i, 'kept, after a reload, with its reason');
});

async function changeAddressToTemporary(page) {
  await option(page, 'What has changed?', 'Address').check();
  await tick(page);
  await page.getByLabel('Address line 1').fill('Flat 2, 9 Canal Street');
  await page.getByLabel('Town or city').fill('Manchester');
  await page.getByLabel('Postcode').fill('M1 3HE');
  await option(page, 'Is this a temporary or permanent address?', 'Temporary').check();
  await tick(page);
  await fillDate(page, 'Until when?', '2027-01-31');
  await option(page, 'Have you read the new details back to the person?', 'Yes').check();
  await checkAndSend(page);
  await confirmDialog(page, 'Staying with family while the flat is repaired');
}

test('a temporary address is added to the person\'s record beside the permanent one, once', async () => {
  const { page, patient } = await openFor('change-of-contact-details');
  // Delivered twice: the second copy's patch finds the record changed and is not applied.
  await deliverTwice(page, fhir.url);
  await changeAddressToTemporary(page);
  await sent(page);
  const [record] = await fhir.search(`Patient?_id=${patient.split('/')[1]}`);
  assert.equal(record.address.length, 2, JSON.stringify(record.address));
  assert.deepEqual(record.address[0], { use: 'home', line: ['1 Old Road'], city: 'Leeds', postalCode: 'LS1 1AA' }, 'the permanent address is kept');
  assert.equal(record.address[1].use, 'temp');
  assert.deepEqual(record.address[1].line, ['Flat 2, 9 Canal Street']);
  assert.equal(record.address[1].period.end, '2027-01-31');
  assert.equal((await fhir.search(`QuestionnaireResponse?subject=${patient}`)).length, 1);
});

test('a wrong token is reported, not hidden', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/?fhir=${encodeURIComponent(fhir.url)}&token=wrong#/`);
  await signIn(page);
  await page.waitForFunction(() => /no longer allowed/.test(document.querySelector('#record-status')?.textContent ?? ''));
  assert.match(await page.locator('#record-status').textContent(),
    /This tablet is no longer allowed to send to the record system: ask whoever looks after Formwell for a new link/);
});

test('every Bundle the tests sent was validated by the server; only the deliberate one was refused', async () => {
  // Both backends validate every write (tests/fhir-server with @medplum/core's
  // validateResource, formwell serve with its own R4 checks) and refuse what fails.
  const counts = await fhir.control('stats');
  assert.ok(counts.posts >= 8, JSON.stringify(counts));
  assert.equal(counts.invalid, 1, JSON.stringify(counts));
});
