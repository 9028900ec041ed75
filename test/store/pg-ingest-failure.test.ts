// The PostgreSQL store's report batches when one fails (controller/store/postgres.ts,
// flush): the reports queued behind the failed batch are refused with it, so none
// is left waiting and no later seq is stored after a refused one (the agent's
// resend would then be a duplicate and its events lost). Real server: the batch's
// connection is killed (pg_terminate_backend) while it waits on a row lock held by
// a second connection, so more reports queue behind it; then, on a new connection,
// the resent reports are stored, each once. Fails without fc28f93.
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { PgStore } from '../../controller/store/postgres.ts';
import { isStorageError } from '../../controller/store/storage-error.ts';
import type { IngestOutcome, ReportRecord } from '../../controller/store/store.ts';
import { testPg } from '../helpers/postgres.ts';
import { eventually } from '../helpers/procs.ts';

const schema = `t${process.pid}_flushfail`;
const T = 1_800_000_000_000;
const report = (seq: number): ReportRecord => ({
  hostId: 'h1', bootId: 'boot1', seq, receivedAtMs: T + seq, sample: null,
  events: [{ kind: 'CPU', signature: `cpu.spike/${seq}`, observedAtMs: T + seq, value: 1, baseline: 0, score: 3, count: 1, cleared: false, evidence: null }] as never,
});

/** A report handed to the store, its refusal seen at once (asserted later, never an unhandled rejection). */
const send = (seq: number): Promise<IngestOutcome> => {
  const p = store!.ingestReport(report(seq));
  p.catch(() => {});
  return p;
};

let store: PgStore | undefined;
let admin: pg.Client | undefined;
after(async () => {
  await store?.close().catch(() => {});
  await admin?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
  await admin?.end().catch(() => {});
  await (await testPg()).stop();
});

/** Settled within 10 s, or the test fails naming the ones still waiting (never a hung test). */
async function settled(ps: Promise<IngestOutcome>[], what: string): Promise<PromiseSettledResult<IngestOutcome>[]> {
  const done = ps.map(() => false);
  ps.forEach((p, i) => p.then(() => { done[i] = true; }, () => { done[i] = true; }));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const out = await Promise.race([Promise.allSettled(ps), new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), 10_000); })]);
  clearTimeout(timer);
  assert.ok(out !== undefined, `${what}: reports ${done.map((d, i) => (d ? undefined : i)).filter((i) => i !== undefined)} still waiting after 10 s`);
  return out;
}

it('a batch that fails mid-flight fails the reports queued behind it; nothing of either is stored; resent later, each is stored once', async () => {
  const { url } = await testPg();
  const lines: { msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => { lines.push(JSON.parse(l)); } });
  const logged = (re: RegExp) => lines.filter((l) => re.test(l.msg)).length;
  store = await PgStore.open(url, { schema, poolSize: 2, log });
  admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await store.recordHello({ hostId: 'h1', bootId: 'boot1', inventory: { hostname: 'h1' } as never, backend: 'DRY_RUN', nowMs: T });
  assert.equal((await store.ingestReport(report(1))).duplicate, false);

  // a second connection holds the boot's row: the next batch's transaction waits on it
  await admin.query('BEGIN');
  await admin.query(`SELECT 1 FROM ${schema}.boots WHERE host_id = 'h1' FOR UPDATE`);
  const first = [2, 3].map(send);
  const blocked = await eventually(async () => (await admin!.query<{ pid: number }>(
    `SELECT pid FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))`)).rows[0]?.pid, 5000, 'the batch to wait on the lock', 10);
  // more reports while the batch is in flight: they queue behind it
  const queued = [4, 5, 6].map(send);
  await admin.query('SELECT pg_terminate_backend($1)', [blocked]);
  await settled(first, 'the batch whose connection died');
  await admin.query('ROLLBACK'); // the lock goes: a batch sent after this would be stored

  const all = await settled([...first, ...queued], 'the batch and the reports queued behind it');
  all.forEach((r, i) => {
    assert.equal(r.status, 'rejected', `report seq ${i + 2} was ${r.status === 'fulfilled' ? 'stored after a refused one' : r.status}`);
    const err = (r as PromiseRejectedResult).reason;
    assert.ok(isStorageError(err) && err.kind === 'io', `seq ${i + 2}: a storage error of kind io, got ${err}`);
    assert.match(err.message, /cannot reach PostgreSQL/);
  });
  assert.equal(logged(/^controller storage stopped taking writes: .*cannot reach PostgreSQL/), 1, 'the outage said once, not per report');
  const events = await store.listEvents({ hostId: 'h1', limit: 100 });
  assert.deepEqual(events.map((e) => e.event!.signature), ['cpu.spike/1'], 'nothing of the refused or queued reports is stored');

  // the agent resends everything unacked: each stored once, the episode ends
  const resent = await Promise.all([2, 3, 4, 5, 6].map((seq) => store!.ingestReport(report(seq))));
  assert.deepEqual(resent.map((o) => o.duplicate), [false, false, false, false, false], 'no resent report is taken for a duplicate');
  assert.equal((await store.listEvents({ hostId: 'h1', limit: 100 })).length, 6);
  const h = (await store.getHost('h1'))!;
  assert.deepEqual([h.reports, h.events], [6, 6]);
  assert.deepEqual(await store.recordHello({ hostId: 'h1', bootId: 'boot1', inventory: { hostname: 'h1' } as never, backend: 'DRY_RUN', nowMs: T }), { lastSeq: 6 });
  assert.equal((await store.storageHealth()).state, 'ok', 'a write that worked ended the episode');
  assert.equal(logged(/^controller storage takes writes again after \d+ s \(\d+ writes were refused meanwhile\)/), 1);
});
