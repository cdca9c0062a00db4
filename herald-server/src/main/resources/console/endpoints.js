// Endpoints: list with search and filters, create/edit form, detail with test, enable/disable, secret rotation, recover, delete.
import {h, fill, link, table, facts, field, when, badge, pre} from './dom.js';
import {get, post, api, query, Problem} from './api.js';
import {session, isAdmin, canWrite, problemBox, notify, flash, showFormError, clearFormErrors, title, action, instant} from './ui.js';
import {catalogTypes, eventPicker} from './catalog.js';

export async function endpoints(view, rest, params, current) {
  if (rest[0] === 'new') return form(view, null, await catalogOrNull());
  if (rest[0] && rest[1] === 'edit') {
    const [e, types] = await Promise.all([get('/v1/endpoints/' + encodeURIComponent(rest[0])), catalogOrNull()]);
    return form(view, e, types);
  }
  if (rest[0]) return detail(view, rest[0], current);
  return list(view, params);
}

const COLUMNS = [
  {title: 'Endpoint', cell: e => h('span', {}, link(['endpoints', e.id], e.name || e.id), h('br'), h('small', {class: 'muted'}, e.url))},
  {title: 'Merchant', cell: e => e.merchant_id || '—'},
  {title: 'Status', cell: e => e.is_active ? badge('active') : badge('disabled')},
  {title: 'Failure streak', cell: e => e.consecutive_failures > 0 ? badge(String(e.consecutive_failures), 'failed') : '0'},
  {title: 'Events', cell: e => e.events.join(', ')},
];

/**
 * The list, filtered by the server (q, status, failing and, for the operator, merchant_id) a page at a time: "Load
 * more" follows the cursor with the same filters. The filters live in the URL, so a filtered list can be linked.
 */
async function list(view, params) {
  const p = {
    q: params.get('q') || '',
    status: params.get('status') || '',
    failing: params.get('failing') === 'true' ? 'true' : '',
    merchant_id: isAdmin() ? params.get('merchant_id') || '' : '',
  };
  const search = h('input', {type: 'search', value: p.q, placeholder: 'name, URL or id', maxlength: 200});
  const status = h('select', {}, ['', 'active', 'disabled'].map(s => h('option', {value: s}, s || 'any')));
  status.value = p.status;
  const failing = h('input', {type: 'checkbox', id: 'f-failing', name: 'failing', checked: p.failing === 'true',
    'aria-describedby': 'err-failing'});
  const merchantInput = h('input', {type: 'text', value: p.merchant_id, placeholder: 'merchant id'});
  const filters = h('form', {class: 'filters', role: 'search', novalidate: true},
    field('Search', 'q', search),
    isAdmin() ? field('Merchant', 'merchant_id', merchantInput) : null,
    field('Status', 'status', status),
    h('div', {class: 'field check'}, h('label', {for: 'f-failing'}, failing, ' Failing only'),
      h('span', {id: 'err-failing', class: 'field-error', role: 'alert'})),
    h('button', {type: 'submit'}, 'Filter'),
    h('div', {class: 'form-problem'}));
  filters.addEventListener('submit', ev => {
    ev.preventDefault();
    location.hash = '#/endpoints' + query({q: search.value.trim(), merchant_id: isAdmin() ? merchantInput.value.trim() : '',
      status: status.value, failing: failing.checked ? 'true' : ''});
  });
  const out = h('div', {});
  const more = h('div', {});
  const rows = [];
  const load = async cursor => {
    const page = await get('/v1/endpoints' + query({...p, limit: 100, cursor}));
    rows.push(...page.data);
    fill(out, table('Endpoints (' + rows.length + (page.has_more ? '+' : '') + ')', COLUMNS, rows, 'No endpoints match.'));
    fill(more, page.has_more ? action('Load more', async () => {
      const first = rows.length;
      await load(page.next_cursor);
      const next = more.querySelector('button') || out.querySelectorAll('tbody tr a')[first]; // keep the keyboard's place
      if (next) next.focus();
    }) : null);
  };
  fill(view, title('Endpoints', canWrite() ? link(['endpoints', 'new'], 'New endpoint', {class: 'button'}) : null), filters, out, more);
  try { await load(null); } catch (err) { showFormError(filters, err); } // a filter the API refuses is shown at its field
}

/** The catalog's types, or null when they cannot be read (the form then takes the events as typed). */
async function catalogOrNull() {
  try { return await catalogTypes(); } catch (err) { return null; }
}

/**
 * The create (e == null) or edit form; the events are picked from the catalog (`types`; null: typed). The API's
 * problems are shown next to the field they name.
 */
