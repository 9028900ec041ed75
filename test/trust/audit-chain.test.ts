import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GENESIS_HASH, entryHash, nextEntry, verifyChain, type AuditEntry } from '../../controller/audit/chain.ts';

function log(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = 0; i < n; i++) {
    out.push(nextEntry(out.at(-1) ?? null, { at_ms: 1000 + i, actor: 'operator:alice', action: 'command.issue', target: `web-0${i}`, detail: { b: i, a: 'isolate' } }));
  }
  return out;
}

test('a fresh chain verifies and links each entry to the one before', () => {
  const l = log(5);
  assert.equal(l[0]!.prev_hash, GENESIS_HASH);
  assert.equal(l[1]!.prev_hash, l[0]!.hash);
  assert.equal(l[0]!.detail, '{"a":"isolate","b":0}', 'detail is canonical JSON');
  assert.deepEqual(verifyChain(l), { ok: true, count: 5, head: { seq: 5, hash: l[4]!.hash } });
  assert.deepEqual(verifyChain([]), { ok: true, count: 0, head: null });
});

function bad(entries: AuditEntry[], opts = {}) {
  const r = verifyChain(entries, opts);
  assert.equal(r.ok, false);
  return r as Extract<typeof r, { ok: false }>;
}

test('an edited field in any entry is named by its seq', () => {
  for (const field of ['at_ms', 'actor', 'action', 'target', 'detail'] as const) {
    const l = log(5);
    (l[2] as unknown as Record<string, unknown>)[field] = field === 'at_ms' ? 1 : '{"x":1}';
    const r = bad(l);
    assert.equal(r.seq, 3, field);
    assert.equal(r.problem, 'edited');
  }
});

test('an edit with a recomputed hash breaks the link of the next entry', () => {
  const l = log(5);
  const e = { ...l[2]!, actor: 'operator:mallory' };
  l[2] = { ...e, hash: entryHash(e) };
  const r = bad(l);
  assert.equal(r.seq, 4);
  assert.equal(r.problem, 'broken_link');
});

test('a deleted entry is named, as missing seq or, if renumbered, as a broken link', () => {
  const l = log(5);
  const r = bad([...l.slice(0, 2), ...l.slice(3)]);
  assert.equal(r.seq, 4);
  assert.equal(r.problem, 'missing');
  assert.match(r.reason, /entry 3 is missing/);
  assert.equal(bad(l.slice(1)).problem, 'missing', 'deleting the first entry is caught too');
  // Renumbered and rehashed from the gap on: the link to the deleted one remains.
  const renumbered = [...l.slice(0, 2), ...l.slice(3)].map((e, i) => (i >= 2 ? { ...e, seq: e.seq - 1 } : e));
  const r2 = bad(renumbered);
  assert.equal(r2.seq, 3);
  assert.equal(r2.problem, 'edited');
});

test('re-ordered entries are caught in row order and when seqs were swapped', () => {
  const l = log(5);
  const swapped = [l[0]!, l[2]!, l[1]!, l[3]!, l[4]!];
  assert.equal(bad(swapped).problem, 'missing');
  assert.equal(bad(swapped).seq, 3);
  // Stored in seq order, with seq values swapped but hashes left: each moved entry no longer matches its hash.
  const swappedSeq = [l[0]!, { ...l[2]!, seq: 2 }, { ...l[1]!, seq: 3 }, l[3]!, l[4]!];
  assert.deepEqual([bad(swappedSeq).seq, bad(swappedSeq).problem], [2, 'edited']);
  // Moved, renumbered and rehashed: its prev_hash still names its old neighbour.
  const moved = [l[0]!, { ...l[2]!, seq: 2 }, { ...l[1]!, seq: 3 }, l[3]!, l[4]!].map((e) => ({ ...e, hash: entryHash(e) }));
  const r = bad(moved);
  assert.equal(r.seq, 2);
  assert.equal(r.problem, 'broken_link');
  // Moved ahead of an untouched entry it was written after: named as re-ordered.
  const ahead = { ...l[2]!, seq: 2 };
  const r3 = bad([l[0]!, { ...ahead, hash: entryHash(ahead) }, l[1]!]);
  assert.deepEqual([r3.seq, r3.problem], [2, 'reordered']);
  // A duplicated row.
  assert.equal(bad([l[0]!, l[1]!, l[1]!, l[2]!]).problem, 'reordered');
});

test('deleting the newest entries is caught only against a head recorded elsewhere; tails verify from an anchor', () => {
  const l = log(5);
  assert.equal(verifyChain(l.slice(0, 3)).ok, true);
  const head = { seq: 5, hash: l[4]!.hash };
  const r = bad(l.slice(0, 3), { expectHead: head });
  assert.equal(r.problem, 'truncated');
  assert.equal(r.seq, 4);
  assert.equal(verifyChain(l, { expectHead: head }).ok, true);
  assert.equal(verifyChain(l.slice(2), { after: { seq: 2, hash: l[1]!.hash } }).ok, true);
  assert.equal(bad(l.slice(2), { after: { seq: 2, hash: l[0]!.hash } }).problem, 'broken_link');
});
