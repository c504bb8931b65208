// Trunk's post-build hook: first the page is made to fit its Content-Security-Policy
// (strict-page.mjs), then what Trunk leaves unminified is minified (minify.mjs: the
// wasm-bindgen glue, its integrity hash updated), then the service worker's list of
// files is written (asset-manifest.mjs), in that order, since the first two change files
// the last lists.
import { strictPage } from './strict-page.mjs';
import { writeManifest } from './asset-manifest.mjs';
import { minifyGlue } from './minify.mjs';

const dir = process.env.TRUNK_STAGING_DIR ?? process.argv[2] ?? 'dist';
try {
  const moved = strictPage(dir);
  console.log(`strict-page: ${moved} inline script(s) moved to files`);
  await minifyGlue(dir);
  writeManifest(dir);
} catch (e) {
  console.error(`post-build: ${e.message}`);
  process.exit(1);
}
