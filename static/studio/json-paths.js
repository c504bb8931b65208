// Where each value of a JSON text starts, by the path the engine names it with
// (`Questionnaire.item[2].enableWhen[0].question`), so that a finding can move the
// editor's cursor to what it is about. A small scanner of JSON's grammar; on text that is
// not JSON it returns what it read before the fault.

export function pathOffsets(text, root = 'Questionnaire') {
  const offsets = new Map();
  let i = 0;
  const space = () => { while (i < text.length && ' \t\r\n'.includes(text[i])) i += 1; };
  const string = () => {
    const start = i;
    i += 1;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i += 1;
    return JSON.parse(text.slice(start, i));
  };
  const value = (path) => {
    space();
    offsets.set(path, i);
    const c = text[i];
    if (c === '{') {
      i += 1;
      space();
      if (text[i] === '}') { i += 1; return; }
      for (;;) {
        space();
        if (text[i] !== '"') throw new Error('a key');
        const key = string();
        space();
        if (text[i] !== ':') throw new Error('a colon');
        i += 1;
        value(`${path}.${key}`);
        space();
        if (text[i] === ',') { i += 1; continue; }
        if (text[i] === '}') { i += 1; return; }
        throw new Error('a comma');
      }
    } else if (c === '[') {
      i += 1;
      space();
      if (text[i] === ']') { i += 1; return; }
      for (let n = 0; ; n += 1) {
        value(`${path}[${n}]`);
        space();
        if (text[i] === ',') { i += 1; continue; }
        if (text[i] === ']') { i += 1; return; }
        throw new Error('a comma');
      }
    } else if (c === '"') {
      string();
    } else {
      const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 64));
      if (!m) throw new Error('a value');
      i += m[0].length;
    }
  };
  try { value(root); } catch { /* the offsets read so far */ }
  return offsets;
}

/** The offset of the value at `path`, or of its nearest ancestor the text has. */
export function offsetOf(offsets, path) {
  for (let p = path; p; p = p.replace(/(\.[^.[\]]+|\[\d+\])$/, '')) {
    if (offsets.has(p)) return offsets.get(p);
    if (!/(\.[^.[\]]+|\[\d+\])$/.test(p)) break;
  }
  return 0;
}
