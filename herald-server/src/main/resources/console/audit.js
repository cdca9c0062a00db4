// The audit log: newest first, filtered by target, actor and action; the operator may verify the chain.
import {h, fill, table, field, when, pre} from './dom.js';
import {get, query} from './api.js';
import {isAdmin, title, action} from './ui.js';

export async function audit(view, rest, params) {
  const p = {target: params.get('target') || '', actor: params.get('actor') || '', action: params.get('action') || ''};
  const inputs = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, h('input', {type: 'text', value: v})]));
  const f = h('form', {class: 'filters', role: 'search'}, field('Target', 'target', inputs.target), field('Actor', 'actor', inputs.actor),
    field('Action', 'action', inputs.action), h('button', {type: 'submit'}, 'Filter'));
  f.addEventListener('submit', ev => {
    ev.preventDefault();
    location.hash = '#/audit' + query(Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, i.value.trim()])));
  });
  const page = await get('/v1/audit' + query({...p, limit: 200}));
  const out = h('div', {'aria-live': 'polite'});
  const verify = isAdmin() ? action('Verify chain', async () => {
    const v = await get('/v1/audit/verify');
    fill(out, h('p', {class: v.ok ? 'ok' : 'problem'}, v.ok ? 'The chain of ' + v.entries + ' entries is intact.'
      : 'The chain is broken at entry ' + v.first_bad_entry + ': ' + v.problem));
  }, out) : null;
  fill(view, title('Audit log', verify), out, f, table('Audit entries (newest first)', [
    {title: 'When', cell: e => when(e.at)},
    {title: 'Actor', cell: e => e.actor ? (e.actor.name || e.actor.key_id) : '—'},
    {title: 'Action', cell: e => e.action},
    {title: 'Target', cell: e => e.target ? e.target.type + ' ' + e.target.id : '—'},
    {title: 'From', cell: e => e.client_address || '—'},
    {title: 'Change', cell: e => h('details', {}, h('summary', {}, 'before / after'), pre({before: e.before, after: e.after}))},
  ], page.data, 'No entries.'));
}
