// The template studio, as a designer uses it: `formwell preview` on a folder of their
// templates, the JSON edited in the studio's editor (CodeMirror) beside the live preview,
// the findings, the impact lint for every setting, and what a filled preview would send.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, repo, tick, accessibilityViolations, startPreview } from './harness.mjs';

let preview, browser, folder;
before(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'formwell-studio-'));
  fs.copyFileSync(path.join(repo, 'templates/healthy-eating-session.json'), path.join(folder, 'healthy-eating-session.json'));
  preview = await startPreview(folder);
  browser = await launch();
});
after(async () => { await browser?.close(); preview?.close(); });

/** The studio open on the folder, at 1280 wide, once its first preview is up. */
async function openStudio() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  await page.goto(preview.url);
  await page.locator('#preview form.questionnaire').waitFor();
  return { context, page };
}

/** Replaces the editor's text as a designer would (select all, then type or paste), and
 * waits for the studio to have dealt with it. */
async function edit(page, text) {
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+A');
  const updated = page.evaluate(() => new Promise((resolve) => window.addEventListener('studio-updated', resolve, { once: true })));
  await page.keyboard.insertText(text);
  await updated;
  await tick(page);
}

const questionnaire = (items) => JSON.stringify({ resourceType: 'Questionnaire', status: 'draft', title: 'Studio test', item: items }, null, 2);
const twoQuestions = (extra = {}) => questionnaire([
  { linkId: 'agreed', type: 'boolean', text: 'Agreed to be contacted?' },
  { linkId: 'phone', type: 'string', text: 'Phone number', ...extra },
]);

