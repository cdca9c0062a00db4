// Deliveries: the log with filters, and one delivery's attempt timeline with resend.
import {h, fill, link, facts, field, when, badge, pre} from './dom.js';
import {get, post, query} from './api.js';
import {isAdmin, canWrite, notify, title, action, instant, showFormError} from './ui.js';
import {deliveryTable} from './endpoints.js';

export async function deliveries(view, rest, params, current) {
  if (rest[0]) return detail(view, rest[0], current);
  return list(view, params);
}

const FILTERS = ['status', 'endpoint_id', 'merchant_id', 'event', 'since', 'until'];

async function list(view, params) {
  const p = Object.fromEntries(FILTERS.map(f => [f, params.get(f) || '']));
  const inputs = {
    status: h('select', {}, ['', 'pending', 'delivered', 'failed', 'cancelled'].map(s => h('option', {value: s}, s || 'any'))),
    endpoint_id: h('input', {type: 'text', value: p.endpoint_id, placeholder: 'ep_…'}),
    merchant_id: h('input', {type: 'text', value: p.merchant_id}),
    event: h('input', {type: 'text', value: p.event, placeholder: 'event type or id'}),
    since: h('input', {type: 'datetime-local', step: 1, value: p.since}),
    until: h('input', {type: 'datetime-local', step: 1, value: p.until}),
  };
  inputs.status.value = p.status;
  const f = h('form', {class: 'filters', role: 'search'},
    field('Status', 'status', inputs.status), field('Endpoint', 'endpoint_id', inputs.endpoint_id),
    isAdmin() ? field('Merchant', 'merchant_id', inputs.merchant_id) : null,
    field('Event', 'event', inputs.event), field('From', 'since', inputs.since), field('Until', 'until', inputs.until, 'Up to, not including'),
    h('button', {type: 'submit'}, 'Filter'), h('div', {class: 'form-problem'}));
  f.addEventListener('submit', ev => {
    ev.preventDefault();
    location.hash = '#/deliveries' + query(Object.fromEntries(FILTERS.map(k => [k, inputs[k].value.trim()])));
  });
  const out = h('div', {});
  const more = h('div', {});
  const rows = [];
  const load = async cursor => { // the server applies every filter, the time range too (since ≤ created < until)
    const page = await get('/v1/deliveries' + query({status: p.status, endpoint_id: p.endpoint_id, merchant_id: p.merchant_id,
      event: p.event, since: instant(p.since), until: instant(p.until), limit: 100, cursor}));
    rows.push(...page.data);
    fill(out, deliveryTable(rows, 'Deliveries (' + rows.length + (page.has_more ? '+' : '') + ')'));
    fill(more, page.has_more ? action('Load more', () => load(page.next_cursor)) : null);
  };
  fill(view, title('Deliveries'), f, out, more);
  try { await load(null); } catch (err) { showFormError(f, err); } // a bad filter is shown at its field
}

async function detail(view, id, current) {
  const d = await get('/v1/deliveries/' + encodeURIComponent(id));
  const out = h('div', {class: 'action-out', 'aria-live': 'polite'});
  const resend = canWrite() ? action('Resend', async () => {
    const r = await post('/v1/deliveries/' + encodeURIComponent(id) + '/resend');
    notify('Resent: the delivery is ' + r.status + ' again.');
    await detail(view, id, current);
  }, out) : null;
  const refresh = action('Refresh', () => detail(view, id, current));
  fill(view,
    title('Delivery ' + d.id, resend, refresh),
    out,
    facts([['Status', badge(d.status)], ['Event', link(['events', d.event_id], d.event_id)], ['Event type', d.event],
      ['Endpoint', link(['endpoints', d.endpoint_id], d.endpoint_id)], ['Merchant', d.merchant_id], ['Attempts', String(d.attempts.length)],
      ['Next attempt', d.next_attempt_at ? when(d.next_attempt_at) : null], ['Last error', d.last_error],
      ['Created', when(d.created_at)], ['Completed', when(d.completed_at)]]),
    h('h2', {}, 'Attempts'),
    d.attempts.length ? h('ol', {class: 'timeline', 'aria-label': 'Attempt timeline'}, d.attempts.map(attempt)) : h('p', {class: 'empty'}, 'No attempt yet.'));
  if (d.status === 'pending') { // follow it until it settles
    setTimeout(() => { if (current()) detail(view, id, current).catch(() => {}); }, 1500);
  }
}

function attempt(a) {
  const ok = a.status_code != null && a.status_code >= 200 && a.status_code < 300 && !a.error_class;
  const headers = Object.entries(a.response_headers || {});
  return h('li', {class: 'attempt ' + (ok ? 'ok' : 'bad')},
    h('h3', {}, 'Attempt ' + a.attempt + ' ', badge(a.status_code == null ? 'no answer' : String(a.status_code), ok ? 'delivered' : 'failed')),
    facts([['Started', when(a.started_at)], ['Duration', a.duration_ms + ' ms'], ['Error class', a.error_class], ['Error', a.error_message]]),
    a.response_excerpt ? h('details', {open: true}, h('summary', {}, 'Response excerpt'), pre(a.response_excerpt)) : null,
    headers.length ? h('details', {}, h('summary', {}, 'Response headers (' + headers.length + ')'),
      h('dl', {class: 'headers'}, headers.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))) : null);
}
