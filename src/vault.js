// What the app keeps on a shared tablet: drafts and the outbox in IndexedDB, every record
// encrypted with AES-GCM under a key derived from the staff member's PIN (PBKDF2-SHA256).
// The key is made non-extractable and handed to the app, which holds it in memory only;
// this module keeps no key. In the clear are only what finds a record (whose it is, and
// whether it is a draft or a queued submission) and each member of staff's salt; those
// are bound to the ciphertext as AES-GCM additional data, so a record moved to another id,
// owner or kind no longer decrypts.
//
// Row format: { id, staff, kind, v: 1, iv, data }. Rows without `v` (format 0) were sealed
// without additional data; they are read and sealed again in format 1 on first use.
//
// This is a script of its own, not web-sys calls from Rust, because IndexedDB's event API
// and WebCrypto's dictionaries cost several times more wasm glue than these few functions.
// A classic script (window.formwellVault), not an ES module, so that Trunk minifies it and
// the wasm-bindgen glue alike.
window.formwellVault = (() => {

const DB_NAME = 'formwell';
// OWASP Password Storage Cheat Sheet: PBKDF2-HMAC-SHA256 with 600,000 iterations.
const ITERATIONS = 600000;
// Encrypted with each member of staff's key, so a wrong PIN shows as a failed decryption.
const CHECK = 'formwell-pin-check';

let opening;
function db() {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      const d = request.result;
      d.createObjectStore('staff', { keyPath: 'staff' });
      d.createObjectStore('records', { keyPath: 'id' }).createIndex('owner', ['staff', 'kind']);
    };
    request.onsuccess = () => {
      // Another tab upgrading the database: close ours so it can, and open again on next use.
      request.result.onversionchange = () => { request.result.close(); opening = undefined; };
      resolve(request.result);
    };
    request.onerror = () => { opening = undefined; reject(request.error); };
  });
  return opening;
}

/** Runs `work(stores)` in one transaction; resolves with its result once it is committed. */
async function inTransaction(names, mode, work) {
  const tx = (await db()).transaction(names, mode, { durability: 'strict' });
  const stores = names.map((n) => tx.objectStore(n));
  let value;
  const committed = new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve(value);
    tx.onabort = tx.onerror = () => {
      // The browser weighs the quota when a connection opens: after "full", the next
      // change opens a new one, so room made since (by this app or any other) is seen.
      if (tx.error?.name === 'QuotaExceededError') tx.db.close(), opening = undefined;
      reject(tx.error ?? new Error('the tablet storage refused the change'));
    };
  });
  value = await work(...stores);
  return committed;
}

const asPromise = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function derive(pin, salt, iterations) {
  const material = await crypto.subtle.importKey('raw', encoder.encode(pin), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, material,
    { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

// The current row format, and what each kind of row binds to its ciphertext.
const FORMAT = 1;
const recordData = (id, staff, kind) => encoder.encode(`formwell-record/${FORMAT}\n${id}\n${staff}\n${kind}`);
const checkData = (staff) => encoder.encode(`formwell-check/${FORMAT}\n${staff}`);

async function seal(key, text, additionalData) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  return { iv, data: await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData }, key, encoder.encode(text)) };
}

/** Decrypts a sealed value; undefined when it does not decrypt with this key and data. */
async function open(key, sealed, additionalData) {
  try {
    const params = additionalData ? { name: 'AES-GCM', iv: sealed.iv, additionalData } : { name: 'AES-GCM', iv: sealed.iv };
    return decoder.decode(await crypto.subtle.decrypt(params, key, sealed.data));
  } catch {
    return undefined;
  }
}

/** A record row of either format, decrypted; a format 0 row is sealed again as format 1
 * (its own transaction: a reader may not hold up the rest). Throws, naming the record,
 * when it does not decrypt: damaged, or moved from another id, owner or kind. */
async function unsealRecord(key, row) {
  const legacy = row.v === undefined;
  const text = await open(key, row, legacy ? undefined : recordData(row.id, row.staff, row.kind));
  if (text === undefined) {
    const error = new Error(`the record ${row.id} on this tablet is damaged or was changed, so it cannot be read`);
    error.name = 'Unreadable';
    throw error;
  }
  if (legacy) {
    const sealed = await seal(key, text, recordData(row.id, row.staff, row.kind));
    await inTransaction(['records'], 'readwrite', (r) => { r.put({ id: row.id, staff: row.staff, kind: row.kind, v: FORMAT, ...sealed }); });
  }
  return text;
}