function form(view, e, types) {
  const v = (f, d) => e ? e[f] : d;
  const inputs = {
    name: h('input', {type: 'text', value: v('name', '') || ''}),
    url: h('input', {type: 'url', value: v('url', ''), placeholder: 'https://receiver.example/webhooks', required: true}),
    description: h('input', {type: 'text', value: v('description', '') || ''}),
    merchant_id: h('input', {type: 'text', value: v('merchant_id', '') || ''}),
    retry_attempts: h('input', {type: 'number', min: 0, value: v('retry_attempts', 3)}),
    timeout_seconds: h('input', {type: 'number', min: 1, max: 300, value: v('timeout_seconds', 30)}),
    retry_schedule: h('input', {type: 'text', value: e ? scheduleText(e) : '', placeholder: 'default', spellcheck: 'false'}),
    ordering: h('select', {}, h('option', {value: 'none'}, 'none'), h('option', {value: 'fifo'}, 'fifo')),
    headers: h('textarea', {rows: 3, spellcheck: 'false', placeholder: 'X-Api-Token: value'},
      Object.entries(v('headers', {}) || {}).map(([k, x]) => k + ': ' + x).join('\n')),
    is_active: h('input', {type: 'checkbox', checked: v('is_active', true)}),
  };
  inputs.ordering.value = v('ordering', 'none');
  const picker = types ? eventPicker(types, v('events', ['*'])) : null;
  const typedEvents = picker ? null : h('input', {type: 'text', value: v('events', ['*']).join(', ')});
  const schemes = SCHEMES.map(([name, label], i) => h('input', {type: 'checkbox', value: name, id: i ? 'f-scheme-' + name : 'f-signature_schemes',
    name: 'signature_schemes', checked: e ? (e.signature_schemes || []).includes(name) : false, 'aria-describedby': 'hint-signature_schemes err-signature_schemes'}));
  const chosen = () => schemes.filter(c => c.checked).map(c => c.value);
  const initial = {schedule: inputs.retry_schedule.value, headers: inputs.headers.value, schemes: chosen().join()};
  const f = h('form', {class: 'edit', novalidate: true},
    field('Name', 'name', inputs.name),
    field('URL', 'url', inputs.url),
    picker ? picker.el : field('Events', 'events', typedEvents, 'Comma-separated: transfer.completed, transfer.*, *'),
    field('Description', 'description', inputs.description),
    isAdmin() && !e ? field('Merchant', 'merchant_id', inputs.merchant_id, 'Empty: the operator\'s own endpoint') : null,
    field('Retry attempts', 'retry_attempts', inputs.retry_attempts),
    field('Retry schedule', 'retry_schedule', inputs.retry_schedule,
      'Waits before each retry, comma-separated (15s, 5m, 2h, 1d; the last repeats), or a preset: default, standard, alipay, wechatpay'),
    field('Timeout (seconds)', 'timeout_seconds', inputs.timeout_seconds),
    field('Ordering', 'ordering', inputs.ordering),
    field('Custom headers', 'headers', inputs.headers,
      'One "Name: value" per line, sent with every try. Stored values read as ******** and are kept as long as that stays.'),
    h('fieldset', {class: 'field schemes'}, h('legend', {}, 'Signature schemes'),
      SCHEMES.map(([, label], i) => h('label', {class: 'check', for: schemes[i].id}, schemes[i], ' ' + label)),
      h('small', {id: 'hint-signature_schemes', class: 'hint'}, e ? 'The headers that sign each request.'
        : 'None ticked: the merchant\'s schemes (Herald\'s default: sha256 and v1).'),
      h('span', {id: 'err-signature_schemes', class: 'field-error', role: 'alert'})),
    h('div', {class: 'field check'}, h('label', {}, inputs.is_active, ' Active')),
    h('span', {id: 'err-is_active', class: 'field-error', role: 'alert'}),
    h('div', {class: 'form-problem'}),
    h('div', {class: 'actions'}, h('button', {type: 'submit'}, e ? 'Save' : 'Create endpoint'),
      link(e ? ['endpoints', e.id] : ['endpoints'], 'Cancel', {class: 'button secondary'})));
  const secretOut = h('div', {});
  f.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearFormErrors(f);
    const body = {
      name: inputs.name.value.trim() || null,
      url: inputs.url.value.trim(),
      events: picker ? picker.value() : typedEvents.value.split(',').map(s => s.trim()).filter(Boolean),
      description: inputs.description.value.trim() || null,
      retry_attempts: inputs.retry_attempts.value === '' ? null : Number(inputs.retry_attempts.value),
      timeout_seconds: inputs.timeout_seconds.value === '' ? null : Number(inputs.timeout_seconds.value),
      ordering: inputs.ordering.value,
      is_active: inputs.is_active.checked,
    };
    if (isAdmin() && !e && inputs.merchant_id.value.trim()) body.merchant_id = inputs.merchant_id.value.trim();
    if (inputs.retry_schedule.value.trim() && inputs.retry_schedule.value !== initial.schedule) {
      body.retry_schedule = parseSchedule(inputs.retry_schedule.value);
    }
    if (inputs.headers.value !== initial.headers) {
      const parsed = parseHeaders(inputs.headers.value);
      if (typeof parsed === 'string') {
        return showFormError(f, new Problem(422, {title: 'Invalid field', field: 'headers', detail: parsed}));
      }
      body.headers = parsed;
    }
    if (chosen().join() !== initial.schemes && chosen().length) body.signature_schemes = chosen();
    for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
    try {
      const saved = e ? await api('PATCH', '/v1/endpoints/' + encodeURIComponent(e.id), body) : await post('/v1/endpoints', body);
      if (!e && saved.secret) {
        fill(view, title('Endpoint created'), secretOnce(saved.secret, 'signing secret'),
          h('p', {}, link(['endpoints', saved.id], 'Go to the endpoint')));
      } else {
        flash('Saved.');
        location.hash = '#/endpoints/' + encodeURIComponent(saved.id);
      }
    } catch (err) { showFormError(f, err); }
  });
  fill(view, title(e ? 'Edit ' + (e.name || e.id) : 'New endpoint'), f, secretOut);
}

