// The public HTTP API as the console uses it: JSON calls with the access token, errors as
// readable messages, and a session that refreshes itself before the access token expires.
//
// Where tokens live: the access token only in memory; the refresh token in sessionStorage
// (this tab only, gone when it closes) so that a reload keeps you signed in. The API has no
// HttpOnly-cookie refresh route, and localStorage would outlive the tab, so it is never used.

const REFRESH_KEY = "chatmesh.console.refresh";
const MIN_REFRESH_DELAY_MS = 5000;

export class ApiError extends Error {
  constructor(status, body) {
    super(messageOf(status, body));
    this.status = status;
    this.body = body;
  }
}

function messageOf(status, body) {
  if (body && typeof body === "object") {
    const text = body.message || (body.error && body.error.message);
    if (text) return `${text} (HTTP ${status})`;
  }
  if (status === 0) return "The server could not be reached.";
  return `The server answered HTTP ${status}.`;
}

const session = { access: "", expiresAt: 0, user: null, timer: 0, refreshing: null, listeners: new Set(), inFlight: new Set() };

export function currentUser() {
  return session.user;
}

/** Called with the user (or null) whenever someone signs in or out. */
export function onSessionChange(listener) {
  session.listeners.add(listener);
}

function announce() {
  for (const listener of session.listeners) listener(session.user);
}

function store(tokens) {
  session.access = tokens.accessToken;
  const seconds = Number(tokens.expiresIn || 900);
  session.expiresAt = Date.now() + seconds * 1000;
  if (tokens.refreshToken) sessionStorage.setItem(REFRESH_KEY, tokens.refreshToken);
  clearTimeout(session.timer);
  // Refresh at 80% of the lifetime, so a request never goes out with a token about to lapse.
  const delay = Math.max(MIN_REFRESH_DELAY_MS, seconds * 800);
  session.timer = setTimeout(() => refresh().catch(() => signedOut()), delay);
}

function signedOut() {
  clearTimeout(session.timer);
  session.access = "";
  session.user = null;
  sessionStorage.removeItem(REFRESH_KEY);
  announce();
}

async function send(method, path, body, headers = {}, signal = undefined) {
  const init = { method, signal, headers: { accept: "application/json", ...headers } };
  if (session.access) init.headers.authorization = `Bearer ${session.access}`;
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const call = fetch(path, init);
  session.inFlight.add(call);
  try {
    return await call;
  } catch {
    throw new ApiError(0, null);
  } finally {
    session.inFlight.delete(call);
  }
}

async function parse(response) {
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { message: text.slice(0, 200) };
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** One JSON call; on 401 with a refresh token at hand, refresh once and retry. */
export async function api(method, path, body) {
  let response = await send(method, path, body);
  if (response.status === 401 && sessionStorage.getItem(REFRESH_KEY) && !path.startsWith("/v1/auth:")) {
    await refresh();
    response = await send(method, path, body);
  }
  return parse(response);
}

/** A streaming call (Server-Sent Events): the raw Response, after the same 401 handling. */
export async function stream(method, path, body, headers = {}, signal) {
  const extra = { accept: "text/event-stream", ...headers };
  let response = await send(method, path, body, extra, signal);
  if (response.status === 401 && sessionStorage.getItem(REFRESH_KEY)) {
    await refresh();
    response = await send(method, path, body, extra, signal);
  }
  if (!response.ok) await parse(response);
  return response;
}

/** Trade the refresh token for new tokens; concurrent callers share one request. */
export function refresh() {
  if (!session.refreshing) {
    session.refreshing = (async () => {
      const refreshToken = sessionStorage.getItem(REFRESH_KEY);
      if (!refreshToken) throw new ApiError(401, { message: "not signed in" });
      const saved = session.access;
      session.access = "";
      try {
        store(await parse(await send("POST", "/v1/auth:refresh", { refreshToken })));
      } catch (err) {
        session.access = saved;
        if (err instanceof ApiError && err.status >= 400 && err.status < 500) signedOut();
        throw err;
      }
    })().finally(() => {
      session.refreshing = null;
    });
  }
  return session.refreshing;
}

async function begin(tokens) {
  store(tokens);
  session.user = tokens.user || (await api("GET", "/v1/users/me"));
  announce();
  return session.user;
}

/** Sign in; answers {mfaToken} instead of a user when a second factor is needed. */
export async function signIn(email, password) {
  const answer = await parse(await send("POST", "/v1/auth:login", { email, password }));
  if (answer.mfaRequired) return { mfaToken: answer.mfaToken };
  return { user: await begin(answer) };
}

export async function completeMfa(mfaToken, totpCode) {
  return begin(await parse(await send("POST", "/v1/auth:completeMfaLogin", { mfaToken, totpCode })));
}

export async function signUp(email, password, username) {
  const body = { email, password };
  if (username) body.username = username;
  return begin(await parse(await send("POST", "/v1/auth:register", body)));
}

export async function requestPasswordReset(email) {
  return parse(await send("POST", "/v1/auth:requestPasswordReset", { email }));
}

export async function signOut() {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY) || "";
  // Let calls already sent get their answers first: revoked under them, they would fail with 401.
  await Promise.allSettled([...session.inFlight]);
  try {
    if (session.access) await send("POST", "/v1/auth:logout", { refreshToken });
  } finally {
    signedOut();
  }
}

/** At start: pick up this tab's session, if any. */
export async function resume() {
  if (!sessionStorage.getItem(REFRESH_KEY)) return null;
  try {
    await refresh();
    session.user = await api("GET", "/v1/users/me");
    announce();
    return session.user;
  } catch {
    return null;
  }
}
