// The console's only way to the server: /v1 (and its own /console/session), with the session cookie and CSRF token.

let csrf = null;
let onEnded = () => {};

/** A problem answer (RFC 9457) as an error: status, title, detail and the field at fault. */
export class Problem extends Error {
  constructor(status, body) {
    const b = body && typeof body === 'object' ? body : {};
    super(b.detail || b.title || ('HTTP ' + status));
    this.status = status;
    this.title = b.title || ('HTTP ' + status);
    this.detail = b.detail || '';
    this.field = b.field || null;
  }
}

/** A request body sent as this JSON text, byte for byte (api() would otherwise JSON.stringify the body it is given). */
export class RawJson {
  constructor(text) { this.text = text; }
}

export function setCsrf(token) { csrf = token; }
export function onSessionEnded(f) { onEnded = f; }

/** Calls the API; answers the answer's text (empty for 204) or throws a Problem. */
export async function apiText(method, path, body) {
  const headers = {'Accept': 'application/json'};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  let res;
  try {
    res = await fetch(path, {method, headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error',
      body: body === undefined ? undefined : body instanceof RawJson ? body.text : JSON.stringify(body)});
  } catch (e) {
    throw new Problem(0, {title: 'Herald did not answer', detail: 'The request could not be sent: ' + e.message});
  }
  const text = await res.text();
  if (!res.ok) {
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
    const p = new Problem(res.status, json);
    if (res.status === 401 && path.startsWith('/v1')) onEnded(p);
    throw p;
  }
  return text;
}

/** Calls the API; answers the parsed JSON (null for 204) or throws a Problem. */
export async function api(method, path, body) {
  const text = await apiText(method, path, body);
  try { return text ? JSON.parse(text) : null; } catch (e) { return null; }
}

export const get = path => api('GET', path);
export const post = (path, body) => api('POST', path, body);

/** A query string of the non-empty entries of obj. */
export function query(obj) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(obj)) if (v != null && v !== '' && v !== false) q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}