/** The signature schemes an endpoint may sign with, as the form offers them. */
const SCHEMES = [['sha256', 'sha256 (X-Webhook-Signature, HMAC)'], ['v1', 'v1 (Standard Webhooks, HMAC)'],
  ['v1a', 'v1a (Standard Webhooks, Ed25519)'], ['rsa-sha256', 'rsa-sha256 (webhook-signature-rsa)']];

/** An endpoint's retry schedule as the form shows it: its preset's name, or its waits ("30s, 5m, 2h"). */
function scheduleText(e) {
  if (e.retry_preset) return e.retry_preset;
  return (e.retry_schedule || []).map(s => s % 86400 === 0 ? s / 86400 + 'd' : s % 3600 === 0 ? s / 3600 + 'h'
    : s % 60 === 0 ? s / 60 + 'm' : s + 's').join(', ');
}

/** The form's retry schedule as the API takes it: a preset name, or a list of waits (the API checks each). */
function parseSchedule(text) {
  const t = text.trim();
  if (/^[a-z]+$/.test(t)) return t;
  return t.split(',').map(x => x.trim()).filter(Boolean).map(x => /^\d+$/.test(x) ? Number(x) : x);
}

/** "Name: value" lines as a header object, or a message naming the line at fault. */
function parseHeaders(text) {
  const out = {};
  const lines = text.split('\n').map(l => l.trim()).filter(Boolean);
  for (let i = 0; i < lines.length; i++) {
    const at = lines[i].indexOf(':');
    if (at < 1) return 'Line ' + (i + 1) + ' is not "Name: value".';
    out[lines[i].slice(0, at).trim()] = lines[i].slice(at + 1).trim();
  }
  return out;
}

/**
 * A secret shown this once, with a copy button; the console never stores it, and leaving the page (any hash change)
 * blanks it, so going back does not show it again.
 */
export function secretOnce(secret, what) {
  const out = h('output', {class: 'secret', id: 'secret-once'}, secret);
  const copied = h('span', {class: 'hint', 'aria-live': 'polite'});
  const copy = h('button', {type: 'button'}, 'Copy');
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(out.textContent);
      copied.textContent = ' Copied.';
    } catch (e) { // no clipboard here: select it for Ctrl+C
      getSelection().selectAllChildren(out);
      copied.textContent = ' Selected: press Ctrl+C (⌘C) to copy.';
    }
  });
  const box = h('div', {class: 'once', role: 'alert'},
    h('p', {}, 'The ' + what + ' is shown this once. Copy it now: Herald cannot show it again.'), out, copy, copied);
  window.addEventListener('hashchange', () => { out.textContent = ''; box.remove(); }, {once: true});
  return box;
}

