// Trunk's post-build hook: first the page is made to fit its Content-Security-Policy
// (strict-page.mjs), then the service worker's list of files is written
// (asset-manifest.mjs), in that order, since the first adds files the second lists.
import { strictPage } from './strict-page.mjs';
import { writeManifest } from './asset-manifest.mjs';

const dir = process.env.TRUNK_STAGING_DIR ?? process.argv[2] ?? 'dist';
try {
  const moved = strictPage(dir);
  console.log(`strict-page: ${moved} inline script(s) moved to files`);
  writeManifest(dir);
} catch (e) {
  console.error(`post-build: ${e.message}`);
  process.exit(1);
}