/** Whether this member of staff has set a PIN on this tablet. */
async function staffKnown(staff) {
  return (await inTransaction(['staff'], 'readonly', (s) => asPromise(s.get(staff)))) !== undefined;
}

/** Names are the same whatever their case and spacing: "  sam  PATEL " is Sam Patel. */
const sameName = (name) => name.trim().replace(/\s+/g, ' ').toLowerCase();

/** The name as this tablet knows it, for a name as typed; the typed name, tidied, for
 * someone new. */
async function resolveStaff(typed) {
  const known = await inTransaction(['staff'], 'readonly', (s) => asPromise(s.getAllKeys()));
  return known.find((k) => sameName(k) === sameName(typed)) ?? typed.trim().replace(/\s+/g, ' ');
}

/** Who uses this tablet, and how many forms each has waiting to send (counted without
 * any key: whose a record is and what kind are kept in the clear): [[name, waiting]]. */
async function people() {
  return inTransaction(['staff', 'records'], 'readonly', async (s, r) => {
    const names = await asPromise(s.getAllKeys());
    const out = [];
    for (const name of names) out.push([name, await asPromise(r.index('owner').count([name, 'outbox']))]);
    return out;
  });
}

/** A new member of staff on this tablet: a salt of their own, and their key. */
async function enrol(staff, pin) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const key = await derive(pin, salt, ITERATIONS);
  const check = await seal(key, CHECK, checkData(staff));
  await inTransaction(['staff'], 'readwrite', (s) => s.add({ staff, salt, iterations: ITERATIONS, check, v: FORMAT }));
  return key;
}

// Wrong PINs allowed in a row before the tablet makes the next person wait, and the first
// wait (doubling with each further wrong PIN). It slows guessing at the tablet; it cannot
// stop an attack on a copy of the storage, which only the PIN's length resists.
const FREE_TRIES = 5;
const FIRST_WAIT_MS = 30000;

/** The key from a member of staff's PIN; a wrong PIN is an error named WrongPin, and
 * after too many, one named TooManyTries (with `seconds` to wait) until the wait is over. */
async function unlock(staff, pin) {
  // One try at a time per name, across every tab: the count of wrong PINs is read, judged
  // and written back whole, so tries made in two tabs at once are all counted.
  return withLock(`formwell-pin-${staff}`, async () => {
    const entry = await inTransaction(['staff'], 'readonly', (s) => asPromise(s.get(staff)));
    if (!entry) throw new Error(`No one called ${staff} has set a PIN on this tablet.`);
    const waitMs = (entry.lockedUntil ?? 0) - Date.now();
    if (waitMs > 0) {
      const error = new Error('too many wrong PINs');
      error.name = 'TooManyTries';
      error.seconds = Math.ceil(waitMs / 1000);
      throw error;
    }
    const key = await derive(pin, entry.salt, entry.iterations);
    const legacy = entry.v === undefined;
    const text = await open(key, entry.check, legacy ? undefined : checkData(staff));
    if (text === undefined) {
      const failures = (entry.failures ?? 0) + 1;
      const lockedUntil = failures >= FREE_TRIES ? Date.now() + FIRST_WAIT_MS * 2 ** (failures - FREE_TRIES) : 0;
      await inTransaction(['staff'], 'readwrite', (s) => { s.put({ ...entry, failures, lockedUntil }); });
      const error = new Error("That PIN does not open this tablet's records for this name.");
      error.name = 'WrongPin';
      throw error;
    }
    if (text !== CHECK) throw new Error("This tablet's PIN record is damaged.");
    if (entry.failures || legacy) {
      const check = legacy ? await seal(key, CHECK, checkData(staff)) : entry.check;
      await inTransaction(['staff'], 'readwrite', (s) => { s.put({ ...entry, check, v: FORMAT, failures: 0, lockedUntil: 0 }); });
    }
    return key;
  });
}