async function detail(view, id, current) {
  const e = await get('/v1/endpoints/' + encodeURIComponent(id));
  const recent = await get('/v1/deliveries' + query({endpoint_id: id, limit: 20}));
  const out = h('div', {class: 'action-out', 'aria-live': 'polite'});
  const w = canWrite();
  const actions = w ? [
    link(['endpoints', id, 'edit'], 'Edit', {class: 'button'}),
    action(e.is_active ? 'Disable' : 'Enable', async () => {
      await post('/v1/endpoints/' + encodeURIComponent(id) + (e.is_active ? '/disable' : '/enable'));
      notify(e.is_active ? 'Disabled.' : 'Enabled.');
      await detail(view, id, current);
    }, out),
    action('Send test', async () => {
      const t = await post('/v1/endpoints/' + encodeURIComponent(id) + '/test');
      fill(out, h('section', {class: 'test-result', 'aria-label': 'Test result'},
        h('h2', {}, 'Test ', t.success ? badge('delivered') : badge('failed')),
        facts([['Receiver status', t.status_code == null ? 'no answer' : String(t.status_code)],
          ['Latency', t.duration_ms + ' ms'], ['Error', [t.error_class, t.error_message].filter(Boolean).join(': ') || null],
          ['Delivery', t.delivery_id ? link(['deliveries', t.delivery_id], t.delivery_id) : null]]),
        t.response_excerpt ? pre(t.response_excerpt) : null));
    }, out),
    action('Rotate secret', async () => {
      const r = await post('/v1/endpoints/' + encodeURIComponent(id) + '/rotate-secret');
      fill(out, secretOnce(r.secret, 'new signing secret (the old one keeps signing beside it until '
        + new Date(r.previous_secret_until).toLocaleString() + ')'));
    }, out),
    confirmDelete(e, out),
  ] : [];
  const c = e.circuit || {};
  const recentBox = h('div', {}, await deliveryTable(recent.data, 'Recent deliveries of this endpoint'));
  const refreshRecent = async () => {
    const again = await get('/v1/deliveries' + query({endpoint_id: id, limit: 20}));
    fill(recentBox, await deliveryTable(again.data, 'Recent deliveries of this endpoint'));
  };
  fill(view,
    title(e.name || e.id, ...actions),
    out,
    facts([['Id', e.id], ['URL', e.url], ['Merchant', e.merchant_id], ['Status', e.is_active ? badge('active') : badge('disabled')],
      ['Disabled because', e.disabled_reason], ['Failure streak', String(e.consecutive_failures)],
      ['Circuit breaker', badge(c.state || 'closed', c.state === 'open' ? 'failed' : c.state === 'half_open' ? 'pending' : 'delivered')],
      ['Breaker retries at', c.retry_at ? when(c.retry_at) : null],
      ['Rate limit', e.rate_limit ? e.rate_limit + ' requests/s' : 'none'], ['Ordering', e.ordering],
      ['Signature schemes', (e.signature_schemes || []).join(', ')], ['Encryption', e.encryption],
      ['Retries', e.retry_attempts + ' (' + (e.retry_schedule || []).map(s => s + 's').join(', ') + ')'],
      ['Timeout', e.timeout_seconds + ' s'], ['Events', e.events.join(', ')], ['Description', e.description],
      ['Created', when(e.created_at)], ['Updated', when(e.updated_at)]]),
    w ? recoverBox(id, refreshRecent) : null,
    h('h2', {}, 'Recent deliveries'),
    recentBox,
    h('p', {}, h('a', {href: '#/deliveries' + query({endpoint_id: id})}, 'All deliveries of this endpoint')));
}

function confirmDelete(e, out) {
  return action('Delete…', async () => {
    const yes = h('button', {type: 'button', class: 'danger'}, 'Yes, delete ' + (e.name || e.id));
    const no = h('button', {type: 'button', class: 'secondary'}, 'Keep it');
    yes.addEventListener('click', async () => {
      try {
        await api('DELETE', '/v1/endpoints/' + encodeURIComponent(e.id));
        flash('Endpoint ' + (e.name || e.id) + ' deleted.');
        location.hash = '#/endpoints';
      } catch (err) { fill(out, problemBox(err)); }
    });
    no.addEventListener('click', () => out.replaceChildren());
    fill(out, h('div', {class: 'confirm', role: 'alertdialog', 'aria-label': 'Confirm deletion'},
      h('p', {}, 'Delete endpoint ' + (e.name || e.id) + '? Its deliveries stop. This cannot be undone.'), yes, no));
    no.focus();
  }, out, {class: 'danger'});
}

