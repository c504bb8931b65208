// The app's guards, each tried by the attack it stops, in Debian's chromium: a link that
// names another record system, a token in the public configuration, a browser without a
// cryptographic random id, a tablet whose stored records were tampered with or kept by an
// earlier version, wrong PINs from two tabs at once, a revoked sign-in, and the
// Content-Security-Policy of every page `formwell serve` serves.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { startServer, startBackend, launch, signIn, recordReady, fillFamily, dist, repo, newPerson, fillHealthyEating, storedRows, untilKept, checkAndSend } from './harness.mjs';

let server, fhir, own, browser;
before(async () => {
  server = await startServer();
  fhir = await startBackend(server.url, 'medplum');
  own = await startBackend(server.url, 'formwell');
  browser = await launch();
});
after(async () => { await browser?.close(); await server?.close(); await fhir?.close(); await own?.close(); });

/** A FHIR server that answers like one (its /metadata takes transactions) and records
 * every request it gets: method, path and Authorization header. */
async function startRecorder() {
  const requests = [];
  const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'authorization, content-type', 'access-control-allow-methods': 'GET, POST, PUT' };
  const recorder = http.createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
    req.resume();
    const json = (status, body) => res.writeHead(status, { 'content-type': 'application/fhir+json', ...cors }).end(JSON.stringify(body));
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
    if (req.url.endsWith('/metadata')) {
      const resource = (type) => ({ type, conditionalCreate: true, updateCreate: true });
      return json(200, { resourceType: 'CapabilityStatement', status: 'active', kind: 'instance', fhirVersion: '4.0.1', format: ['json'],
        rest: [{ mode: 'server', interaction: [{ code: 'transaction' }],
          resource: ['QuestionnaireResponse', 'Observation', 'Consent', 'Provenance'].map(resource) }] });
    }
    if (req.method === 'GET') return json(200, { resourceType: 'Bundle', type: 'searchset', total: 0 });
    return json(200, { resourceType: 'Bundle', type: 'transaction-response', entry: [] });
  });
  await new Promise((r) => recorder.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${recorder.address().port}`, requests, close: () => new Promise((r) => { recorder.close(r); recorder.closeAllConnections(); }) };
}

/** A tablet (a browser profile) whose served configuration file is `config`. */
async function tabletServing(config) {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  await context.route(/formwell\.config\.json$/, (route) => route.fulfill({ json: config }));
  return context;
}

const submit = checkAndSend;

const rows = storedRows;
const untilRows = untilKept;

test('a kept token never goes to a record system that a link names instead', async () => {
  const elsewhere = await startRecorder();
  const context = await tabletServing({ fhir: fhir.url, setting: 'community' });
  try {
    const patient = await newPerson(fhir);
    const page = await context.newPage();
    // The usual way in: the link with this member of staff's token, kept under their PIN.
    await page.goto(`${server.url}/?token=${fhir.tokenFor('community')}&patient=${patient}#/`);
    await signIn(page);
    await recordReady(page);
    // Then a link that names another record system, and no token.
    await page.goto(`${server.url}/?fhir=${encodeURIComponent(elsewhere.url)}&patient=${patient}#/form/healthy-eating-session`);
    await signIn(page);
    await page.waitForSelector('#other-system');
    assert.match(await page.locator('#other-system').textContent(), new RegExp(`not this tablet's usual one: ${elsewhere.url}`));
    await page.waitForFunction(() => /no sign-in for the record system/.test(document.querySelector('#record-status')?.textContent ?? ''));
    await fillHealthyEating(page);
    await submit(page);
    await page.waitForSelector('#outbox-not-allowed');
    assert.match(await page.locator('#send-status').textContent(), /no sign-in for the record system at .*your forms are kept/);
    await untilRows(page, 'outbox', 1);
    assert.deepEqual(elsewhere.requests.filter((r) => r.authorization), [], 'the other server saw no Authorization header');
    assert.deepEqual(elsewhere.requests.filter((r) => r.method === 'POST'), [], 'and no submission');
  } finally {
    await context.close();
    await elsewhere.close();
  }
});

test('a token in the public configuration file is not used, and a build with one is refused', async () => {
  const recorder = await startRecorder();
  const context = await tabletServing({ fhir: recorder.url, token: 'public-token', setting: 'community' });
  try {
    const page = await context.newPage();
    await page.goto(`${server.url}/#/`);
    await signIn(page);
    await page.waitForSelector('#public-token');
    assert.match(await page.locator('#public-token').textContent(), /anyone could read it, so it is not used/);
    await page.waitForFunction(() => /no sign-in for the record system/.test(document.querySelector('#record-status')?.textContent ?? ''));
    assert.deepEqual(recorder.requests.filter((r) => r.authorization), [], 'the public token went nowhere');
  } finally {
    await context.close();
    await recorder.close();
  }
  // The build itself refuses to publish such a file.
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'formwell-build-'));
  fs.cpSync(dist, copy, { recursive: true });
  fs.writeFileSync(path.join(copy, 'formwell.config.json'), JSON.stringify({ fhir: '/fhir', token: 'fw_public' }));
  const built = spawnSync(process.execPath, [path.join(repo, 'tools/post-build.mjs'), copy], { encoding: 'utf8' });
  assert.equal(built.status, 1);
  assert.match(built.stderr, /holds a token.*public/);
  fs.rmSync(copy, { recursive: true, force: true });
});

