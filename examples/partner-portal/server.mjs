// The example portal's own back end: serves the page with the Formwell server's address
// filled in, and hands the partner token to the page at mount time (`/formwell-token`).
// A real portal would give it only to its signed-in users; the token stays out of the
// page's source either way. `node examples/partner-portal/server.mjs` with FORMWELL_URL,
// FORMWELL_TOKEN, and optionally PORTAL_PATIENT, PORTAL_PATIENT_NAME and PORT.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const types = { '.html': 'text/html; charset=utf-8', '.css': 'text/css', '.js': 'text/javascript' };

/** Starts the portal on 127.0.0.1 (`port` 0: any free one); `configure` says where Formwell is. */
export async function startPortal(port = 0) {
  let settings = { formwell: '', token: '', patient: '', patientName: '' };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname === '/formwell-token') {
      if (!settings.token) return res.writeHead(404).end();
      return res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end(settings.token);
    }
    if (url.pathname === '/blank.html') {
      // A page with the embedding script and nothing else, for measuring a mount.
      const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Blank</title><link rel="icon" href="data:,">`
        + `<script src="${settings.formwell}/formwell-embed.js"></script></head><body></body></html>`;
      return res.writeHead(200, { 'content-type': types['.html'] }).end(html);
    }
    const name = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    if (!['index.html', 'iframe.html', 'portal.css', 'portal.js', 'iframe.js'].includes(name)) return res.writeHead(404).end();
    let body = fs.readFileSync(path.join(here, name), 'utf8');
    if (name.endsWith('.html')) {
      const html = (s) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
      body = body.replaceAll('%FORMWELL%', html(settings.formwell)).replaceAll('%PATIENT%', html(settings.patient))
        .replaceAll('%PATIENT_NAME%', html(settings.patientName));
    }
    res.writeHead(200, { 'content-type': types[path.extname(name)] }).end(body);
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    configure: (next) => { settings = { ...settings, ...next }; },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const portal = await startPortal(Number(process.env.PORT ?? 8090));
  portal.configure({ formwell: process.env.FORMWELL_URL ?? 'http://127.0.0.1:8080', token: process.env.FORMWELL_TOKEN ?? '',
    patient: process.env.PORTAL_PATIENT ?? '', patientName: process.env.PORTAL_PATIENT_NAME ?? '' });
  console.log(`portal: ${portal.url} (Formwell at ${process.env.FORMWELL_URL ?? 'http://127.0.0.1:8080'})`);
}
