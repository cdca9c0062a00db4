// Merchants: the operator finds, creates and changes merchants; a merchant's key sees its own.
import {h, fill, facts, field, pre, link, table, badge, when} from './dom.js';
import {get, api, query, Problem} from './api.js';
import {session, isAdmin, canWrite, notify, showFormError, clearFormErrors, title, action} from './ui.js';
import {secretOnce} from './endpoints.js';

export async function merchants(view, rest, params) {
  const own = session.key.merchant_id;
  if (!rest[0] && own) return detail(view, own);
  if (rest[0]) return detail(view, rest[0]);
  return list(view, params);
}

/** The operator's list: searched and filtered by the server (q, status), a page at a time; the filters live in the URL. */
async function list(view, params) {
  const p = {q: params.get('q') || '', status: params.get('status') || ''};
  const search = h('input', {type: 'search', value: p.q, placeholder: 'id or name', maxlength: 200});
  const status = h('select', {}, ['', 'active', 'suspended', 'blocked'].map(s => h('option', {value: s}, s || 'any')));
  status.value = p.status;
  const f = h('form', {class: 'filters', role: 'search', novalidate: true}, field('Search', 'q', search), field('Status', 'status', status),
    h('button', {type: 'submit'}, 'Filter'), h('div', {class: 'form-problem'}));
  f.addEventListener('submit', ev => {
    ev.preventDefault();
    location.hash = '#/merchants' + query({q: search.value.trim(), status: status.value});
  });
  const out = h('div', {});
  const more = h('div', {});
  const rows = [];
  const load = async cursor => {
    const page = await get('/v1/merchants' + query({...p, limit: 100, cursor}));
    rows.push(...page.data);
    fill(out, table('Merchants (' + rows.length + (page.has_more ? '+' : '') + ')', [
      {title: 'Merchant', cell: m => h('span', {}, link(['merchants', m.id], m.name || m.id), h('br'), h('small', {class: 'muted'}, m.id))},
      {title: 'Status', cell: m => badge(m.status, m.status === 'active' ? 'active' : 'failed')},
      {title: 'Listed', cell: m => m.listed ? 'yes' : 'no'},
      {title: 'Max in flight', cell: m => m.max_in_flight ? String(m.max_in_flight) : 'node default'},
      {title: 'Endpoints', cell: m => h('a', {href: '#/endpoints' + query({merchant_id: m.id})}, 'Endpoints')},
      {title: 'Created', cell: m => when(m.created_at)},
    ], rows, 'No merchants match.'));
    fill(more, page.has_more ? action('Load more', () => load(page.next_cursor)) : null);
  };
  fill(view, title('Merchants'), f, out, more, h('h2', {}, 'New merchant'), editForm(null, view));
  try { await load(null); } catch (err) { showFormError(f, err); } // a filter the API refuses is shown at its field
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
    h('h2', {}, 'Egress proxy'), m.proxy ? pre(m.proxy.url) : h('p', {class: 'empty'}, 'None of its own: the node\'s proxy, if any, or direct.'),
    h('h2', {}, 'Certificates'), Object.keys(tls).length ? pre(tls) : h('p', {class: 'empty'}, 'No client certificate, CA or pins: the JDK\'s trust store.'),
    h('p', {}, h('a', {href: '#/endpoints' + query({merchant_id: isAdmin() ? m.id : ''})}, 'Endpoints of this merchant')),
    isAdmin() ? [h('h2', {}, 'Change URL rules'), rulesForm(m, view)] : null,
    isAdmin() ? [h('h2', {}, 'Change egress proxy'), proxyForm(m, view)] : null,
    isAdmin() ? [h('h2', {}, 'Change certificates'), tlsForm(m, view)] : null,
    canWrite() ? [h('h2', {}, 'Change'), editForm(m, view)] : null);
}

/** Lines of a textarea, trimmed, without empty ones. */
const lines = area => area.value.split('\n').map(s => s.trim()).filter(Boolean);

/**
 * The operator's URL rules of a merchant: host patterns, https only, and the private networks its receivers may use.
 * The three are saved together; the API's problems (e.g. url_rules.hosts[2], or live endpoints that the new rules would
 * break) show next to their field.
 */
