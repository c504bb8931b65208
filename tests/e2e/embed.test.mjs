// Partners embed forms in their own portals: the example portal (examples/partner-portal)
// served on its own origin, Formwell (`formwell serve`) on another, and a partner token
// that names the portal's origin. The element and the JS API each fill and send a shipped
// template, read back through FHIR search; a blocked template is refused inside the
// portal with what to do instead; a wrong token says so, with nothing sent; another origin
// gets nothing; the portal's styles and ours stay apart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, startBackend, launch, tick, fillFamily, fillHealthyEating, accessibilityViolations, repo } from './harness.mjs';
import { startPortal } from '../../examples/partner-portal/server.mjs';

let server, backend, browser, portal, stranger, neighbour, formwell, token, patient;
before(async () => {
  server = await startServer();
  portal = await startPortal();
  stranger = await startPortal(); // another origin, which no token names
  neighbour = await startPortal(); // another partner's portal, with a token of its own
  backend = await startBackend(server.url, 'formwell');
  formwell = new URL(backend.direct).origin;
  token = backend.addToken('riverside-portal', 'community', portal.url, 'partner');
  const neighbourToken = backend.addToken('hillside-portal', 'community', neighbour.url, 'partner');
  const amina = await backend.create({ resourceType: 'Patient', name: [{ family: 'Begum', given: ['Amina'] }], birthDate: '1992-05-03' });
  patient = `Patient/${amina.id}`;
  for (const p of [portal, stranger]) p.configure({ formwell, token, patient, patientName: 'Amina Begum' });
  // The neighbour frames Formwell (its token lets it) but sends Riverside's token.
  neighbour.configure({ formwell, token, patient, patientName: 'Amina Begum' });
  assert.ok(neighbourToken);
  browser = await launch();
});
after(async () => { await browser?.close(); await portal?.close(); await stranger?.close(); await neighbour?.close(); await backend?.close(); await server?.close(); });

/** The portal open in a new browser profile, both forms on the page. */
async function openPortal(at = portal, viewport = { width: 1280, height: 900 }, page = '/') {
  const context = await browser.newContext({ viewport });
  const tab = await context.newPage();
  tab.consoleErrors = [];
  tab.on('pageerror', (e) => tab.consoleErrors.push(String(e)));
  tab.on('console', (m) => { if (m.type() === 'error') tab.consoleErrors.push(m.text()); });
  await tab.goto(`${at.url}${page}`);
  return { context, page: tab };
}

/** What the partner itself reads back (a partner reads only what it wrote). */
async function partnerSearch(query) {
  const res = await fetch(`${backend.direct}/${query}`, { headers: { authorization: `Bearer ${token}` } });
  return res.json();
}

test('the element registers a family from the portal: one Patient and one response, in one transaction', async () => {
  const { context, page } = await openPortal();
  const element = page.locator('formwell-form');
  await element.locator('form.questionnaire').waitFor();
  const source = await (await fetch(`${portal.url}/`)).text();
  assert.ok(source.includes('formwell-embed.js') && !source.includes(token), "the token is not in the portal's source");
  const submitted = page.evaluate(() => new Promise((resolve) => {
    document.querySelector('formwell-form').addEventListener('formwell-submitted', (e) => resolve(e.detail), { once: true });
  }));
  await fillFamily(element);
  await element.getByRole('button', { name: 'Check answers' }).click();
  await element.locator('#check-answers').waitFor();
  await element.locator('#send').click();
  const { id, locations } = await submitted;
  assert.ok(locations.some((l) => l.startsWith('Patient/')), `a Patient was created: ${locations}`);
  await element.locator('.send-status.sent').waitFor();
  const all = await partnerSearch('QuestionnaireResponse?_count=100');
  const mine = (all.entry ?? []).filter((e) => JSON.stringify(e.resource.identifier ?? '').includes(id));
  assert.equal(mine.length, 1, `one response for submission ${id}`);
  const created = locations.find((l) => l.startsWith('Patient/')).split('/_history')[0];
  assert.equal(mine[0].resource.subject.reference, created, 'the response is about the family it registered');
  assert.deepEqual(page.consoleErrors, []);
  await context.close();
});

