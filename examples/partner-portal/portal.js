// The portal's side of the JS API: the token from its own back end at mount time (it is
// never in the page's source), the person it knows, and its own "send" button.
(async () => {
  const element = document.getElementById('course-form');
  const status = document.getElementById('course-status');
  const progress = document.getElementById('course-progress');
  const answer = await fetch('/formwell-token', { credentials: 'same-origin' });
  const token = answer.ok ? (await answer.text()).trim() : undefined;
  try {
    const form = await window.Formwell.mount(element, {
      template: 'healthy-eating-session',
      fhir: element.dataset.fhir,
      token,
      patient: element.dataset.patient || undefined,
      patientName: element.dataset.patientName || undefined,
      setting: 'community',
      author: 'Riverside Family Hub website',
    });
    window.courseForm = form;
    form.on('change', ({ answered, required }) => { progress.textContent = `${answered} of ${required} required answers given`; });
    form.on('submitted', ({ locations }) => {
      const response = locations.find((l) => l.startsWith('QuestionnaireResponse/')) ?? '';
      status.textContent = `Sent to the hub: ${response.split('/_history')[0]}`;
    });
    form.on('error', ({ message }) => { status.textContent = `Not sent: ${message}`; });
    document.getElementById('course-send').addEventListener('click', () => {
      const problems = form.validate();
      status.textContent = problems.length ? `${problems.length} answer(s) still needed` : 'Checking…';
      form.submit();
    });
  } catch (e) {
    status.textContent = `The form could not be shown: ${e.message}`;
  }
})();
