// Nothing lost, nothing twice: the fault tests of the offline-first app on a shared tablet.
// Each drives Debian's chromium (network conditions and storage quota through the DevTools
// protocol) and ends by counting what the FHIR server holds for the person and what the
// tablet still keeps (read straight from IndexedDB). The server is the independent one
// (tests/fhir-server, Medplum's router, in memory), except where it is killed and
// restarted: that needs a record that outlives the process, so it is `formwell serve` on
// SQLite.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startBackend, launch, tick, signIn, signInSettled, fillFamily, fillFamilyRest, recordReady, newPerson as newPersonOn,
  fillHealthyEating, storedRows, kept, untilKept, checkAndSend } from './harness.mjs';

let server, fhir, own, browser;
before(async () => {
  server = await startServer();
  fhir = await startBackend(server.url, 'medplum');
  own = await startBackend(server.url, 'formwell');
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.close(); await fhir?.close(); await own?.close(); });

/** A new person on the backend. */
const newPerson = (backend = fhir) => newPersonOn(backend);

/** The app's address for a person, on a backend, with more settings. */
function appUrl(patient, { backend = fhir, extra = '', hash = '#/form/family-registration' } = {}) {
  return `${server.url}/?fhir=${encodeURIComponent(backend.url)}&token=${backend.tokenFor('community')}` +
    `&patient=${patient}&staff=Sam%20Patel${extra}${hash}`;
}

/** A page in a context (a tablet's browser profile: its storage survives closed tabs). */
async function open(context, url, pin) {
  const page = await context.newPage();
  page.consoleErrors = [];
  page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
  await page.goto(url);
  await signIn(page, pin ? { pin } : undefined);
  return page;
}

/** A new tablet (a browser profile: its storage outlives closed tabs) and a new person,
 * with the app open at `appUrl(patient, url)` and signed in. */
async function tablet({ backend = fhir, ...url } = {}) {
  const context = await browser.newContext();
  const patient = await newPerson(backend);
  const page = await open(context, appUrl(patient, { backend, ...url }));
  return { context, patient, page };
}

/** QuestionnaireResponses the server holds for the person. */
async function onServer(patient, backend = fhir) {
  return (await backend.search(`QuestionnaireResponse?subject=${patient}`)).length;
}

const sent = (page) => page.waitForSelector('.send-status.sent', { timeout: 30000 });
const submit = checkAndSend;

/** The end of every fault test: one copy on the server, nothing left waiting or as a draft. */
async function exactlyOnce(page, patient, backend = fhir) {
  assert.equal(await onServer(patient, backend), 1, 'one copy on the server');
  await untilKept(page, 'outbox', 0);
  assert.equal(await kept(page, 'draft'), 0, 'the draft went when the form was queued');
}

