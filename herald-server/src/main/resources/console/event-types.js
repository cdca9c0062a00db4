// The event catalog: every type with its version and description; one type's schema and example; the operator adds
// and changes types (PUT /v1/event-types/{type}), a merchant reads them.
import {h, fill, link, table, facts, field, when, badge} from './dom.js';
import {api, RawJson, Problem} from './api.js';
import {isAdmin, notify, flash, showFormError, clearFormErrors, title} from './ui.js';
import {catalogTypes, eventType, schemaView, groupOf} from './catalog.js';

export async function eventTypes(view, rest) {
  if (rest[0]) return detail(view, rest[0]);
  const types = await catalogTypes();
  fill(view, title('Event types'),
    h('p', {class: 'lead'}, 'The catalog: what each event means and the JSON Schema its data follows. Ingest checks events against it.'),
    table('Event types (' + types.length + ')', [
      {title: 'Type', cell: t => link(['event-types', t.type], t.type)},
      {title: 'Version', cell: t => String(t.version)},
      {title: 'Description', cell: t => t.description},
      {title: 'Sent by', cell: t => t.operational ? badge('Herald', 'operational') : 'producers'},
      {title: 'Updated', cell: t => when(t.updated_at)},
    ], types, 'The catalog is empty.'),
    isAdmin() ? [h('h2', {}, 'New event type'), editForm(view, null)] : null);
}

async function detail(view, type) {
  const t = await eventType(type);
  if (!t) throw new Problem(404, {title: 'Not found', detail: 'The catalog has no event type ' + type + '.'});
  const e = t.json;
  fill(view, title(e.type),
    facts([['Version', String(e.version)], ['Description', e.description],
      ['Sent by', e.operational ? 'Herald itself (an operational event)' : 'producers, through the ingest API'],
      ['Updated', when(e.updated_at)],
      ['Events', h('a', {href: '#/events?type=' + encodeURIComponent(e.type)}, 'Events of this type')],
      ['Subscribe with', h('span', {}, h('code', {}, e.type), ' or ', h('code', {}, groupOf(e.type) + '.*'))]]),
    h('div', {class: 'side-by-side'},
      h('section', {'aria-labelledby': 'schema-h'}, h('h2', {id: 'schema-h'}, 'Schema of its data'),
        schemaView(e.schema, t.schemaText, 'Fields of ' + e.type)),
      h('section', {'aria-labelledby': 'example-h'}, h('h2', {id: 'example-h'}, 'Example data'),
        h('pre', {class: 'code example-text'}, t.exampleText))),
    isAdmin() ? [h('h2', {}, 'Change this type'), editForm(view, t)] : null);
}

/**
 * The operator's form: a new type (t == null) or a change of t. Schema and example are sent as typed (their JSON text
 * is not re-printed); the API's problems (422 schema/example, 409 version/schema) show at the field they name.
 */
function editForm(view, t) {
  const e = t && t.json;
  const inputs = {
    type: h('input', {type: 'text', spellcheck: 'false', placeholder: 'payment.settled', required: true}),
    description: h('textarea', {rows: 2}, e ? e.description : ''),
    version: h('input', {type: 'number', min: 1, step: 1, value: e ? e.version : 1, required: true}),
    schema: h('textarea', {rows: 18, spellcheck: 'false', class: 'json'}, t ? t.schemaText
      : '{\n  "$schema": "https://json-schema.org/draft/2020-12/schema",\n  "type": "object",\n  "properties": {},\n  "required": []\n}'),
    example: h('textarea', {rows: 8, spellcheck: 'false', class: 'json'}, t ? t.exampleText : '{}'),
  };
  const f = h('form', {class: 'edit event-type-form', novalidate: true},
    e ? null : field('Type', 'type', inputs.type, 'Dotted lower-case words, such as payment.settled'),
    field('Description', 'description', inputs.description),
    field('Version', 'version', inputs.version, e ? 'Keep ' + e.version + ' for a change that only accepts more (a new optional field);'
      + ' a change that could refuse events accepted before needs ' + (e.version + 1) + '.' : null),
    field('JSON Schema of the data (2020-12)', 'schema', inputs.schema, 'Local references ($ref "#/$defs/…") only.'),
    field('Example data', 'example', inputs.example, 'Must match the schema.'),
    h('div', {class: 'form-problem'}),
    h('div', {class: 'actions'}, h('button', {type: 'submit'}, e ? 'Save ' + e.type : 'Add event type')));
  f.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearFormErrors(f);
    const name = e ? e.type : inputs.type.value.trim();
    if (!name) return showFormError(f, new Problem(422, {title: 'Invalid field', field: 'type', detail: 'The type is required.'}));
    for (const k of ['schema', 'example']) { // the API names JSON it cannot read at the body; say which text area it is
      try { JSON.parse(inputs[k].value); } catch (err) {
        return showFormError(f, new Problem(422, {title: 'Invalid field', field: k, detail: 'This is not JSON: ' + err.message}));
      }
    }
    const version = /^\d+$/.test(inputs.version.value.trim()) ? inputs.version.value.trim() : JSON.stringify(inputs.version.value);
    const body = '{"description": ' + JSON.stringify(inputs.description.value.trim()) + ', "version": ' + version
      + ', "schema": ' + inputs.schema.value + ', "example": ' + inputs.example.value + '}';
    try {
      const saved = await api('PUT', '/v1/event-types/' + encodeURIComponent(name), new RawJson(body));
      if (e) {
        await detail(view, name);
        notify('Saved: ' + name + ', version ' + saved.version + '.');
      } else {
        flash('Added ' + name + '.');
        location.hash = '#/event-types/' + encodeURIComponent(name);
      }
    } catch (err) { showFormError(f, err); }
  });
  return f;
}
