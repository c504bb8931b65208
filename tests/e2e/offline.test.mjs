// Offline after the first visit: the service worker keeps the app, its templates and its
// ruleset, so with the network gone a reload still opens the list and a form can be filled
// and completed; a new version is offered as "reload to update" and only takes over when
// chosen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer, launch, option, dist, repo, checkAndSend, fillDate } from './harness.mjs';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/** A copy of the build, so a test can publish a "new version" of it. */
function copyOfBuild() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'formwell-build-'));
  fs.cpSync(dist, root, { recursive: true });
  return root;
}

/** Opens the app and waits until the service worker controls the page with its cache full. */
async function firstVisit(context, url) {
  const page = await context.newPage();
  await page.goto(`${url}/#/`);
  await page.waitForSelector('.template-list');
  await page.waitForFunction(async () => {
    const registration = await navigator.serviceWorker.getRegistration();
    // Settled: a worker active and controlling the page, none still installing or waiting.
    if (!navigator.serviceWorker.controller || registration?.active?.state !== 'activated') return false;
    if (registration.installing || registration.waiting) return false;
    const names = (await caches.keys()).filter((n) => n.startsWith('formwell-'));
    if (names.length !== 1) return false;
    const cache = await caches.open(names[0]);
    // Installed means every file of the version is in the cache, the page itself included.
    const manifest = await (await fetch('asset-manifest.json', { cache: 'no-store' })).json();
    const cached = await Promise.all(manifest.files.map((f) => cache.match(f)));
    return cached.every(Boolean);
  }, null, { timeout: 20000, polling: 250 });
  // The visit is over when a new page, opened online, is itself served by the worker: the
  // registration is then stored for the next visit, not only running in this one.
  await page.waitForFunction(() => {
    window.formwellProbe ??= (async () => {
      for (;;) {
        const frame = document.createElement('iframe');
        frame.src = `./?probe=${Date.now()}`;
        frame.style.display = 'none';
        document.body.appendChild(frame);
        await new Promise((r) => { frame.onload = r; });
        const controlled = !!frame.contentWindow.navigator.serviceWorker.controller;
        frame.remove();
        if (controlled) return true;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    return window.formwellProbe;
  }, null, { timeout: 20000 });
  // The page says so, for staff to know the tablet can go offline now.
  await page.waitForFunction(() => /^Ready to work offline$/.test(document.querySelector('#offline-status')?.textContent.trim() ?? ''));
  return page;
}

test('after one visit, the app opens and a form completes with no network', async () => {
  const server = await startServer(copyOfBuild());
  const context = await browser.newContext({ viewport: { width: 768, height: 1024 } });
  try {
    await firstVisit(context, server.url);
    // No network: the server is gone, as on the next morning in a community hall.
    await server.close();
    const page = await context.newPage();
    await page.goto(`${server.url}/#/`);
    await page.waitForSelector('.template-list');
    assert.match(await page.locator('#offline-status').textContent(), /Ready to work offline/);
    await page.getByRole('link', { name: 'Healthy eating course: session record' }).click();
    await page.waitForSelector('.impact:not(.loading)');
    assert.match(await page.locator('.impact').textContent(), /can write 0 codes/, 'the ruleset came from the cache');
    await page.getByLabel('Session number').fill('2');
    await fillDate(page, 'Session date', '2026-11-25');
    await page.getByLabel('Portions of fruit and vegetables eaten yesterday').fill('4');
    await option(page, 'Confidence cooking a meal from scratch (0 to 10)', '6').check();
    await checkAndSend(page);
    await page.waitForSelector('#response-json', { state: 'attached' });
  } finally {
    await context.close();
  }
});

test('a new version is offered, and takes over only when chosen', async () => {
  const root = copyOfBuild();
  const server = await startServer(root);
  const context = await browser.newContext({ viewport: { width: 768, height: 1024 } });
  try {
    const page = await firstVisit(context, server.url);
    const before = await page.evaluate(async () => (await caches.keys()).filter((n) => n.startsWith('formwell-')));
    // Publish a new version: a changed file and a new manifest.
    fs.writeFileSync(path.join(root, 'formwell.config.json'), JSON.stringify({ setting: 'community', note: 'new version' }));
    execFileSync(process.execPath, [path.join(repo, 'tools/post-build.mjs'), root]);
    // Someone is half-way through a form when the new version arrives.
    await page.getByRole('link', { name: 'Family registration' }).click();
    await page.waitForSelector('form.questionnaire');
    await page.getByRole('textbox', { name: 'First name', exact: true }).fill('Amina');
    await page.evaluate(async () => {
      const manifest = await (await fetch('asset-manifest.json', { cache: 'no-store' })).json();
      await navigator.serviceWorker.register(`sw.js?v=${manifest.version}`);
    });
    await page.waitForSelector('#update-offer', { timeout: 20000 });
    assert.equal(await page.getByRole('textbox', { name: 'First name', exact: true }).inputValue(), 'Amina', 'nothing swapped under the form');
    const during = await page.evaluate(async () => (await caches.keys()).filter((n) => n.startsWith('formwell-')));
    assert.equal(during.length, 2, 'the new version waits beside the old');
    await page.getByRole('button', { name: 'Reload to update' }).click();
    await page.waitForFunction((old) => caches.keys().then((k) => { const f = k.filter((n) => n.startsWith('formwell-')); return f.length === 1 && f[0] !== old; }), before[0], { timeout: 20000 });
    await page.waitForSelector('.template-list, form.questionnaire');
  } finally {
    await context.close();
    await server.close();
  }
});
