// Minifies what Trunk leaves as written: the wasm-bindgen glue (an ES module, which
// Trunk's minifier cannot parse) and the partners' scripts, with terser. The glue's
// Subresource Integrity hash in index.html is written again to match. (Run by
// tools/post-build.mjs; every byte here is downloaded by every tablet and portal.)
import fs from 'node:fs';
import path from 'node:path';
import { rewriteIntegrity } from './integrity.mjs';

async function terser() {
  try {
    return (await import('terser')).minify;
  } catch {
    throw new Error('terser is not installed: run scripts/setup (it installs the npm packages in package-lock.json)');
  }
}

/** Minifies one JS file in place; `module`: an ES module. Returns [before, after] bytes. */
export async function minifyFile(file, module) {
  const minify = await terser();
  const source = fs.readFileSync(file, 'utf8');
  const result = await minify(source, { module, ecma: 2020, compress: { passes: 2 }, mangle: true, format: { comments: false } });
  fs.writeFileSync(file, result.code);
  return [source.length, result.code.length];
}

/** Minifies the glue and updates its integrity hash in the page. */
export async function minifyGlue(dir) {
  const glue = fs.readdirSync(dir).filter((f) => /^formwell-app-[0-9a-f]+\.js$/.test(f));
  if (glue.length !== 1) throw new Error(`minify: expected one wasm-bindgen glue in ${dir}, found ${glue.length}`);
  const file = path.join(dir, glue[0]);
  const [before, after] = await minifyFile(file, true);
  rewriteIntegrity(dir, glue[0]);
  console.log(`minify: ${glue[0]} ${before} → ${after} bytes`);
}
