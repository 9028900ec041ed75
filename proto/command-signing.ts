// Signed commands, shared by controller (signs) and agent (verifies).
//
// The signature covers the canonical bytes of every field of a Command but the
// signature itself. Canonical bytes are a JSON array in a fixed field order with
// every default filled in, enums as names and int64 as decimal strings, so the
// same command yields the same bytes whether it was built by hand, decoded by
// proto-loader, or had its fields set in another order. If a field is added to
// Command or to its params in firebreak.proto, add it here too:
// test/trust/command-signing.test.ts fails until you do.
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { Command, Command__Output } from './types.ts';

/** Bumped when the canonical form changes; old signatures then stop verifying. */
export const COMMAND_SIGNING_DOMAIN = 'firebreak.command.v1';

/** Commands may be issued this far in the agent's future (clock skew), and count as expired this late. */
export const DEFAULT_CLOCK_SKEW_MS = 30_000;
/** A command valid for longer than this is refused: the agent keeps nonces until expiry. */
export const MAX_COMMAND_LIFETIME_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_COMMAND_TTL_MS = 5 * 60 * 1000;
/** Nonces are random tokens; bounded so a peer cannot bloat the agent's nonce store. */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;

type AnyCommand = Command | Command__Output;

const ACTIONS = ['ACTION_UNSPECIFIED', 'ISOLATE', 'RELEASE', 'BLOCK', 'UNBLOCK', 'THROTTLE', 'UNTHROTTLE'] as const;
const DIRECTIONS = ['DIRECTION_UNSPECIFIED', 'IN', 'OUT', 'BOTH'] as const;
const PROTOCOLS = ['PROTOCOL_UNSPECIFIED', 'TCP', 'UDP'] as const;

export class CommandSigningError extends Error {
  override name = 'CommandSigningError';
}

function enumName(names: readonly string[], value: unknown, field: string): string {
  if (value === undefined || value === null) return names[0]!;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < names.length) return names[value]!;
  if (typeof value === 'string' && names.includes(value)) return value;
  throw new CommandSigningError(`${field} ${JSON.stringify(value)} is not a known enum value; cannot sign or verify it`);
}

function str(value: unknown, field: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new CommandSigningError(`${field} must be a string, got ${typeof value}`);
  return value;
}

function bool(value: unknown): boolean {
  return value === true;
}

/** int64/uint32 as a decimal string: numbers, decimal strings and Long-like objects agree. */
function int(value: unknown, field: string): string {
  if (value === undefined || value === null) return '0';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new CommandSigningError(`${field} ${value} is not a safe integer`);
    return String(value);
  }
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value).toString();
  if (typeof value === 'object' && typeof (value as { toString?: unknown }).toString === 'function') {
    const s = String(value);
    if (/^-?\d+$/.test(s)) return BigInt(s).toString();
  }
  throw new CommandSigningError(`${field} ${JSON.stringify(value)} is not an integer`);
}

type Obj = Record<string, unknown> | null | undefined;

function portRange(r: Obj, field: string): unknown[] | null {
  if (!r) return null;
  return [int(r.from, `${field}.from`), int(r.to, `${field}.to`)];
}

function list(value: unknown, field: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new CommandSigningError(`${field} must be a list`);
  return value;
}

function isolateParams(p: Obj): unknown[] {
  return [
    list(p?.allowlist, 'isolate.allowlist').map((e, i) => {
      const entry = e as Obj;
      const f = `isolate.allowlist[${i}]`;
      return [str(entry?.cidr, `${f}.cidr`), enumName(PROTOCOLS, entry?.protocol, `${f}.protocol`), portRange(entry?.ports as Obj, `${f}.ports`)];
    }),
  ];
}

function blockParams(p: Obj): unknown[] {
  const b = p?.block as Obj;
  const block = b
    ? [
        str(b.id, 'block.block.id'),
        enumName(DIRECTIONS, b.direction, 'block.block.direction'),
        enumName(PROTOCOLS, b.protocol, 'block.block.protocol'),
        list(b.ports, 'block.block.ports').map((r, i) => portRange(r as Obj, `block.block.ports[${i}]`)),
        list(b.remoteCidrs, 'block.block.remote_cidrs').map((c, i) => str(c, `block.block.remote_cidrs[${i}]`)),
        bool(b.remoteInternet),
        int(b.expiresAtMs, 'block.block.expires_at_ms'),
      ]
    : null;
  return [block, bool(p?.force)];
}

