// Merchants: the operator finds, creates and changes merchants; a merchant's key sees its own.
import {h, fill, facts, field, pre, link} from './dom.js';
import {get, api, query, Problem} from './api.js';
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
    h('p', {}, h('a', {href: '#/endpoints' + query({merchant_id: isAdmin() ? m.id : ''})}, 'Endpoints of this merchant')),
    isAdmin() ? [h('h2', {}, 'Change certificates'), tlsForm(m, view)] : null,
    canWrite() ? [h('h2', {}, 'Change'), editForm(m, view)] : null);
}

/**
 * The operator's certificate control of a merchant: client certificate and key (the key is write-only), trusted CAs,
 * pinned keys and the lowest TLS version; every field empty removes the settings.
 */
function tlsForm(m, view) {
  const t = m.tls || {};
  const area = v => h('textarea', {rows: 4, spellcheck: 'false'}, v || '');
  const inputs = {
    client_certificate: area(t.client_certificate),
    client_key: area(''),
    ca_certificates: area(t.ca_certificates),
    pinned_spki_sha256: area((t.pinned_spki_sha256 || []).join('\n')),
    min_version: h('select', {}, ['', 'TLSv1.2', 'TLSv1.3'].map(v => h('option', {value: v}, v || 'default'))),
  };
  inputs.min_version.value = t.min_version || '';
  const f = h('form', {class: 'edit', novalidate: true},
    field('Client certificate (PEM, leaf first)', 'tls.client_certificate', inputs.client_certificate),
    field('Client key (PEM; write-only)', 'tls.client_key', inputs.client_key, t.has_client_key ? 'A key is stored; left empty, it is kept for the same certificate.' : null),
    field('Trusted CA certificates (PEM)', 'tls.ca_certificates', inputs.ca_certificates),
    field('Pinned SPKI SHA-256 (one per line)', 'tls.pinned_spki_sha256', inputs.pinned_spki_sha256),
    field('Lowest TLS version', 'tls.min_version', inputs.min_version),
    h('span', {id: 'err-tls', class: 'field-error', role: 'alert'}),
    h('div', {class: 'form-problem'}), h('button', {type: 'submit'}, 'Save certificates'));
  f.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearFormErrors(f);
    const tls = {};
    for (const k of ['client_certificate', 'client_key', 'ca_certificates', 'min_version']) {
      if (inputs[k].value.trim()) tls[k] = inputs[k].value.trim() + (k === 'min_version' ? '' : '\n');
    }
    const pins = inputs.pinned_spki_sha256.value.split('\n').map(s => s.trim()).filter(Boolean);
    if (pins.length) tls.pinned_spki_sha256 = pins;
    try {
      await api('PUT', '/v1/merchants/' + encodeURIComponent(m.id), {tls});
      await detail(view, m.id);
      notify('Certificates saved.');
    } catch (err) { showFormError(f, err); }
  });
  return f;
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
