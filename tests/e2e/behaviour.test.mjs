// What a person notices while filling a form: messages for invalid answers, submit blocked
// with an error summary, repeats added and removed, questions appearing and disappearing,
// and templates opened from a web address.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, newPage, openTemplate, tick, option } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const open = (id) => openTemplate(browser, server, id);

test('an invalid answer shows its message and blocks submit', async () => {
  const page = await open('speech-language-check-2y');
  const age = page.getByLabel("Child's age in months");
  await age.fill('two');
  await tick(page);
  assert.equal(await page.locator('.error-message').count(), 0, 'no message moves the page while typing');
  await page.getByRole('button', { name: 'Check answers' }).click();
  await tick(page);
  assert.match(await page.locator('.error-message').first().textContent(), /Enter a whole number, like 12/);
  await age.fill('40');
  await tick(page);
  assert.match(await page.locator('.error-message').first().textContent(), /Enter a whole number from 18 to 36/, 'after a submit, messages follow each change');

  await page.getByRole('button', { name: 'Check answers' }).click();
  await tick(page);
  const summary = page.locator('#error-summary');
  assert.ok(await summary.isVisible(), 'the error summary shows');
  assert.equal(await summary.locator('h2').textContent(), 'There is a problem');
  const links = await summary.locator('a').allTextContents();
  assert.deepEqual(links, [
    "Child's age in months: Enter a whole number from 18 to 36",
    'About how many words does the child use?: Answer this question',
    'Does the child put two words together ("more milk", "daddy gone")?: Answer this question',
    'Does the child follow a simple instruction ("get your shoes")?: Answer this question',
  ]);
  assert.equal(await page.locator('#response-json').count(), 0, 'nothing was submitted');

  await summary.locator('a').first().click();
  await tick(page);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'child-age-months', 'the link moves focus to the field');
  assert.deepEqual(page.consoleErrors, []);
});

test('a repeat can be added and removed', async () => {
  const page = await open('family-registration');
  const names = () => page.getByRole('textbox', { name: "Child's first name" });
  assert.equal(await names().count(), 1);
  await page.getByRole('button', { name: 'Add another: Child' }).click();
  await tick(page);
  assert.equal(await names().count(), 2);
  await names().nth(0).fill('Rafi');
  await names().nth(1).fill('Noor');
  await page.getByRole('button', { name: 'Remove this: Child' }).first().click();
  await tick(page);
  assert.equal(await names().count(), 1);
  assert.equal(await names().first().inputValue(), 'Noor', 'the first child was removed, the second kept');
  assert.equal(await page.getByRole('button', { name: 'Remove this: Child' }).count(), 0, 'the last instance cannot be removed');
  assert.deepEqual(page.consoleErrors, []);
});

test('an enableWhen-controlled question appears and disappears', async () => {
  const page = await open('family-registration');
  const which = page.getByLabel('Which language?');
  assert.equal(await which.count(), 0);
  await page.getByLabel('Preferred language').selectOption({ label: 'Other' });
  await tick(page);
  assert.ok(await which.isVisible());
  await which.fill('Tigrinya');
  await page.getByLabel('Preferred language').selectOption({ label: 'English' });
  await tick(page);
  assert.equal(await which.count(), 0);
  // Chosen again, the typed answer is still there.
  await page.getByLabel('Preferred language').selectOption({ label: 'Other' });
  await tick(page);
  assert.equal(await which.inputValue(), 'Tigrinya');
});

test('a template opens from a web address, and a broken one says why in plain words', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/#/open?url=${encodeURIComponent(`${server.url}/corpus/lforms__phq9.json`)}`);
  await page.waitForSelector('form.questionnaire');
  assert.match(await page.locator('h1').textContent(), /PHQ/i);

  await page.goto(`${server.url}/#/open?url=${encodeURIComponent(`${server.url}/corpus/lforms__q-enableWhen-with-reference-loop.json`)}`);
  await page.waitForSelector('.error-summary');
  const text = await page.locator('.error-summary').textContent();
  assert.match(text, /is not a form this app can open/);
  assert.match(text, /enableWhen conditions form a loop/);

  // Only the hash changes: wait for this address's answer, not the last one's summary.
  await page.goto(`${server.url}/#/open?url=${encodeURIComponent(`${server.url}/corpus/no-such-file.json`)}`);
  await page.waitForFunction(() => /no-such-file/.test(document.querySelector('.error-summary')?.textContent ?? ''));
  assert.match(await page.locator('.error-summary').textContent(), /answered 404/);
});

test('tablet first: no horizontal scrolling at 320px, touch targets at least 44px', async () => {
  for (const width of [320, 768]) {
    const page = await newPage(browser, { width, height: 900 });
    for (const id of ['family-registration', 'healthy-eating-session', 'change-of-contact-details']) {
      await page.goto(`${server.url}/#/form/${id}`);
      await page.waitForSelector('form.questionnaire');
      if (id === 'change-of-contact-details') {
        await option(page, 'What has changed?', 'Address').check();
        await tick(page);
      }
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${id} at ${width}px scrolls sideways by ${overflow}px`);
      const small = await page.evaluate(() => [...document.querySelectorAll('.input, .select, .textarea, button, .radio, .checkbox, input[type=range]')]
        .filter((e) => e.getBoundingClientRect().height < 44)
        .map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().height)}px`));
      assert.deepEqual(small, [], `${id} at ${width}px`);
    }
    await page.close();
  }
});

test('a pattern (the regex extension) is checked in the browser against the whole answer', async () => {
  // The app lends the engine the browser's RegExp: this is the path tablets run.
  const page = await open('family-registration');
  const postcode = page.getByLabel('Postcode');
  await postcode.fill('E1 6AN extra');
  await page.getByRole('button', { name: 'Check answers' }).click();
  await tick(page);
  const summary = await page.locator('#error-summary').textContent();
  assert.match(summary, /Postcode: Enter it in the format/, 'a match of only part of the answer is no match');
  await postcode.fill('E1 6AN');
  await tick(page);
  assert.doesNotMatch(await page.locator('#error-summary').textContent(), /Postcode/);
  assert.deepEqual(page.consoleErrors, []);
});
