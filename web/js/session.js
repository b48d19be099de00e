// The signed-in session and the JSON API client every page uses.
//
// Tokens live in localStorage (one browser profile, one clinic user): a
// 15-minute access token and a rotating refresh token. A 401 refreshes once
// and retries; a failed refresh signs out and sends the user to the login
// page with ?next= the page they were on, so a reminder link opened while
// signed out lands back on that page after login.

const KEY = 'confide.session';

/** An API error: `status` (HTTP), `code` (Twilio-style), `fields` (per-field
 *  problems), `retryAfter` (seconds, from a 429's Retry-After, else null). */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {{code?: number, message?: string, fields?: Record<string, string>}} body
   * @param {number|null} [retryAfter]
   */
  constructor(status, body, retryAfter = null) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || 20000 + status;
    this.fields = body.fields || {};
    this.retryAfter = retryAfter;
  }

  /** When to try again, for a sentence: "in 20 minutes", "in 6 seconds".
   *  A reset e-mail's limit is 20 minutes: "wait a minute" would send
   *  people back to be refused again. */
  retryWhen() {
    const s = this.retryAfter;
    if (!s) return 'in a little while';
    if (s < 60) return `in ${s} second${s === 1 ? '' : 's'}`;
    const m = Math.ceil(s / 60);
    return `in ${m} minute${m === 1 ? '' : 's'}`;
  }
}

/** @returns {{access_token: string, refresh_token: string, user: any} | null} */
export function session() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || 'null');
  } catch {
    return null;
  }
}

function save(value) {
  if (value) localStorage.setItem(KEY, JSON.stringify(value));
  else localStorage.removeItem(KEY);
}

/** The signed-in user, or null. */
export function currentUser() {
  return session()?.user ?? null;
}

/** Where the login page sends the user back to (same origin only). */
export function loginUrl(next = location.pathname + location.search) {
  return `/login.html?next=${encodeURIComponent(next)}`;
}

/** Sends the browser to the login page unless someone is signed in. */
export function requireSignIn() {
  if (!session()) {
    location.replace(loginUrl());
    return false;
  }
  return true;
}

async function request(path, { method = 'GET', body, token, keepalive = false } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    // Outlives the page (a request sent as it closes).
    keepalive,
  });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text };
  }
  if (!response.ok) {
    const wait = Number.parseInt(response.headers.get('Retry-After') || '', 10);
    throw new ApiError(response.status, data || {}, Number.isFinite(wait) ? wait : null);
  }
  return data;
}

/**
 * Calls the API as nobody, whoever is signed in here: the clinic's public
 * facts, sign-up, password resets (someone else's token has no business
 * going with those, and their 401s are not a reason to refresh it).
 * @param {string} path
 * @param {{method?: string, body?: any}} [options]
 */
export function publicApi(path, options = {}) {
  return request(path, options);
}

let refreshing = null;

async function refresh() {
  const current = session();
  if (!current) throw new ApiError(401, { code: 20003, message: 'not signed in' });
  // Concurrent 401s share one refresh: the refresh token rotates on use.
  refreshing ??= request('/api/auth/refresh', {
    method: 'POST',
    body: { refresh_token: current.refresh_token },
  })
    .then((tokens) => save({ ...current, ...tokens }))
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/**
 * Calls the API as the signed-in user.
 * @param {string} path
 * @param {{method?: string, body?: any}} [options]
 */
export async function api(path, options = {}) {
  const current = session();
  try {
    return await request(path, { ...options, token: current?.access_token });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401 || !current) throw err;
    try {
      await refresh();
    } catch {
      save(null);
      location.assign(loginUrl());
      throw err;
    }
    return request(path, { ...options, token: session()?.access_token });
  }
}

/**
 * Keeps a session the server started (a login, a sign-up, a reset link's
 * new password) as this browser's; returns its user.
 * @param {{access_token: string, refresh_token: string, user: any}} tokens
 */
export function startSession(tokens) {
  save(tokens);
  return tokens.user;
}

/** Signs in; returns the user. */
export async function signIn(email, password) {
  return startSession(await request('/api/auth/login', { method: 'POST', body: { email, password } }));
}

/** Where a user's pages start: the admin page, or the dashboard. */
export function homePath(user) {
  return user?.role === 'admin' ? '/admin/' : '/';
}

export async function signOut() {
  const current = session();
  if (current) {
    try {
      await request('/api/auth/logout', { method: 'POST', token: current.access_token });
    } catch {
      // Signed out locally whatever the server says.
    }
  }
  save(null);
}

/** The `next` parameter, if it is a path on this site. */
export function nextPath(fallback = '/') {
  const next = new URLSearchParams(location.search).get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : fallback;
}
