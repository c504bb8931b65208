// Writes asset-manifest.json into a Trunk build: every file the app needs offline, and a
// version that changes whenever any of them does. The service worker caches exactly this
// list, under this version. (Run by tools/post-build.mjs.)
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function writeManifest(dir) {
  // What partners' portals use (the iframe mode; the embedding build is written later, in
  // embed/) is not part of the tablet's app.
  // Nor is the designers' studio.
  const skip = new Set(['asset-manifest.json', 'sw.js', 'embed.html', 'embed-frame.js', 'studio.html', 'studio.css']);
  // Every file, in folders too (wasm-bindgen puts the app's JS modules under snippets/).
  const files = fs.readdirSync(dir, { recursive: true })
    .map((f) => f.split(path.sep).join('/'))
    .filter((f) => !skip.has(f) && fs.statSync(path.join(dir, f)).isFile())
    .sort();
  const hash = crypto.createHash('sha256');
  for (const f of files) hash.update(f).update(fs.readFileSync(path.join(dir, f)));
  const manifest = { version: hash.digest('hex').slice(0, 16), files: ['./', ...files.map((f) => `./${f}`)] };
  fs.writeFileSync(path.join(dir, 'asset-manifest.json'), JSON.stringify(manifest));
  console.log(`asset-manifest: ${files.length} files, version ${manifest.version}`);
}
