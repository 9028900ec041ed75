import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bearerToken,
  checkEnrollmentToken,
  createEnrollmentToken,
  createOperatorToken,
  hashToken,
  parseDuration,
  parseTags,
  tokenMatches,
  type EnrollmentTokenRecord,
} from '../../controller/trust/tokens.ts';
import { PermissionDeniedError, requireRole, roleAtLeast, roleForRpc } from '../../controller/trust/roles.ts';

const NOW = 1_800_000_000_000;

test('an enrollment token is returned once and stored only as its hash', () => {
  const { token, record } = createEnrollmentToken({ now: NOW, uses: 2, ttlMs: parseDuration('24h'), tags: parseTags(['role=mail']) });
  assert.match(token, /^fbe_[A-Za-z0-9_-]{43}$/);
  assert.equal(record.hash, hashToken(token));
  assert.ok(!JSON.stringify(record).includes(token.slice(4)), 'the record does not contain the token');
  assert.deepEqual(record.tags, { role: 'mail' });
  assert.equal(record.expiresAtMs, NOW + 86_400_000);
  assert.notEqual(createEnrollmentToken({ now: NOW }).token, token);
});

test('enrollment tokens are refused when malformed, unknown, revoked, expired or used up', () => {
  const { token, record } = createEnrollmentToken({ now: NOW, uses: 1, ttlMs: 60_000 });
  const db = new Map<string, EnrollmentTokenRecord>([[record.hash, record]]);
  const lookup = (h: string) => db.get(h);
  assert.equal(checkEnrollmentToken(token, lookup, NOW + 1).ok, true);
  const code = (t: unknown, now = NOW + 1) => {
    const r = checkEnrollmentToken(t, lookup, now);
    return r.ok ? 'ok' : r.code;
  };
  assert.equal(code('x'.repeat(1_000_000)), 'malformed');
  assert.equal(code(42), 'malformed');
  assert.equal(code(createEnrollmentToken({ now: NOW }).token), 'unknown');
  assert.equal(code(token, NOW + 60_000), 'expired');
  db.set(record.hash, { ...record, used: 1 });
  assert.equal(code(token), 'used_up');
  db.set(record.hash, { ...record, revoked: true });
  assert.equal(code(token), 'revoked');
});

test('durations and tags are parsed strictly', () => {
  assert.equal(parseDuration('90s'), 90_000);
  assert.equal(parseDuration('7d'), 7 * 86_400_000);
  assert.throws(() => parseDuration('24'), /malformed/);
  assert.throws(() => parseTags(['Role=mail']), /tag key/);
  assert.throws(() => parseTags(['role=ma il']), /tag value/);
  assert.throws(() => parseTags(['a=1', 'a=2']), /twice/);
  assert.throws(() => createEnrollmentToken({ now: NOW, uses: 0 }), /uses 0/);
});

test('operator tokens: hash-only storage, constant-time match, bearer parsing', () => {
  const { token, hash } = createOperatorToken();
  assert.ok(tokenMatches(token, hash));
  assert.equal(tokenMatches(token + 'x', hash), false);
  assert.equal(tokenMatches(token, 'not-a-hash'), false);
  assert.equal(tokenMatches(createOperatorToken().token, hash), false);
  assert.equal(bearerToken(`Bearer ${token}`), token);
  assert.equal(bearerToken(token), undefined);
  assert.equal(bearerToken(`Bearer ${createEnrollmentToken({ now: NOW }).token}`), undefined, 'an enrollment token is not an operator credential');
  assert.equal(bearerToken(`Bearer ${'a'.repeat(1_000_000)}`), undefined);
});

test('roles are ordered viewer < responder < admin, and unknown RPCs need a role nobody has', () => {
  assert.ok(roleAtLeast('admin', 'responder'));
  assert.ok(roleAtLeast('responder', 'responder'));
  assert.equal(roleAtLeast('viewer', 'responder'), false);
  assert.equal(roleAtLeast(undefined, 'viewer'), false);
  assert.doesNotThrow(() => requireRole('responder', 'viewer'));
  assert.throws(() => requireRole('viewer', 'responder', 'IssueCommand'), (e: unknown) => e instanceof PermissionDeniedError && /IssueCommand needs role responder; this credential has role viewer/.test(e.message));
  assert.throws(() => requireRole(undefined, 'viewer'), /no valid credential/);
  assert.equal(roleForRpc('IssueCommand'), 'responder');
  assert.equal(roleForRpc('ListHosts'), 'viewer');
  assert.equal(roleForRpc('CreateEnrollmentToken'), 'admin');
  assert.equal(roleForRpc('toString'), undefined);
  assert.equal(roleForRpc('DropDatabase'), undefined);
});
