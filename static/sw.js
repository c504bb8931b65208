// Formwell's service worker: after the first visit the app, its templates and its ruleset
// open with no network. Each worker is registered for one version of the app
// (`sw.js?v=<version>`, from asset-manifest.json, written at build time) and serves that
// version's files from its own cache. A new version installs in the background and waits:
// the page offers "reload to update", and the new version takes over only when someone
// chooses it, never under a half-filled form. Requests to the record system are never
// cached.
const VERSION = new URL(self.location.href).searchParams.get('v') ?? 'unversioned';
const CACHE = `formwell-${VERSION}`;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const manifest = await (await fetch('./asset-manifest.json', { cache: 'no-store' })).json();
    const cache = await caches.open(CACHE);
    await cache.addAll(manifest.files.map((f) => new Request(f, { cache: 'reload' })));
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith('formwell-') && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  const url = new URL(request.url);
  // Same-origin GETs only; the record system (/fhir, or another origin) goes to the network.
  if (request.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/fhir')) return;
  if (url.pathname.endsWith('/asset-manifest.json')) return;
  if (url.pathname.endsWith('/formwell.config.json')) {
    // The configuration can change without a new version: the network first, the copy
    // from the last visit when there is none.
    event.respondWith(fetch(request).catch(async () => (await caches.open(CACHE)).match(request, { ignoreSearch: true })));
    return;
  }
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(request, { ignoreSearch: true });
    if (hit) return hit;
    if (request.mode === 'navigate') {
      const shell = await cache.match('./');
      if (shell) return shell;
    }
    return fetch(request);
  })());
});
