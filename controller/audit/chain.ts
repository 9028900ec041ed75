// The audit log as a hash chain: each entry carries the hash of the one before,
// so an edited, deleted or re-ordered entry breaks the chain at that point.
// Pure: the store persists entries; this computes and checks hashes.
//
// hash = sha256 of the canonical serialization: a JSON array of a domain tag and
// every field but hash, in fixed order. detail is hashed as the exact JSON text
// that is stored, so verification never depends on re-serializing it.
import { createHash } from 'node:crypto';

export const AUDIT_DOMAIN = 'firebreak.audit.v1';
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  seq: number;
  at_ms: number;
  /** Who acted: 'operator:<name>', 'playbook:<id>', 'agent:<id>', 'system'. */
  actor: string;
  /** What was done: 'command.issue', 'token.create', 'agent.enroll', 'rpc.denied', ... */
  action: string;
  target: string;
  /** JSON text. */
  detail: string;
  prev_hash: string;
  hash: string;
}

export type AuditInput = Pick<AuditEntry, 'at_ms' | 'actor' | 'action' | 'target'> & { detail?: unknown };

/** JSON with object keys sorted, so the same detail always yields the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

export function entryHash(e: Omit<AuditEntry, 'hash'>): string {
  const body = JSON.stringify([AUDIT_DOMAIN, e.seq, e.at_ms, e.actor, e.action, e.target, e.detail, e.prev_hash]);
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/** The next entry after prev (null for the first entry of the log). */
export function nextEntry(prev: Pick<AuditEntry, 'seq' | 'hash'> | null, input: AuditInput): AuditEntry {
  const base = {
    seq: prev ? prev.seq + 1 : 1,
    at_ms: input.at_ms,
    actor: input.actor,
    action: input.action,
    target: input.target,
    detail: canonicalJson(input.detail ?? {}),
    prev_hash: prev ? prev.hash : GENESIS_HASH,
  };
  return { ...base, hash: entryHash(base) };
}

export type ChainProblem = 'edited' | 'missing' | 'reordered' | 'broken_link' | 'truncated' | 'head_missing' | 'discontinuity' | 'anchor_mismatch';

/** The action of the entry the audit log appends when it found the database's last entry was not the head it recorded. */
export const DISCONTINUITY_ACTION = 'audit.discontinuity';

export type ChainVerdict =
  | { ok: true; count: number; head: { seq: number; hash: string } | null }
  | { ok: false; seq: number; problem: ChainProblem; reason: string };

export interface VerifyOptions {
  /** The entry just before the first one given, when verifying a tail of the log. */
  after?: { seq: number; hash: string };
  /** The last entry known elsewhere (printed, exported): detects deletion at the end. */
  expectHead?: { seq: number; hash: string };
  /** Older heads copied elsewhere (an anchor file on another mount): the chain must still hold each, unchanged. */
  anchors?: readonly { seq: number; hash: string; source: string }[];
}

/**
 * Checks entries in the order the store returns them (by row, or by seq). Returns
 * the first bad entry's seq and why. Deleting the newest entries leaves a valid
 * shorter chain; only expectHead (a head recorded elsewhere) detects that.
 */
export function verifyChain(entries: readonly AuditEntry[], opts: VerifyOptions = {}): ChainVerdict {
  const byHash = new Map<string, number>();
  for (const e of entries) byHash.set(e.hash, e.seq);
  let prevSeq = opts.after?.seq ?? 0;
  let prevHash = opts.after?.hash ?? GENESIS_HASH;
  for (const e of entries) {
    const expected = prevSeq + 1;
    if (e.seq !== expected) {
      if (e.seq > expected) {
        return { ok: false, seq: e.seq, problem: 'missing', reason: `entry ${e.seq} follows entry ${prevSeq}: ${e.seq - expected === 1 ? `entry ${expected} is` : `entries ${expected}-${e.seq - 1} are`} missing` };
      }
      return { ok: false, seq: e.seq, problem: 'reordered', reason: `entry ${e.seq} appears after entry ${prevSeq}: entries were re-ordered or duplicated` };
    }
    const recomputed = entryHash(e);
    if (recomputed !== e.hash) {
      return { ok: false, seq: e.seq, problem: 'edited', reason: `entry ${e.seq} does not match its hash: its content was edited after it was written` };
    }
    if (e.prev_hash !== prevHash) {
      const other = byHash.get(e.prev_hash);
      if (other !== undefined) {
        return { ok: false, seq: e.seq, problem: 'reordered', reason: `entry ${e.seq} was written after entry ${other}, not after entry ${prevSeq}: entries were re-ordered and renumbered` };
      }
      return { ok: false, seq: e.seq, problem: 'broken_link', reason: `entry ${e.seq} does not chain to entry ${prevSeq}: an entry before it was deleted, replaced or rewritten` };
    }
    prevSeq = e.seq;
    prevHash = e.hash;
  }
  if (opts.expectHead) {
    const head = opts.expectHead;
    if (prevSeq < head.seq) {
      return { ok: false, seq: prevSeq + 1, problem: 'truncated', reason: `the log ends at entry ${prevSeq} but entry ${head.seq} was recorded: the newest entries were deleted` };
    }
    const at = head.seq === opts.after?.seq ? opts.after : entries.find((e) => e.seq === head.seq);
    if (at && at.hash !== head.hash) {
      return { ok: false, seq: head.seq, problem: 'edited', reason: `entry ${head.seq} differs from the head recorded earlier: the log was rewritten from there` };
    }
  }
  for (const a of opts.anchors ?? []) {
    if (prevSeq < a.seq) {
      return { ok: false, seq: prevSeq + 1, problem: 'anchor_mismatch', reason: `the log ends at entry ${prevSeq} but ${a.source} recorded entry ${a.seq}: the newest entries were deleted (and the head file rewritten to match)` };
    }
    const at = a.seq === opts.after?.seq ? opts.after : entries.find((e) => e.seq === a.seq);
    if (at && at.hash !== a.hash) {
      return { ok: false, seq: a.seq, problem: 'anchor_mismatch', reason: `entry ${a.seq} differs from the one ${a.source} recorded: the log was rewritten from there` };
    }
  }
  // A valid chain can still hold the alarm of an earlier cut: the entries between the head
  // recorded then and the entry appended after the cut are gone, so the log is not whole.
  const cut = entries.find((e) => e.action === DISCONTINUITY_ACTION);
  if (cut) {
    return { ok: false, seq: cut.seq, problem: 'discontinuity', reason: `entry ${cut.seq} (${new Date(cut.at_ms).toISOString()}) records that the log did not continue the recorded head: ${discontinuityText(cut.detail)}` };
  }
  const last = entries.at(-1);
  return { ok: true, count: entries.length, head: last ? { seq: last.seq, hash: last.hash } : opts.after ?? null };
}

/** What a discontinuity entry's detail says, in words. */
function discontinuityText(detail: string): string {
  try {
    const d = JSON.parse(detail) as { why?: string };
    if (d.why) return d.why;
  } catch { /* an edited detail is caught by its hash */ }
  return detail;
}
