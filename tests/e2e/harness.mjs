// Shared set-up for the end-to-end tests: a static server on 127.0.0.1 for the release
// build (dist/) and, under /corpus/, the public questionnaire corpus from ../shared; and
// Debian's chromium driven by playwright-core.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, execFileSync } from 'node:child_process';
import os from 'node:os';
import readline from 'node:readline';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');
export const dist = path.join(repo, 'dist');
export const corpus = path.resolve(process.env.FORMWELL_SHARED ?? path.join(repo, '../shared'), 'data/questionnaires');

const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.json': 'application/json', '.png': 'image/png',
};

/** Serves a build (dist/ unless given) at / and the corpus at /corpus/ on a free loopback port. */
export async function startServer(root = dist) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    let file;
    if (url.pathname.startsWith('/fixtures/')) {
      file = path.join(here, decodeURIComponent(url.pathname.slice(1)));
    } else if (url.pathname.startsWith('/corpus/')) {
      file = path.join(corpus, decodeURIComponent(url.pathname.slice('/corpus/'.length)));
      if (!file.startsWith(corpus)) { res.writeHead(403).end(); return; }
    } else {
      file = path.join(root, url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname));
      if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    }
    fs.readFile(file, (err, data) => {
      if (err) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
      res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(data);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  // Closing drops kept-alive connections too: after it, the address answers nothing.
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }) };
}

/** Debian's chromium, headless, with nothing that reaches outside this machine. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** A new page that records console errors and uncaught exceptions. */
export async function newPage(browser, viewport = { width: 768, height: 1024 }) {
  const page = await browser.newPage({ viewport });
  page.consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') page.consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => page.consoleErrors.push(String(e)));
  return page;
}

/** Yew renders asynchronously: let it settle after an action. */
export async function tick(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
}

/** Every answer in a QuestionnaireResponse by linkId (lists, in document order). */
export function answersByLinkId(response) {
  const out = {};
  const walk = (items) => {
    for (const item of items ?? []) {
      if (item.answer) {
        (out[item.linkId] ??= []).push(...item.answer.map((a) => {
          const key = Object.keys(a).find((k) => k.startsWith('value'));
          return a[key];
        }));
        for (const a of item.answer) walk(a.item);
      }
      walk(item.item);
    }
  };
  walk(response.item);
  return out;
}

/** A radio or checkbox in the question (fieldset) with this legend. */
export function option(page, question, label) {
  return page.getByRole('group', { name: question }).getByLabel(label, { exact: true });
}

/** A new page with a shipped template open and rendered, once the code-impact rules have
 * loaded; `query` sets the app's configuration (`?setting=midwifery`). */
export async function openTemplate(browser, server, id, query = '') {
  const page = await newPage(browser);
  await page.goto(`${server.url}/${query}#/form/${id}`);
  await page.waitForSelector('form.questionnaire');
  await page.waitForSelector('.impact:not(.loading)');
  return page;
}

/** Signs in on the app's sign-in page; the first time a name is used on this browser's
 * storage, the PIN is set (entered twice). Resolves once the sign-in page has gone. */
export async function signIn(page, { name = 'Sam Patel', pin = '246810' } = {}) {
  await page.waitForSelector('#staff-name, .app-staff');
  if (await page.locator('.app-staff').count()) return; // still signed in
  await page.getByLabel('Your name').fill(name);
  await page.locator('#staff-pin').fill(pin);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await signInSettled(page);
  if (await page.locator('#staff-pin-again').count()) {
    await page.locator('#staff-pin').fill(pin);
    await page.locator('#staff-pin-again').fill(pin);
    await page.getByRole('button', { name: 'Set PIN and sign in' }).click();
    await signInSettled(page);
  }
}

/** Waits until the header says the record system is reachable and takes transactions
 * (the app has checked its /metadata with the token). */
export async function recordReady(page) {
  await page.waitForFunction(() => /takes transactions/.test(document.querySelector('#record-status')?.textContent ?? ''));
}

/** Waits until a sign-in attempt has an outcome: signed in, asked to set the PIN, or an error. */
export async function signInSettled(page) {
  await tick(page);
  await page.waitForFunction(() => document.querySelector('.app-staff')
    || (!document.querySelector('.sign-in button[disabled]') && document.querySelector('#staff-pin-again, #sign-in-error')));
}

/** Confirms the code-impact dialog with a reason. */
export async function confirmDialog(page, reason) {
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Why is this right to record?').fill(reason);
  await dialog.getByLabel('I have checked this with the person and it is right to record').check();
  await tick(page);
  await dialog.getByRole('button', { name: 'Confirm and send' }).click();
  await tick(page);
}