test('the JS API fills and sends a form for the person the portal names, and says where it went', async () => {
  const { context, page } = await openPortal();
  const course = page.locator('#course-form');
  await course.locator('form.questionnaire').waitFor();
  assert.match(await course.locator('#recording-for').textContent(), /Amina Begum/);
  assert.equal(await course.locator('#recording-for a').count(), 0, 'the portal names the person: no choosing another');
  // The handle: validate() says what is missing; change events count answers.
  const missing = await page.evaluate(() => window.courseForm.validate());
  assert.ok(missing.length >= 3, JSON.stringify(missing));
  await fillHealthyEating(course);
  assert.match(await page.locator('#course-progress').textContent(), /^\d+ of \d+ required answers given$/);
  assert.deepEqual(await page.evaluate(() => window.courseForm.validate()), []);
  assert.equal((await page.evaluate(() => window.courseForm.response())).status, 'completed');
  // The portal's own button calls submit(): the read-back, then sending.
  await page.locator('#course-send').click();
  await page.waitForFunction(() => /^Sent to the hub: QuestionnaireResponse\//.test(document.getElementById('course-status').textContent));
  const reference = (await page.locator('#course-status').textContent()).replace('Sent to the hub: ', '');
  const stored = await partnerSearch(reference);
  assert.equal(stored.subject.reference, patient);
  assert.equal(stored.author.display, 'Riverside Family Hub website');
  // Only this test sends anything for Amina.
  const forAmina = await partnerSearch(`QuestionnaireResponse?subject=${patient}`);
  assert.equal(forAmina.total, 1, 'it arrived once');
  assert.deepEqual(page.consoleErrors, []);
  await context.close();
});

test('a template the service may not use is refused inside the portal, with what to do instead', async () => {
  const { context, page } = await openPortal();
  await page.locator('#course-form form.questionnaire').waitFor();
  await page.evaluate(async ({ fhir, token }) => {
    const host = document.createElement('div');
    host.id = 'blocked-form';
    document.querySelector('main').append(host);
    window.blocked = await window.Formwell.mount(host, { template: 'harmful-pregnancy-safeguarding-example', fhir, token, setting: 'community' });
  }, { fhir: backend.direct, token });
  const guidance = page.locator('#blocked-form #not-for-service');
  await guidance.waitFor();
  assert.match(await guidance.textContent(), /This form is not for the community and voluntary sector service.*What to do instead: /s);
  assert.equal(await page.locator('#blocked-form form.questionnaire').count(), 0, 'no question is asked');
  await context.close();
});

test('a wrong or missing token says so in the form and in an error event, and nothing is sent', async () => {
  const { context, page } = await openPortal();
  await page.locator('#course-form form.questionnaire').waitFor();
  const before = (await partnerSearch('QuestionnaireResponse?_count=0')).total;
  const errors = await page.evaluate(async ({ fhir, patient }) => {
    const seen = [];
    const host = document.createElement('div');
    host.id = 'wrong-token';
    document.querySelector('main').append(host);
    const form = await window.Formwell.mount(host, { template: 'healthy-eating-session', fhir, token: 'not-a-real-token', patient,
      on: { error: (e) => seen.push(e.message) } });
    await new Promise((r) => setTimeout(r, 1500));
    window.wrongTokenForm = form;
    return seen;
  }, { fhir: backend.direct, patient });
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.match(errors[0], /cannot take this form/);
  const notice = page.locator('#wrong-token #not-allowed');
  assert.match(await notice.textContent(), /Nothing will be sent/);
  await fillHealthyEating(page.locator('#wrong-token'));
  await page.evaluate(() => window.wrongTokenForm.submit());
  await page.locator('#wrong-token #not-sent').waitFor();
  assert.equal((await partnerSearch('QuestionnaireResponse?_count=0')).total, before, 'nothing reached the record');
  await context.close();
});

test('options that are not right are refused, named, before anything is fetched', async () => {
  const { context, page } = await openPortal();
  await page.locator('#course-form form.questionnaire').waitFor();
  const refusals = await page.evaluate(async () => {
    const out = [];
    for (const options of [{ template: 'x', tokne: 'typo' }, { templateUrl: 'javascript:alert(1)' }, { template: 'x', patient: 'Patient/1/../../x' },
      { template: 'no-such-template' }]) {
      const host = document.createElement('div');
      document.body.append(host);
      try { await window.Formwell.mount(host, options); out.push('mounted'); } catch (e) { out.push(`${e.message} | ${host.shadowRoot.textContent}`); }
    }
    return out;
  });
  assert.match(refusals[0], /there is no option "tokne"/);
  assert.match(refusals[1], /must be an http or https address/);
  assert.match(refusals[2], /must be a reference like Patient\/123/);
  assert.match(refusals[3], /there is no template "no-such-template" \| .*This form cannot be shown/);
  await context.close();
});

test('another origin gets nothing: no engine, no CORS answer with the token', async () => {
  const { context, page } = await openPortal(stranger);
  const outcome = await page.evaluate(async ({ fhir, token }) => {
    const host = document.createElement('div');
    document.body.append(host);
    const mount = await window.Formwell.mount(host, { template: 'healthy-eating-session', fhir, token }).then(() => 'mounted', (e) => `refused: ${e.message}`);
    const read = await fetch(`${fhir}/QuestionnaireResponse`, { headers: { authorization: `Bearer ${token}` } }).then(() => 'read', (e) => `refused: ${e.message}`);
    return { mount, read };
  }, { fhir: backend.direct, token });
  assert.match(outcome.mount, /^refused: /, 'the engine is not served to an origin no token names');
  assert.match(outcome.read, /^refused: Failed to fetch/, 'the browser gets no CORS answer');
  await context.close();
});

test("the portal's styles do not reach the form, and the form's do not reach the portal", async () => {
  const { context, page } = await openPortal();
  const element = page.locator('formwell-form');
  await element.locator('form.questionnaire').waitFor();
  const portalButton = () => page.locator('#course-send').evaluate((b) => getComputedStyle(b).backgroundColor);
  const portalBox = () => page.locator('main > .error-summary').evaluate((b) => getComputedStyle(b).borderTopStyle);
  assert.equal(await portalButton(), 'rgb(139, 30, 63)', "the portal's own button keeps the portal's colour");
  assert.equal(await portalBox(), 'dotted', "the portal's .error-summary keeps the portal's style, not ours");
  await page.addStyleTag({ content: '* { font-size: 40px !important; color: red !important } input { display: none !important }' });
  await tick(page);
  const inside = await element.getByRole('textbox', { name: 'First name', exact: true }).evaluate((input) => {
    const style = getComputedStyle(input);
    const label = getComputedStyle(input.getRootNode().querySelector('label'));
    return { display: style.display, labelSize: label.fontSize, labelColour: label.color };
  });
  assert.notEqual(inside.display, 'none', 'inputs stay visible');
  assert.equal(inside.labelSize, '19px');
  assert.equal(inside.labelColour, 'rgb(11, 12, 12)');
  assert.equal(await element.getByRole('textbox', { name: 'First name', exact: true }).isVisible(), true);
  assert.deepEqual(await accessibilityViolations(page, 'formwell-form'), [], 'the embedded form passes axe');
  await context.close();
});

test('the iframe mode: the token by postMessage, the form sent, and what happened told to the portal alone', async () => {
  const { context, page } = await openPortal(portal, undefined, '/iframe.html');
  const frame = page.frameLocator('#course-frame');
  await frame.locator('form.questionnaire').waitFor();
  await page.waitForFunction(() => document.getElementById('frame-status').textContent === 'The form is ready.');
  assert.match(await frame.locator('#recording-for').textContent(), /Amina Begum/);
  const source = await (await fetch(`${portal.url}/iframe.html`)).text();
  assert.ok(!source.includes(token) && !(await page.locator('#course-frame').getAttribute('src')).includes(token), 'no token in the address');
  await fillHealthyEating(frame.locator('body'));
  await page.locator('#frame-send').click();
  await page.waitForFunction(() => /^Sent to the hub: QuestionnaireResponse\//.test(document.getElementById('frame-status').textContent), null, { timeout: 30000 });
  const reference = (await page.locator('#frame-status').textContent()).replace('Sent to the hub: ', '');
  const stored = await partnerSearch(reference);
  assert.equal(stored.subject.reference, patient);
  await context.close();
});

test('the iframe mode ignores a portal that sends a token not naming its origin, and cannot be framed by one no token names', async () => {
  // Hillside may frame Formwell (its own token names it), but sends Riverside's token: the
  // frame asks the record system, is refused, and stays silent.
  const { context, page } = await openPortal(neighbour, undefined, '/iframe.html');
  const frame = page.frameLocator('#course-frame');
  await frame.locator('#formwell-frame').waitFor({ state: 'attached' });
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(await page.locator('#frame-status').textContent(), '', 'no answer came back');
  assert.equal(await frame.locator('form.questionnaire').count(), 0, 'no form was mounted');
  await context.close();
  // A page whose origin no token names cannot frame it at all (frame-ancestors).
  const other = await openPortal(stranger, undefined, '/iframe.html');
  await new Promise((r) => setTimeout(r, 2000));
  const frames = other.page.frames().filter((f) => f.url().includes('/embed'));
  const mounted = frames.length ? await frames[0].locator('#formwell-frame').count().catch(() => 0) : 0;
  assert.equal(mounted, 0, 'the frame did not load');
  assert.ok(other.page.consoleErrors.some((e) => /frame-ancestors/.test(e)), other.page.consoleErrors.join('\n'));
  await other.context.close();
});

test('a template with a calculated score works inside the portal: the expressions module comes from Formwell', async () => {
  // The GAD-7 (the engine's test fixture, with LOINC's scores), given inline: its total is
  // an SDC calculatedExpression, carried out by the module only such templates load, which
  // the portal's page fetches from Formwell's origin.
  const gad7 = fs.readFileSync(path.join(repo, 'crates/engine/tests/fixtures/gad-7.json'), 'utf8');
  const { context, page } = await openPortal();
  const fetched = [];
  page.on('request', (r) => { if (/\/formwell-expressions-[0-9a-f]{16}\.wasm$/.test(r.url())) fetched.push(new URL(r.url()).origin); });
  await page.locator('#course-form form.questionnaire').waitFor();
  assert.deepEqual(fetched, [], 'the shipped forms on the page did not need it');
  await page.evaluate(async ({ questionnaire }) => {
    const host = document.createElement('div');
    host.id = 'gad7';
    document.querySelector('main').append(host);
    await window.Formwell.mount(host, { questionnaire, setting: 'community' });
  }, { questionnaire: gad7 });
  const form = page.locator('#gad7 form.questionnaire');
  await form.waitFor();
  assert.deepEqual(fetched, [formwell], 'loaded once, from Formwell');
  await form.locator('fieldset').nth(0).getByLabel('Nearly every day').check();
  await form.locator('fieldset').nth(1).getByLabel('More than half the days').check();
  await tick(page);
  assert.equal(await form.getByLabel('GAD-7 total score').inputValue(), '5');
  assert.deepEqual(page.consoleErrors, []);
  await context.close();
});
