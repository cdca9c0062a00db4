// API keys (operator): list, create (the key shown once), revoke.
import {h, fill, table, field, when} from './dom.js';
import {get, post, api} from './api.js';
import {isAdmin, notify, showFormError, clearFormErrors, title, action, problemBox} from './ui.js';
import {secretOnce} from './endpoints.js';

const SCOPES = ['admin', 'merchant:write', 'merchant:read', 'events:publish'];

export async function keys(view) {
  const list = await get('/v1/api-keys?limit=500');
  const name = h('input', {type: 'text'});
  const merchant = h('input', {type: 'text'});
  const boxes = SCOPES.map(s => h('input', {type: 'checkbox', value: s, id: 'scope-' + s.replace(':', '-')}));
  const f = h('form', {class: 'edit', novalidate: true},
    field('Name', 'name', name), field('Merchant', 'merchant_id', merchant, 'Required for merchant scopes'),
    h('fieldset', {}, h('legend', {}, 'Scopes'), boxes.map(b => h('label', {class: 'check'}, b, ' ' + b.value)),
      h('span', {id: 'err-scopes', class: 'field-error', role: 'alert'})),
    h('div', {class: 'form-problem'}), h('button', {type: 'submit'}, 'Create key'));
  const out = h('div', {'aria-live': 'polite'});
  f.addEventListener('submit', async ev => {
    ev.preventDefault();
    clearFormErrors(f);
    const body = {name: name.value.trim(), scopes: boxes.filter(b => b.checked).map(b => b.value)};
    if (merchant.value.trim()) body.merchant_id = merchant.value.trim();
    try {
      const made = await post('/v1/api-keys', body);
      await keys(view);
      view.prepend(secretOnce(made.key, 'API key'));
    } catch (err) { showFormError(f, err); }
  });
  fill(view, title('API keys'), out, table('Live keys', [
    {title: 'Name', cell: k => k.name},
    {title: 'Prefix', cell: k => k.prefix + '…'},
    {title: 'Merchant', cell: k => k.merchant_id || '—'},
    {title: 'Scopes', cell: k => k.scopes.join(', ')},
    {title: 'Last used', cell: k => when(k.last_used_at)},
    {title: 'Revoke', cell: k => action('Revoke ' + k.name, async () => {
      await api('DELETE', '/v1/api-keys/' + encodeURIComponent(k.id));
      notify('Key ' + k.name + ' revoked.');
      await keys(view);
    }, out, {class: 'danger small'})},
  ], list.data), h('h2', {}, 'New key'), f);
}