/** Types a date into a date question's Day, Month and Year boxes ('2027-04-01', or only
 * some of the parts: { day: '1', month: '4' }). `within` narrows to part of the page. */
export async function fillDate(page, question, date, within = page) {
  const [year, month, day] = typeof date === 'string' ? date.split('-').map((p) => String(Number(p))) : [date.year, date.month, date.day];
  const group = within.getByRole('group', { name: question, exact: typeof question === 'string' });
  for (const [label, value] of [['Day', day], ['Month', month], ['Year', year]]) {
    await group.getByLabel(label, { exact: true }).fill(value ?? '');
  }
}

/** "Check answers", then, on the read-back, "Send". Resolves once Send was pressed (or the
 * read-back never came: the form had problems). */
export async function checkAndSend(page) {
  await page.getByRole('button', { name: 'Check answers' }).click();
  await page.waitForSelector('#check-answers, #error-summary');
  if (await page.locator('#check-answers').count()) {
    await page.locator('#send').click();
    await tick(page);
  }
}

/** Runs a command to its first line that starts with `prefix`, returning the rest. */
function spawnUntil(command, args, env, prefix) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', (line) => { if (line.startsWith(prefix)) resolve(line.slice(prefix.length)); });
    child.on('exit', (code) => reject(new Error(`${command} ${args.join(' ')} exited (${code})`)));
  });
  return { child, ready };
}

/** `formwell preview` on a folder of templates, serving the studio from dist/: its
 * studio's address, every line it has printed so far (its findings), and how to stop it. */
export async function startPreview(folder) {
  const child = spawn(path.join(repo, 'target/debug/formwell'), ['preview', folder, '--addr', '127.0.0.1:0', '--dist', dist],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const printed = [];
  const url = await new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      printed.push(line);
      const m = /^formwell: previewing .* on (http:\S+)$/.exec(line);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`formwell preview exited (${code})`)));
  });
  return { url, printed, close: () => child.kill() };
}

/**
 * The record backend the submission tests run against (FORMWELL_BACKEND): `medplum`, the
 * independent FHIR R4 server in tests/fhir-server (Medplum's router and validator);
 * `formwell`, this project's own `formwell serve` on a new SQLite file, with partner tokens
 * whose origin is the app's; or `gateway`, `formwell serve --upstream` in front of the
 * independent server. Either way behind a fault proxy that can fail or hold answers
 * and counts what was posted. `appOrigin` is where the app is served from.
 */
export async function startBackend(appOrigin, kind = process.env.FORMWELL_BACKEND ?? 'medplum') {
  // crash: kills the server at once (SIGKILL); restart: starts it again on the same
  // address and data. Only `formwell`, whose record is a file, survives that.
  let target, tokens, stop, crash = () => { throw new Error(`${kind} cannot be crashed and restarted`); }, restart = crash;
  // Tokens made and revoked on `formwell serve` (by name), for tests of a revoked sign-in.
  let addToken = () => { throw new Error(`${kind} has no token store`); }, revokeToken = addToken;
  if (kind === 'medplum') {
    const token = 'test-token';
    const { child, ready } = spawnUntil(process.execPath, [path.join(repo, 'tests/fhir-server/server.mjs'), '0'], { FHIR_TOKEN: token }, 'listening ');
    target = await ready;
    tokens = { community: token, midwifery: token };
    stop = () => child.kill();
  } else if (kind === 'formwell' || kind === 'gateway') {
    const formwell = path.join(repo, 'target/debug/formwell');
    const data = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'formwell-e2e-')), 'record.sqlite');
    // As a gateway, formwell serve forwards to the independent server behind it.
    let upstream = [];
    let stopUpstream = () => {};
    if (kind === 'gateway') {
      const { child, ready } = spawnUntil(process.execPath, [path.join(repo, 'tests/fhir-server/server.mjs'), '0'], { FHIR_TOKEN: 'upstream-token' }, 'listening ');
      upstream = ['--upstream', await ready, '--upstream-token', 'upstream-token'];
      stopUpstream = () => child.kill();
    }
    // The app's tokens are staff tokens bound to the app's origin (it is served from
    // another port than the record, so the browser needs CORS for it).
    addToken = (name, setting = 'community', origin = appOrigin, kind = 'staff') => execFileSync(formwell, ['token', 'add', '--data', data,
      '--name', name, '--setting', setting, '--kind', kind, ...(origin ? ['--origin', origin] : [])], { encoding: 'utf8' }).trim();
    revokeToken = (name) => execFileSync(formwell, ['token', 'revoke', '--data', data, name], { encoding: 'utf8' });
    tokens = {};
    for (const setting of ['community', 'midwifery']) tokens[setting] = addToken(`app-${setting}`, setting);
    // The tests read back what the app wrote with a staff token of the same setting:
    // staff read only what their own setting wrote.
    tokens.staff = addToken('test-staff', 'community', null);
    tokens.readers = { community: tokens.staff, midwifery: addToken('test-staff-midwifery', 'midwifery', null) };
    const serve = (addr) => spawnUntil(formwell, ['serve', '--addr', addr, '--data', data, '--dist', dist, ...upstream], {}, 'formwell: serving ');
    let { child, ready } = serve('127.0.0.1:0');
    const origin = (await ready).split(' ')[0];
    target = `${origin}/fhir`;
    stop = () => { child.kill(); stopUpstream(); };
    crash = () => { child.kill('SIGKILL'); };
    restart = async () => {
      ({ child, ready } = serve(new URL(origin).host));
      await ready;
    };
  } else {
    throw new Error(`FORMWELL_BACKEND is medplum, formwell or gateway, not ${kind}`);
  }
  const proxy = await startFaultProxy(target, () => crash());
  const reader = (setting = 'community') => tokens.readers?.[setting] ?? tokens.staff ?? tokens.community;
  const fhir = async (method, p, body, setting) => {
    const headers = { authorization: `Bearer ${reader(setting)}`, 'content-type': 'application/fhir+json' };
    const res = await fetch(`${target}/${p}`, { method, headers, body: body && JSON.stringify(body) });
    return { status: res.status, body: await res.json() };
  };
  return {
    kind, url: proxy.url, direct: target, tokenFor: (setting) => tokens[setting] ?? tokens.community, addToken, revokeToken,
    create: async (resource) => (await fhir('POST', resource.resourceType, resource)).body,
    // What a staff member of `setting` finds (formwell serve shows each setting its own).
    search: async (query, setting) => ((await fhir('GET', query, undefined, setting)).body.entry ?? []).map((e) => e.resource),
    control: proxy.control,
    restart: () => restart(),
    close: async () => { await proxy.close(); stop(); },
  };
}

