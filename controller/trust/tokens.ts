// Enrollment tokens and operator bearer tokens. A token is shown once when it is
// created; the store keeps only its SHA-256. Tokens are 256 random bits, so a
// plain hash (no salt, no KDF) is enough and lets the store look a token up by it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const ENROLLMENT_TOKEN_PREFIX = 'fbe_';
export const OPERATOR_TOKEN_PREFIX = 'fbo_';
export const DEFAULT_ENROLLMENT_TTL_MS = 24 * 3600 * 1000;
export const MAX_ENROLLMENT_TTL_MS = 365 * 24 * 3600 * 1000;
const TOKEN_PATTERN = /^fb[eo]_[A-Za-z0-9_-]{43}$/;
const TAG_KEY = /^[a-z][a-z0-9_.-]{0,31}$/;
const TAG_VALUE = /^[A-Za-z0-9_.:-]{0,63}$/;

export class TokenError extends Error {
  override name = 'TokenError';
}

function newToken(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

/** Hex SHA-256 of a token, as stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time: does the presented token hash to storedHash? */
export function tokenMatches(presented: string, storedHash: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = /^[0-9a-f]{64}$/.test(storedHash) ? Buffer.from(storedHash, 'hex') : Buffer.alloc(32, 0xff);
  return timingSafeEqual(a, b) && storedHash.length === 64;
}

/** Cheap syntax check before any lookup: refuses junk and 1 MB strings early. */
export function looksLikeToken(text: unknown, prefix: string): text is string {
  return typeof text === 'string' && text.startsWith(prefix) && TOKEN_PATTERN.test(text);
}

/** '90s', '15m', '24h', '7d' -> ms. */
export { parseDuration } from '../../proto/duration.ts';

/** ['role=mail', 'dc=eu-1'] -> { role: 'mail', dc: 'eu-1' }. */
export function parseTags(items: string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  if (items.length > 32) throw new TokenError(`${items.length} tags given; at most 32 are allowed`);
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? '' : item.slice(eq + 1);
    if (!TAG_KEY.test(key)) throw new TokenError(`tag key ${JSON.stringify(key)} is malformed: lowercase letter first, then a-z 0-9 _ . - (at most 32)`);
    if (!TAG_VALUE.test(value)) throw new TokenError(`tag value ${JSON.stringify(value)} for ${key} is malformed: A-Z a-z 0-9 _ . : - (at most 63)`);
    if (key in tags) throw new TokenError(`tag ${key} is given twice`);
    tags[key] = value;
  }
  return tags;
}

/** What the store keeps for an enrollment token. */
export interface EnrollmentTokenRecord {
  /** Short public id for listing and revoking: the first 8 hex digits of the hash. */
  id: string;
  hash: string;
  createdAtMs: number;
  expiresAtMs: number;
  maxUses: number;
  used: number;
  tags: Record<string, string>;
  revoked: boolean;
}

export interface CreateEnrollmentTokenOptions {
  now: number;
  uses?: number;
  ttlMs?: number;
  tags?: Record<string, string>;
}

/** A new enrollment token: show `token` once, store `record`. */
export function createEnrollmentToken(opts: CreateEnrollmentTokenOptions): { token: string; record: EnrollmentTokenRecord } {
  const uses = opts.uses ?? 1;
  const ttl = opts.ttlMs ?? DEFAULT_ENROLLMENT_TTL_MS;
  if (!Number.isInteger(uses) || uses < 1 || uses > 100_000) throw new TokenError(`uses ${uses} is out of range 1-100000`);
  if (!Number.isInteger(ttl) || ttl < 1000 || ttl > MAX_ENROLLMENT_TTL_MS) throw new TokenError(`ttl ${ttl} ms is out of range 1s-365d`);
  const token = newToken(ENROLLMENT_TOKEN_PREFIX);
  const hash = hashToken(token);
  return {
    token,
    record: { id: hash.slice(0, 8), hash, createdAtMs: opts.now, expiresAtMs: opts.now + ttl, maxUses: uses, used: 0, tags: { ...(opts.tags ?? {}) }, revoked: false },
  };
}

export type EnrollmentCheck =
  | { ok: true; record: EnrollmentTokenRecord }
  | { ok: false; code: 'malformed' | 'unknown' | 'revoked' | 'expired' | 'used_up'; reason: string };

/**
 * Decides whether a presented enrollment token may enroll an agent now. The
 * caller then consumes one use atomically in the store (UPDATE .. SET used =
 * used + 1 WHERE hash = ? AND used < max_uses) and treats a lost race as used_up.
 */
export function checkEnrollmentToken(
  presented: unknown,
  lookup: (hash: string) => EnrollmentTokenRecord | undefined,
  now: number,
): EnrollmentCheck {
  if (!looksLikeToken(presented, ENROLLMENT_TOKEN_PREFIX)) return { ok: false, code: 'malformed', reason: 'the enrollment token is malformed: copy it exactly as `firebreak tokens create` printed it' };
  const record = lookup(hashToken(presented));
  if (!record || !tokenMatches(presented, record.hash)) return { ok: false, code: 'unknown', reason: 'the enrollment token is not known to this controller: create one with `firebreak tokens create`' };
  if (record.revoked) return { ok: false, code: 'revoked', reason: `enrollment token ${record.id} was revoked` };
  if (now >= record.expiresAtMs) return { ok: false, code: 'expired', reason: `enrollment token ${record.id} expired at ${new Date(record.expiresAtMs).toISOString()}: create a new one` };
  if (record.used >= record.maxUses) return { ok: false, code: 'used_up', reason: `enrollment token ${record.id} has been used ${record.used} of ${record.maxUses} times: create a new one` };
  return { ok: true, record };
}

/** A new operator bearer token: show `token` once, store `hash`. */
export function createOperatorToken(): { token: string; hash: string } {
  const token = newToken(OPERATOR_TOKEN_PREFIX);
  return { token, hash: hashToken(token) };
}

/** The token from an 'authorization: Bearer fbo_..' metadata value, or undefined. */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string' || header.length > 200) return undefined;
  const m = /^Bearer ([A-Za-z0-9_-]+)$/.exec(header);
  return m && looksLikeToken(m[1], OPERATOR_TOKEN_PREFIX) ? m[1] : undefined;
}