/** Keeps a record (a draft, a queued submission), encrypted, replacing one with its id. */
async function put(key, staff, kind, id, text) {
  // The main thread's share of a save (encoding, starting the encryption, copying into the
  // store) is measured for tools/bench-offline.mjs when it asks.
  let started = performance.now();
  const sealing = seal(key, text, recordData(id, staff, kind));
  let spent = performance.now() - started;
  const sealed = await sealing;
  await inTransaction(['records'], 'readwrite', (r) => {
    started = performance.now();
    r.put({ id, staff, kind, v: FORMAT, ...sealed });
    spent += performance.now() - started;
  });
  if (window.formwellBench) {
    (window.formwellStoreMs ??= []).push(spent);
    window.formwellStoreBytes = sealed.data.byteLength;
  }
}

/** Queues a submission and removes the draft it came from, together or not at all. */
async function queue(key, staff, id, text, draftId) {
  const sealed = await seal(key, text, recordData(id, staff, 'outbox'));
  await inTransaction(['records'], 'readwrite', (r) => {
    r.put({ id, staff, kind: 'outbox', v: FORMAT, ...sealed });
    if (draftId) r.delete(draftId);
  });
}

/** Every record of a kind that belongs to this member of staff: [[id, text]], or
 * [id, undefined, why] for one that cannot be read (it stays where it is). */
async function list(key, staff, kind) {
  const rows = await inTransaction(['records'], 'readonly', (r) => asPromise(r.index('owner').getAll([staff, kind])));
  // One at a time, in a loop: Trunk's minifier breaks Promise.all (it calls it unbound).
  const out = [];
  for (const row of rows) {
    try {
      out.push([row.id, await unsealRecord(key, row)]);
    } catch (e) {
      out.push([row.id, undefined, e.message]);
    }
  }
  return out;
}

/** One of this member of staff's records, decrypted, or undefined when it is gone
 * (settled in another tab); an error named Unreadable when it cannot be read. */
async function read(key, staff, id) {
  const row = await inTransaction(['records'], 'readonly', (r) => asPromise(r.get(id)));
  if (row && row.staff !== staff) {
    const error = new Error(`the record ${id} on this tablet is not yours`);
    error.name = 'Unreadable';
    throw error;
  }
  return row && unsealRecord(key, row);
}

async function remove(id) {
  await inTransaction(['records'], 'readwrite', (r) => { r.delete(id); });
}

/** Removes everything this member of staff keeps on the tablet, their PIN record too. */
async function wipe(staff) {
  await inTransaction(['staff', 'records'], 'readwrite', async (s, r) => {
    s.delete(staff);
    const rows = await asPromise(r.getAll());
    for (const row of rows) if (row.staff === staff) r.delete(row.id);
  });
}

/** Waits for an exclusive lock shared by every tab of this app; resolves with its release. */
function acquire(name) {
  return new Promise((granted) => navigator.locks.request(name, () => new Promise((release) => granted(release))));
}

/** Runs `work` holding an exclusive lock shared by every tab; resolves or rejects with it. */
function withLock(name, work) {
  return navigator.locks.request(name, work);
}

let channel;
/** Calls `onChange` when another tab changes the outbox. */
function watchOutbox(onChange) {
  channel ??= new BroadcastChannel('formwell-outbox');
  channel.onmessage = () => onChange();
  window.addEventListener('online', () => onChange());
}

/** Tells other tabs that the outbox changed. */
function announce() {
  channel?.postMessage('changed');
}

/** Calls `onIdle` once no one has touched the page for `ms`; returns a function that stops watching. */
function watchIdle(ms, onIdle) {
  let last = Date.now();
  const touched = () => { last = Date.now(); };
  const events = ['pointerdown', 'keydown', 'input', 'scroll'];
  for (const e of events) document.addEventListener(e, touched, { capture: true, passive: true });
  const timer = setInterval(() => { if (Date.now() - last >= ms) { stop(); onIdle(); } }, Math.min(ms, 1000));
  const stop = () => {
    clearInterval(timer);
    for (const e of events) document.removeEventListener(e, touched, { capture: true });
  };
  return stop;
}

  return { staffKnown, resolveStaff, people, enrol, unlock, put, queue, list, read, remove, wipe, acquire, watchOutbox, announce, watchIdle };
})();
