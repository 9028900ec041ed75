import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import protobuf from 'protobufjs';
import * as protoLoader from '@grpc/proto-loader';
import {
  canonicalCommandBytes,
  checkCommandTrust,
  signCommand,
  verifyCommandSignature,
  withSignature,
  type CommandTrustOptions,
} from '../../proto/command-signing.ts';
import { LOADER_OPTIONS, PROTO_PATH } from '../../proto/wire.ts';
import type { Command } from '../../proto/wire.ts';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const NOW = 1_800_000_000_000;

function blockCommand(over: Partial<Command> = {}): Command {
  return {
    id: 'cmd-1',
    targetAgentId: 'mail-01',
    action: 'BLOCK',
    block: {
      block: { id: 'b1', direction: 'OUT', protocol: 'TCP', ports: [{ from: 25, to: 25 }], remoteCidrs: ['10.0.0.0/8'], remoteInternet: true, expiresAtMs: 0 },
      force: false,
    },
    issuer: 'operator:alice',
    reason: 'worm on tcp:25',
    issuedAtMs: NOW,
    expiresAtMs: NOW + 300_000,
    nonce: 'n0nce-0123456789abcdef',
    ...over,
  };
}

function opts(over: Partial<CommandTrustOptions> = {}): CommandTrustOptions {
  return { publicKey, agentId: 'mail-01', now: NOW + 1000, seenNonce: () => false, ...over };
}

test('canonical bytes ignore field order, explicit defaults, enum numbers and int64 encodings', () => {
  const a = blockCommand();
  const reordered = Object.fromEntries(Object.entries(a).reverse()) as Command;
  const numeric: Command = {
    ...a,
    action: 3,
    issuedAtMs: String(NOW),
    params: 'block',
    block: { force: false, block: { expiresAtMs: '0', remoteInternet: true, remoteCidrs: ['10.0.0.0/8'], ports: [{ to: 25, from: 25 }], protocol: 1, direction: 2, id: 'b1' } },
  };
  assert.deepEqual(canonicalCommandBytes(reordered), canonicalCommandBytes(a));
  assert.deepEqual(canonicalCommandBytes(numeric), canonicalCommandBytes(a));
  // Absent and default-valued fields are the same message in proto3.
  assert.deepEqual(canonicalCommandBytes({ id: 'x', reason: '' }), canonicalCommandBytes({ id: 'x', issuer: undefined }));
});

test('a command signed before encoding verifies after the real grpc-js wire round trip', () => {
  // The serializers grpc-js uses for ControllerFrame on the AgentLink stream.
  const def = protoLoader.loadSync(PROTO_PATH, LOADER_OPTIONS);
  const connect = (def['firebreak.v1.AgentLink'] as unknown as Record<string, protoLoader.MethodDefinition<unknown, unknown>>).Connect!;
  const signed = withSignature(blockCommand(), privateKey);
  const wire = connect.responseSerialize({ command: signed });
  const decoded = (connect.responseDeserialize(wire) as { command: Command }).command;
  assert.equal(decoded.params, 'block');
  assert.ok(verifyCommandSignature(decoded, publicKey));
  assert.deepEqual(checkCommandTrust(decoded, opts()), { ok: true });
});