/** A proxy in front of a FHIR base that passes everything through (CORS included), and on
 * request fails the next answers, holds an answer after the server has committed, or
 * crashes the server while it has the next POST (`crash`). */
async function startFaultProxy(target, crashServer) {
  // posts: every POST that reached the server; invalid: those it refused as not valid FHIR.
  const state = { fail: 0, status: 500, hold: 0, posts: 0, invalid: 0 };
  const base = new URL(target);
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    if (url.pathname.startsWith('/_control/')) {
      const args = body.length ? JSON.parse(body) : {};
      if (url.pathname === '/_control/fail') { state.fail = args.count ?? 1; state.status = args.status ?? 500; }
      if (url.pathname === '/_control/hold') state.hold = args.ms ?? 5000;
      if (url.pathname === '/_control/crash') state.crash = true;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(state));
      return;
    }
    const origin = req.headers.origin;
    if (state.fail > 0 && req.method !== 'OPTIONS' && url.pathname !== '/metadata') {
      state.fail -= 1;
      res.writeHead(state.status, { 'content-type': 'application/fhir+json', ...(origin ? { 'access-control-allow-origin': origin } : {}) })
        .end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'transient', details: { text: `Injected failure (${state.status})` } }] }));
      return;
    }
    const forwarded = { ...req.headers, host: base.host };
    if (state.crash && req.method === 'POST') {
      // The whole request reaches the server, which is killed a moment later, mid-write;
      // the app's connection is cut, as a crashed server's would be.
      state.crash = false;
      state.posts += 1;
      const upstream = http.request({ host: base.hostname, port: base.port, method: 'POST', headers: forwarded,
        path: base.pathname.replace(/\/$/, '') + (url.pathname === '/' ? '' : url.pathname) + url.search || '/' });
      upstream.on('error', () => {});
      upstream.end(body, () => setTimeout(() => { crashServer(); req.socket.destroy(); }, 5));
      return;
    }
    const answer = await new Promise((resolve, reject) => {
      const upstream = http.request({
        host: base.hostname, port: base.port, method: req.method, headers: forwarded,
        path: base.pathname.replace(/\/$/, '') + (url.pathname === '/' ? '' : url.pathname) + url.search || '/',
      }, (r) => {
        const parts = [];
        r.on('data', (d) => parts.push(d));
        r.on('end', () => resolve({ status: r.statusCode, headers: r.headers, body: Buffer.concat(parts) }));
      });
      upstream.on('error', reject);
      upstream.end(body);
    }).catch(() => ({ status: 502, headers: { 'content-type': 'text/plain', ...(origin ? { 'access-control-allow-origin': origin } : {}) }, body: Buffer.from('the server is not answering') }));
    if (req.method === 'POST') {
      state.posts += 1;
      if (answer.status === 400 || answer.status === 422) state.invalid += 1;
      if (state.hold > 0) {
        // The server has committed; only the answer is late.
        const ms = state.hold;
        state.hold = 0;
        await new Promise((r) => setTimeout(r, ms));
      }
    }
    res.writeHead(answer.status, answer.headers).end(answer.body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    control: async (what, args = {}) => (await fetch(`${url}/_control/${what}`, { method: 'POST', body: JSON.stringify(args) })).json(),
    close: () => new Promise((r) => server.close(r)),
  };
}

