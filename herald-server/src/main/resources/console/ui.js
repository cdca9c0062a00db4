// Shared page pieces: the session's identity, problems shown as title and detail, form errors next to their field.
import {h, fill} from './dom.js';
import {Problem} from './api.js';

export const session = {key: null};

export const isAdmin = () => !!session.key && session.key.scopes.includes('admin');
export const canWrite = () => isAdmin() || session.key.scopes.includes('merchant:write');

/** A problem box: its title and detail. */
export function problemBox(err) {
  const p = err instanceof Problem ? err : new Problem(0, {title: 'Something went wrong', detail: String(err && err.message || err)});
  return h('div', {class: 'problem', role: 'alert'},
    h('strong', {class: 'problem-title'}, p.title),
    p.detail ? h('p', {class: 'problem-detail'}, p.detail) : null);
}

let flashed = '';

/** Shows text once the next page (after a hash change) is drawn. */
export function flash(text) { flashed = text; }

/** The message left for this page by flash, once. */
export function takeFlash() { const t = flashed; flashed = ''; return t; }

/** Shows a short message in the live region. */
export function notify(text) {
  const n = document.getElementById('notice');
  fill(n, text ? h('p', {}, text) : null);
}

/**
 * Shows err on form: next to the field a problem names ("events[0]" and "headers.X" go to "events" and "headers"),
 * or in the form's own problem slot. Returns nothing; clears earlier errors.
 */
export function showFormError(form, err) {
  clearFormErrors(form);
  const slot = form.querySelector('.form-problem');
  if (err instanceof Problem && err.field) {
    const exact = err.field.split('[')[0];
    const base = form.querySelector('#err-' + CSS.escape(exact)) ? exact : err.field.split(/[.\[]/)[0];
    const holder = form.querySelector('#err-' + CSS.escape(base));
    if (holder) {
      holder.textContent = err.detail || err.title;
      const input = form.querySelector('#f-' + CSS.escape(base));
      if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
      return;
    }
  }
  if (slot) fill(slot, problemBox(err));
}

export function clearFormErrors(form) {
  form.querySelectorAll('.field-error').forEach(e => { e.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach(e => e.removeAttribute('aria-invalid'));
  const slot = form.querySelector('.form-problem');
  if (slot) slot.replaceChildren();
}

/** A page heading (focused for screen readers and keyboard users when a page opens). */
export function title(text, ...actions) {
  return h('div', {class: 'page-head'}, h('h1', {tabindex: '-1'}, text), actions.length ? h('div', {class: 'actions'}, actions) : null);
}

/** A button that runs an async action, disabled while it runs, showing a problem in `out` when it fails. */
export function action(label, run, out, attrs) {
  const b = h('button', {type: 'button', ...attrs}, label);
  b.addEventListener('click', async () => {
    b.disabled = true;
    if (out) out.replaceChildren();
    try { await run(b); } catch (e) { if (out) fill(out, problemBox(e)); else notify(e.title + ': ' + e.detail); }
    finally { b.disabled = false; }
  });
  return b;
}

/** "2026-01-01T10:00" (datetime-local) as an RFC 3339 UTC instant, or null. */
export function instant(local) {
  if (!local) return null;
  const d = new Date(local);
  return isNaN(d) ? null : d.toISOString();
}