function unblockParams(p: Obj): unknown[] {
  return [str(p?.blockId, 'unblock.block_id')];
}

function throttleParams(p: Obj): unknown[] {
  return [
    int(p?.newPerSecond, 'throttle.new_per_second'),
    int(p?.burst, 'throttle.burst'),
    int(p?.workingSetS, 'throttle.working_set_s'),
    int(p?.expiresAtMs, 'throttle.expires_at_ms'),
  ];
}

/** Which member of the params oneof is set; more than one is ambiguous and refused. */
function paramsCase(cmd: AnyCommand): 'isolate' | 'block' | 'unblock' | 'throttle' | '' {
  const set = (['isolate', 'block', 'unblock', 'throttle'] as const).filter((k) => cmd[k] !== undefined && cmd[k] !== null);
  if (cmd.params !== undefined && cmd.params !== null) {
    if (!set.includes(cmd.params)) throw new CommandSigningError(`params says '${cmd.params}' but that field is empty`);
    if (set.length > 1) throw new CommandSigningError(`params sets ${set.join(' and ')}; a command carries one kind of params`);
    return cmd.params;
  }
  if (set.length > 1) throw new CommandSigningError(`params sets ${set.join(' and ')}; a command carries one kind of params`);
  return set[0] ?? '';
}

/** The exact bytes that are signed: every field of the command but the signature. */
export function canonicalCommandBytes(cmd: AnyCommand): Buffer {
  const which = paramsCase(cmd);
  const params =
    which === 'isolate' ? isolateParams(cmd.isolate as Obj)
    : which === 'block' ? blockParams(cmd.block as unknown as Obj)
    : which === 'unblock' ? unblockParams(cmd.unblock as unknown as Obj)
    : which === 'throttle' ? throttleParams(cmd.throttle as unknown as Obj)
    : null;
  const body = [
    COMMAND_SIGNING_DOMAIN,
    str(cmd.id, 'id'),
    str(cmd.targetAgentId, 'target_agent_id'),
    enumName(ACTIONS, cmd.action, 'action'),
    which,
    params,
    str(cmd.issuer, 'issuer'),
    str(cmd.reason, 'reason'),
    int(cmd.issuedAtMs, 'issued_at_ms'),
    int(cmd.expiresAtMs, 'expires_at_ms'),
    str(cmd.nonce, 'nonce'),
  ];
  return Buffer.from(JSON.stringify(body), 'utf8');
}

function privateKey(key: KeyObject | string | Buffer): KeyObject {
  const k = typeof key === 'string' || Buffer.isBuffer(key) ? createPrivateKey(key) : key;
  if (k.type !== 'private' || k.asymmetricKeyType !== 'ed25519') {
    throw new CommandSigningError(`the command-signing key must be an Ed25519 private key, got ${k.type} ${k.asymmetricKeyType ?? ''}`);
  }
  return k;
}

function publicKey(key: KeyObject | string | Buffer): KeyObject {
  const k = typeof key === 'string' || Buffer.isBuffer(key) ? createPublicKey(key) : key.type === 'private' ? createPublicKey(key) : key;
  if (k.asymmetricKeyType !== 'ed25519') {
    throw new CommandSigningError(`the command-signing public key must be Ed25519, got ${k.asymmetricKeyType ?? 'unknown'}`);
  }
  return k;
}

/** Ed25519 signature (64 bytes) over canonicalCommandBytes(cmd). */
export function signCommand(cmd: AnyCommand, key: KeyObject | string | Buffer): Buffer {
  return sign(null, canonicalCommandBytes(cmd), privateKey(key));
}

/** A copy of cmd with its signature set. */
export function withSignature<T extends AnyCommand>(cmd: T, key: KeyObject | string | Buffer): T & { signature: Buffer } {
  return { ...cmd, signature: signCommand(cmd, key) };
}

function signatureBytes(sig: unknown): Buffer | null {
  if (sig === undefined || sig === null) return null;
  if (Buffer.isBuffer(sig)) return sig;
  if (sig instanceof Uint8Array) return Buffer.from(sig);
  if (typeof sig === 'string') return Buffer.from(sig, 'base64');
  return null;
}

