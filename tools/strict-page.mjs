// Makes a Trunk build fit its Content-Security-Policy (crates/server/src/http.rs, which
// forbids every inline script) and safe to publish:
//
//  - every inline <script> of index.html (Trunk writes one to start the wasm) is moved to
//    a file of its own beside it, named by its content's hash, and loaded from there;
//  - a formwell.config.json that holds a token stops the build: the file is served to
//    anyone and kept by the service worker, so a token in it is public. Each member of
//    staff gets their own link instead (`formwell token add`, README).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Applies both rules to the build in `dir`; throws, saying why, when the build is unsafe. */
export function strictPage(dir) {
  const config = path.join(dir, 'formwell.config.json');
  if (fs.existsSync(config)) {
    const json = JSON.parse(fs.readFileSync(config, 'utf8'));
    if (json && typeof json === 'object' && 'token' in json) {
      throw new Error(`${config} holds a token. That file is public (anyone can fetch it, and every tablet's `
        + 'service worker keeps it), so a token must not be in it: remove it, and give each member of staff '
        + 'their own link with `formwell token add` (see README, "Tokens").');
    }
  }
  const page = path.join(dir, 'index.html');
  let html = fs.readFileSync(page, 'utf8');
  let moved = 0;
  html = html.replace(/<script\b([^>]*)>([\s\S]*?)<\/script>/g, (whole, attributes, body) => {
    if (/\bsrc\s*=/.test(attributes) || body.trim() === '') return whole;
    const name = `inline-${crypto.createHash('sha256').update(body).digest('hex').slice(0, 16)}.js`;
    fs.writeFileSync(path.join(dir, name), body.trim() + '\n');
    moved += 1;
    return `<script${attributes} src="./${name}"></script>`;
  });
  if (/\son[a-z]+\s*=/i.test(html.replace(/<script[\s\S]*?<\/script>/g, ''))) {
    throw new Error(`${page} has an inline event handler, which the Content-Security-Policy forbids`);
  }
  fs.writeFileSync(page, html);
  return moved;
}
