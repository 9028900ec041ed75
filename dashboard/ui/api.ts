// The dashboard's only door to the controller: JSON over /api with the session
// cookie (sent by the browser, HttpOnly, never read here) and the CSRF token
// from login/me on every POST. A 401 anywhere means the session ended: the app
// shows the login page.
import type { Me, Preview } from './types.ts';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

let csrf = '';
let onSessionEnd: () => void = () => {};

export function setSession(me: Me | null): void {
  csrf = me?.csrf ?? '';
}

export function onUnauthorized(fn: () => void): void {
  onSessionEnd = fn;
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method === 'POST') {
    headers['content-type'] = 'application/json';
    headers['x-csrf-token'] = csrf;
  }
  let res: Response;
  try {
    res = await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch (err) {
    throw new ApiError(0, `the controller did not answer (${(err as Error).message}); it may be restarting`);
  }
  const text = await res.text();
  let data: unknown;
  try { data = text ? JSON.parse(text) : {}; } catch { data = { error: text.slice(0, 200) }; }
  if (!res.ok) {
    const msg = (data as { error?: string }).error ?? `${res.status} ${res.statusText}`;
    // a failed login is the login form's own error, not the end of a session
    if (res.status === 401 && path !== '/login') onSessionEnd();
    throw new ApiError(res.status, msg);
  }
  return data as T;
}

export const get = <T>(path: string): Promise<T> => request<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}): Promise<T> => request<T>('POST', path, body);

/** The preview of an action: the same POST with dryRun, which changes nothing. */
export async function preview(path: string, body: Record<string, unknown>): Promise<Preview> {
  const r = await post<{ preview: Preview }>(path, { ...body, dryRun: true });
  if (!r.preview) throw new ApiError(500, 'the controller answered the dry run without a preview');
  return r.preview;
}

export const enc = encodeURIComponent;
