// The code-impact guard in the browser: a template's impact summary, a blocked submission
// that sends nothing, and the confirmation dialog (confirm with a reason → submitted with
// the decision; cancel → nothing submitted).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openTemplate, tick, option, fillHarmfulAndSubmit } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const open = (id, query) => openTemplate(browser, server, id, query);

test('a template shows what it writes before anyone fills it in', async () => {
  const page = await open('harmful-pregnancy-safeguarding-example');
  const summary = await page.locator('.impact').textContent();
  assert.match(summary, /This form can write 3 codes; 3 need attention: pregnancy status \(blocked\)/);
  assert.match(summary, /Used in: Community and voluntary sector/);
  assert.match(summary, /Counts the person as pregnant/);
  assert.match(summary, /Rules version [0-9a-f]{16}/);
  const clean = await open('healthy-eating-session');
  assert.match(await clean.locator('.impact').textContent(), /This form can write 0 codes; none needs attention/);
  assert.deepEqual(page.consoleErrors, []);
});

test('a blocked entry stops the submission, says why and what to do instead', async () => {
  const page = await open('harmful-pregnancy-safeguarding-example');
  await fillHarmfulAndSubmit(page);
  const blocked = page.locator('#blocked');
  assert.ok(await blocked.isVisible());
  const text = await blocked.textContent();
  assert.match(text, /This form cannot be submitted from here/);
  assert.match(text, /Is the parent pregnant\?: Yes would be recorded as pregnancy status/);
  assert.match(text, /Expected delivery date: 1 April 2027/);
  assert.match(text, /What to do instead: Follow your safeguarding procedure/);
  assert.equal(await page.locator('#response-json').count(), 0, 'nothing was submitted');
});

test('the same form from midwifery asks to confirm the child protection code, and cancel sends nothing', async () => {
  const page = await open('harmful-pregnancy-safeguarding-example', '?setting=midwifery&staff=Sam%20Patel');
  assert.match(await page.locator('.app-setting').textContent(), /Midwifery/);
  await fillHarmfulAndSubmit(page);
  const dialog = page.getByRole('dialog');
  assert.ok(await dialog.isVisible());
  assert.match(await dialog.textContent(), /Puts the child on the safeguarding register/);
  assert.match(await dialog.textContent(), /Seen by: GP practice, Health visiting/);
  const confirm = dialog.getByRole('button', { name: 'Confirm and submit' });
  assert.ok(await confirm.isDisabled(), 'needs a tick and a reason');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await tick(page);
  assert.equal(await page.getByRole('dialog').count(), 0);
  assert.equal(await page.locator('#response-json').count(), 0, 'cancel submits nothing');

  await page.getByRole('button', { name: 'Check and submit' }).click();
  await tick(page);
  await page.getByLabel('Why is this right to record?').fill('Plan confirmed at the case conference on 20 November');
  assert.ok(await confirm.isDisabled(), 'the reason alone is not enough');
  await page.getByLabel('I have checked this with the person and it is right to record').check();
  await tick(page);
  await confirm.click();
  await tick(page);
  await page.waitForSelector('#decisions-json');
  const decisions = JSON.parse(await page.textContent('#decisions-json'));
  const cpp = decisions.find((d) => d.category === 'child_protection');
  assert.equal(cpp.severity, 'confirm');
  assert.equal(cpp.confirmed_by, 'Sam Patel');
  assert.equal(cpp.reason, 'Plan confirmed at the case conference on 20 November');
  assert.match(cpp.confirmed_at, /^\d{4}-\d\d-\d\dT/);
  assert.equal(cpp.setting, 'midwifery');
  assert.match(cpp.ruleset_version, /^[0-9a-f]{16}$/);
  assert.equal(decisions.find((d) => d.category === 'pregnancy_status').severity, 'allow');
  const response = JSON.parse(await page.textContent('#response-json'));
  assert.equal(response.status, 'completed');
  assert.deepEqual(page.consoleErrors, []);
});

test('a change of address asks whether it is temporary, and records the answer', async () => {
  const page = await open('change-of-contact-details');
  await option(page, 'What has changed?', 'Address').check();
  await tick(page);
  await page.getByLabel('Address line 1').fill('Flat 2, 9 Canal Street');
  await page.getByLabel('Town or city').fill('Manchester');
  await page.getByLabel('Postcode').fill('M1 3HE');
  await option(page, 'Is this a temporary or permanent address?', 'Permanent').check();
  await option(page, 'Have you read the new details back to the person?', 'Yes').check();
  await page.getByRole('button', { name: 'Check and submit' }).click();
  await tick(page);
  const dialog = page.getByRole('dialog');
  assert.match(await dialog.textContent(), /national demographics service/);
  await dialog.getByLabel('Temporary: recorded beside the current details, until a date').check();
  await tick(page);
  await dialog.getByLabel('Until (if known)').fill('2027-01-31');
  await dialog.getByLabel('Why is this right to record?').fill('Staying with family while the flat is repaired');
  await dialog.getByLabel('I have checked this with the person and it is right to record').check();
  await tick(page);
  await dialog.getByRole('button', { name: 'Confirm and submit' }).click();
  await page.waitForSelector('#decisions-json');
  const decisions = JSON.parse(await page.textContent('#decisions-json'));
  const address = decisions.filter((d) => d.category === 'demographics');
  assert.ok(address.length >= 3);
  assert.deepEqual(address[0].demographic_change, { change: 'temporary', until: '2027-01-31' });
  assert.equal(address[0].confirmed_by, '(staff member not named)');
});
