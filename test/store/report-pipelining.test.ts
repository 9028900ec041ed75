// A stream's reports in flight go to the store together (one commit for many, the
// bench:ingest saving), are stored in the order sent, once, and each is acked in order
// only after it is stored. Real gateway, ingest and SQLite file; the gRPC call is a
// stand-in, so the test sees exactly when each report reached the store and each ack left.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { pino } from 'pino';
import { Commands } from '../../controller/commands.ts';
import { Gateway } from '../../controller/gateway.ts';
import { Ingest } from '../../controller/pipeline/ingest.ts';
import { SqliteStore } from '../../controller/store/sqlite.ts';
import type { IngestOutcome, ReportRecord } from '../../controller/store/store.ts';
import type { AgentFrame__Output } from '../../proto/wire.ts';
import { tempDir } from '../helpers/procs.ts';

const dir = tempDir('firebreak-pipelining-');
after(() => dir.remove());

/** refuse: the store fails this seq (as a failed batch does, a turn later); stall: the ack of this seq waits for a drain that never comes */
function setup(file: string, opts: { refuse?: number; stall?: number } = {}) {
  const store = new SqliteStore(join(dir.path, file));
  const log = pino({ level: 'silent' });
  // what the store saw: reports handed over, reports stored (resolved), the most waiting at once
  const seen = { submitted: 0, stored: 0, maxWaiting: 0, submittedBeforeFirstStored: 0, order: [] as number[] };
  const ingestReport = store.ingestReport.bind(store);
  store.ingestReport = (r: ReportRecord): Promise<IngestOutcome> => {
    seen.submitted++;
    seen.order.push(r.seq);
    if (seen.stored === 0) seen.submittedBeforeFirstStored = seen.submitted;
    seen.maxWaiting = Math.max(seen.maxWaiting, seen.submitted - seen.stored);
    if (r.seq === opts.refuse) return new Promise((_, reject) => setImmediate(() => reject(new Error('store refused the report'))));
    return ingestReport(r).then((o) => { seen.stored++; return o; });
  };
  const commands = new Commands({ store, log, now: Date.now, defaultTtlMs: 60_000, maxTtlMs: 60_000, sign: () => Buffer.alloc(0) });
  const gateway = new Gateway({
    store, ingest: new Ingest(store, log), commands, log, now: Date.now, heartbeatIntervalMs: 5000, maxFramesPerSecond: 1e6,
  });
  const acks: Array<{ seq: number; storedThen: number }> = [];
  const call = Object.assign(new EventEmitter(), {
    getPeer: () => 'ipv4:127.0.0.1:40000',
    end: () => {},
    write: (f: { ack?: { seq: number }; welcome?: unknown }) => {
      if (f.ack) acks.push({ seq: Number(f.ack.seq), storedThen: seen.stored });
      if (f.welcome) call.emit('welcomed');
      return !(f.ack && f.ack.seq === opts.stall);
    },
  });
  const failed: string[] = [];
  call.on('error', (e: { details: string }) => failed.push(e.details));
  gateway.handlers().Connect(call as never);
  const frame = (f: object) => call.emit('data', f as AgentFrame__Output);
  return { store, seen, acks, call, frame, failed };
}

const report = (seq: number) => ({
  body: 'report',
  report: {
    seq, sample: null,
    events: [{ kind: 'CPU', signature: 'cpu.high', observedAtMs: Date.now(), value: 1, baseline: 0, score: 3, count: 1, cleared: false, evidence: null }],
  },
});

async function connect(t: ReturnType<typeof setup>): Promise<void> {
  const welcomed = new Promise((resolve) => t.call.once('welcomed', resolve));
  t.frame({ body: 'hello', hello: { agentId: 'fbh1', bootId: 'boot-aaaaaaaa', sentAtMs: Date.now(), backend: 'DRY_RUN',
    inventory: { hostname: 'fbh1', os: '', kernel: '', cpuModel: '', agentVersion: '', arch: '', ipAddresses: [], tags: {} } } });
  await welcomed;
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok(), `timed out waiting for ${what}`);
}

it('a stream\'s reports in flight reach the store together, in order, and are acked in order once stored', async () => {
  const t = setup('together.db');
  await connect(t);
  for (let seq = 1; seq <= 20; seq++) t.frame(report(seq));
  await until('20 acks', () => t.acks.length === 20);
  assert.equal(t.seen.submittedBeforeFirstStored, 20, 'all 20 reports were handed to the store before the first was stored (one commit, not 20)');
  assert.deepEqual(t.seen.order, Array.from({ length: 20 }, (_, i) => i + 1), 'handed over in the order sent');
  assert.deepEqual(t.acks.map((a) => a.seq), t.seen.order, 'acked in the order sent');
  for (const a of t.acks) assert.ok(a.storedThen >= a.seq, `ack ${a.seq} left after its report was stored (${a.storedThen} stored then)`);
  const h = (await t.store.getHost('fbh1'))!;
  assert.deepEqual([h.reports, h.events], [20, 20], 'each stored once');
  // a report sent again after its ack is a duplicate: acked, not stored twice
  t.frame(report(20));
  await until('the duplicate\'s ack', () => t.acks.length === 21);
  assert.equal((await t.store.getHost('fbh1'))!.reports, 20);
  await t.store.close();
});

it('at most 64 reports of one stream wait for the store; the rest wait their turn and none is lost', async () => {
  const t = setup('bounded.db');
  await connect(t);
  for (let seq = 1; seq <= 200; seq++) t.frame(report(seq));
  await until('200 acks', () => t.acks.length === 200);
  assert.ok(t.seen.maxWaiting <= 64 && t.seen.maxWaiting > 1, `${t.seen.maxWaiting} reports waited at once`);
  assert.deepEqual(t.acks.map((a) => a.seq), Array.from({ length: 200 }, (_, i) => i + 1));
  assert.equal((await t.store.getHost('fbh1'))!.reports, 200);
  await t.store.close();
});

it('a report the store refuses ends the stream at once, even while an earlier ack waits: nothing sent after it reaches the store', async () => {
  const t = setup('refused.db', { refuse: 5, stall: 4 });
  await connect(t);
  for (let seq = 1; seq <= 5; seq++) t.frame(report(seq));
  await until('the stream to fail', () => t.failed.length > 0);
  assert.match(t.failed[0]!, /store refused the report/);
  for (let seq = 6; seq <= 10; seq++) t.frame(report(seq));
  for (let turn = 0; turn < 20; turn++) await new Promise((r) => setImmediate(r)); // turns enough for frames 6-10 to be handled
  assert.deepEqual(t.seen.order, [1, 2, 3, 4, 5], 'reports 6-10 came after the refusal and were not stored (5 would have become a duplicate)');
  assert.ok(t.acks.every((a) => a.seq < 5), `no ack for the refused report or after it (${t.acks.map((a) => a.seq)})`);
  await t.store.close();
});