function rulesForm(m, view) {
  const r = m.url_rules || {};
  const inputs = {
    hosts: h('textarea', {rows: 3, spellcheck: 'false'}, (r.hosts || []).join('\n')),
    https_only: h('input', {type: 'checkbox', checked: !!r.https_only, id: 'f-url_rules.https_only', name: 'url_rules.https_only'}),
    private_networks: h('textarea', {rows: 2, spellcheck: 'false'}, (r.private_networks || []).join('\n')),
  };
  const f = h('form', {class: 'edit rules', novalidate: true, 'aria-label': 'URL rules'},
    field('Allowed hosts (one per line)', 'url_rules.hosts', inputs.hosts, 'Patterns such as *.shop.example or api.bank.example:8443; none: any host.'),
    h('div', {class: 'field check'}, h('label', {for: 'f-url_rules.https_only'}, inputs.https_only, ' HTTPS only')),
    field('Permitted private networks (one CIDR per line)', 'url_rules.private_networks', inputs.private_networks,
      'Such as 10.20.0.0/16, for receivers inside the bank; none: public addresses only (unless the node allows private ones).'),
    h('span', {id: 'err-url_rules', class: 'field-error', role: 'alert'}),
    h('div', {class: 'form-problem'}), h('button', {type: 'submit'}, 'Save URL rules'));
  f.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearFormErrors(f);
    const url_rules = {hosts: lines(inputs.hosts), https_only: inputs.https_only.checked, private_networks: lines(inputs.private_networks)};
    try {
      await api('PUT', '/v1/merchants/' + encodeURIComponent(m.id), {url_rules});
      await detail(view, m.id);
      notify('URL rules saved.');
    } catch (err) { showFormError(f, err); }
  });
  return f;
}

/**
 * The operator's egress proxy of a merchant. The password is write-only: the URL is shown without it, and an empty
 * password field keeps the stored one as long as user, host and port stay the same (the API's rule); an empty URL
 * removes the proxy.
 */
function proxyForm(m, view) {
  const shown = m.proxy ? m.proxy.url : '';
  const stored = shown.includes(':***@');
  const inputs = {
    url: h('input', {type: 'text', class: 'wide', value: shown.replace(':***@', '@'), spellcheck: 'false', autocomplete: 'off',
      placeholder: 'http://user@proxy.internal:3128', inputmode: 'url'}),
    password: h('input', {type: 'password', class: 'wide', autocomplete: 'new-password', spellcheck: 'false'}),
  };
  const f = h('form', {class: 'edit proxy', novalidate: true, 'aria-label': 'Egress proxy'},
    field('Proxy URL (without the password)', 'proxy.url', inputs.url, 'http://[user@]host:port, tunnelled with CONNECT; empty: no proxy of its own.'),
    field('Proxy password (write-only)', 'proxy.password', inputs.password, stored
      ? 'A password is stored and never shown. Left empty, it is kept while user, host and port stay the same.'
      : 'Only with a user in the URL.'),
    h('div', {class: 'form-problem'}), h('button', {type: 'submit'}, 'Save proxy'));
  f.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearFormErrors(f);
    const url = inputs.url.value.trim();
    const proxy = url ? {url} : {};
    if (inputs.password.value) proxy.password = inputs.password.value;
    try {
      await api('PUT', '/v1/merchants/' + encodeURIComponent(m.id), {proxy});
      inputs.password.value = '';
      await detail(view, m.id);
      notify(url ? 'Proxy saved.' : 'Proxy removed.');
    } catch (err) { showFormError(f, err); }
  });
  return f;
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
    listed: h('input', {type: 'checkbox', checked: m ? m.listed : false, id: 'f-listed', name: 'listed', 'aria-describedby': 'hint-listed err-listed'}),
    default_priority: h('input', {type: 'number', min: 0, max: 9, value: m ? m.default_priority : 0}),
    sync_types: h('input', {type: 'text', class: 'wide', value: m ? (m.sync_types || []).join(', ') : '', spellcheck: 'false'}),
    rotate_secret: h('input', {type: 'checkbox'}),
  };
  inputs.status.value = m ? m.status : 'active';
  const f = h('form', {class: 'edit', novalidate: true},
    m ? null : field('Id', 'id', inputs.id),
    field('Name', 'name', inputs.name),
    isAdmin() ? field('Status', 'status', inputs.status) : null,
    isAdmin() ? field('Max in flight', 'max_in_flight', inputs.max_in_flight, '0: the node\'s default') : null,
    isAdmin() ? h('div', {class: 'field check'}, h('label', {for: 'f-listed'}, inputs.listed, ' Listed'),
      h('small', {id: 'hint-listed', class: 'hint'}, ' (a node in allow-list mode delivers only for listed merchants)')) : null,
    isAdmin() ? h('span', {id: 'err-listed', class: 'field-error', role: 'alert'}) : null,
    isAdmin() ? field('Default priority (0-9)', 'default_priority', inputs.default_priority) : null,
    isAdmin() ? field('Sync types', 'sync_types', inputs.sync_types, 'Comma-separated event types delivered synchronously') : null,
    m ? h('div', {class: 'field check'}, h('label', {}, inputs.rotate_secret, ' Rotate the signing secret')) : null,
    h('div', {class: 'form-problem'}), h('button', {type: 'submit'}, m ? 'Save' : 'Create merchant'));
  f.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearFormErrors(f);
    const body = {name: inputs.name.value.trim()};
    if (isAdmin()) {
      body.status = inputs.status.value;
      body.max_in_flight = Number(inputs.max_in_flight.value || 0);
      body.listed = inputs.listed.checked;
      body.default_priority = Number(inputs.default_priority.value || 0);
      body.sync_types = inputs.sync_types.value.split(',').map(t => t.trim()).filter(Boolean);
    }
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
