// The embedding build's last step (scripts/build-app): names the embedding engine's files
// in dist/embed/ by a hash of their content (so a portal's browser never mixes versions),
// minifies its wasm-bindgen glue, and writes dist/formwell-embed.js from static/embed.js
// with those names and the app's stylesheet filled in, minified. Partners include it by
// this fixed name; it fetches the rest from beside itself.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { minifyFile } from './minify.mjs';

export const EMBED_SCRIPT = 'formwell-embed.js';

const hashOf = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex').slice(0, 16);

export async function writeEmbedScript(dir) {
  const embed = path.join(dir, 'embed');
  await minifyFile(path.join(embed, 'engine.js'), true);
  const wasm = `engine-${hashOf(path.join(embed, 'engine_bg.wasm'))}_bg.wasm`;
  fs.renameSync(path.join(embed, 'engine_bg.wasm'), path.join(embed, wasm));
  const glue = `engine-${hashOf(path.join(embed, 'engine.js'))}.js`;
  fs.renameSync(path.join(embed, 'engine.js'), path.join(embed, glue));
  const css = fs.readdirSync(dir).filter((f) => /^app-[0-9a-f]+\.css$/.test(f));
  if (css.length !== 1) throw new Error(`embed-script: expected one stylesheet in ${dir}, found ${css.length}`);
  const names = { __FORMWELL_GLUE__: `embed/${glue}`, __FORMWELL_WASM__: `embed/${wasm}`, __FORMWELL_CSS__: css[0] };
  const source = path.join(path.dirname(fileURLToPath(import.meta.url)), '../static/embed.js');
  let script = fs.readFileSync(source, 'utf8');
  for (const [placeholder, name] of Object.entries(names)) script = script.replaceAll(placeholder, name);
  const out = path.join(dir, EMBED_SCRIPT);
  fs.writeFileSync(out, script);
  const [, size] = await minifyFile(out, false);
  await minifyFile(path.join(dir, 'embed-frame.js'), false); // the iframe mode's script
  console.log(`embed-script: ${EMBED_SCRIPT} (${size} bytes) loading ${names.__FORMWELL_GLUE__}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeEmbedScript(process.argv[2] ?? 'dist').catch((e) => {
    console.error(`embed-script: ${e.message}`);
    process.exit(1);
  });
}
