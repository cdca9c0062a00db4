// Merchants: the operator finds, creates and changes merchants; a merchant's key sees its own.
import {h, fill, facts, field, pre, link} from './dom.js';
import {get, api, Problem} from './api.js';
import {session, isAdmin, canWrite, notify, showFormError, clearFormErrors, title} from './ui.js';
import {secretOnce} from './endpoints.js';

export async function merchants(view, rest) {
  const own = session.key.merchant_id;
  if (!rest[0] && own) return detail(view, own);
  if (rest[0]) return detail(view, rest[0]);
  const id = h('input', {type: 'text'});
  const f = h('form', {class: 'filters', role: 'search'}, field('Merchant id', 'id', id), h('button', {type: 'submit'}, 'Open'));
  f.addEventListener('submit', ev => { ev.preventDefault(); if (id.value.trim()) location.hash = '#/merchants/' + encodeURIComponent(id.value.trim()); });
  fill(view, title('Merchants'), f, h('h2', {}, 'New merchant'), editForm(null, view));
}

async function detail(view, id) {
  const m = await get('/v1/merchants/' + encodeURIComponent(id));
  const tls = m.tls || {};
  fill(view, title('Merchant ' + (m.name || m.id)),
    facts([['Id', m.id], ['Name', m.name], ['Status', m.status], ['Ack rule', m.ack], ['Listed', String(m.listed)],
      ['Max in flight', String(m.max_in_flight)], ['Signature schemes', (m.signature_schemes || []).join(', ')],
      ['Default priority', String(m.default_priority)], ['Sync types', (m.sync_types || []).join(', ')],
      ['Payload key', m.has_payload_key ? 'yes' : 'no'], ['Previous secret until', m.previous_secret_until]]),
    h('h2', {}, 'URL rules'), pre(m.url_rules),
    h('h2', {}, 'Certificates'), Object.keys(tls).length ? pre(tls) : h('p', {class: 'empty'}, 'No client certificate, CA or pins: the JDK\'s trust store.'),
    h('p', {}, link(['endpoints'], 'Endpoints', {})),
    canWrite() ? [h('h2', {}, 'Change'), editForm(m, view)] : null);
}

/** Create (m == null, operator) or change a merchant; operator-only controls are offered to admin keys only. */
function editForm(m, view) {
  const inputs = {
    id: h('input', {type: 'text', required: true}),
    name: h('input', {type: 'text', value: m ? m.name : ''}),
    status: h('select', {}, ['active', 'suspended', 'blocked'].map(s => h('option', {value: s}, s))),
    max_in_flight: h('input', {type: 'number', min: 0, value: m ? m.max_in_flight : 0}),
    rotate_secret: h('input', {type: 'checkbox'}),
  };
  inputs.status.value = m ? m.status : 'active';
  const f = h('form', {class: 'edit', novalidate: true},
    m ? null : field('Id', 'id', inputs.id),
    field('Name', 'name', inputs.name),
    isAdmin() ? field('Status', 'status', inputs.status) : null,
    isAdmin() ? field('Max in flight', 'max_in_flight', inputs.max_in_flight, '0: the node\'s default') : null,
    m ? h('div', {class: 'field check'}, h('label', {}, inputs.rotate_secret, ' Rotate the signing secret')) : null,
    h('div', {class: 'form-problem'}), h('button', {type: 'submit'}, m ? 'Save' : 'Create merchant'));
  f.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearFormErrors(f);
    const body = {name: inputs.name.value.trim()};
    if (isAdmin()) { body.status = inputs.status.value; body.max_in_flight = Number(inputs.max_in_flight.value || 0); }
    if (m && inputs.rotate_secret.checked) body.rotate_secret = true;
    const id = m ? m.id : inputs.id.value.trim();
    if (!id) return showFormError(f, new Problem(422, {title: 'Invalid field', field: 'id', detail: 'Enter the merchant id.'}));
    try {
      const saved = await api('PUT', '/v1/merchants/' + encodeURIComponent(id), body);
      await detail(view, saved.id);
      if (saved.secret) view.prepend(secretOnce(saved.secret, 'merchant\'s signing secret'));
      notify('Saved.');
    } catch (err) { showFormError(f, err); }
  });
  return f;
}