test('every field of Command and of its params is covered by the signature', () => {
  // Reflect over the .proto so a field added later without updating the canonical form fails here.
  const root = protobuf.loadSync(PROTO_PATH);
  const fields = root.lookupType('firebreak.v1.Command').fieldsArray.map((f) => f.name).filter((n) => n !== 'signature');
  const covered: Record<string, (c: Command) => Command> = {
    id: (c) => ({ ...c, id: 'cmd-2' }),
    targetAgentId: (c) => ({ ...c, targetAgentId: 'mail-02' }),
    action: (c) => ({ ...c, action: 'UNBLOCK' }),
    isolate: (c) => ({ ...c, block: undefined, isolate: { allowlist: [] } }),
    block: (c) => ({ ...c, block: { ...c.block, force: true } }),
    unblock: (c) => ({ ...c, block: undefined, unblock: { blockId: 'b1' } }),
    throttle: (c) => ({ ...c, block: undefined, throttle: { newPerSecond: 1, burst: 5, workingSetS: 60, expiresAtMs: 0 } }),
    issuer: (c) => ({ ...c, issuer: 'playbook:x' }),
    reason: (c) => ({ ...c, reason: 'other' }),
    issuedAtMs: (c) => ({ ...c, issuedAtMs: NOW - 1 }),
    expiresAtMs: (c) => ({ ...c, expiresAtMs: NOW + 999_999 }),
    nonce: (c) => ({ ...c, nonce: 'another-nonce-0123456789' }),
  };
  assert.deepEqual(fields.sort(), Object.keys(covered).sort(), 'Command gained or lost a field: update proto/command-signing.ts and this table');
  const signed = withSignature(blockCommand(), privateKey);
  for (const [name, mutate] of Object.entries(covered)) {
    assert.equal(verifyCommandSignature(mutate(signed), publicKey), false, `changing ${name} must break the signature`);
  }
  const blockFields = root.lookupType('firebreak.v1.PortBlock').fieldsArray.map((f) => f.name).sort();
  assert.deepEqual(blockFields, ['direction', 'expiresAtMs', 'id', 'ports', 'protocol', 'remoteCidrs', 'remoteInternet']);
  const inner = signed.block!.block!;
  const variants = [
    { ...inner, id: 'b2' }, { ...inner, direction: 'IN' as const }, { ...inner, protocol: 'UDP' as const }, { ...inner, ports: [{ from: 25, to: 26 }] },
    { ...inner, remoteCidrs: [] }, { ...inner, remoteInternet: false }, { ...inner, expiresAtMs: 5 },
  ];
  for (const v of variants) assert.equal(verifyCommandSignature({ ...signed, block: { block: v, force: false } }, publicKey), false, JSON.stringify(v));
  const allow = { cidr: '10.0.0.1/32', protocol: 'TCP' as const, ports: { from: 22, to: 22 } };
  const iso = withSignature({ ...blockCommand(), action: 'ISOLATE', block: undefined, isolate: { allowlist: [allow] } }, privateKey);
  for (const a of [{ ...allow, cidr: '10.0.0.2/32' }, { ...allow, protocol: 'UDP' as const }, { ...allow, ports: { from: 22, to: 23 } }, { ...allow, ports: null }]) {
    assert.equal(verifyCommandSignature({ ...iso, isolate: { allowlist: [a] } }, publicKey), false);
  }
  const throttleFields = root.lookupType('firebreak.v1.ThrottleParams').fieldsArray.map((f) => f.name).sort();
  assert.deepEqual(throttleFields, ['burst', 'expiresAtMs', 'newPerSecond', 'workingSetS']);
  const t = { newPerSecond: 1, burst: 5, workingSetS: 60, expiresAtMs: NOW + 60_000 };
  const thr = withSignature({ ...blockCommand(), action: 'THROTTLE', block: undefined, throttle: t }, privateKey);
  assert.ok(verifyCommandSignature(thr, publicKey));
  for (const v of [{ ...t, newPerSecond: 2 }, { ...t, burst: 50 }, { ...t, workingSetS: 600 }, { ...t, expiresAtMs: 0 }]) {
    assert.equal(verifyCommandSignature({ ...thr, throttle: v }, publicKey), false, JSON.stringify(v));
  }
});

test('checkCommandTrust refuses each bad command with a precise code', () => {
  const good = withSignature(blockCommand(), privateKey);
  const cases: [string, Command, Partial<CommandTrustOptions>][] = [
    ['signature_missing', { ...good, signature: undefined }, {}],
    ['signature_missing', { ...good, signature: Buffer.alloc(0) }, {}],
    ['signature_invalid', { ...good, reason: 'tampered' }, {}],
    ['signature_invalid', withSignature(blockCommand(), other.privateKey), {}],
    ['signature_invalid', { ...good, signature: Buffer.alloc(64, 1) }, {}],
    ['wrong_target', good, { agentId: 'mail-02' }],
    ['expired', good, { now: NOW + 300_000 + 30_001 }],
    ['not_yet_valid', good, { now: NOW - 30_001 }],
    ['bad_validity', withSignature(blockCommand({ expiresAtMs: NOW }), privateKey), {}],
    ['bad_validity', withSignature(blockCommand({ expiresAtMs: NOW + 25 * 3600_000 }), privateKey), {}],
    ['nonce_malformed', withSignature(blockCommand({ nonce: 'short' }), privateKey), {}],
    ['replayed', good, { seenNonce: () => true }],
  ];
  for (const [code, cmd, o] of cases) {
    const r = checkCommandTrust(cmd, opts(o));
    assert.equal(r.ok, false, code);
    if (!r.ok) {
      assert.equal(r.code, code, r.reason);
      assert.match(r.reason, /cmd-1|command/);
    }
  }
  // Within the skew it is accepted on both ends.
  assert.deepEqual(checkCommandTrust(good, opts({ now: NOW - 29_000 })), { ok: true });
  assert.deepEqual(checkCommandTrust(good, opts({ now: NOW + 300_000 + 29_000 })), { ok: true });
});

test('the nonce is consulted only for an otherwise valid command, with its validity window', () => {
  const good = withSignature(blockCommand(), privateKey);
  const asked: unknown[] = [];
  const seenNonce = (n: string, w: unknown): boolean => (asked.push([n, w]), false);
  checkCommandTrust({ ...good, reason: 'tampered' }, opts({ seenNonce }));
  checkCommandTrust(good, opts({ seenNonce, agentId: 'other' }));
  assert.equal(asked.length, 0);
  checkCommandTrust(good, opts({ seenNonce }));
  assert.deepEqual(asked, [['n0nce-0123456789abcdef', { issuedAtMs: NOW, expiresAtMs: NOW + 300_000 }]]);
});

test('signing refuses ambiguous params and non-Ed25519 keys', () => {
  assert.throws(() => signCommand({ ...blockCommand(), unblock: { blockId: 'x' } }, privateKey), /one kind of params/);
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  assert.throws(() => signCommand(blockCommand(), ec.privateKey), /Ed25519/);
  assert.equal(verifyCommandSignature(withSignature(blockCommand(), privateKey), ec.publicKey), false);
  // PEM keys work too, as they are stored on disk.
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const pub = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  assert.ok(verifyCommandSignature(withSignature(blockCommand(), pem), pub));
});