/** True when cmd carries a valid signature by key; false for a missing, malformed or wrong one. */
export function verifyCommandSignature(cmd: AnyCommand, key: KeyObject | string | Buffer): boolean {
  const sig = signatureBytes(cmd.signature);
  if (!sig || sig.length !== 64) return false;
  try {
    return verify(null, canonicalCommandBytes(cmd), publicKey(key), sig);
  } catch (err) {
    if (err instanceof CommandSigningError) return false;
    throw err;
  }
}

export type CommandRefusalCode =
  | 'signature_missing'
  | 'signature_invalid'
  | 'wrong_target'
  | 'bad_validity'
  | 'not_yet_valid'
  | 'expired'
  | 'nonce_malformed'
  | 'replayed';

export type CommandTrust = { ok: true } | { ok: false; code: CommandRefusalCode; reason: string };

export interface CommandTrustOptions {
  publicKey: KeyObject | string | Buffer;
  /** This agent's id, from its own certificate. */
  agentId: string;
  now: number;
  /**
   * Returns true when the nonce was seen before (a replay). Called last, only for
   * a command that passed every other check, so an implementation may record the
   * nonce in the same call (agent/trust/nonce-store.ts does). The window lets the
   * store keep the nonce exactly as long as the command could be accepted.
   */
  seenNonce(nonce: string, window: { issuedAtMs: number; expiresAtMs: number }): boolean;
  skewMs?: number;
  maxLifetimeMs?: number;
}

function refuse(code: CommandRefusalCode, reason: string): CommandTrust {
  return { ok: false, code, reason };
}

/**
 * Decides whether the agent may apply cmd. Order matters: nothing in the command
 * is believed before its signature checks out, and the nonce is recorded only for
 * a command that is otherwise acceptable.
 */
export function checkCommandTrust(cmd: AnyCommand, opts: CommandTrustOptions): CommandTrust {
  const skew = opts.skewMs ?? DEFAULT_CLOCK_SKEW_MS;
  const maxLifetime = opts.maxLifetimeMs ?? MAX_COMMAND_LIFETIME_MS;
  const id = typeof cmd.id === 'string' ? cmd.id : '';
  const sig = signatureBytes(cmd.signature);
  if (!sig || sig.length === 0) return refuse('signature_missing', `command ${id} carries no signature; the controller must sign every command`);
  if (!verifyCommandSignature(cmd, opts.publicKey)) {
    return refuse('signature_invalid', `command ${id} has a signature that does not verify with the controller's command-signing key: it was altered or signed by someone else`);
  }
  if (cmd.targetAgentId !== opts.agentId) {
    return refuse('wrong_target', `command ${id} is addressed to agent ${JSON.stringify(cmd.targetAgentId ?? '')}, not to this agent (${opts.agentId})`);
  }
  const issued = Number(int(cmd.issuedAtMs, 'issued_at_ms'));
  const expires = Number(int(cmd.expiresAtMs, 'expires_at_ms'));
  if (issued <= 0 || expires <= issued || expires - issued > maxLifetime) {
    return refuse('bad_validity', `command ${id} has validity ${issued}..${expires} ms: it must expire after it is issued and within ${maxLifetime} ms`);
  }
  if (issued > opts.now + skew) {
    return refuse('not_yet_valid', `command ${id} was issued ${issued - opts.now} ms in this agent's future (allowed skew ${skew} ms): check both clocks (NTP)`);
  }
  if (opts.now > expires + skew) {
    return refuse('expired', `command ${id} expired ${opts.now - expires} ms ago (at ${new Date(expires).toISOString()})`);
  }
  const nonce = typeof cmd.nonce === 'string' ? cmd.nonce : '';
  if (!NONCE_PATTERN.test(nonce)) return refuse('nonce_malformed', `command ${id} has a malformed nonce: 16-128 of A-Z a-z 0-9 _ -`);
  if (opts.seenNonce(nonce, { issuedAtMs: issued, expiresAtMs: expires })) {
    return refuse('replayed', `command ${id} reuses nonce ${nonce} that this agent has already accepted: refused as a replay`);
  }
  return { ok: true };
}
