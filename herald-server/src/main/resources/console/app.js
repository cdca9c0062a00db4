// The Herald console: log in, then hash routes (#/endpoints, #/deliveries/dlv_…) rendered from /v1 answers.
import {h, fill} from './dom.js';
import {api, setCsrf, onSessionEnded, Problem} from './api.js';
import {session, isAdmin, problemBox, notify, takeFlash, showFormError} from './ui.js';
import {field} from './dom.js';
import {routes} from './routes.js';

const main = document.getElementById('main');

async function start() {
  document.getElementById('logout').addEventListener('click', logout);
  onSessionEnded(() => { if (session.key) loggedOut('Your session has ended. Log in again.'); }); // not when logging out
  window.addEventListener('hashchange', render);
  try {
    const me = await api('GET', '/console/session');
    loggedIn(me);
  } catch (e) {
    if (e instanceof Problem && e.status === 401) loggedOut();
    else fill(main, problemBox(e));
  }
}

function loggedIn(me) {
  session.key = me.key;
  setCsrf(me.csrf_token);
  document.getElementById('top').hidden = false;
  const k = me.key;
  fill(document.getElementById('who'), k.name, ' · ', k.merchant_id ? 'merchant ' + k.merchant_id : (isAdmin() ? 'operator' : 'unbound'));
  const nav = document.getElementById('nav');
  const items = [['', 'Overview'], ['endpoints', 'Endpoints'], ['deliveries', 'Deliveries'], ['events', 'Events'], ['event-types', 'Event types'],
    ['merchants', k.merchant_id ? 'My merchant' : 'Merchants']];
  if (isAdmin()) items.push(['keys', 'API keys'], ['audit', 'Audit log']);
  else items.push(['audit', 'Audit log']);
  fill(nav, h('ul', {}, items.map(([p, t]) => h('li', {}, h('a', {href: '#/' + p, 'data-route': p}, t)))));
  render();
}

function loggedOut(message) {
  session.key = null;
  rendering++; // a page that follows something (a pending delivery) stops
  setCsrf(null);
  document.getElementById('top').hidden = true;
  const keyInput = h('input', {type: 'password', autocomplete: 'off', required: true, spellcheck: 'false'});
  const form = h('form', {class: 'login', novalidate: true},
    h('h1', {}, 'Herald console'),
    message ? h('p', {class: 'notice'}, message) : null,
    h('p', {}, 'Log in with an API key. It is exchanged for a session and not kept in this browser.'),
    field('API key', 'key', keyInput),
    h('div', {class: 'form-problem'}),
    h('button', {type: 'submit'}, 'Log in'));
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    try {
      const me = await api('POST', '/console/session', {key: keyInput.value});
      keyInput.value = '';
      loggedIn(me);
    } catch (e) { showFormError(form, e); }
  });
  fill(main, form);
  keyInput.focus();
}

async function logout() {
  session.key = null; // requests still in flight now answer 401: that is this logout, not a session that ended
  rendering++;
  try { await api('DELETE', '/console/session'); } catch (e) { /* the session is gone either way */ }
  location.hash = '#/';
  loggedOut('You are logged out.');
}

let rendering = 0;

/** Renders the page of the current hash. */
async function render() {
  if (!session.key) return;
  const path = location.hash.replace(/^#\/?/, '');
  const [route, qs] = path.split('?');
  const parts = route.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(qs || '');
  const mine = ++rendering;
  notify(takeFlash());
  document.querySelectorAll('#nav a').forEach(a => {
    if (a.dataset.route === (parts[0] || '')) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  const page = routes[parts[0] || ''];
  const view = h('div', {class: 'page'}, h('p', {class: 'loading'}, 'Loading…'));
  fill(main, view);
  try {
    if (!page) throw new Problem(404, {title: 'Not found', detail: 'The console has no page ' + route + '.'});
    await page(view, parts.slice(1), params, () => mine === rendering);
  } catch (e) {
    if (mine === rendering) fill(view, problemBox(e));
  }
  if (mine === rendering) {
    const h1 = main.querySelector('h1');
    if (h1) h1.focus({preventScroll: true});
  }
}

start();
