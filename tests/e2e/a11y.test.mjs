// axe-core (WCAG 2.2 A and AA) on every state a member of staff meets: the list of forms,
// each shipped template, a form with errors, the read-back, the confirmation dialog, a
// form not for the service, the sent page; and, with a record system, sign-in, choosing
// the person, a form waiting to send, the lock screen with a form waiting, and the list
// with drafts and the outbox. Each must have no violations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, startBackend, launch, newPage, openTemplate, tick, signIn, recordReady, fillHarmfulAndSubmit, fillHealthyEating,
  fillFamily, checkAndSend, newPerson, untilKept, accessibilityViolations } from './harness.mjs';

let server, fhir, browser;
before(async () => { server = await startServer(); fhir = await startBackend(server.url, 'medplum'); browser = await launch(); });
after(async () => { await browser?.close(); await server?.close(); await fhir?.close(); });

async function clean(page, state) {
  assert.deepEqual(await accessibilityViolations(page), [], state);
}

const shipped = ['family-registration', 'antenatal-education-attendance', 'breastfeeding-peer-support', 'change-of-contact-details',
  'healthy-eating-session', 'speech-language-check-2y'];

test('the list of forms and every shipped template', async () => {
  const page = await newPage(browser);
  await page.goto(`${server.url}/#/`);
  await page.waitForSelector('.template-list');
  await clean(page, 'home');
  for (const id of shipped) {
    const form = await openTemplate(browser, server, id);
    await clean(form, id);
    await form.close();
  }
  const midwifery = await openTemplate(browser, server, 'harmful-pregnancy-safeguarding-example', '?setting=midwifery');
  await clean(midwifery, 'harmful example, midwifery');
});

test('errors, the read-back, the confirmation dialog, not for this service, and sent', async () => {
  const page = await openTemplate(browser, server, 'speech-language-check-2y');
  await page.getByRole('button', { name: 'Check answers' }).click();
  await page.waitForSelector('#error-summary');
  await clean(page, 'a form with errors');

  const harmful = await openTemplate(browser, server, 'harmful-pregnancy-safeguarding-example', '?setting=midwifery&staff=Sam%20Patel');
  await fillHarmfulAndSubmit(harmful);
  await harmful.waitForSelector('#confirm-dialog');
  await clean(harmful, 'the confirmation dialog');
  await harmful.getByRole('button', { name: 'Cancel' }).click();
  await tick(harmful);
  await clean(harmful, 'the read-back');

  const blocked = await newPage(browser);
  await blocked.goto(`${server.url}/#/form/harmful-pregnancy-safeguarding-example`);
  await blocked.waitForSelector('#not-for-service');
  await clean(blocked, 'not for this service');

  const healthy = await openTemplate(browser, server, 'healthy-eating-session');
  await fillHealthyEating(healthy);
  await checkAndSend(healthy);
  await healthy.waitForSelector('#submitted');
  await clean(healthy, 'sent, with no record system');
});

test('with a record system: sign-in, choosing the person, waiting to send, the lock screen, drafts and the outbox', async () => {
  const context = await browser.newContext({ viewport: { width: 768, height: 1024 } });
  const page = await context.newPage();
  await page.goto(`${server.url}/?fhir=${encodeURIComponent(fhir.url)}&token=${fhir.tokenFor('community')}&staff=Sam%20Patel#/form/healthy-eating-session`);
  await page.waitForSelector('#staff-pin');
  await clean(page, 'sign-in');
  await signIn(page);
  await recordReady(page);
  await page.waitForSelector('#person-picker');
  await newPerson(fhir);
  await page.getByLabel('Name or NHS number').fill('Amina Begum');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForSelector('#found-people');
  await clean(page, 'choosing the person');
  await page.locator('#found-people button').first().click();
  await page.waitForSelector('form.questionnaire');
  await clean(page, 'a form for a person');
  await fhir.control('fail', { count: 1000, status: 503 });
  await fillHealthyEating(page);
  await checkAndSend(page);
  await page.waitForFunction(() => /not sent yet/.test(document.querySelector('.send-status.waiting')?.textContent ?? ''));
  await clean(page, 'waiting to send');
  await page.evaluate(() => { location.hash = '#/form/family-registration'; });
  await page.waitForSelector('form.questionnaire');
  await fillFamily(page, { half: true });
  await untilKept(page, 'draft', 1);
  await page.evaluate(() => { location.hash = '#/'; });
  await page.waitForSelector('#drafts .draft');
  await clean(page, 'the list with drafts and a form waiting');
  await page.getByRole('button', { name: 'Lock' }).click();
  await page.waitForSelector('.waiting-to-send');
  await clean(page, 'the lock screen with a form waiting');
  await fhir.control('fail', { count: 0 });
  await context.close();
});
