// Deliveries: the log with filters, and one delivery's attempt timeline with resend and its data beside its type's schema.
import {h, fill, link, facts, field, when, badge, pre} from './dom.js';
import {get, post, apiText, query, Problem} from './api.js';
import {rawMember} from './rawjson.js';
import {payloadBeside} from './catalog.js';
import {isAdmin, canWrite, notify, title, action, instant, showFormError, problemBox} from './ui.js';
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
    fill(out, await deliveryTable(rows, 'Deliveries (' + rows.length + (page.has_more ? '+' : '') + ')'));
    fill(more, page.has_more ? action('Load more', () => load(page.next_cursor)) : null);
  };
  const bulk = canWrite() ? bulkResend(p) : null;
  fill(view, title('Deliveries'), f, bulk, out, more);
  try { await load(null); } catch (err) { showFormError(f, err); } // a bad filter is shown at its field
}

/**
 * "Resend all that match": the list's filters go to POST /v1/deliveries/resend, after a confirmation that says how
 * many the filter selects (the server refuses more than it may send at once).
 */
function bulkResend(p) {
  const out = h('div', {class: 'bulk-out', 'aria-live': 'polite'});
  let asOf = null; // without an end of its own, the set ends when it was counted: later deliveries are not in it
  const params = () => ({status: p.status, endpoint_id: p.endpoint_id, merchant_id: p.merchant_id, event: p.event,
    since: instant(p.since), until: instant(p.until) || asOf});
  const ask = action('Resend all that match…', async () => {
    asOf = new Date().toISOString();
    let n = 0;
    let cursor = null;
    do { // count what the filter selects, as the server will
      const page = await get('/v1/deliveries' + query({...params(), limit: 500, cursor}));
      n += page.data.length;
      cursor = page.next_cursor;
    } while (cursor && n <= BULK_MAX);
    if (!n) return fill(out, h('p', {}, 'No delivery matches these filters.'));
    if (n > BULK_MAX) return fill(out, problemBox(new Problem(422, {title: 'Too many deliveries',
      detail: 'These filters select more than ' + BULK_MAX + ' deliveries; narrow them (status, endpoint, time range) first.'})));
    const yes = h('button', {type: 'button', class: 'danger'}, 'Yes, resend ' + n + ' deliver' + (n === 1 ? 'y' : 'ies'));
    const no = h('button', {type: 'button', class: 'secondary'}, 'Cancel');
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        const r = await post('/v1/deliveries/resend' + query({...params(), limit: n}));
        fill(out, h('p', {class: 'bulk-done'}, 'Resent ' + r.resent + ' of ' + r.matched + ' deliveries'
          + (r.resent < r.matched ? ' (the others are cancelled or being sent right now)' : '') + '.'));
      } catch (err) { fill(out, problemBox(err)); }
    });
    no.addEventListener('click', () => out.replaceChildren());
    fill(out, h('div', {class: 'confirm', role: 'alertdialog', 'aria-label': 'Confirm resend'},
      h('p', {}, 'Send ' + n + ' deliver' + (n === 1 ? 'y' : 'ies') + ' matching these filters again, each with a fresh retry budget?'), yes, no));
    no.focus();
  }, out, {class: 'secondary'});
  return h('div', {class: 'bulk'}, ask, out);
}

/** The most deliveries one bulk resend sends (the API's bound). */
const BULK_MAX = 1000;

async function detail(view, id, current) {
  const d = await get('/v1/deliveries/' + encodeURIComponent(id));
  const [next, request, payload] = await Promise.all([nextAttempt(d), sentRequest(id), eventPayload(d)]);
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
    facts([['Status', badge(d.status)], ['Event', link(['events', d.event_id], d.event_id)], ['Event type', link(['event-types', d.event], d.event)],
      ['Endpoint', link(['endpoints', d.endpoint_id], d.endpoint_id)], ['Merchant', d.merchant_id], ['Attempts', String(d.attempts.length)],
      ['Next attempt', next], ['Last error', d.last_error],
      ['Created', when(d.created_at)], ['Completed', when(d.completed_at)]]),
    h('h2', {}, 'Payload'), payload,
    h('h2', {}, 'Request'), request,
    h('h2', {}, 'Attempts'),
    d.attempts.length ? h('ol', {class: 'timeline', 'aria-label': 'Attempt timeline'}, d.attempts.map(attempt)) : h('p', {class: 'empty'}, 'No attempt yet.'));
  if (d.status === 'pending') { // follow it until it settles
    setTimeout(() => { if (current()) detail(view, id, current).catch(() => {}); }, 1500);
  }
}

/**
 * When a pending delivery will really be tried: its next_attempt_at while that is ahead; once it has passed, what holds
 * it (the endpoint's open breaker and its next probe, a disabled endpoint) or that it is due now.
 */
async function nextAttempt(d) {
  if (d.status !== 'pending' || !d.next_attempt_at) return null;
  if (new Date(d.next_attempt_at) > new Date()) return when(d.next_attempt_at);
  let e = null;
  try { e = await get('/v1/endpoints/' + encodeURIComponent(d.endpoint_id)); } catch (err) { /* gone: nothing holds it */ }
  const c = e && e.circuit || {};
  if (e && !e.is_active) return h('span', {class: 'held'}, 'Waiting: the endpoint is disabled; it is sent when the endpoint is enabled.');
  if (c.state === 'open' && c.retry_at) {
    return h('span', {class: 'held'}, 'Waiting for the endpoint\'s breaker (open after ' + c.consecutive_failures
      + ' failures in a row), next probe at ', when(c.retry_at));
  }
  if (c.state === 'half_open') return h('span', {class: 'held'}, 'Waiting for the endpoint\'s breaker: a probe is being sent now.');
  return h('span', {}, 'Due now (since ', when(d.next_attempt_at), ')');
}

/** The event's data as its producer posted it, beside its type's schema. */
async function eventPayload(d) {
  let text;
  try { text = await apiText('GET', '/v1/events/' + encodeURIComponent(d.event_id)); } catch (err) {
    if (err instanceof Problem && err.status === 404) return h('p', {class: 'empty'}, 'The event is no longer kept: its data cannot be shown.');
    throw err;
  }
  return payloadBeside(rawMember(text, 'data'), d.event);
}

/** The request each try sends: method, URL, headers (custom values masked, per-try values named) and body as stored. */
async function sentRequest(id) {
  let r;
  try { r = await get('/v1/deliveries/' + encodeURIComponent(id) + '/request'); } catch (err) {
    if (err instanceof Problem && err.status === 404) return h('p', {class: 'empty'}, 'Its endpoint was deleted: the request is not known.');
    throw err;
  }
  const headers = Object.entries(r.headers);
  return h('section', {class: 'request', 'aria-label': 'Request'},
    h('p', {class: 'request-line'}, h('code', {}, r.method + ' ' + r.url)),
    h('details', {open: true}, h('summary', {}, 'Request headers (' + headers.length + ')'),
      h('dl', {class: 'headers request-headers'}, headers.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))),
    h('details', {open: true}, h('summary', {}, 'Request body' + (r.sealed ? ' (sent sealed with the endpoint\'s payload key; shown in clear)' : '')),
      h('pre', {class: 'code request-body'}, r.body)));
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
