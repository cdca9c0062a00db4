// Small DOM helpers. Everything is built with createElement and text nodes: data is never parsed as HTML.

/** An element: h('a', {href: '#/x', class: 'btn'}, 'text', child, …). on* attributes are event listeners. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (k === 'checked') el.checked = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of el. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A link to a console route; every path segment is URI-encoded. */
export function link(segments, text, attrs) {
  return h('a', {...attrs, href: '#/' + segments.map(encodeURIComponent).join('/')}, text);
}

/** A table: columns [{title, cell: row => node|text}], one row per item. */
export function table(caption, columns, rows, empty) {
  if (!rows.length) return h('p', {class: 'empty'}, empty || 'Nothing to show.');
  return h('div', {class: 'table-wrap'}, h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, columns.map(c => h('th', {scope: 'col'}, c.title)))),
    h('tbody', {}, rows.map(r => h('tr', {}, columns.map(c => h('td', {'data-label': c.title}, c.cell(r))))))));
}

/** A definition list of [term, value] pairs. */
export function facts(pairs) {
  return h('dl', {class: 'facts'}, pairs.filter(p => p).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v == null || v === '' ? '—' : v)]));
}

/** A labelled form field; its error (from a problem's field) shows in the element with id err-<name>. */
export function field(label, name, input, hint) {
  input.id = 'f-' + name;
  input.name = name;
  input.setAttribute('aria-describedby', 'err-' + name + (hint ? ' hint-' + name : ''));
  return h('div', {class: 'field'},
    h('label', {for: input.id}, label),
    input,
    hint ? h('small', {id: 'hint-' + name, class: 'hint'}, hint) : null,
    h('span', {id: 'err-' + name, class: 'field-error', role: 'alert'}));
}

export function when(ts) {
  if (!ts) return '—';
  const d = new Date(ts);
  return h('time', {datetime: ts, title: ts}, d.toLocaleString());
}

export function badge(text, kind) {
  return h('span', {class: 'badge ' + (kind || text || '')}, text);
}

/** A <pre> with text (JSON values pretty-printed). */
export function pre(value) {
  return h('pre', {class: 'code'}, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
}