/** Fills the family registration form (the first half, or all of it). */
export async function fillFamily(page, { half = false } = {}) {
  await page.getByRole('textbox', { name: 'First name', exact: true }).fill('Amina');
  await page.getByRole('textbox', { name: 'Last name', exact: true }).fill('Begum');
  await page.getByLabel('Postcode').fill('E1 6AN');
  if (half) return;
  await fillFamilyRest(page);
}

/** The second half of the family registration form. */
export async function fillFamilyRest(page) {
  await page.getByLabel("Child's first name").fill('Rafi');
  await fillDate(page, "Child's date of birth", '2024-05-01');
  await option(page, 'Do you agree to share what the centre records with your GP practice and health visiting team?', 'Yes').check();
  await option(page, 'Who gave this answer?', 'The parent or carer named above').check();
}

/** Fills the harmful example (pregnant, a due date, a child protection plan) and submits. */
export async function fillHarmfulAndSubmit(page) {
  await option(page, 'Is the parent pregnant?', 'Yes').check();
  await tick(page);
  await fillDate(page, 'Expected delivery date', '2027-04-01');
  await option(page, 'Is the child subject to a child protection plan?', 'Yes').check();
  await checkAndSend(page);
}

/** Makes every Bundle the page POSTs to a FHIR base reach it twice, as a retrying
 * proxy might deliver it; the page sees the second answer. */
export async function deliverTwice(page, base) {
  await page.route((url) => url.origin === base && url.pathname === '/', async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    await route.fetch();
    await route.fulfill({ response: await route.fetch() });
  });
}

/** A new person (Amina Begum) on a backend, as `Patient/<id>`. */
export async function newPerson(backend) {
  const patient = await backend.create({ resourceType: 'Patient', name: [{ family: 'Begum', given: ['Amina'] }] });
  return `Patient/${patient.id}`;
}

/** The healthy eating session record, all of its required answers. */
export async function fillHealthyEating(page) {
  await page.getByLabel('Session number').fill('1');
  await fillDate(page, 'Session date', '2026-11-26');
  await page.getByLabel('Portions of fruit and vegetables eaten yesterday').fill('3');
  await option(page, /Confidence cooking a meal from scratch/, '5').check();
  await tick(page);
}

/** Every row of one of the tablet's IndexedDB stores (`records`, `staff`): encrypted data
 * as its bytes read as latin1 text; salts, IVs and PIN checks left out. */
export async function storedRows(page, store) {
  return page.evaluate((store) => new Promise((resolve, reject) => {
    const request = indexedDB.open('formwell');
    request.onerror = () => reject(request.error);
    request.onsuccess = () => {
      const all = request.result.transaction(store).objectStore(store).getAll();
      all.onsuccess = () => {
        request.result.close();
        resolve(all.result.map((row) => ({ ...row, data: row.data && new TextDecoder('latin1').decode(row.data), check: undefined, salt: undefined, iv: undefined })));
      };
    };
  }), store);
}

/** How many records of a kind (draft, outbox) the tablet keeps. */
export async function kept(page, kind) {
  return (await storedRows(page, 'records')).filter((r) => r.kind === kind).length;
}

/** Waits until the tablet keeps `n` records of a kind. */
export async function untilKept(page, kind, n) {
  for (let i = 0; i < 200; i += 1) {
    if ((await kept(page, kind)) === n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  if ((await kept(page, kind)) !== n) throw new Error(`the tablet keeps ${await kept(page, kind)} ${kind} records, not ${n}`);
}

const axeSource = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** What axe-core finds against WCAG 2.2 A and AA on the page as it is now, one line per
 * rule broken with where. (Evaluated, not added as a script tag: pages under a strict
 * Content-Security-Policy would refuse an inline script.) */
export async function accessibilityViolations(page, within) {
  await page.evaluate(axeSource);
  // `within`: a selector for the part of the page to check (an embedded form, with its
  // Shadow DOM), not the page around it.
  return page.evaluate(async (within) => {
    const result = await window.axe.run(within ? { include: [[within]] } : document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    });
    return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }, within);
}
