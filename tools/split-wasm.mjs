// Optimises the app's wasm in a release build and moves the FHIRPath evaluator and the SDC
// expressions into a second module that only templates with expressions load (Trunk's
// post-build hook, through tools/post-build.mjs; static/expressions-module.js says how the
// two meet at run time).
//
//  1. binaryen's wasm-opt -Oz, keeping function names;
//  2. the functions to move are chosen by name: those of the engine's fhirpath,
//     form::expressions and form::queries modules, less what every form touches (copying
//     a template's empty expressions, telling an extension's kind), which stays;
//  3. Debian's binaryen wasm-split (binaryen 108: the npm build has no wasm-split) writes
//     the two modules; names are stripped from both;
//  4. the glue learns the second module's address and supplies the stand-ins, and the
//     page's integrity hash of the wasm is written again.
//
// Binaryen 108 reads no reference types: scripts/build-app builds the wasm without them.
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rewriteIntegrity } from './integrity.mjs';

const FEATURES = ['--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-mutable-globals'];

/** What moves: the evaluator's and the expressions' own functions, by the module path a
 * function's name starts with. Not generic code of the standard library made for their
 * types: wasm-opt merges identical functions under one of their names, so a vector's
 * growth named for an expression type can be the one every vector of that size uses. */
const MOVED = /^<?formwell_engine\[[0-9a-f]+\]::(fhirpath::|form::expressions::|form::queries::)/;
/** What stays although named so: used by every template, with expressions or not. */
const KEPT = /::clone\b|::kind_of\b|::is_empty\b|LaunchContext/;

/** Where scripts/setup puts Debian's wasm-split and wasm-dis (`target/debian-binaryen`). */
export function debianBinaryen(root) {
  const bin = path.join(root, 'target', 'debian-binaryen', 'usr', 'bin');
  if (!fs.existsSync(path.join(bin, 'wasm-split'))) {
    throw new Error(`no wasm-split in ${bin}: run scripts/setup (it unpacks Debian's binaryen there)`);
  }
  return bin;
}

/** Binaryen 108 prints a name with every byte outside [A-Za-z0-9_.$-:<>] etc. as \hh. */
const unescape = (name) => name.replace(/\\([0-9a-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));

/** The names of the functions defined in `wasm`, as binaryen 108 spells them. */
function functionNames(bin, wasm, scratch) {
  const wat = path.join(scratch, 'named.wat');
  execFileSync(path.join(bin, 'wasm-dis'), [...FEATURES, wasm, '-o', wat]);
  const names = [];
  for (const line of fs.readFileSync(wat, 'utf8').split('\n')) {
    const m = /^ \(func \$(\S+)/.exec(line);
    if (m) names.push(m[1]);
  }
  return names;
}

const sha = (bytes) => crypto.createHash('sha256').update(bytes).digest();

/**
 * Splits the release wasm in `dir` (Trunk's staging folder), and writes the page's
 * integrity hash for it again. Returns the sizes, for the build's log.
 */
export function splitWasm(dir, root) {
  const wasmFiles = fs.readdirSync(dir).filter((f) => /^formwell-app-[0-9a-f]+_bg\.wasm$/.test(f));
  const glueFiles = fs.readdirSync(dir).filter((f) => /^formwell-app-[0-9a-f]+\.js$/.test(f));
  if (wasmFiles.length !== 1 || glueFiles.length !== 1) {
    throw new Error(`split-wasm: expected one wasm and one glue in ${dir}, found ${wasmFiles.length} and ${glueFiles.length}`);
  }
  const split = splitModule(path.join(dir, wasmFiles[0]), path.join(dir, glueFiles[0]), root);
  rewriteIntegrity(dir, wasmFiles[0]);
  return split;
}

/**
 * Splits `wasm` in place (its glue `glue`, not yet minified, beside it), writing the
 * expressions module beside them, named by its content. Throws, saying why, when a step
 * fails or finds too little to move. (The embedding build calls this directly.)
 */
export function splitModule(wasm, glue, root) {
  const bin = debianBinaryen(root);
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'formwell-split-'));
  try {
    const named = path.join(scratch, 'named.wasm');
    execFileSync('wasm-opt', ['-Oz', '--debuginfo', ...FEATURES, wasm, '-o', named]);
    const all = functionNames(bin, named, scratch);
    const moved = all.filter((n) => MOVED.test(unescape(n)) && !KEPT.test(unescape(n)));
    if (moved.length < 50) throw new Error(`split-wasm: only ${moved.length} functions of the expressions found by name`);
    const list = path.join(scratch, 'moved.txt');
    fs.writeFileSync(list, moved.join('\n') + '\n');
    const primary = path.join(scratch, 'primary.wasm');
    const secondary = path.join(scratch, 'secondary.wasm');
    execFileSync(path.join(bin, 'wasm-split'), [
      ...FEATURES, named, `--split-funcs=@${list}`, '-o1', primary, '-o2', secondary, '--export-prefix=%', '--quiet',
    ]);
    // Names stripped; no further optimisation (it could turn a call through a stand-in's
    // slot into a direct call to the stand-in).
    const strip = (file, out) => execFileSync('wasm-opt', ['--strip-debug', '--strip-producers', ...FEATURES, file, '-o', out]);
    strip(primary, wasm);
    strip(secondary, secondary);
    const bytes = fs.readFileSync(secondary);
    const file = `formwell-expressions-${sha(bytes).toString('hex').slice(0, 16)}.wasm`;
    fs.writeFileSync(path.join(path.dirname(wasm), file), bytes);
    patchGlue(glue, file, root);
    return { moved: moved.length, app: fs.statSync(wasm).size, expressions: bytes.length, file };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Puts the loader at the top of the glue, its stand-ins among the imports, and the app's
 * exports in its hands before the app starts. Each edit must find exactly one place. */
function patchGlue(glue, expressionsFile, root) {
  let source = fs.readFileSync(glue, 'utf8');
  const once = (pattern, replacement, what) => {
    const found = source.match(new RegExp(pattern.source, 'g')) ?? [];
    if (found.length !== 1) throw new Error(`split-wasm: the glue has ${found.length} places for ${what} (wasm-bindgen changed?)`);
    source = source.replace(pattern, replacement);
  };
  once(/(\n\s*return \{\n\s*__proto__: null,\n)/, '$1        placeholder: formwellExpressions.placeholders,\n', 'the imports');
  once(/(\n\s*wasm = instance\.exports;\n)/, '$1    formwellExpressions.started(wasm);\n', 'the start');
  const loader = fs.readFileSync(path.join(root, 'static', 'expressions-module.js'), 'utf8')
    .replace("'ADDRESS'", JSON.stringify(`./${expressionsFile}`));
  fs.writeFileSync(glue, `${loader}\n${source}`);
}

// The embedding build (scripts/build-app): `node tools/split-wasm.mjs <wasm> <glue>`.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    const [wasm, glue] = process.argv.slice(2);
    if (!wasm || !glue) throw new Error('usage: node tools/split-wasm.mjs <wasm> <glue>');
    const s = splitModule(wasm, glue, path.dirname(path.dirname(fileURLToPath(import.meta.url))));
    console.log(`split-wasm: ${s.moved} functions moved; ${path.basename(wasm)} ${s.app} bytes, ${s.file} ${s.expressions} bytes`);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