/** The page's network, through the DevTools protocol: `await network(false)` cuts it. */
async function networkControl(page) {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  return (online) => cdp.send('Network.emulateNetworkConditions', { offline: !online, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
}

test('reload mid-form: the draft opens again where it was, after the PIN', async () => {
  const { context, patient, page } = await tablet();
  await fillFamily(page, { half: true });
  await untilKept(page, 'draft', 1);
  assert.match(page.url(), /#\/draft\/draft/, 'the draft has an address of its own');
  assert.doesNotMatch(page.url(), /token=/, 'the token left the address once it was kept');
  await page.reload();
  await signIn(page);
  await page.waitForSelector('form.questionnaire');
  assert.equal(await page.getByRole('textbox', { name: 'First name', exact: true }).inputValue(), 'Amina');
  assert.equal(await page.getByLabel('Postcode').inputValue(), 'E1 6AN');
  await recordReady(page);
  await fillFamilyRest(page);
  await submit(page);
  await sent(page);
  await exactlyOnce(page, patient);
  assert.deepEqual(page.consoleErrors, []);
  await context.close();
});

test('close the tab and reopen: the draft is listed to resume, and one can be discarded', async () => {
  let { context, patient, page } = await tablet();
  await fillFamily(page, { half: true });
  await untilKept(page, 'draft', 1);
  // A second, abandoned form.
  await page.goto(appUrl(patient, { hash: '#/form/healthy-eating-session' }).replace(/token=[^&]*&/, ''));
  await signIn(page);
  await page.waitForSelector('form.questionnaire');
  await fillHealthyEating(page);
  await untilKept(page, 'draft', 2);
  await page.close();

  page = await open(context, appUrl(patient, { hash: '#/' }).replace(/token=[^&]*&/, ''));
  await page.waitForSelector('#drafts .draft');
  assert.equal(await page.locator('#drafts .draft').count(), 2);
  await page.getByRole('button', { name: /Discard Healthy eating/ }).click();
  await page.getByRole('button', { name: 'Discard', exact: true }).click();
  await untilKept(page, 'draft', 1);
  await page.waitForFunction(() => document.querySelectorAll('#drafts .draft').length === 1);
  await page.getByRole('link', { name: /Resume Family registration/ }).click();
  await page.waitForSelector('form.questionnaire');
  assert.equal(await page.getByRole('textbox', { name: 'Last name', exact: true }).inputValue(), 'Begum');
  await recordReady(page);
  await fillFamilyRest(page);
  await submit(page);
  await sent(page);
  await exactlyOnce(page, patient);
  await context.close();
});

test('submitted offline, sent when the network comes back', async () => {
  const { context, patient, page } = await tablet();
  await recordReady(page);
  const network = await networkControl(page);
  await network(false);
  await fillFamily(page);
  await submit(page);
  await page.waitForSelector('.send-status.waiting');
  assert.match(await page.locator('#outbox').textContent(), /1 form waiting to send/);
  assert.equal(await kept(page, 'outbox'), 1, 'kept on the tablet while offline');
  assert.equal(await onServer(patient), 0);
  await network(true);
  // No "send now": coming back online is enough.
  await sent(page);
  await exactlyOnce(page, patient);
  await context.close();
});

test('the server answers 500, then 200: tried again with backoff, one copy', async () => {
  const { context, patient, page } = await tablet();
  await recordReady(page);
  await fhir.control('fail', { count: 2, status: 500 });
  await fillFamily(page);
  await submit(page);
  await sent(page);
  await exactlyOnce(page, patient);
  await context.close();
});

test('the server is killed mid-transaction and restarted: sent again, one copy', async () => {
  const { context, patient, page } = await tablet({ backend: own });
  await recordReady(page);
  await own.control('crash');
  await fillFamily(page);
  await submit(page);
  await page.waitForSelector('.send-status.waiting');
  assert.equal(await kept(page, 'outbox'), 1);
  await own.restart();
  await page.locator('#outbox').getByRole('button', { name: 'Send now' }).click();
  await sent(page);
  await exactlyOnce(page, patient, own);
  await context.close();
});

test('the request times out but the server committed: found, not sent again', async () => {
  const { context, patient, page } = await tablet({ extra: '&sendTimeoutMs=1000' });
  await recordReady(page);
  const before = await fhir.control('stats');
  await fhir.control('hold', { ms: 2500 });
  await fillFamily(page);
  await submit(page);
  await sent(page);
  assert.equal((await fhir.control('stats')).posts - before.posts, 1, 'one POST');
  await exactlyOnce(page, patient);
  await context.close();
});

test('the same outbox in two tabs: each submission reaches the server once', async () => {
  const { context, patient, page: first } = await tablet();
  const second = await open(context, appUrl(patient, { hash: '#/form/healthy-eating-session' }));
  for (const page of [first, second]) {
    await recordReady(page);
  }
  // The record system is down while both tabs queue a form.
  await fhir.control('fail', { count: 1000, status: 503 });
  await fillFamily(first);
  await submit(first);
  await first.waitForSelector('.send-status.waiting');
  await fillHealthyEating(second);
  await submit(second);
  await second.waitForSelector('.send-status.waiting');
  // Each tab now knows both.
  for (const page of [first, second]) {
    await page.waitForFunction(() => /2 forms waiting to send/.test(document.querySelector('#outbox')?.textContent ?? ''), null, { timeout: 15000 })
      .catch(async (e) => { console.error(await first.locator('#outbox').textContent(), '|', await second.locator('#outbox').textContent(), await kept(first, 'outbox')); throw e; });
  }
  await fhir.control('fail', { count: 0 });
  const before = await fhir.control('stats');
  // "Send now" in both at once (where a tab's timer has not already started sending).
  await Promise.all([first, second].map((p) => p.evaluate(() => document.querySelector('#outbox button')?.click())));
  for (const page of [first, second]) {
    await page.waitForFunction(() => document.querySelector('#outbox')?.classList.contains('all-sent'), null, { timeout: 30000 });
  }
  assert.equal((await fhir.control('stats')).posts - before.posts, 2, 'two POSTs, one for each submission');
  assert.equal(await onServer(patient), 2, 'one copy of each of the two forms');
  await untilKept(first, 'outbox', 0);
  await context.close();
});

test('storage full: a clear message, nothing sent half-kept, and nothing lost once there is room', async () => {
  const { context, patient, page } = await tablet();
  await recordReady(page);
  const cdp = await page.context().newCDPSession(page);
  // A quota smaller than what is already used: every write fails, as on a full tablet.
  // Chromium re-reads the quota of a database it has already written to only every half
  // minute or so: keep changing an answer (each change is a save) until one is refused.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url, quotaSize: 1 });
  await fillFamily(page);
  const postcode = page.getByLabel('Postcode');
  for (let i = 0; i < 90 && !(await page.locator('#autosave-status').count()); i += 1) {
    await postcode.fill(i % 2 ? 'E1 6AN' : 'E1 6AP');
    await new Promise((r) => setTimeout(r, 1000));
  }
  await postcode.fill('E1 6AN');
  await page.waitForSelector('#autosave-status');
  assert.match(await page.locator('#autosave-status').textContent(), /Not kept on this tablet: this tablet's storage is full/);
  await submit(page);
  await page.waitForSelector('#not-sent');
  assert.match(await page.locator('#not-sent').textContent(), /storage is full.*Nothing was sent, and the form is still here/);
  assert.equal(await onServer(patient), 0, 'nothing sent that the tablet could not keep');
  assert.match(await page.locator('#summary').textContent(), /First nameAmina/, 'the answers are still on the page, read back');
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: server.url });
  // Submitting again once there is room (which the browser may take a while to see).
  for (let i = 0; i < 60 && !(await page.locator('.send-status').count()); i += 1) {
    await page.locator('#send').click();
    await new Promise((r) => setTimeout(r, 1000));
  }
  await sent(page);
  await exactlyOnce(page, patient);
  await context.close();
});

test('a wrong PIN cannot read drafts; what is kept is not readable without the right one', async () => {
  const { context, patient, page } = await tablet();
  await fillFamily(page, { half: true });
  await untilKept(page, 'draft', 1);
  await page.getByRole('button', { name: 'Lock' }).click();
  await page.waitForSelector('#staff-pin');
  assert.equal(await page.locator('form.questionnaire').count(), 0, 'the form is gone from the screen');
  await page.locator('#staff-pin').fill('135790');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await signInSettled(page);
  assert.match(await page.locator('#sign-in-error').textContent(), /That PIN is not right for Sam Patel/);
  assert.equal(await page.locator('#drafts').count(), 0);
  // What the tablet keeps: ciphertext, no answer and no token in it; nothing in localStorage.
  const stored = (await storedRows(page, 'records')).map((r) => r.data).join('\n');
  assert.ok(stored.length > 0);
  for (const plain of ['Amina', 'Begum', 'E1 6AN', fhir.tokenFor('community')]) assert.ok(!stored.includes(plain), `${plain} is not readable`);
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0, 'nothing in localStorage');
  assert.equal(await onServer(patient), 0);
  await signIn(page);
  await page.waitForSelector('form.questionnaire');
  assert.equal(await page.getByRole('textbox', { name: 'First name', exact: true }).inputValue(), 'Amina', 'the right PIN opens it');
  assert.equal(await kept(page, 'draft'), 1);
  assert.equal(await kept(page, 'outbox'), 0);
  await context.close();
});

test('the inactivity lock forgets the key and the form; the PIN brings the draft back', async () => {
  const { context, patient, page } = await tablet({ extra: '&lockAfterSeconds=2' });
  await fillFamily(page, { half: true });
  await untilKept(page, 'draft', 1);
  await page.waitForSelector('#sign-in-notice', { timeout: 10000 });
  assert.match(await page.locator('#sign-in-notice').textContent(), /Locked after 2 seconds without use/);
  assert.equal(await page.getByText('Amina').count(), 0);
  assert.equal(await page.locator('form.questionnaire').count(), 0);
  await signIn(page);
  await page.waitForSelector('form.questionnaire');
  assert.equal(await page.getByLabel('Postcode').inputValue(), 'E1 6AN');
  await context.close();
});

test('signing out once nothing waits offers to remove the drafts and the PIN from the tablet', async () => {
  const { context, patient, page } = await tablet({ hash: '#/form/healthy-eating-session' });
  await fillHealthyEating(page);
  await untilKept(page, 'draft', 1);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign out and remove my data' }).click();
  await page.waitForSelector('#staff-pin');
  assert.equal(await kept(page, 'draft'), 0);
  assert.equal((await storedRows(page, 'staff')).length, 0, 'the PIN record is gone too');
  assert.equal(await onServer(patient), 0);
  await context.close();
});

test('a draft kept under an earlier template and ruleset says so when resumed, and is checked again', async () => {
  // No service worker here, so the test can serve the next day's template and rules.
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const patient = await newPerson();
  let page = await open(context, appUrl(patient));
  await fillFamily(page, { half: true });
  await untilKept(page, 'draft', 1);
  await page.close();
  // A new version of the form and of the code-impact rules is published.
  await context.route(/formwell-templates\.json$/, async (route) => {
    const library = await (await route.fetch()).json();
    for (const t of library.templates) if (t.id === 'family-registration') t.questionnaire.version = '1.1.0';
    await route.fulfill({ json: library });
  });
  await context.route(/formwell-ruleset\.json$/, async (route) => {
    const ruleset = await (await route.fetch()).json();
    await route.fulfill({ json: { ...ruleset, version: 'a-newer-version' } });
  });
  page = await open(context, appUrl(patient, { hash: '#/' }).replace(/token=[^&]*&/, ''));
  await page.getByRole('link', { name: /Resume Family registration/ }).click();
  await page.waitForSelector('#draft-changes');
  const changes = await page.locator('#draft-changes').textContent();
  assert.match(changes, /given to version 1\.0\.0; it is loaded into version 1\.1\.0/);
  assert.match(changes, /code-impact rules have changed since this draft was kept/);
  assert.equal(await page.getByRole('textbox', { name: 'First name', exact: true }).inputValue(), 'Amina');
  await recordReady(page);
  await fillFamilyRest(page);
  await submit(page);
  await sent(page);
  const [qr] = await fhir.search(`QuestionnaireResponse?subject=${patient}`);
  assert.match(qr.questionnaire, /\|1\.1\.0$/, 'submitted as an answer to the form of the day');
  await exactlyOnce(page, patient);
  await context.close();
});

test('two members of staff on one tablet: each sees only their own drafts, and sends with their own token', async () => {
  // The venue's configuration file names the record system; each member of staff opened
  // their own link once, and their token is kept under their PIN.
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const patient = await newPerson();
  await context.route(/formwell\.config\.json$/, (route) => route.fulfill({
    json: { fhir: fhir.url, patient, setting: 'community' },
  }));
  const page = await context.newPage();
  await page.goto(`${server.url}/?token=${fhir.tokenFor('community')}#/`);
  await signIn(page, { name: 'Ada Okafor', pin: '975310' });
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign out, keep my drafts' }).click();
  await page.goto(`${server.url}/?token=${fhir.tokenFor('community')}#/form/family-registration`);
  await signIn(page, { name: 'Sam Patel', pin: '246810' });
  await page.waitForSelector('form.questionnaire');
  await fillFamily(page, { half: true });
  await untilKept(page, 'draft', 1);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign out, keep my drafts' }).click();

  await signIn(page, { name: 'Ada Okafor', pin: '975310' });
  await page.evaluate(() => { location.hash = '#/'; });
  await page.waitForSelector('.template-list');
  assert.equal(await page.locator('#drafts').count(), 0, "Sam's draft is not Ada's to see");
  await recordReady(page);
  await page.evaluate(() => { location.hash = '#/form/healthy-eating-session'; });
  await page.waitForSelector('form.questionnaire');
  await fillHealthyEating(page);
  await submit(page);
  await sent(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign out, keep my drafts' }).click();

  await signIn(page, { name: 'Sam Patel', pin: '246810' });
  await page.evaluate(() => { location.hash = '#/'; });
  await page.waitForSelector('#drafts .draft');
  assert.equal(await page.locator('#drafts .draft').count(), 1);
  assert.equal(await onServer(patient), 1, "Ada's submission, once");
  assert.equal(await kept(page, 'outbox'), 0);
  assert.equal(await kept(page, 'draft'), 1, "Sam's draft, still kept");
  await context.close();
});

/** Sideways scrolling and touch targets under 44px on the page as it is. */
async function layoutProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const overflow = document.documentElement.scrollWidth - document.documentElement.clientWidth;
    if (overflow > 0) problems.push(`scrolls sideways by ${overflow}px`);
    for (const e of document.querySelectorAll('.input, button, #drafts a, #outbox a')) {
      const h = e.getBoundingClientRect().height;
      if (h > 0 && h < 44) problems.push(`${e.tagName}#${e.id}.${e.className} "${e.textContent}" ${Math.round(h)}px`);
    }
    return problems;
  });
}

