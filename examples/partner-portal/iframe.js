// The portal's side of the iframe mode: the token from its own back end, sent to the
// frame (and only to Formwell's origin) once it has loaded; what the frame says back is
// read only from that origin.
(() => {
  const frame = document.getElementById('course-frame');
  const formwell = new URL(frame.src).origin;
  const status = document.getElementById('frame-status');
  frame.addEventListener('load', async () => {
    const answer = await fetch('/formwell-token', { credentials: 'same-origin' });
    const token = answer.ok ? (await answer.text()).trim() : '';
    frame.contentWindow.postMessage({ type: 'formwell:mount', token, patient: frame.dataset.patient || undefined,
      patientName: frame.dataset.patientName || undefined, author: 'Riverside Family Hub website' }, formwell);
  });
  window.addEventListener('message', (event) => {
    if (event.origin !== formwell || event.source !== frame.contentWindow) return;
    const { type, detail } = event.data ?? {};
    if (type === 'formwell:ready') status.textContent = 'The form is ready.';
    if (type === 'formwell:submitted') {
      const response = detail.locations.find((l) => l.startsWith('QuestionnaireResponse/')) ?? '';
      status.textContent = `Sent to the hub: ${response.split('/_history')[0]}`;
    }
    if (type === 'formwell:error') status.textContent = `Not sent: ${detail.message}`;
  });
  document.getElementById('frame-send').addEventListener('click', () => {
    frame.contentWindow.postMessage({ type: 'formwell:submit' }, formwell);
  });
})();