test('without a cryptographic random id nothing is sent, and the form stays', async () => {
  const recorder = await startRecorder();
  const context = await browser.newContext({ serviceWorkers: 'block' });
  await context.addInitScript(() => { delete Crypto.prototype.randomUUID; });
  try {
    const page = await context.newPage();
    page.consoleErrors = [];
    page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
    await page.goto(`${server.url}/?fhir=${encodeURIComponent(recorder.url)}&token=t1&patient=Patient/1#/form/healthy-eating-session`);
    await signIn(page);
    await recordReady(page);
    await page.waitForSelector('#autosave-status');
    assert.match(await page.locator('#autosave-status').textContent(), /random identifier/);
    await fillHealthyEating(page);
    await submit(page);
    await page.waitForSelector('#not-sent');
    assert.match(await page.locator('#not-sent').textContent(), /Nothing was sent: this browser cannot make the random identifier.*still here/);
    assert.match(await page.locator('#summary').textContent(), /Session number1/, 'the answers are still on screen, read back');
    assert.deepEqual(recorder.requests.filter((r) => r.method === 'POST'), []);
    assert.deepEqual(await rows(page, 'records').then((r) => r.filter((x) => x.kind !== 'secret')), [], 'nothing kept under a made-up id');
    assert.deepEqual(page.consoleErrors, []);
  } finally {
    await context.close();
    await recorder.close();
  }
});

test('a stored record that was tampered with is shown as unreadable and kept; one an earlier version kept is sent', async () => {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const patient = await newPerson(fhir);
  const url = `${server.url}/?fhir=${encodeURIComponent(fhir.url)}&token=${fhir.tokenFor('community')}&patient=${patient}#/form/healthy-eating-session`;
  try {
    // Two forms queued while the record system fails.
    await fhir.control('fail', { count: 1000, status: 503 });
    const filling = await context.newPage();
    await filling.goto(url);
    await signIn(filling);
    for (let i = 0; i < 2; i += 1) {
      await filling.waitForSelector('form.questionnaire');
      await fillHealthyEating(filling);
      await submit(filling);
      await filling.waitForSelector('.send-status.waiting');
      if (i === 0) await filling.getByRole('button', { name: 'Fill in another' }).click();
    }
    await untilRows(filling, 'outbox', 2);
    const [first, second] = (await rows(filling, 'records')).filter((r) => r.kind === 'outbox').map((r) => r.id);
    await filling.close();
    // Then the tablet's storage is changed behind the app's back (from a page of the same
    // origin that is not the app, so no sender rewrites it meanwhile): the first record
    // gets the second's ciphertext (a swap), and the second is rewritten as an earlier
    // version of the app kept records (no format, no additional data).
    const helper = await context.newPage();
    await helper.goto(`${server.url}/fixtures/attendance-with-a-bad-code.json`);
    await helper.evaluate(async ({ first, second, staff, pin }) => {
      const db = await new Promise((resolve) => { const r = indexedDB.open('formwell'); r.onsuccess = () => resolve(r.result); });
      const get = (store, key) => new Promise((resolve) => { const r = db.transaction(store).objectStore(store).get(key); r.onsuccess = () => resolve(r.result); });
      const put = (store, row) => new Promise((resolve) => { const t = db.transaction(store, 'readwrite'); t.objectStore(store).put(row); t.oncomplete = resolve; });
      const person = await get('staff', staff);
      const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveKey']);
      const key = await crypto.subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt: person.salt, iterations: person.iterations },
        material, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      const a = await get('records', first);
      const b = await get('records', second);
      const additionalData = new TextEncoder().encode(`formwell-record/1\n${b.id}\n${b.staff}\n${b.kind}`);
      const text = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: b.iv, additionalData }, key, b.data);
      const iv = crypto.getRandomValues(new Uint8Array(12));
      await put('records', { id: b.id, staff: b.staff, kind: b.kind, iv, data: await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, text) });
      await put('records', { ...a, iv: b.iv, data: b.data });
      db.close();
    }, { first, second, staff: 'Sam Patel', pin: '246810' });
    await helper.close();
    await fhir.control('fail', { count: 0 });
    const page = await context.newPage();
    await page.goto(url.replace('#/form/healthy-eating-session', '#/'));
    await signIn(page);
    await page.waitForSelector('#outbox-unreadable');
    assert.match(await page.locator('#outbox-unreadable').textContent(), /^1 form could not be read on this tablet\. It is kept, not sent: ask whoever looks after Formwell/);
    for (let i = 0; i < 200 && (await fhir.search(`QuestionnaireResponse?subject=${patient}`)).length < 1; i += 1) await new Promise((r) => setTimeout(r, 100));
    assert.equal((await fhir.search(`QuestionnaireResponse?subject=${patient}`)).length, 1, 'the one kept by an earlier version was sent, once');
    const left = (await rows(page, 'records')).filter((r) => r.kind === 'outbox');
    assert.deepEqual(left.map((r) => r.id), [first], 'the unreadable one stays on the tablet');
  } finally {
    await fhir.control('fail', { count: 0 });
    await context.close();
  }
});