test('an enableWhen typed into the editor changes the preview', async () => {
  const { context, page } = await openStudio();
  await edit(page, twoQuestions());
  await page.locator('#preview').getByText('Phone number').waitFor();
  await edit(page, twoQuestions({ enableWhen: [{ question: 'agreed', operator: '=', answerBoolean: true }] }));
  assert.equal(await page.locator('#preview').getByText('Phone number').count(), 0, 'hidden until agreed');
  await page.locator('#preview').getByRole('group', { name: 'Agreed to be contacted?' }).getByLabel('Yes').check();
  await page.locator('#preview').getByText('Phone number').waitFor();
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('a syntax error shows its line and keeps the last preview', async () => {
  const { context, page } = await openStudio();
  await edit(page, twoQuestions());
  await page.locator('#preview').getByText('Phone number').waitFor();
  const broken = twoQuestions().replace('"status": "draft",', '"status": "draft",,');
  await edit(page, broken);
  const line = broken.split('\n').findIndex((l) => l.includes(',,')) + 1;
  assert.match(await page.locator('#load-state').textContent(), new RegExp(`does not load \\(line ${line}\\)`));
  assert.equal(await page.locator('#preview').getByText('Phone number').count(), 1, 'the last good preview stays');
  await context.close();
});

test('choosing a finding moves the cursor to what it is about', async () => {
  const { context, page } = await openStudio();
  await edit(page, questionnaire([
    { linkId: 'name', type: 'string', text: 'Name' },
    { linkId: 'age', type: 'integer', text: 'Age', required: 'true' },
  ]));
  const finding = page.locator('#findings button', { hasText: 'Questionnaire.item[1].required' });
  await finding.click();
  const line = await page.evaluate(() => document.querySelector('.cm-activeLine')?.textContent ?? '');
  assert.match(line, /"required": "true"/);
  await context.close();
});

test('a blocked SNOMED code shows blocked under community and not under midwifery', async () => {
  const { context, page } = await openStudio();
  await edit(page, twoQuestions());
  assert.equal(await page.locator('#impact-community .severity').textContent(), 'allow');
  await edit(page, questionnaire([{
    linkId: 'pregnant', type: 'boolean', text: 'Is the parent pregnant?',
    code: [{ system: 'http://snomed.info/sct', code: '77386006', display: 'Pregnant' }],
    extension: [{ url: 'http://hl7.org/fhir/uv/sdc/StructureDefinition/sdc-questionnaire-observationExtract', valueBoolean: true }],
  }]));
  assert.equal(await page.locator('#impact-community .severity').textContent(), 'blocked');
  assert.notEqual(await page.locator('#impact-midwifery .severity').textContent(), 'blocked');
  const community = page.locator('.impact-table td[data-setting=community]');
  assert.match(await community.textContent(), /block.*Instead: /s, 'with what to do instead');
  await context.close();
});

test('filling the preview updates what it would send, sent nowhere', async () => {
  const { context, page } = await openStudio();
  await edit(page, twoQuestions());
  await page.locator('#preview').getByLabel('Phone number').fill('07700 900123');
  await page.locator('#tab-bundle').click();
  await page.waitForFunction(() => document.getElementById('panel-bundle').textContent.includes('07700 900123'));
  const bundle = JSON.parse(await page.locator('#panel-bundle').textContent());
  assert.equal(bundle.type, 'transaction');
  assert.deepEqual(bundle.entry.map((e) => e.resource.resourceType).sort(), ['Provenance', 'QuestionnaireResponse']);
  const response = JSON.parse(await page.locator('#panel-response').textContent());
  assert.equal(response.item.find((i) => i.linkId === 'phone').answer[0].valueString, '07700 900123');
  await context.close();
});

test('formwell preview reloads a template saved on disk, keeping the answers, and prints its findings', async () => {
  const { context, page } = await openStudio();
  const file = path.join(folder, 'healthy-eating-session.json');
  await page.locator('#preview').getByLabel('Session number').fill('4');
  const q = JSON.parse(fs.readFileSync(file, 'utf8'));
  q.title = 'Healthy eating, saved from another editor';
  q.item.push({ linkId: 'extra', type: 'string', text: 'A question added on disk', required: 'true' });
  const before = preview.printed.length;
  fs.writeFileSync(file, JSON.stringify(q, null, 2));
  await page.locator('#preview h1', { hasText: 'Healthy eating, saved from another editor' }).waitFor({ timeout: 15000 });
  assert.equal(await page.locator('#preview').getByLabel('Session number').inputValue(), '4', 'the answer given is kept');
  await page.locator('#preview').getByText('A question added on disk').waitFor();
  await new Promise((r) => setTimeout(r, 300));
  const terminal = preview.printed.slice(before).join('\n');
  assert.match(terminal, /healthy-eating-session\.json: .*Questionnaire\.item\[\d+\]\.required/, terminal);
  assert.match(terminal, /setting midwifery/, 'the lint for every setting is printed');
  await context.close();
});

test('a template opened from a file, dropped on the editor or from an address, previewed at each width, and downloaded as edited', async () => {
  const { context, page } = await openStudio();
  const file = path.join(folder, 'from-a-file.json');
  fs.writeFileSync(file, questionnaire([{ linkId: 'f', type: 'string', text: 'Opened from a file' }]));
  await page.locator('#open-file').setInputFiles(file);
  await page.locator('#preview').getByText('Opened from a file').waitFor();
  // Dropped onto the editor.
  const dropped = await page.evaluateHandle((text) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], 'dropped.json', { type: 'application/json' }));
    return transfer;
  }, questionnaire([{ linkId: 'd', type: 'string', text: 'Dropped on the editor' }]));
  await page.locator('#editor').dispatchEvent('drop', { dataTransfer: dropped });
  await page.locator('#preview').getByText('Dropped on the editor').waitFor();
  // From a web address (here, the folder's own file through formwell preview).
  await page.locator('#template-url').fill(`${new URL(preview.url).origin}/preview/templates/from-a-file.json`);
  await page.getByRole('button', { name: 'Open', exact: true }).click();
  await page.locator('#preview').getByText('Opened from a file').waitFor();
  for (const width of [320, 1280, 768]) {
    await page.locator(`[data-width="${width}"]`).click();
    assert.equal(await page.locator('#preview').evaluate((e) => e.getBoundingClientRect().width), width);
    assert.equal(await page.locator(`[data-width="${width}"]`).getAttribute('aria-pressed'), 'true');
  }
  await edit(page, questionnaire([{ linkId: 'f', type: 'string', text: 'Edited in the studio' }]));
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#download').click()]);
  assert.equal(download.suggestedFilename(), 'from-a-file.json');
  const saved = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
  assert.equal(saved.item[0].text, 'Edited in the studio');
  await context.close();
});

test('the studio passes axe (WCAG 2.2 A and AA), editor, preview and tabs included', async () => {
  const { context, page } = await openStudio();
  await edit(page, twoQuestions());
  await page.locator('#preview').getByText('Phone number').waitFor();
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.locator('#tab-bundle').click();
  assert.deepEqual(await accessibilityViolations(page), []);
  await context.close();
});
