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

// --- the audit log on a real SQLite file: continuity, the head file, the anchor, refusals per minute ---

import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { AuditLog, peerAddress } from '../../controller/audit/log.ts';
import { SqliteStore } from '../../controller/store/sqlite.ts';
import { tempDir } from '../helpers/procs.ts';

const quiet = pino({ level: 'silent' });

async function withLog(fn: (ctx: { dir: string; store: SqliteStore; audit: AuditLog; db: string; head: string; anchor: string }) => Promise<void>) {
  const d = tempDir();
  const db = join(d.path, 'firebreak.db');
  const head = join(d.path, 'audit.head');
  const anchor = join(d.path, 'other-mount', 'audit.anchor');
  (await import('node:fs')).mkdirSync(join(d.path, 'other-mount'));
  const store = new SqliteStore(db);
  const audit = new AuditLog(store.trust, head, quiet, Date.now, { anchorFile: anchor, anchorIntervalMs: 60_000 });
  try {
    await audit.open();
    await fn({ dir: d.path, store, audit, db, head, anchor });
  } finally {
    await store.close();
    d.remove();
  }
}

/** What an intruder with write access to the database does: deletes the newest rows behind the controller's back. */
function deleteTail(db: string, fromSeq: number): void {
  const raw = new Database(db);
  raw.prepare('DELETE FROM audit WHERE seq >= ?').run(fromSeq);
  raw.close();
}

test('deleting the newest entries is reported by verify once anything is appended after (the append sees the cut)', async () => {
  await withLog(async ({ audit, db }) => {
    for (let i = 0; i < 6; i++) await audit.append('operator:alice', 'command.issue', `web-${i}`);
    audit.flush();
    assert.equal((await audit.verify()).ok, true);
    deleteTail(db, 5);
    // any later entry, e.g. a token created by an operator
    await audit.append('operator:alice', 'token.create', 'tok-1');
    assert.equal(audit.alarms, 1, 'the append raised the alarm');
    const v = await audit.verify();
    assert.equal(v.ok, false);
    const bad = v as Extract<typeof v, { ok: false }>;
    assert.equal(bad.problem, 'discontinuity');
    assert.match(bad.reason, /entries 5-6 were deleted/);
  });
});

test('a deleted head file is reported by verify, and raises the alarm', async () => {
  await withLog(async ({ audit, head }) => {
    for (let i = 0; i < 3; i++) await audit.append('operator:alice', 'command.issue', `web-${i}`);
    audit.flush();
    assert.ok(existsSync(head));
    rmSync(head);
    const v = await audit.verify();
    assert.equal(v.ok, false);
    assert.match((v as { reason: string }).reason, /audit head file .* was deleted/);
    assert.equal(audit.alarms, 1);
  });
});

test('a log restarted with no head file while it holds entries is an alarm at open; verify without one fails', async () => {
  await withLog(async ({ store, audit, head }) => {
    await audit.append('operator:alice', 'command.issue', 'web-1');
    audit.flush();
    rmSync(head);
    const restarted = new AuditLog(store.trust, head, quiet);
    // before anything writes a head: a missing head file is a failure of its own
    const v = await restarted.verify();
    assert.deepEqual([v.ok, (v as { problem: string }).problem], [false, 'head_missing']);
    assert.match((v as { reason: string }).reason, /audit head file .* is missing/);
    await restarted.open();
    assert.equal(restarted.alarms, 1);
    assert.equal((await restarted.verify() as { problem: string }).problem, 'discontinuity');
  });
});

test('a rewrite of both the database and the head file is caught by the anchor on another mount', async () => {
  await withLog(async ({ store, audit, db, head, anchor }) => {
    for (let i = 0; i < 5; i++) await audit.append('operator:alice', 'command.issue', `web-${i}`);
    await audit.close(); // writes the head and the anchor, as the schedule (and shutdown) does
    assert.ok(existsSync(anchor));
    // controller stopped; the intruder deletes entries 4-5 and makes the head file match entry 3
    deleteTail(db, 4);
    const e3 = (await store.trust.allAudit()).at(-1)!;
    writeFileSync(head, JSON.stringify({ seq: e3.seq, hash: e3.hash }));
    const offline = new AuditLog(store.trust, head, quiet, Date.now, { anchorFile: anchor });
    const v = await offline.verify();
    assert.equal(v.ok, false);
    assert.equal((v as { problem: string }).problem, 'anchor_mismatch');
    assert.match((v as { reason: string }).reason, /the anchor .* recorded entry 5/);
    // and a restart raises the alarm before the anchor is overwritten
    await offline.open();
    assert.equal(offline.alarms, 1);
    assert.equal(((await offline.verify()) as { problem: string }).problem, 'discontinuity');
    await offline.close();
  });
});

test('refused calls cost one entry per peer address and minute, filed under the address, never the claimed id', async () => {
  await withLog(async ({ store, head }) => {
    let t = Date.UTC(2026, 0, 1, 12, 0, 5);
    const audit = new AuditLog(store.trust, head, quiet, () => t);
    await audit.open();
    for (let i = 0; i < 3000; i++) {
      t += 30; // 3,000 calls over 90 s: two minutes
      audit.refused({ peer: i % 3 === 0 ? '[fd00::7]:4000' : '10.0.0.9:51234', action: i % 2 ? 'rpc.denied' : 'agent.enroll.refused', claimed: `victim-${i % 20}`, code: 'PERMISSION_DENIED', reason: 'bad token' });
    }
    await audit.flushRefused();
    const rows = (await store.trust.allAudit()).filter((e) => e.action === 'calls.refused');
    assert.equal(rows.length, 4, '2 peers × 2 minutes');
    assert.deepEqual(new Set(rows.map((r) => r.actor)), new Set(['peer:10.0.0.9', 'peer:fd00::7']));
    assert.equal(rows.reduce((n, r) => n + (JSON.parse(r.detail) as { count: number }).count, 0), 3000);
    const all = await store.trust.allAudit();
    assert.ok(!all.some((e) => e.actor.startsWith('agent:victim') || e.target.startsWith('victim')), 'the claimed id is never the actor or target');
    assert.ok((JSON.parse(rows[0]!.detail) as { claimed: string[] }).claimed.length <= 8, 'claimed ids are a bounded sample');
    await audit.close();
  });
  assert.equal(peerAddress('127.0.0.1:5000'), '127.0.0.1');
  assert.equal(peerAddress('::1:5000'), '::1');
  assert.equal(peerAddress('ipv6:[::ffff:10.1.2.3]:5000'), '10.1.2.3');
});
