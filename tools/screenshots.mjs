// Screenshots of the app at tablet size (768×1024) for docs/: the home page, and two
// templates, one of them part filled with its error summary showing.
// Run after a release build: `node tools/screenshots.mjs`.
import path from 'node:path';
import { startServer, launch, newPage, tick, option, repo } from '../tests/e2e/harness.mjs';

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
  console.log('screenshots written to docs/');
} finally {
  await browser.close();
  await server.close();
}
