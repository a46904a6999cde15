// Calls to the patchkeeper API from the console. The browser sends the
// HttpOnly session cookie by itself; each request adds the CSRF token read
// from the pk_csrf cookie, without which the server rejects the cookie.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function csrfToken() {
  for (const part of document.cookie.split(';')) {
    const [name, ...rest] = part.trim().split('=');
    if (name === 'pk_csrf') return rest.join('=');
  }
  return '';
}

export function hasSessionCookie() {
  return csrfToken() !== '';
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

async function request(method, path, body, { raw = false } = {}) {
  const headers = { 'X-Requested-With': 'patchkeeper' };
  const token = csrfToken();
  if (token) headers['X-CSRF-Token'] = token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (response.status === 401 && path !== '/api/v1/web/login') onUnauthorized();
  if (!response.ok) {
    let code = 'http_' + response.status;
    let message = `The server returned HTTP ${response.status}.`;
    try {
      const error = (await response.json()).error;
      if (error) {
        code = error.code || code;
        message = error.message || message;
      }
    } catch {
      // Not JSON: keep the status text.
    }
    throw new ApiError(response.status, code, message);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body = {}) => request('POST', path, body),
  put: (path, body = {}) => request('PUT', path, body),
  patch: (path, body = {}) => request('PATCH', path, body),
  del: (path) => request('DELETE', path),
  raw: (path) => request('GET', path, undefined, { raw: true }),
};

// Builds "path?key=value&..." from the entries whose value is set.
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') query.set(key, value);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

// Downloads `path` (a CSV report, say) through fetch, so the CSRF header
// goes with it, and saves it under `filename`.
export async function download(path, filename) {
  const response = await api.raw(path);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
