// Offline-first benchmarks, in headless chromium on the release build:
//
// 1. Autosave on a 1,000-item form (100 groups of 9 questions, every one answered): the
//    main-thread time of each save (the response as
//    JSON text in the wasm, then the synchronous parts of encrypting and storing it), over
//    200 keystrokes typed into the form. Target: ≤ 4 ms, so typing never stutters.
// 2. Flushing 500 queued submissions: one real submission is queued while the record
//    system is down, copied 499 times under new identifiers (each encrypted under the
//    same key, as the app would), the page reloaded, and the time measured from signing
//    in to the outbox being empty and the server holding all 500.
//
// Run after a release build: `node tools/bench-offline.mjs` (FORMWELL_BACKEND=formwell for
// `formwell serve` instead of the independent server). Prints figures; asserts nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, startBackend, launch, signIn, tick, dist, recordReady, fillHealthyEating, checkAndSend } from '../tests/e2e/harness.mjs';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];

/** A copy of the build whose library also ships a generated 1,000-item form. */
function buildWithLargeForm() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'formwell-bench-'));
  fs.cpSync(dist, root, { recursive: true });
  const groups = Array.from({ length: 100 }, (_, g) => ({
    linkId: `g${g}`, type: 'group', text: `Section ${g + 1}`,
    // Every question starts answered, so each save carries 900 answers: the worst case.
    item: Array.from({ length: 9 }, (_, i) => ({
      linkId: `g${g}-q${i}`, type: i % 3 ? 'string' : 'integer', text: `Question ${g + 1}.${i + 1}`,
      initial: [i % 3 ? { valueString: `An answer to question ${g + 1}.${i + 1}` } : { valueInteger: g * 10 + i }],
    })),
  }));
  const questionnaire = { resourceType: 'Questionnaire', url: 'https://formwell.example/fhir/Questionnaire/bench-1000', version: '1', status: 'active', title: 'A thousand items', item: groups };
  const library = JSON.parse(fs.readFileSync(path.join(root, 'formwell-templates.json'), 'utf8'));
  library.templates.push({ id: 'bench-1000', questionnaire });
  fs.writeFileSync(path.join(root, 'formwell-templates.json'), JSON.stringify(library));
  return root;
}

const root = buildWithLargeForm();
const server = await startServer(root);
const fhir = await startBackend(server.url);
const browser = await launch();
try {
  // 1. Autosave.
  {
    const context = await browser.newContext({ viewport: { width: 768, height: 1024 } });
    const page = await context.newPage();
    await page.addInitScript(() => { window.formwellBench = true; });
    // A form is for a person: the one the tablet is launched for.
    const person = await fhir.create({ resourceType: 'Patient', name: [{ family: 'Autosave' }] });
    await page.goto(`${server.url}/?fhir=${encodeURIComponent(fhir.url)}&token=${fhir.tokenFor('community')}&patient=Patient/${person.id}#/form/bench-1000`);
    await signIn(page);
    await page.waitForSelector('form.questionnaire');
    const field = page.getByLabel('Question 50.2', { exact: true });
    for (let i = 0; i < 200; i += 1) {
      await field.press(String.fromCharCode(97 + (i % 26)));
      if (i % 20 === 19) await tick(page);
    }
    await page.waitForFunction(() => (window.formwellAutosaveMs?.length ?? 0) > 10);
    await new Promise((r) => setTimeout(r, 500));
    const { rust, store } = await page.evaluate(() => ({ rust: window.formwellAutosaveMs, store: window.formwellStoreMs }));
    const total = rust.map((r, i) => r + (store[i] ?? 0));
    const fmt = (xs) => `median ${median(xs).toFixed(2)} ms, p95 ${quantile(xs, 0.95).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms`;
    const bytes = await page.evaluate(() => window.formwellStoreBytes);
    console.log(`autosave, 1,000-item form, ${rust.length} saves for 200 keystrokes (saves coalesce while one is in flight), draft ${(bytes / 1024).toFixed(0)} KB:`);
    console.log(`  response to JSON text (wasm): ${fmt(rust)}`);
    console.log(`  encode + store (JS, synchronous parts): ${fmt(store)}`);
    console.log(`  main thread per save: ${fmt(total)}  (target ≤ 4 ms)`);
    await context.close();
  }

  // 2. Flush 500.
  {
    const count = Number(process.env.FLUSH_COUNT ?? 500);
    const context = await browser.newContext();
    const patient = await fhir.create({ resourceType: 'Patient', name: [{ family: 'Bench' }] });
    let page = await context.newPage();
    const url = `${server.url}/?fhir=${encodeURIComponent(fhir.url)}&token=${fhir.tokenFor('community')}&patient=Patient/${patient.id}#/form/healthy-eating-session`;
    await page.goto(url);
    await signIn(page);
    await recordReady(page);
    await fhir.control('fail', { count: 1e9, status: 503 });
    await fillHealthyEating(page);
    await checkAndSend(page);
    await page.waitForSelector('.send-status.waiting');
    // Copies of the queued submission under new identifiers, through the app's own store.
    await page.evaluate(async (count) => {
      const v = window.formwellVault;
      const key = await v.unlock('Sam Patel', '246810');
      const [[id, text]] = await v.list(key, 'Sam Patel', 'outbox');
      const uuid = id;
      for (let i = 1; i < count; i += 1) {
        const copy = crypto.randomUUID();
        await v.queue(key, 'Sam Patel', copy, text.split(uuid).join(copy));
      }
    }, count);
    await page.close();
    await fhir.control('fail', { count: 0 });
    const before = await fhir.control('stats');
    page = await context.newPage();
    await page.goto(url.replace(/token=[^&]*&/, ''));
    const started = Date.now();
    await signIn(page);
    await page.waitForFunction((n) => new RegExp(`${n} forms? waiting`).test(document.querySelector('#outbox')?.textContent ?? '') || !document.querySelector('#outbox'), count);
    await page.waitForFunction(() => !document.querySelector('#outbox'), null, { timeout: 600000 });
    const seconds = (Date.now() - started) / 1000;
    const posts = (await fhir.control('stats')).posts - before.posts;
    const total = await fhir.search(`QuestionnaireResponse?subject=Patient/${patient.id}&_count=1000`);
    console.log(`\nflush ${count} queued submissions (${fhir.kind} server, loopback, ${posts} POSTs): ${seconds.toFixed(1)} s from sign-in to an empty outbox, ${(count / seconds).toFixed(0)} submissions/s; the server holds ${total.length}`);
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
  await fhir.close();
}
