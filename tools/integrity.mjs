// Writes again the Subresource Integrity hash index.html holds for a file of the build,
// after a step changed the file (wasm-opt, the split, the minifier).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function rewriteIntegrity(dir, name) {
  const integrity = `sha384-${crypto.createHash('sha384').update(fs.readFileSync(path.join(dir, name))).digest('base64')}`;
  const page = path.join(dir, 'index.html');
  const html = fs.readFileSync(page, 'utf8');
  let found = false;
  const updated = html.replace(/<link\b[^>]*>/g, (tag) => {
    if (!tag.includes(name)) return tag;
    found = true;
    return tag.replace(/integrity=("[^"]*"|[^ >]+)/, `integrity=${integrity}`);
  });
  // Trunk writes an integrity hash for each file it links; one missing means its page changed.
  if (!found && html.includes('integrity=')) throw new Error(`no integrity for ${name} in ${page}`);
  fs.writeFileSync(page, updated);
}
