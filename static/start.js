// The page's own start-up script, beside index.html rather than inside it, so that the
// Content-Security-Policy can forbid every inline script.
//
// Offline after the first visit: a service worker per app version (static/sw.js).
// A new version waits until someone chooses to reload, so it never swaps under a form.
if ('serviceWorker' in navigator) {
  // Ready to work offline once a worker serves this page (told to the app, which says so).
  const offlineReady = () => {
    if (!navigator.serviceWorker.controller) return;
    window.formwellOfflineReady = true;
    dispatchEvent(new Event('formwell-offline-ready'));
  };
  offlineReady();
  navigator.serviceWorker.addEventListener('controllerchange', offlineReady);
  window.addEventListener('load', async () => {
    let manifest;
    try {
      manifest = await (await fetch('asset-manifest.json', { cache: 'no-store' })).json();
    } catch {
      return; // offline: this page came from the cache, which is what it is for
    }
    const registration = await navigator.serviceWorker.register(`sw.js?v=${manifest.version}`);
    if (!registration) return; // a browser (or a test) that blocks service workers
    // The app owns <body>, so the offer is added beside it when it is needed.
    const offer = (worker) => {
      if (document.getElementById('update-offer')) return;
      const banner = document.createElement('div');
      banner.id = 'update-offer';
      banner.className = 'update-offer';
      banner.setAttribute('role', 'status');
      banner.textContent = 'A new version of Formwell is ready. ';
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'button secondary';
      button.textContent = 'Reload to update';
      button.onclick = () => {
        window.formwellReloading = true;
        worker.postMessage('skip-waiting');
      };
      banner.appendChild(button);
      document.body.appendChild(banner);
    };
    if (registration.waiting && navigator.serviceWorker.controller) offer(registration.waiting);
    registration.addEventListener('updatefound', () => {
      const worker = registration.installing;
      worker?.addEventListener('statechange', () => {
        if (worker.state === 'installed' && navigator.serviceWorker.controller) offer(worker);
      });
    });
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (window.formwellReloading) location.reload();
    });
  });
} else {
  window.formwellOfflineReady = 'unsupported';
}