/** "Recover failed since T": counts what would be resent first, then runs and follows the resent deliveries. */
function recoverBox(id, done) {
  const since = h('input', {type: 'datetime-local', step: 1});
  const d = new Date(Date.now() - 3600e3);
  since.value = new Date(d.getTime() - d.getTimezoneOffset() * 60e3).toISOString().slice(0, 16);
  const out = h('div', {'aria-live': 'polite'});
  const f = h('form', {class: 'recover', novalidate: true},
    h('h2', {}, 'Recover failed deliveries'),
    field('Failed since', 'since', since),
    h('div', {class: 'form-problem'}),
    h('button', {type: 'submit'}, 'Count'), out);
  f.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearFormErrors(f);
    const t = instant(since.value);
    if (!t) return showFormError(f, new Problem(422, {title: 'Invalid field', field: 'since', detail: 'Enter a date and time.'}));
    try {
      const failed = await failedSince(id, t);
      if (!failed.length) return fill(out, h('p', {class: 'count'}, 'No deliveries failed since then.'));
      const go = h('button', {type: 'button', class: 'danger'}, 'Recover ' + failed.length + ' deliveries');
      go.addEventListener('click', async () => {
        go.disabled = true;
        try {
          const r = await post('/v1/endpoints/' + encodeURIComponent(id) + '/recover' + query({since: t}));
          await follow(id, new Set(failed.map(x => x.id)), r.recovered, out);
          await done();
        } catch (err) { fill(out, problemBox(err)); }
      });
      fill(out, h('p', {class: 'count'}, failed.length + ' failed deliver' + (failed.length === 1 ? 'y' : 'ies') + ' since ' + new Date(t).toLocaleString() + ' will be sent again.'), go);
      go.focus();
    } catch (err) { showFormError(f, err); }
  });
  return f;
}

async function failedSince(id, t) {
  const found = [];
  let cursor = null;
  do {
    const page = await get('/v1/deliveries' + query({endpoint_id: id, status: 'failed', limit: 500, cursor}));
    found.push(...page.data.filter(x => x.completed_at && x.completed_at >= t));
    cursor = page.next_cursor;
  } while (cursor && found.length < 10000);
  return found;
}

async function follow(id, ids, recovered, out) {
  const bar = h('progress', {max: Math.max(recovered, 1), value: 0});
  const text = h('p', {class: 'progress-text'});
  fill(out, h('p', {}, 'Recovering ' + recovered + ' deliveries…'), bar, text);
  for (let i = 0; i < 120; i++) {
    const page = await get('/v1/deliveries' + query({endpoint_id: id, limit: 500}));
    const mine = page.data.filter(x => ids.has(x.id));
    const done = mine.filter(x => x.status !== 'pending');
    const ok = mine.filter(x => x.status === 'delivered').length;
    bar.value = done.length;
    text.textContent = done.length + ' of ' + recovered + ' done: ' + ok + ' delivered, ' + (done.length - ok) + ' failed again, '
      + (mine.length - done.length) + ' pending.';
    if (mine.length && done.length === mine.length) { text.textContent = 'Recovery finished. ' + text.textContent; return; }
    await new Promise(r => setTimeout(r, 1000));
  }
}

/** The names of the endpoints of `ids` by id, read at once (one read per endpoint; a deleted one has none). */
async function endpointNames(ids) {
  const names = new Map();
  await Promise.all([...new Set(ids)].map(id => get('/v1/endpoints/' + encodeURIComponent(id))
    .then(e => names.set(id, e.name || null), () => names.set(id, null))));
  return names;
}

/** A delivery table: the endpoint by name (its id beneath), the last status code and error. */
export async function deliveryTable(rows, caption) {
  const names = await endpointNames(rows.map(d => d.endpoint_id));
  return table(caption, [
    {title: 'Delivery', cell: d => link(['deliveries', d.id], d.id)},
    {title: 'Event', cell: d => d.event},
    {title: 'Endpoint', cell: d => names.get(d.endpoint_id)
      ? h('span', {}, link(['endpoints', d.endpoint_id], names.get(d.endpoint_id)), h('br'), h('small', {class: 'muted'}, d.endpoint_id))
      : link(['endpoints', d.endpoint_id], d.endpoint_id)},
    {title: 'Status', cell: d => badge(d.status)},
    {title: 'Attempts', cell: d => String(d.attempts)},
    {title: 'Last code', cell: d => d.last_status_code == null ? '—' : String(d.last_status_code)},
    {title: 'Error', cell: d => d.last_error ? h('span', {class: 'error-text'}, d.last_error) : '—'},
    {title: 'Created', cell: d => when(d.created_at)},
  ], rows, 'No deliveries.');
}
