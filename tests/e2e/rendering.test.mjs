// A keystroke redraws what it changed and nothing else: the app counts every drawing of an
// item and of a question's widget (`itemRenders`, exported by the wasm), and a key typed
// into a form of 100 items and of 1,000 items must draw the same few.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, newPage, tick } from './harness.mjs';
import { generatedQuestionnaire } from './generated.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

/** A generated form, served at an address of its own, opened in a new page. */
async function openGenerated(items) {
  const page = await newPage(browser);
  const address = `${server.url}/generated/${items}.json`;
  await page.route(address, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(generatedQuestionnaire(items)) }));
  await page.goto(`${server.url}/#/open?url=${encodeURIComponent(address)}`);
  await page.waitForSelector('form.questionnaire');
  await tick(page);
  return page;
}

const renders = (page) => page.evaluate(() => window.wasmBindings.itemRenders());

/** Items drawn by typing `text` into the question labelled `label`, one key at a time. */
async function drawnByTyping(page, label, text) {
  const field = page.getByLabel(label, { exact: true });
  await field.focus();
  const counts = [];
  for (const key of text) {
    const before = await renders(page);
    await field.press(key);
    await tick(page);
    counts.push((await renders(page)) - before);
  }
  return counts;
}

test('a keystroke redraws its question and the group it is in, however large the form', async () => {
  for (const items of [100, 1000]) {
    const page = await openGenerated(items);
    assert.ok(await renders(page) > items, `the first drawing drew every item of ${items}`);
    // Group 5's decimal: "1.2" changes only it (its dependant wants 1.5 or more). Each
    // key draws three: the question's item, its widget, and its group on the way.
    const counts = await drawnByTyping(page, 'Question 5 of group 5', '1.2');
    assert.deepEqual(counts, [3, 3, 3], `${items} items: drawn per key`);
    assert.equal(await page.getByLabel('Question 5 of group 5', { exact: true }).inputValue(), '1.2');
    assert.deepEqual(page.consoleErrors, []);
    await page.close();
  }
});

test('a key that shows a question draws it too, and nothing else', async () => {
  const page = await openGenerated(1000);
  assert.equal(await page.getByLabel('Question 6 of group 5', { exact: true }).count(), 0);
  // "2" is 1.5 or more: question 6 of the group appears (its item and widget drawn too).
  const [count] = await drawnByTyping(page, 'Question 5 of group 5', '2');
  assert.equal(await page.getByLabel('Question 6 of group 5', { exact: true }).count(), 1);
  assert.equal(count, 5);
  await page.close();
});

test('adding the tenth instance of a repeating group draws the new one, not the nine before it', async () => {
  const page = await openGenerated(100);
  const add = page.getByRole('button', { name: 'Add another: Group 4' });
  for (let i = 0; i < 8; i += 1) await add.click();
  await tick(page);
  const before = await renders(page);
  await add.click();
  await tick(page);
  const drawn = (await renders(page)) - before;
  assert.equal(await page.getByRole('button', { name: 'Remove this: Group 4' }).count(), 10);
  // The new group, its nine children and the widgets of the nine questions shown.
  assert.ok(drawn <= 20, `adding the tenth drew ${drawn}`);
  await page.close();
});

test('with only what changed drawn, repeats still say when they can be added and removed', async () => {
  // Crossing the minimum changes every instance's "Remove" button; reaching the maximum
  // disables "Add another": both drawn although no instance's own answers changed.
  const questionnaire = {
    resourceType: 'Questionnaire', status: 'active', title: 'Visits',
    item: [{
      linkId: 'visit', type: 'group', repeats: true, text: 'Visit',
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/questionnaire-maxOccurs', valueInteger: 3 }],
      item: [{ linkId: 'where', type: 'string', text: 'Where' }],
    }],
  };
  const page = await newPage(browser);
  const address = `${server.url}/generated/visits.json`;
  await page.route(address, (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(questionnaire) }));
  await page.goto(`${server.url}/#/open?url=${encodeURIComponent(address)}`);
  await page.waitForSelector('form.questionnaire');
  const add = page.getByRole('button', { name: 'Add another: Visit' });
  const remove = page.getByRole('button', { name: 'Remove this: Visit' });
  assert.equal(await remove.count(), 0, 'one instance cannot be removed');
  await add.click();
  await tick(page);
  assert.equal(await remove.count(), 2, 'two: both can be removed');
  await add.click();
  await tick(page);
  assert.equal(await remove.count(), 3);
  assert.equal(await add.isDisabled(), true, 'three is the most');
  await remove.first().click();
  await tick(page);
  assert.equal(await add.isDisabled(), false);
  await remove.first().click();
  await tick(page);
  assert.equal(await remove.count(), 0, 'back to one: it cannot be removed');
  assert.deepEqual(page.consoleErrors, []);
  await page.close();
});