test('tablet first when signed in: sign-in, the header, the outbox bar and drafts fit 320px with 44px targets', async () => {
  for (const width of [320, 768]) {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const patient = await newPerson();
    const page = await context.newPage();
    await page.goto(appUrl(patient, { hash: '#/form/healthy-eating-session' }));
    await page.waitForSelector('#staff-pin');
    assert.deepEqual(await layoutProblems(page), [], `sign-in at ${width}px`);
    await signIn(page);
    await recordReady(page);
    await fhir.control('fail', { count: 1000, status: 503 });
    await fillHealthyEating(page);
    await submit(page);
    await page.waitForSelector('.send-status.waiting');
    await page.evaluate(() => { location.hash = '#/form/family-registration'; });
    await page.waitForSelector('form.questionnaire');
    await fillFamily(page, { half: true });
    await untilKept(page, 'draft', 1);
    await page.evaluate(() => { location.hash = '#/'; });
    await page.waitForSelector('#drafts .draft');
    await page.waitForSelector('#outbox-list .outgoing');
    assert.deepEqual(await layoutProblems(page), [], `home, signed in, a form waiting, at ${width}px`);
    await fhir.control('fail', { count: 0 });
    await page.locator('#outbox').getByRole('button', { name: 'Send now' }).click();
    await page.waitForFunction(() => document.querySelector('#outbox')?.classList.contains('all-sent'), null, { timeout: 30000 });
    assert.equal(await onServer(patient), 1);
    await untilKept(page, 'outbox', 0);
    assert.equal(await kept(page, 'draft'), 1);
    await context.close();
  }
});

test('wrong PINs in a row make the tablet wait, even for the right PIN; a right one starts the count again', async () => {
  const { context, patient, page } = await tablet();
  const failures = async () => (await storedRows(page, 'staff')).find((r) => r.staff === 'Sam Patel').failures ?? 0;
  const tryPin = async (pin) => {
    await page.locator('#staff-pin').fill(pin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await signInSettled(page);
  };
  await page.getByRole('button', { name: 'Lock' }).click();
  await tryPin('000000');
  assert.equal(await failures(), 1);
  await signIn(page);
  assert.equal(await failures(), 0, 'the right PIN starts the count again');
  await page.getByRole('button', { name: 'Lock' }).click();
  for (let i = 0; i < 5; i += 1) await tryPin(`00000${i}`);
  assert.match(await page.locator('#sign-in-error').textContent(), /That PIN is not right/);
  await tryPin('246810');
  assert.match(await page.locator('#sign-in-error').textContent(), /Too many wrong PINs for Sam Patel\. Try again in (29|30) seconds/);
  assert.equal(await page.locator('.app-staff').count(), 0, 'not signed in, even with the right PIN');
  assert.equal(await onServer(patient), 0);
  assert.equal(await kept(page, 'outbox'), 0);
  await context.close();
});
