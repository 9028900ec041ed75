// The on-disk report spool: numbers and boot survive a restart, acks trim it,
// a damaged tail is cut and named once, and overflow keeps every incident's
// onset and counts the rest.
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { inspectSpool, ONSET_REPORTS, Spool, SUMMARY_MAX_EVENTS } from '../../agent/spool.ts';
import type { AnomalyEvent } from '../../proto/wire.ts';
import { tempDir } from '../helpers/procs.ts';

/** a logger that keeps its lines, to assert on what was said */
function capture(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => { lines.push(JSON.parse(s)); } });
  return { log, lines };
}

const sample = (t: number) => ({ observedAtMs: t, cpuPct: 3, memUsedBytes: 1, memTotalBytes: 2, topProcesses: [{ pid: 1, name: 'x'.repeat(300) }] });
const ev = (signature: string, t: number): AnomalyEvent => ({ kind: 'CONN_FANOUT', signature, observedAtMs: t, value: 40, baseline: 2, score: 9, count: 1 });

test('a restart continues the same boot and sequence, and keeps exactly the unacked reports in order', (t) => {
  const dir = tempDir(); t.after(() => dir.remove());
  const file = join(dir.path, 'spool.log');
  const { log } = capture();
  const a = Spool.open({ file, maxBytes: 1 << 20, log });
  for (let i = 0; i < 5; i++) a.append({ sample: sample(i), events: [] });
  a.ack(2);
  const boot = a.bootId;
  a.close();

  const b = Spool.open({ file, maxBytes: 1 << 20, log });
  assert.equal(b.bootId, boot, 'the boot id is persisted');
  assert.equal(b.seq, 5);
  assert.deepEqual(b.pending.map((r) => r.report.seq), [3, 4, 5]);
  assert.equal(b.append({ events: [] }), 6, 'numbering continues');
  // every report acked: the file keeps the boot and the number through compaction
  b.ack(6);
  b.close();
  const c = Spool.open({ file, maxBytes: 1 << 20, log });
  assert.equal(c.bootId, boot);
  assert.equal(c.append({ events: [] }), 7);
  assert.equal(c.pending.length, 1);
  c.close();
  assert.equal(inspectSpool(file)?.seq, 7);
});

test('acks compact the file: it does not grow with the reports sent', (t) => {
  const dir = tempDir(); t.after(() => dir.remove());
  const file = join(dir.path, 'spool.log');
  const s = Spool.open({ file, maxBytes: 1 << 20, fsync: false, log: capture().log });
  for (let i = 1; i <= 2000; i++) { s.append({ sample: sample(i), events: [] }); s.ack(i); }
  assert.ok(statSync(file).size < 400 * 1024, `file is ${statSync(file).size} bytes after 2000 acked reports`);
  s.close();
});

test('a damaged tail is cut, logged once naming the file, and the whole records before it are kept', (t) => {
  const dir = tempDir(); t.after(() => dir.remove());
  const file = join(dir.path, 'spool.log');
  const a = Spool.open({ file, maxBytes: 1 << 20, log: capture().log });
  for (let i = 0; i < 4; i++) a.append({ sample: sample(i), events: [] });
  a.close();
  // a torn last record (crash mid-write) ...
  truncateSync(file, statSync(file).size - 7);
  const first = capture();
  const b = Spool.open({ file, maxBytes: 1 << 20, log: first.log });
  assert.deepEqual(b.pending.map((r) => r.report.seq), [1, 2, 3]);
  const warned = first.lines.filter((l) => String(l.msg).includes('damaged tail'));
  assert.equal(warned.length, 1);
  assert.equal(warned[0]!.file, file);
  assert.ok(String(warned[0]!.msg).includes(file), 'the message names the file');
  b.close();
  // ... and flipped bytes in a whole record: the checksum catches them
  const buf = readFileSync(file);
  buf.writeUInt8(buf[buf.length - 20]! ^ 0xff, buf.length - 20);
  writeFileSync(file, buf);
  appendFileSync(file, Buffer.from('garbage after'));
  const second = capture();
  const c = Spool.open({ file, maxBytes: 1 << 20, log: second.log });
  assert.deepEqual(c.pending.map((r) => r.report.seq), [1, 2]);
  assert.equal(second.lines.filter((l) => String(l.msg).includes('damaged tail')).length, 1);
  c.close();
  // the cut is final: the next start finds a whole file and says nothing
  const third = capture();
  Spool.open({ file, maxBytes: 1 << 20, log: third.log }).close();
  assert.equal(third.lines.filter((l) => String(l.msg).includes('damaged tail')).length, 0);
});

