// Screenshots of the app at tablet size (768×1024) for docs/: the home page, two
// templates (one part filled with its error summary showing), and the home page of a
// signed-in member of staff with a draft and a form waiting to send.
// Run after a release build: `node tools/screenshots.mjs`.
import path from 'node:path';
import { startServer, startBackend, launch, newPage, tick, option, signIn, fillFamily, repo, recordReady } from '../tests/e2e/harness.mjs';

const server = await startServer();
const browser = await launch();
try {
  const page = await newPage(browser, { width: 768, height: 1024 });
  const shot = (name) => page.screenshot({ path: path.join(repo, 'docs', name) });

  await page.goto(`${server.url}/#/`);
  await page.waitForSelector('.template-list');
  await shot('home-768x1024.png');

  await page.goto(`${server.url}/#/form/healthy-eating-session`);
  await page.waitForSelector('form.questionnaire');
  await page.getByLabel('Session number').fill('3');
  await page.getByLabel('Portions of fruit and vegetables eaten yesterday').fill('5');
  await page.getByLabel('Confidence cooking a meal from scratch (0 to 10)').fill('7');
  await option(page, 'Recipes tried at home this week', 'Lentil soup').check();
  await shot('healthy-eating-session-768x1024.png');

  await page.goto(`${server.url}/#/form/speech-language-check-2y`);
  await page.waitForSelector('form.questionnaire');
  await page.getByLabel("Child's age in months").fill('40');
  await option(page, 'About how many words does the child use?', 'Fewer than 10').check();
  await page.getByRole('button', { name: 'Check and submit' }).click();
  await tick(page);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot('speech-language-check-errors-768x1024.png');
  // Signed in, with the record system down: a draft, and a form waiting to send.
  const fhir = await startBackend(server.url);
  try {
    const staffPage = await newPage(browser, { width: 768, height: 1024 });
    await staffPage.goto(`${server.url}/?fhir=${encodeURIComponent(fhir.url)}&token=${fhir.tokenFor('community')}#/form/healthy-eating-session`);
    await signIn(staffPage);
    await recordReady(staffPage);
    await fhir.control('fail', { count: 1000, status: 503 });
    await staffPage.getByLabel('Session number').fill('3');
    await staffPage.getByLabel('Session date').fill('2026-11-26');
    await staffPage.getByLabel('Portions of fruit and vegetables eaten yesterday').fill('5');
    await staffPage.getByLabel('Confidence cooking a meal from scratch (0 to 10)').fill('7');
    await staffPage.getByRole('button', { name: 'Check and submit' }).click();
    await staffPage.waitForSelector('.send-status.waiting');
    await staffPage.evaluate(() => { location.hash = '#/form/family-registration'; });
    await staffPage.waitForSelector('form.questionnaire');
    await fillFamily(staffPage, { half: true });
    await new Promise((r) => setTimeout(r, 500));
    await staffPage.evaluate(() => { location.hash = '#/'; });
    await staffPage.waitForSelector('#drafts .draft');
    await staffPage.evaluate(() => window.scrollTo(0, 0));
    await staffPage.screenshot({ path: path.join(repo, 'docs', 'signed-in-drafts-and-outbox-768x1024.png') });
  } finally {
    await fhir.close();
  }
  console.log('screenshots written to docs/');
} finally {
  await browser.close();
  await server.close();
}