test('wrong PINs typed in two tabs at once are all counted', async () => {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  try {
    const url = `${server.url}/?fhir=${encodeURIComponent(fhir.url)}&token=${fhir.tokenFor('community')}#/`;
    const one = await context.newPage();
    await one.goto(url);
    await signIn(one, { name: 'Ada Okafor', pin: '975310' });
    const two = await context.newPage();
    await two.goto(url);
    await two.waitForSelector('#staff-name');
    const wrongTries = (page) => page.evaluate(async () => {
      const tries = [];
      for (let i = 0; i < 2; i += 1) tries.push(window.formwellVault.unlock('Ada Okafor', '000000').catch((e) => e.name));
      return Promise.all(tries);
    });
    const outcomes = (await Promise.all([wrongTries(one), wrongTries(two)])).flat();
    assert.deepEqual(outcomes, ['WrongPin', 'WrongPin', 'WrongPin', 'WrongPin']);
    const [ada] = (await rows(one, 'staff')).filter((r) => r.staff === 'Ada Okafor');
    assert.equal(ada.failures, 4, 'four wrong PINs, four counted');
  } finally {
    await context.close();
  }
});

test('a revoked sign-in keeps forms waiting in plain words, and a new link sends them once, unasked', async () => {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const patient = await newPerson(own);
  try {
    const name = `tablet-${Date.now()}`;
    const first = own.addToken(name);
    const page = await context.newPage();
    await page.goto(`${server.url}/?fhir=${encodeURIComponent(own.url)}&token=${first}&patient=${patient}#/form/healthy-eating-session`);
    await signIn(page);
    await recordReady(page);
    own.revokeToken(name);
    await fillHealthyEating(page);
    await submit(page);
    await page.waitForSelector('#outbox-not-allowed');
    assert.match(await page.locator('#outbox-not-allowed').textContent(),
      /1 form not sent\. This tablet is no longer allowed to send to the record system: ask whoever looks after Formwell for a new link; your forms are kept/);
    assert.equal(await page.locator('.send-status.refused').count(), 0, 'not shown as a refusal of the form');
    assert.equal(await page.getByRole('button', { name: 'Try again' }).count(), 0);
    // The new link, after the person signs in again: sent without anyone pressing anything.
    const second = own.addToken(`${name}-2`);
    await page.goto(`${server.url}/?fhir=${encodeURIComponent(own.url)}&token=${second}&patient=${patient}#/`);
    await signIn(page);
    await untilRows(page, 'outbox', 0);
    assert.equal((await own.search(`QuestionnaireResponse?subject=${patient}`)).length, 1, 'sent once');
  } finally {
    await context.close();
  }
});

test('every page formwell serve serves keeps to its Content-Security-Policy', async () => {
  const context = await browser.newContext({ serviceWorkers: 'allow' });
  await context.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  try {
    const origin = new URL(own.direct).origin;
    // Used from formwell serve's own origin: a token bound to no other.
    const token = own.addToken(`csp-${Date.now()}`, 'community', null);
    const patient = await newPerson(own);
    const page = await context.newPage();
    const violations = [];
    page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
    const response = await page.goto(`${origin}/?token=${token}&patient=${patient}#/`);
    assert.match(response.headers()['content-security-policy'], /script-src 'self' 'wasm-unsafe-eval'/);
    assert.equal(response.headers()['referrer-policy'], 'no-referrer');
    assert.equal(response.headers()['x-content-type-options'], 'nosniff');
    assert.equal(await page.locator('script:not([src])').count(), 0, 'no inline script in the page');
    await signIn(page);
    await recordReady(page);
    await page.getByRole('link', { name: 'Family registration' }).click();
    await page.waitForSelector('form.questionnaire');
    await fillFamily(page);
    await submit(page);
    await page.waitForSelector('.send-status.sent', { timeout: 30000 });
    violations.push(...await page.evaluate(() => window.cspViolations));
    assert.deepEqual(violations, []);
  } finally {
    await context.close();
  }
});
