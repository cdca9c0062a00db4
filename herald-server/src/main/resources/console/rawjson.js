// JSON read as written: a member's raw text out of a response's text, and re-indentation that keeps every token as it
// is (12.30 stays 12.30, 1.0E2 stays 1.0E2). JSON.parse would turn numbers into doubles and print them anew.

/** The raw text of member `name` of the top-level object in `text`, exactly as written; null if absent or not an object. */
export function rawMember(text, name) {
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\n\r'.includes(text[i])) i++; };
  const str = () => {
    const s = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return text.slice(s, i);
  };
  const value = () => {
    ws();
    const s = i;
    if (text[i] === '"') str();
    else if (text[i] === '{' || text[i] === '[') {
      let depth = 0;
      do {
        const c = text[i];
        if (c === '"') { str(); continue; }
        if (c === '{' || c === '[') depth++;
        else if (c === '}' || c === ']') depth--;
        i++;
      } while (depth > 0 && i < text.length);
    } else while (i < text.length && !',}] \t\n\r'.includes(text[i])) i++;
    return text.slice(s, i);
  };
  ws();
  if (text[i] !== '{') return null;
  i++;
  for (;;) {
    ws();
    if (text[i] !== '"') return null;
    const key = JSON.parse(str());
    ws();
    i++; // the colon
    const v = value();
    if (key === name) return v;
    ws();
    if (text[i] !== ',') return null;
    i++;
  }
}

/** `raw` JSON laid out two spaces per level; only whitespace between tokens changes, every token is kept as written. */
export function indentJson(raw) {
  let out = '';
  let depth = 0;
  const nl = () => '\n' + '  '.repeat(depth);
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '"') {
      const s = i++;
      while (i < raw.length && raw[i] !== '"') i += raw[i] === '\\' ? 2 : 1;
      out += raw.slice(s, i + 1);
    } else if (c === '{' || c === '[') {
      let j = i + 1;
      while (j < raw.length && ' \t\n\r'.includes(raw[j])) j++;
      if (raw[j] === '}' || raw[j] === ']') { out += c + raw[j]; i = j; } // empty: {} or []
      else { depth++; out += c + nl(); }
    } else if (c === '}' || c === ']') { depth--; out += nl() + c; }
    else if (c === ',') out += ',' + nl();
    else if (c === ':') out += ': ';
    else if (!' \t\n\r'.includes(c)) out += c;
  }
  return out;
}
