// The code-impact guard in the browser: a template's impact summary; a template blocked
// for the service, not offered and explained before any question; and the confirmation
// dialog (confirm with a reason → sent with the decision; cancel → nothing sent; a change
// of address that contradicts itself cannot be confirmed, and the button says why).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, newPage, openTemplate, tick, option, fillHarmfulAndSubmit, checkAndSend, fillDate } from './harness.mjs';

let server, browser;
before(async () => { server = await startServer(); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); });

const open = (id, query) => openTemplate(browser, server, id, query);

test('a template shows what it writes before anyone fills it in', async () => {
  const page = await open('harmful-pregnancy-safeguarding-example', '?setting=midwifery');
  const summary = await page.locator('.impact').textContent();
  assert.match(summary, /This form can write 3 codes; 1 needs attention: child protection, child in need or looked-after child \(confirm\)/);
  assert.match(summary, /Used in: Midwifery/);
  assert.match(summary, /Rules version [0-9a-f]{16}/);
  const clean = await open('healthy-eating-session');
  assert.match(await clean.locator('.impact').textContent(), /This form can write 0 codes; none needs attention/);
  assert.deepEqual(page.consoleErrors, []);
});

test('a form blocked for the service is not offered, and says why and what to do instead before any question', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/#/`);
  await page.waitForSelector('#not-for-service-list');
  // Not among the forms staff choose from, but findable, with why.
  const offered = await page.locator('.template-group:not(.not-here) .template h3').allTextContents();
  assert.ok(!offered.some((t) => /Harmful example/.test(t)), offered.join(', '));
  assert.match(await page.locator('#not-for-service-list summary').textContent(), /Not for your service \(1\)/);
  await page.locator('#not-for-service-list summary').click();
  await page.locator('#not-for-service-list').getByRole('link', { name: /Harmful example/ }).click();
  await page.waitForSelector('#not-for-service');
  const text = await page.locator('#not-for-service').textContent();
  assert.match(text, /This form is not for the community and voluntary sector service/);
  assert.match(text, /Pregnancy status: Counts the person as pregnant/);
  assert.match(text, /What to do instead: /);
  assert.doesNotMatch(text, /change (your|the) answers?/i, 'never invites a false answer');
  assert.equal(await page.locator('form.questionnaire, input, select, textarea').count(), 0, 'no question is asked');
  assert.deepEqual(page.consoleErrors, []);
});

test('the same form from midwifery asks to confirm the child protection code, and cancel sends nothing', async () => {
  const page = await open('harmful-pregnancy-safeguarding-example', '?setting=midwifery&staff=Sam%20Patel');
  assert.match(await page.locator('.app-setting').textContent(), /Midwifery/);
  await fillHarmfulAndSubmit(page);
  const dialog = page.getByRole('dialog');
  assert.ok(await dialog.isVisible());
  assert.match(await dialog.textContent(), /Puts the child on the safeguarding register/);
  assert.match(await dialog.textContent(), /Seen by: GP practice, Health visiting/);
  const confirm = dialog.getByRole('button', { name: 'Confirm and send' });
  assert.ok(await confirm.isDisabled(), 'needs a tick and a reason');
  assert.match(await dialog.locator('#confirm-missing').textContent(), /To confirm: say why it is right to record; tick to say you have checked it with the person\./);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await tick(page);
  assert.equal(await page.getByRole('dialog').count(), 0);
  assert.equal(await page.locator('#response-json').count(), 0, 'cancel submits nothing');

  await page.locator('#send').click();
  await tick(page);
  await page.getByLabel('Why is this right to record?').fill('Plan confirmed at the case conference on 20 November');
  assert.ok(await confirm.isDisabled(), 'the reason alone is not enough');
  assert.match(await dialog.locator('#confirm-missing').textContent(), /To confirm: tick to say you have checked it with the person\./);
  await page.getByLabel('I have checked this with the person and it is right to record').check();
  await tick(page);
  await confirm.click();
  await tick(page);
  await page.waitForSelector('#decisions-json', { state: 'attached' });
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

/** Fills a change of address with the form's own answers about it, and goes to Send. */
async function changeAddress(page, { permanence, until, readBack }) {
  await option(page, 'What has changed?', 'Address').check();
  await tick(page);
  await page.getByLabel('Address line 1').fill('Flat 2, 9 Canal Street');
  await page.getByLabel('Town or city').fill('Manchester');
  await page.getByLabel('Postcode').fill('M1 3HE');
  await option(page, 'Is this a temporary or permanent address?', permanence).check();
  await tick(page);
  if (until) await fillDate(page, 'Until when?', until);
  await option(page, 'Have you read the new details back to the person?', readBack).check();
  await checkAndSend(page);
  return page.getByRole('dialog');
}

test('a change of address: the dialog takes temporary and the end date from the form, and warns once', async () => {
  const page = await open('change-of-contact-details', '?staff=Sam%20Patel');
  const dialog = await changeAddress(page, { permanence: 'Temporary', until: '2027-01-31', readBack: 'Yes' });
  assert.match(await dialog.textContent(), /national demographics service/);
  assert.match(await dialog.locator('#change-kind').textContent(), /Temporary, until 31 January 2027 \(as the form says\)/);
  assert.equal(await dialog.getByRole('radio').count(), 0, 'not asked again');
  // Address line, town, postcode and how long are one change of address: one warning,
  // listing each answer.
  assert.equal(await dialog.locator('.changes > li').count(), 1);
  const listed = await dialog.locator('.changes > li > ul > li').allTextContents();
  for (const answer of ['Address line 1: Flat 2, 9 Canal Street', 'Town or city: Manchester', 'Postcode: M1 3HE']) {
    assert.ok(listed.includes(answer), listed.join(' | '));
  }
  await dialog.getByLabel('Why is this right to record?').fill('Staying with family while the flat is repaired');
  await dialog.getByLabel('I have checked this with the person and it is right to record').check();
  await tick(page);
  await dialog.getByRole('button', { name: 'Confirm and send' }).click();
  await page.waitForSelector('#decisions-json', { state: 'attached' });
  const decisions = JSON.parse(await page.textContent('#decisions-json'));
  const address = decisions.filter((d) => d.category === 'demographics');
  assert.ok(address.length >= 3);
  assert.deepEqual(address[0].demographic_change, { change: 'temporary', until: '2027-01-31' });
  assert.equal(address[0].confirmed_by, 'Sam Patel');
});

test('a change of address cannot be confirmed with an end date in the past, or when it was not read back', async () => {
  for (const [answers, missing] of [
    [{ permanence: 'Temporary', until: '2020-01-31', readBack: 'Yes' }, /the end date is in the past: enter one from today/],
    [{ permanence: 'Permanent', readBack: 'No' }, /read the new details back to the person \(the form says you have not\)/],
  ]) {
    const page = await open('change-of-contact-details', '?staff=Sam%20Patel');
    const dialog = await changeAddress(page, answers);
    await dialog.getByLabel('Why is this right to record?').fill('Moved');
    await dialog.getByLabel('I have checked this with the person and it is right to record').check();
    await tick(page);
    const confirm = dialog.getByRole('button', { name: 'Confirm and send' });
    assert.ok(await confirm.isDisabled(), JSON.stringify(answers));
    assert.match(await dialog.locator('#confirm-missing').textContent(), missing);
    assert.equal(await confirm.getAttribute('aria-describedby'), 'confirm-missing', 'the disabled button says what is missing');
    await page.close();
  }
});
