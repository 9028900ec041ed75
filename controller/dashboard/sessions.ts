// Dashboard sessions: in memory only. The cookie is 32 random bytes; the map is
// keyed by its SHA-256, so a heap dump of the keys alone does not give a usable
// cookie. A session holds the operator token it was opened with, and every
// request re-presents that token to the operator API, so an operator removed or
// rotated is refused at their next request (and their session ended then).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'fb_session';
/** a session lasts at most this long from login */
export const SESSION_ABSOLUTE_MS = 8 * 3600_000;
/** and ends after this long without a request */
export const SESSION_IDLE_MS = 3600_000;
/** sessions kept at once; a new login past it ends the least recently used */
export const MAX_SESSIONS = 1000;

export interface Session {
  /** SHA-256 (hex) of the cookie value */
  key: string;
  /** the operator bearer token: memory only, never logged */
  token: string;
  csrf: string;
  name: string;
  role: string;
  createdAtMs: number;
  lastUsedMs: number;
  /** called when the session ends (logout, expiry, token refused): closes its event streams */
  readonly onEnd: Set<() => void>;
}

const hashCookie = (value: string) => createHash('sha256').update(value, 'utf8').digest('hex');

/** The fb_session value of a Cookie header, if it has the shape of one. */
export function sessionCookie(header: string | undefined): string | undefined {
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const v = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{43}$/.test(v) ? v : undefined;
    }
  }
  return undefined;
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Sessions {
  private readonly byKey = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.byKey.size;
  }

  /** A new session for an operator whose token the API just accepted; returns the cookie value to set. */
  create(token: string, who: { name: string; role: string }): { cookie: string; session: Session } {
    this.sweep();
    if (this.byKey.size >= MAX_SESSIONS) {
      let oldest: Session | undefined;
      for (const s of this.byKey.values()) if (!oldest || s.lastUsedMs < oldest.lastUsedMs) oldest = s;
      if (oldest) this.end(oldest);
    }
    const cookie = randomBytes(32).toString('base64url');
    const t = this.now();
    const session: Session = {
      key: hashCookie(cookie), token, csrf: randomBytes(24).toString('base64url'), name: who.name, role: who.role,
      createdAtMs: t, lastUsedMs: t, onEnd: new Set(),
    };
    this.byKey.set(session.key, session);
    return { cookie, session };
  }

  /** The live session for a cookie value (touching it), or undefined; an expired one is ended here. */
  get(cookie: string | undefined): Session | undefined {
    if (!cookie) return undefined;
    const s = this.byKey.get(hashCookie(cookie));
    if (!s) return undefined;
    const t = this.now();
    if (this.expired(s, t)) {
      this.end(s);
      return undefined;
    }
    s.lastUsedMs = t;
    return s;
  }

  end(s: Session): void {
    if (this.byKey.get(s.key) !== s) return;
    this.byKey.delete(s.key);
    for (const fn of s.onEnd) {
      try { fn(); } catch { /* a stream already gone */ }
    }
    s.onEnd.clear();
  }

  /** Ends every session whose absolute or idle time is up. */
  sweep(): void {
    const t = this.now();
    for (const s of [...this.byKey.values()]) if (this.expired(s, t)) this.end(s);
  }

  endAll(): void {
    for (const s of [...this.byKey.values()]) this.end(s);
  }

  private expired(s: Session, t: number): boolean {
    return t - s.createdAtMs >= SESSION_ABSOLUTE_MS || t - s.lastUsedMs >= SESSION_IDLE_MS;
  }
}

/** Failed logins per source address: past `max` within `windowMs`, further attempts are refused until the window moves on. */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    readonly max = 10,
    readonly windowMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
    /** addresses tracked at once; past it the oldest is forgotten (memory stays bounded under a spoofed-source flood) */
    private readonly maxAddresses = 10_000,
  ) {}

  /** Milliseconds until this address may try again, or 0. */
  retryAfterMs(address: string): number {
    const list = this.recent(address);
    if (list.length < this.max) return 0;
    return Math.max(1, list[0]! + this.windowMs - this.now());
  }

  fail(address: string): void {
    const list = this.recent(address);
    list.push(this.now());
    this.failures.delete(address);
    this.failures.set(address, list.slice(-this.max));
    if (this.failures.size > this.maxAddresses) this.failures.delete(this.failures.keys().next().value!);
  }

  succeed(address: string): void {
    this.failures.delete(address);
  }

  private recent(address: string): number[] {
    const cut = this.now() - this.windowMs;
    return (this.failures.get(address) ?? []).filter((t) => t > cut);
  }
}
