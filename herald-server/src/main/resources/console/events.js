// Events: find by id, type or account; one event's payload and how each of its deliveries went.
import {h, fill, link, table, facts, field, when, pre} from './dom.js';
import {get, apiText, query} from './api.js';
import {rawMember} from './rawjson.js';
import {payloadBeside} from './catalog.js';
import {title, action} from './ui.js';
import {deliveryTable} from './endpoints.js';

export async function events(view, rest, params) {
  if (rest[0]) return detail(view, rest[0]);
  const id = h('input', {type: 'text', placeholder: 'evt_… or your id'});
  const type = h('input', {type: 'text', value: params.get('type') || '', placeholder: 'transfer.completed'});
  const account = h('input', {type: 'text', value: params.get('account') || ''});
  const byId = h('form', {class: 'filters', role: 'search'}, field('Event id', 'id', id), h('button', {type: 'submit'}, 'Open'));
  byId.addEventListener('submit', ev => { ev.preventDefault(); if (id.value.trim()) location.hash = '#/events/' + encodeURIComponent(id.value.trim()); });
  const f = h('form', {class: 'filters', role: 'search'}, field('Type', 'type', type), field('Account', 'account', account, 'account_uuid, among the events loaded'),
    h('button', {type: 'submit'}, 'Find'));
  f.addEventListener('submit', ev => { ev.preventDefault(); location.hash = '#/events' + query({type: type.value.trim(), account: account.value.trim()}); });
  const acc = params.get('account');
  const out = h('div', {});
  const more = h('div', {});
  const rows = [];
  const load = async after => {
    const page = await get('/v1/events' + query({type: params.get('type'), limit: 500, after}));
    rows.push(...page.data.filter(e => !acc || e.account_uuid === acc));
    fill(out, table('Events, in the order received (' + rows.length + (page.has_more ? '+' : '') + ')', [
      {title: 'Event', cell: e => link(['events', e.id], e.id)},
      {title: 'Type', cell: e => e.event},
      {title: 'Merchant', cell: e => e.merchant_id || '—'},
      {title: 'Account', cell: e => e.account_uuid || '—'},
      {title: 'Received', cell: e => when(e.received_at)},
    ], rows, 'No events found.'));
    fill(more, page.has_more ? action('Next 500', () => load(page.next_cursor)) : null);
  };
  fill(view, title('Events'), byId, f, out, more);
  await load(null);
}

/**
 * One event: its payload's `data` shown from the answer's text as the producer wrote it (numbers are not re-printed),
 * beside its type's schema.
 */
async function detail(view, id) {
  const text = await apiText('GET', '/v1/events/' + encodeURIComponent(id));
  const e = JSON.parse(text);
  const data = rawMember(text, 'data');
  const dl = await get('/v1/deliveries' + query({event: e.id, limit: 500}));
  fill(view, title('Event ' + e.id),
    facts([['Type', link(['event-types', e.event], e.event)], ['Merchant', e.merchant_id], ['Account', e.account_uuid], ['Received', when(e.received_at)],
      ['Priority', String(e.priority)], ['Ordering key', e.ordering_key], ['Idempotency key', e.idempotency_key], ['Trace', e.trace_id]]),
    h('h2', {}, 'Payload'), await payloadBeside(data, e.event),
    h('h2', {}, 'Deliveries'), await deliveryTable(dl.data, 'Who got this event and how it went'));
}
