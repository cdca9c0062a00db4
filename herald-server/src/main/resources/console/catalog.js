// The event catalog's pieces other pages use: a type's schema as a readable field list, the endpoint form's event
// picker, and an event's data shown beside its type's schema.
import {h, link, field, table} from './dom.js';
import {get, apiText, Problem} from './api.js';
import {rawMember, indentJson} from './rawjson.js';

/** The catalog's types (GET /v1/event-types), by name. */
export async function catalogTypes() {
  return (await get('/v1/event-types')).data;
}

/** The group of a type: its first dotted word ("transfer" of "transfer.completed"). */
export const groupOf = type => type.split('.')[0];

/**
 * One type: {json (the answer parsed, for reading the schema's rules), schemaText and exampleText (the answer's text
 * of each, laid out, every token as written)}; null when the catalog has no such type.
 */
export async function eventType(type) {
  let text;
  try { text = await apiText('GET', '/v1/event-types/' + encodeURIComponent(type)); } catch (e) {
    if (e instanceof Problem && e.status === 404) return null;
    throw e;
  }
  return {json: JSON.parse(text), schemaText: indentJson(rawMember(text, 'schema') || '{}'),
    exampleText: indentJson(rawMember(text, 'example') || '{}')};
}

/** The schema's local reference `ref` ("#/$defs/money"), or the schema itself when it is not one. */
function resolve(s, root) {
  if (!s || typeof s !== 'object' || typeof s.$ref !== 'string' || !s.$ref.startsWith('#/')) return s || {};
  let at = root;
  for (const part of s.$ref.slice(2).split('/')) at = at && at[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return at && typeof at === 'object' ? {...at, ...s, $ref: undefined, ref: s.$ref} : s;
}

function typeText(s) {
  const t = Array.isArray(s.type) ? s.type.join(' or ') : s.type;
  if (t === 'array' && s.items && s.items.type) return 'array of ' + [].concat(s.items.type).join(' or ');
  if (t) return t;
  if ('const' in s) return 'constant';
  if (s.enum) return 'one of the values';
  if (s.oneOf || s.anyOf) return 'one of ' + (s.oneOf || s.anyOf).length + ' forms';
  return 'any';
}

const shown = v => JSON.stringify(v);

function rules(s) {
  const out = [];
  if (s.description) out.push(s.description);
  if (s.ref) out.push('as ' + s.ref);
  if (s.format) out.push('format ' + s.format);
  if (s.enum) out.push('one of ' + s.enum.map(shown).join(', '));
  if ('const' in s) out.push('always ' + shown(s.const));
  if (s.pattern) out.push('matches ' + s.pattern);
  if (s.minimum != null) out.push('≥ ' + s.minimum);
  if (s.exclusiveMinimum != null) out.push('> ' + s.exclusiveMinimum);
  if (s.maximum != null) out.push('≤ ' + s.maximum);
  if (s.exclusiveMaximum != null) out.push('< ' + s.exclusiveMaximum);
  if (s.minLength != null) out.push('at least ' + s.minLength + ' characters');
  if (s.maxLength != null) out.push('at most ' + s.maxLength + ' characters');
  if (s.multipleOf != null) out.push('a multiple of ' + s.multipleOf);
  if (s.minItems != null) out.push('at least ' + s.minItems + ' items');
  if (s.maxItems != null) out.push('at most ' + s.maxItems + ' items');
  if (s.additionalProperties === false && s.properties) out.push('no other fields');
  return out;
}

/** The schema's fields, nested ones by their dotted path ("items[].sku", "changes.*.from"), with type, required and rules. */
export function schemaFields(schema) {
  const out = [];
  const walk = (s, path, depth) => {
    const req = new Set(s.required || []);
    for (const [name, raw] of Object.entries(s.properties || {})) {
      const sub = resolve(raw, schema);
      const p = path ? path + '.' + name : name;
      out.push({path: p, type: typeText(sub), required: req.has(name), rules: rules(sub)});
      if (depth >= 4) continue;
      walk(sub, p, depth + 1);
      if (sub.items) walk(resolve(sub.items, schema), p + '[]', depth + 1);
      if (sub.additionalProperties && typeof sub.additionalProperties === 'object') walk(resolve(sub.additionalProperties, schema), p + '.*', depth + 1);
    }
  };
  walk(resolve(schema, schema), '', 0);
  return out;
}

/** A schema as people read it: what the data is, then one row per field; the JSON Schema itself beneath, as written. */
export function schemaView(schema, schemaText, caption) {
  const root = resolve(schema, schema);
  const fields = schemaFields(schema);
  const summary = [typeText(root) === 'object' ? 'An object' : 'A ' + typeText(root)];
  if (fields.length) summary.push('every field is required unless marked optional');
  if (root.additionalProperties === false) summary.push('no fields beyond those listed');
  return h('div', {class: 'schema-view'},
    h('p', {class: 'schema-summary'}, summary.join('; ') + '.'),
    fields.length ? table(caption, [
      {title: 'Field', cell: f => h('span', {}, h('code', {class: 'field-path'}, f.path), f.required ? null : [' ', h('span', {class: 'badge optional'}, 'optional')])},
      {title: 'Type', cell: f => f.type},
      {title: 'Rules', cell: f => f.rules.length ? h('ul', {class: 'rules'}, f.rules.map(r => h('li', {}, r))) : '—'},
    ], fields) : h('p', {class: 'empty'}, 'The schema names no fields.'),
    h('details', {class: 'schema-json'}, h('summary', {}, 'JSON Schema (2020-12)'), h('pre', {class: 'code schema-text'}, schemaText)));
}

/**
 * The endpoint form's events: the catalog's types by group, each group's "prefix.*", every event ("*"), and patterns
 * typed by hand (types the catalog lacks too). A wildcard ticks, and locks, what it covers. `selected` are the
 * endpoint's patterns: each one the picker has is ticked, the others go to the typed field. value() answers the list.
 */
export function eventPicker(types, selected) {
  const groups = new Map();
  for (const t of [...types].sort((a, b) => a.type.localeCompare(b.type))) {
    if (!groups.has(groupOf(t.type))) groups.set(groupOf(t.type), []);
    groups.get(groupOf(t.type)).push(t);
  }
  const box = (value, id) => h('input', {type: 'checkbox', value, id, 'aria-describedby': 'hint-events err-events'});
  const all = box('*', 'ev-all');
  const groupBoxes = [...groups.keys()].map(g => box(g + '.*', 'ev-' + g + '-all'));
  const typeBoxes = [...groups.values()].flat().map(t => box(t.type, 'ev-' + t.type));
  const own = new Map(typeBoxes.map(b => [b, false])); // what the user ticked, kept while a wildcard covers it
  const others = [];
  for (const p of selected) {
    const b = [all, ...groupBoxes, ...typeBoxes].find(x => x.value === p);
    if (b) { b.checked = true; if (own.has(b)) own.set(b, true); } else others.push(p);
  }
  const typed = h('input', {type: 'text', value: others.join(', '), spellcheck: 'false', placeholder: 'payment.settled, payment.*'});
  const sync = () => {
    for (const g of groupBoxes) { g.disabled = all.checked; if (all.checked) g.checked = true; else if (g.dataset.own !== 'true') g.checked = false; }
    for (const b of typeBoxes) {
      const g = groupBoxes.find(x => x.value === groupOf(b.value) + '.*');
      const covered = all.checked || (g && g.dataset.own === 'true');
      b.disabled = covered;
      b.checked = covered || own.get(b);
    }
  };
  for (const g of groupBoxes) g.dataset.own = String(g.checked);
  all.addEventListener('change', sync);
  groupBoxes.forEach(g => g.addEventListener('change', () => { g.dataset.own = String(g.checked); sync(); }));
  typeBoxes.forEach(b => b.addEventListener('change', () => { own.set(b, b.checked); }));
  sync();
  const el = h('fieldset', {class: 'field events-picker', id: 'events-picker'},
    h('legend', {}, 'Events'),
    h('small', {id: 'hint-events', class: 'hint'}, 'Tick types from the ', link(['event-types'], 'event catalog'),
      ', a whole group, or every event (untick "All events" to choose). A ticked group or "All events" also covers types added to the catalog later.'),
    h('label', {class: 'check ev-all', for: all.id}, all, ' All events ', h('code', {}, '*')),
    h('div', {class: 'ev-groups'}, [...groups.entries()].map(([g, ts], i) => h('fieldset', {class: 'ev-group'},
      h('legend', {}, h('label', {class: 'check', for: groupBoxes[i].id}, groupBoxes[i], ' ', h('code', {}, g + '.*'))),
      ts.map(t => {
        const b = typeBoxes.find(x => x.value === t.type);
        return h('label', {class: 'check ev-type', for: b.id, title: t.description}, b, ' ', t.type,
          t.operational ? h('small', {class: 'muted'}, ' (Herald\'s own)') : null);
      })))),
    field('Other types or patterns', 'events', typed, 'Typed by hand, comma-separated: a type the catalog lacks, prefix.* or *'));
  const value = () => {
    const picked = all.checked ? ['*'] : [...groupBoxes.filter(g => g.checked).map(g => g.value),
      ...typeBoxes.filter(b => b.checked && !b.disabled).map(b => b.value)];
    return [...new Set([...picked, ...typed.value.split(',').map(s => s.trim()).filter(Boolean)])];
  };
  return {el, value};
}

/**
 * An event's data (`dataText`, its raw JSON as posted) beside the schema of its `type`: side by side on a wide screen,
 * one above the other on a narrow one. Names the data's top-level fields the schema requires but lacks, and those it
 * does not allow; the data itself is shown token for token as written.
 */
export async function payloadBeside(dataText, type) {
  const t = await eventType(type);
  const data = dataText == null ? h('p', {class: 'empty'}, 'No data.') : h('pre', {class: 'code', id: 'event-data'}, indentJson(dataText));
  let right;
  let check = null;
  if (!t) {
    right = h('p', {class: 'empty'}, 'The catalog has no type ' + type + ': there is no schema to show.');
  } else {
    const schema = t.json.schema;
    right = [h('p', {class: 'schema-of'}, link(['event-types', type], type), ', version ' + t.json.version + ': ' + t.json.description),
      schemaView(schema, t.schemaText, 'Fields of ' + type)];
    check = fieldCheck(dataText, schema);
  }
  return h('section', {class: 'beside', id: 'payload-beside', 'aria-label': 'Data and its schema'},
    h('div', {class: 'beside-data'}, h('h3', {}, 'Data, as posted'), data, check),
    h('div', {class: 'beside-schema'}, h('h3', {}, 'Schema of ' + type), right));
}

/** What the data's top-level fields lack or have too many against the schema; null when nothing is to be said. */
function fieldCheck(dataText, schema) {
  let keys;
  try { keys = Object.keys(JSON.parse(dataText) || {}); } catch (e) { return null; } // only the names are read
  const root = resolve(schema, schema);
  const missing = (root.required || []).filter(k => !keys.includes(k));
  const extra = root.additionalProperties === false ? keys.filter(k => !(k in (root.properties || {}))) : [];
  if (!missing.length && !extra.length) return null;
  return h('ul', {class: 'schema-check', 'aria-label': 'Against the schema'},
    missing.length ? h('li', {}, 'Required by the schema, missing here: ', missing.map((k, i) => [i ? ', ' : '', h('code', {}, k)])) : null,
    extra.length ? h('li', {}, 'Not in the schema (which allows no others): ', extra.map((k, i) => [i ? ', ' : '', h('code', {}, k)])) : null);
}
