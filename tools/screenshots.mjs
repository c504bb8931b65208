// Screenshots of the app for docs/, at tablet size (768×1024) and phone size (360×740):
// the staff journey around the person (choosing the person, checking the answers, sent,
// waiting to send, the lock screen with a form waiting), plus the home page and a form's
// error summary at tablet size, and the example partner portal (examples/partner-portal)
// at 1280 and 768 wide, and the template studio at 1280 wide. Each staff scene is acted as a member of staff would, on the
// independent FHIR server (tests/fhir-server); the portal runs on `formwell serve`.
// Run after a release build: `node tools/screenshots.mjs`.
import path from 'node:path';
import { startServer, startBackend, launch, newPage, tick, option, signIn, recordReady, fillHealthyEating, repo, startPreview } from '../tests/e2e/harness.mjs';
import { startPortal } from '../examples/partner-portal/server.mjs';

const server = await startServer();
const fhir = await startBackend(server.url, 'medplum');
const browser = await launch();
const size = (viewport) => `${viewport.width}x${viewport.height}`;

/** The person journey on one screen size: five screenshots. */
async function journey(viewport) {
  const shot = (page, name) => page.screenshot({ path: path.join(repo, 'docs', `${name}-${size(viewport)}.png`) });
  await fhir.create({ resourceType: 'Patient', name: [{ family: 'Begum', given: ['Amina'] }], birthDate: '1992-05-03' });
  await fhir.create({ resourceType: 'Patient', name: [{ family: 'Begum', given: ['Amina'] }], birthDate: '1990-01-10' });
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(`${server.url}/?fhir=${encodeURIComponent(fhir.url)}&token=${fhir.tokenFor('community')}&staff=Sam%20Patel#/form/healthy-eating-session`);
  await signIn(page);
  await recordReady(page);

  await page.waitForSelector('#person-picker');
  await page.getByLabel('Name or NHS number').fill('Amina Begum');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.waitForSelector('#found-people');
  await shot(page, 'choosing-a-person');

  await page.locator('#found-people button', { hasText: 'born 3 May 1992' }).first().click();
  await page.waitForSelector('form.questionnaire');
  await fillHealthyEating(page);
  await page.getByRole('button', { name: 'Check answers' }).click();
  await page.waitForSelector('#check-answers');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'check-answers');

  await page.locator('#send').click();
  await page.waitForSelector('.send-status.sent', { timeout: 30000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'sent');

  // Another of the same form, for the same person (chosen again from the people seen on
  // this tablet if the app asks).
  await page.getByRole('button', { name: 'Fill in another' }).click();
  await page.waitForSelector('#recent-people, form.questionnaire');
  if (await page.locator('#recent-people').count()) await page.locator('#recent-people button').first().click();
  await page.waitForSelector('form.questionnaire');
  // No internet: this one stays on the tablet, waiting.
  await context.setOffline(true);
  await fillHealthyEating(page);
  await page.getByRole('button', { name: 'Check answers' }).click();
  await page.waitForSelector('#check-answers');
  await page.locator('#send').click();
  await page.waitForSelector('.send-status.waiting', { timeout: 30000 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'waiting-to-send');

  await page.getByRole('button', { name: 'Lock' }).click();
  await page.waitForSelector('#staff-pin');
  await tick(page);
  await shot(page, 'lock-screen-with-a-waiting-form');
  await context.close();
}

try {
  for (const viewport of [{ width: 768, height: 1024 }, { width: 360, height: 740 }]) await journey(viewport);

  const page = await newPage(browser, { width: 768, height: 1024 });
  await page.goto(`${server.url}/#/`);
  await page.waitForSelector('.template-list');
  await page.screenshot({ path: path.join(repo, 'docs', 'home-768x1024.png') });

  await page.goto(`${server.url}/#/form/speech-language-check-2y`);
  await page.waitForSelector('form.questionnaire');
  await option(page, 'About how many words does the child use?', 'Fewer than 10').check();
  await page.getByRole('button', { name: 'Check answers' }).click();
  await page.waitForSelector('#error-summary');
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(repo, 'docs', 'speech-language-check-errors-768x1024.png') });
  // The example portal, with both forms mounted, on a record with a partner token.
  const portal = await startPortal();
  const own = await startBackend(server.url, 'formwell');
  try {
    const token = own.addToken('riverside-portal', 'community', portal.url, 'partner');
    const amina = await own.create({ resourceType: 'Patient', name: [{ family: 'Begum', given: ['Amina'] }] });
    portal.configure({ formwell: new URL(own.direct).origin, token, patient: `Patient/${amina.id}`, patientName: 'Amina Begum' });
    for (const width of [1280, 768]) {
      const context = await browser.newContext({ viewport: { width, height: 1000 } });
      const tab = await context.newPage();
      await tab.goto(`${portal.url}/`);
      await tab.locator('formwell-form form.questionnaire').waitFor();
      await tab.locator('#course-form form.questionnaire').waitFor();
      await tab.screenshot({ path: path.join(repo, 'docs', `partner-portal-${width}.png`) });
      await context.close();
    }
  } finally {
    await own.close();
    await portal.close();
  }
  // The studio, on the shipped templates, with the one that writes blocked codes open and
  // its preview filled in part.
  const studio = await startPreview(path.join(repo, 'templates'));
  try {
    const url = studio.url;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const tab = await context.newPage();
    await tab.goto(`${url}?template=harmful-pregnancy-safeguarding-example.json`);
    await tab.locator('.impact-table').waitFor();
    await tab.locator('#setting').selectOption('midwifery');
    await tab.locator('#preview form.questionnaire').waitFor();
    await tab.screenshot({ path: path.join(repo, 'docs', 'studio-1280.png') });
    await context.close();
  } finally {
    studio.close();
  }
  console.log('screenshots written to docs/');
} finally {
  await browser.close();
  await server.close();
  await fhir.close();
}