test('overflow keeps each incident\'s first reports whole and summarises the middle with counts; no event is lost uncounted', (t) => {
  const dir = tempDir(); t.after(() => dir.remove());
  const file = join(dir.path, 'spool.log');
  const { log, lines } = capture();
  const maxBytes = 64 * 1024;
  const s = Spool.open({ file, maxBytes, fsync: false, log });
  const appended = new Map<string, number>();
  const onsets = new Map<string, number[]>();
  for (let i = 1; i <= 600; i++) {
    const events: AnomalyEvent[] = [];
    if (i >= 10) events.push(ev('conn.fanout/tcp:445', i));
    if (i >= 300) events.push(ev('proc.new/sha256:abc', i));
    if (i % 50 === 0) events.push(ev(`conn.fanout/tcp:${1000 + i}`, i));
    const seq = s.append({ sample: sample(i), events });
    for (const e of events) {
      appended.set(e.signature!, (appended.get(e.signature!) ?? 0) + 1);
      const o = onsets.get(e.signature!) ?? [];
      if (o.length < ONSET_REPORTS) { o.push(seq); onsets.set(e.signature!, o); }
    }
  }
  assert.ok(s.bytes <= maxBytes, `spool holds ${s.bytes} bytes, bound ${maxBytes}`);
  const kept = new Map(s.pending.map((r) => [r.report.seq, r]));
  for (const [sig, seqs] of onsets) {
    for (const seq of seqs) {
      const r = kept.get(seq);
      assert.ok(r && !r.summary && r.report.events!.some((e) => e.signature === sig), `onset report ${seq} of ${sig} kept whole`);
    }
  }
  const summaries = s.pending.filter((r) => r.summary);
  assert.ok(summaries.length > 0, 'the middle was summarised');
  // every event appended is in the spool, whole or as part of a summary's count
  const counted = new Map<string, number>();
  for (const r of s.pending) for (const e of r.report.events ?? []) counted.set(e.signature!, (counted.get(e.signature!) ?? 0) + (e.count || 1));
  assert.deepEqual(Object.fromEntries(counted), Object.fromEntries(appended));
  const seqs = s.pending.map((r) => r.report.seq);
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), 'replay order holds');
  assert.equal(seqs.at(-1), 600, 'the newest report is kept');
  assert.ok(lines.some((l) => String(l.msg).includes('summarised') && l.file === file), 'what was summarised is logged');
  s.close();
  // and the summaries are what a restart replays
  const again = Spool.open({ file, maxBytes, log: capture().log });
  assert.deepEqual(again.pending.map((r) => r.report.seq), seqs);
  again.close();
});

test('a scan (a new signature in every report) stays bounded: counted by family, its first report whole, no summary over the controller\'s event limit', (t) => {
  const dir = tempDir(); t.after(() => dir.remove());
  const s = Spool.open({ file: join(dir.path, 'spool.log'), maxBytes: 48 * 1024, fsync: false, log: capture().log });
  // a scan: every report a new port, so every signature is new and its reports are onsets
  for (let i = 1; i <= 400; i++) s.append({ events: [ev(`conn.new-port/tcp:${i}`, i), ev(`conn.new-port/udp:${i}`, i)] });
  let events = 0;
  for (const r of s.pending) {
    assert.ok((r.report.events ?? []).length <= SUMMARY_MAX_EVENTS, `report ${r.report.seq} carries ${r.report.events!.length} events`);
    for (const e of r.report.events ?? []) events += e.count || 1;
  }
  assert.equal(events, 800, 'every event counted');
  // the scan's first report (its family's onset) is kept whole
  assert.ok(s.pending.some((r) => r.report.seq === 1 && !r.summary), 'the first report of the scan kept whole');
  assert.ok(s.bytes <= 48 * 1024);
  s.close();
});

test('numbers lost with a damaged file are never reused: reports since start are renumbered after the controller\'s mark', (t) => {
  const dir = tempDir(); t.after(() => dir.remove());
  const file = join(dir.path, 'spool.log');
  const a = Spool.open({ file, maxBytes: 1 << 20, log: capture().log });
  for (let i = 0; i < 3; i++) a.append({ events: [] });
  a.close();
  const b = Spool.open({ file, maxBytes: 1 << 20, log: capture().log });
  b.append({ events: [ev('x', 1)] });
  b.append({ events: [ev('y', 2)] });
  // the controller says it stored up to 9 of this boot: 4 and 5 would be taken for duplicates
  assert.equal(b.renumberAfter(9), 2);
  assert.deepEqual(b.pending.map((r) => [r.report.seq, r.report.events![0]!.signature]), [[10, 'x'], [11, 'y']]);
  assert.equal(b.append({ events: [] }), 12);
  b.close();
  assert.equal(inspectSpool(file)?.seq, 12);
});

test('a file that is not a spool is moved aside, not overwritten, and named in one line', (t) => {
  const dir = tempDir(); t.after(() => dir.remove());
  const file = join(dir.path, 'spool.log');
  writeFileSync(file, 'not a spool at all');
  const { log, lines } = capture();
  const s = Spool.open({ file, maxBytes: 4096, log });
  assert.equal(s.seq, 0);
  s.close();
  const warned = lines.filter((l) => l.level === 40);
  assert.equal(warned.length, 1);
  assert.ok(String(warned[0]!.msg).includes(file));
  assert.equal(readFileSync(String(warned[0]!.movedTo), 'utf8'), 'not a spool at all');
});

test('a spool that cannot be written says so once, naming the file, and still numbers and releases reports', (t) => {
  const dir = tempDir(); t.after(() => dir.remove());
  // a data dir path through a regular file: every open fails (root ignores permissions)
  writeFileSync(join(dir.path, 'blocked'), '');
  const file = join(dir.path, 'blocked', 'spool.log');
  const { log, lines } = capture();
  const s = Spool.open({ file, maxBytes: 4096, log });
  assert.ok(s.inMemory);
  for (let i = 0; i < 50; i++) s.append({ sample: sample(i), events: [ev('conn.fanout/tcp:25', i)] });
  assert.equal(s.seq, 50);
  assert.ok(s.pending.every((r) => s.isDurable(r)), 'reports are released to the link');
  const errors = lines.filter((l) => l.level === 50);
  assert.equal(errors.length, 1, JSON.stringify(errors));
  assert.ok(String(errors[0]!.msg).includes(file));
  s.close();
});
