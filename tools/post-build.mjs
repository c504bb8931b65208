// Trunk's post-build hook: in a release build the wasm is optimised first, and, in the
// build scripts/build-app makes, the expressions moved into a module of their own
// (split-wasm.mjs, which edits the glue); then the page is made to fit its
// Content-Security-Policy (strict-page.mjs), then what Trunk leaves unminified is minified
// (minify.mjs: the wasm-bindgen glue, its integrity hash updated), then the service
// worker's list of files is written (asset-manifest.mjs), in that order, since each
// changes files the next ones read or list.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rewriteIntegrity } from './integrity.mjs';
import { splitWasm } from './split-wasm.mjs';
import { strictPage } from './strict-page.mjs';
import { writeManifest } from './asset-manifest.mjs';
import { minifyGlue } from './minify.mjs';

const dir = process.env.TRUNK_STAGING_DIR ?? process.argv[2] ?? 'dist';
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
try {
  if (process.env.TRUNK_PROFILE === 'release') {
    if (process.env.FORMWELL_SPLIT_WASM === '1') {
      const s = splitWasm(dir, root);
      console.log(`split-wasm: ${s.moved} functions moved; app ${s.app} bytes, ${s.file} ${s.expressions} bytes`);
    } else {
      // A plain `trunk build --release`: one module, optimised (index.html asks Trunk for
      // no wasm-opt, since the split needs the names it would strip).
      optimiseInPlace(dir);
    }
  }
  const moved = strictPage(dir);
  console.log(`strict-page: ${moved} inline script(s) moved to files`);
  await minifyGlue(dir);
  writeManifest(dir);
} catch (e) {
  console.error(`post-build: ${e.message}`);
  process.exit(1);
}

function optimiseInPlace(dir) {
  const wasm = fs.readdirSync(dir).filter((f) => /^formwell-app-[0-9a-f]+_bg\.wasm$/.test(f));
  if (wasm.length !== 1) throw new Error(`expected one wasm in ${dir}, found ${wasm.length}`);
  const file = path.join(dir, wasm[0]);
  execFileSync('wasm-opt', ['-Oz', '--strip-debug', '--all-features', file, '-o', file]);
  rewriteIntegrity(dir, wasm[0]);
}
