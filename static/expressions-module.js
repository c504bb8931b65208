// The loader of the expressions module: the FHIRPath evaluator and the SDC expressions,
// split out of the app's wasm at build time (tools/split-wasm.mjs, which puts this file at
// the top of the wasm-bindgen glue, ADDRESS replaced by the module's file). Templates
// without expressions, most of what staff fill, never download it.
//
// How the two modules meet: the split leaves, in the app's function table, a stand-in for
// every entry into the moved code; instantiating the second module (which imports the
// app's memory, table and stack) writes the real functions over them. The app asks for it
// before it reads a template that has expressions (`load`, awaited); a stand-in reached
// before that (a template the check missed) loads it at once, synchronously, then goes on,
// so a missed check costs a pause, never a wrong form. The service worker keeps the file
// for offline use like every other.
const formwellExpressions = ((address) => {
  let primary = null;
  let table = null;
  let linked = false;
  let pending = null;
  const link = (module) => {
    if (linked) return;
    new WebAssembly.Instance(module, { primary });
    linked = true;
  };
  // Synchronous, so that the call that reached a stand-in can finish. Binary content by
  // the x-user-defined charset: a synchronous request cannot ask for an ArrayBuffer.
  const loadNow = () => {
    const request = new XMLHttpRequest();
    request.open('GET', address, false);
    request.overrideMimeType('text/plain; charset=x-user-defined');
    request.send();
    if (request.status !== 200) throw new Error(`the expressions module could not be loaded (${request.status})`);
    const text = request.responseText;
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i += 1) bytes[i] = text.charCodeAt(i) & 0xff;
    link(new WebAssembly.Module(bytes));
    globalThis.formwellExpressionsLoadedAtOnce = (globalThis.formwellExpressionsLoadedAtOnce ?? 0) + 1;
  };
  return {
    address,
    // The stand-ins' namespace: each is named by its slot in the table.
    placeholders: new Proxy({}, {
      get: (_, slot) => (...args) => {
        if (!linked) loadNow();
        return table.get(Number(slot))(...args);
      },
    }),
    started(exports) {
      primary = exports;
      table = Object.values(exports).find((e) => e instanceof WebAssembly.Table);
    },
    // Resolves once the module is in; a failed download can be tried again.
    load() {
      if (linked) return Promise.resolve();
      pending ??= (async () => {
        const response = await fetch(address);
        if (!response.ok) throw new Error(`the expressions module could not be loaded (${response.status})`);
        link(await WebAssembly.compile(await response.arrayBuffer()));
      })().catch((e) => {
        pending = null;
        throw e;
      });
      return pending;
    },
    get loaded() {
      return linked;
    },
  };
})(new URL('ADDRESS', import.meta.url).href);
globalThis.formwellExpressions = formwellExpressions;
