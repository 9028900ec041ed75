import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { NonceStore } from '../../agent/trust/nonce-store.ts';
import { checkCommandTrust, withSignature } from '../../proto/command-signing.ts';

const dir = mkdtempSync(join(tmpdir(), 'fb-nonce-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const T = 1_800_000_000_000;
const w = (issued: number, ttl = 300_000) => ({ issuedAtMs: issued, expiresAtMs: issued + ttl });

test('a nonce is accepted once, refused after, and still refused after a restart', () => {
  const file = join(dir, 'a', 'nonces.json');
  const s = NonceStore.open(file);
  assert.equal(s.checkAndRemember('nonce-aaaaaaaaaaaaaaaa', w(T), T), false);
  assert.equal(s.checkAndRemember('nonce-aaaaaaaaaaaaaaaa', w(T), T + 1), true);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const reopened = NonceStore.open(file);
  assert.equal(reopened.checkAndRemember('nonce-aaaaaaaaaaaaaaaa', w(T), T + 2), true);
  assert.equal(reopened.checkAndRemember('nonce-bbbbbbbbbbbbbbbb', w(T), T + 2), false);
});

test('entries are pruned once their command could no longer be accepted', () => {
  const s = NonceStore.open(join(dir, 'b.json'), { skewMs: 30_000 });
  s.checkAndRemember('old-nonce-0000000000', w(T, 60_000), T);
  s.checkAndRemember('new-nonce-0000000000', w(T + 50_000, 60_000), T + 50_000);
  assert.equal(s.prune(T + 60_000 + 30_000), 0, 'kept through the skew');
  assert.equal(s.prune(T + 60_000 + 30_001), 1);
  assert.equal(s.size, 1);
  assert.equal(NonceStore.open(join(dir, 'b.json')).size, 1, 'pruning is persisted');
});

test('a full store stays bounded and refuses anything that might have been evicted', () => {
  const s = NonceStore.open(join(dir, 'c.json'), { maxEntries: 3 });
  for (let i = 0; i < 5; i++) assert.equal(s.checkAndRemember(`nonce-${i}-aaaaaaaaaaaa`, w(T + i * 1000), T + i * 1000), false);
  assert.equal(s.size, 3);
  // nonce-0 and nonce-1 were evicted; their replay must still be refused.
  assert.equal(s.checkAndRemember('nonce-0-aaaaaaaaaaaa', w(T), T + 5000), true);
  assert.equal(s.checkAndRemember('nonce-1-aaaaaaaaaaaa', w(T + 1000), T + 5000), true);
  assert.equal(s.floor, T + 1000);
  // A fresh command issued later is accepted.
  assert.equal(s.checkAndRemember('nonce-9-aaaaaaaaaaaa', w(T + 6000), T + 6000), false);
});

test('a corrupt file starts empty but refuses commands issued before it was found, and says so', () => {
  const file = join(dir, 'd.json');
  writeFileSync(file, '{"version":1,"floorMs":0,"entries":[{"nonce":');
  const messages: string[] = [];
  const s = NonceStore.open(file, { now: T, skewMs: 30_000, onCorrupt: (m) => messages.push(m) });
  assert.match(messages[0] ?? '', /unreadable/);
  assert.equal(s.checkAndRemember('some-nonce-000000000', w(T + 30_000), T), true);
  assert.equal(s.checkAndRemember('some-nonce-000000001', w(T + 30_001), T + 30_001), false);
  assert.doesNotThrow(() => JSON.parse(readFileSync(file, 'utf8')));
});

test('wired into checkCommandTrust, a re-delivered command is refused as a replay', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const s = NonceStore.open(join(dir, 'e.json'));
  const cmd = withSignature(
    { id: 'c1', targetAgentId: 'web-01', action: 'RELEASE', issuer: 'operator:bob', issuedAtMs: T, expiresAtMs: T + 300_000, nonce: 'Zm9vYmFyYmF6cXV4MTIz' },
    privateKey,
  );
  const trust = (now: number) => checkCommandTrust(cmd, { publicKey, agentId: 'web-01', now, seenNonce: (n, win) => s.checkAndRemember(n, win, now) });
  assert.deepEqual(trust(T + 10), { ok: true });
  const again = trust(T + 20);
  assert.equal(again.ok, false);
  assert.equal(!again.ok && again.code, 'replayed');
});
