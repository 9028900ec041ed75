// A full disk under a running controller (real gRPC, real SQLite file; the
// SQLITE_FULL is real, made with the store's size cap, SQLite max_page_count):
// reports are refused with a retriable status and never acked, so the agent
// keeps them; reads keep working; operators get an error naming the file;
// the log says so once, `firebreak hosts` says so, and the store recovers by
// itself when space returns.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import type { Controller } from '../../controller/controller.ts';
import type { SqliteStore } from '../../controller/store/sqlite.ts';
import type {
  AgentFrame, AgentLinkClient, ControllerFrame__Output, EventView__Output, Host__Output, OperatorClient, StorageHealth__Output,
} from '../../proto/wire.ts';
import { adminClient, agentLinkClient, enroll, inventory, startInProcessController, unary } from '../helpers/inproc.ts';
import { cli, eventually, tempDir } from '../helpers/procs.ts';

const BOOT = 'fullboot0001';

interface Stream { frames: ControllerFrame__Output[]; send(f: AgentFrame): void; status: Promise<grpc.StatusObject>; close(): void }

function open(client: AgentLinkClient): Stream {
  const call = client.Connect();
  const frames: ControllerFrame__Output[] = [];
  call.on('data', (f: ControllerFrame__Output) => frames.push(f));
  call.on('error', () => {});
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  return { frames, send: (f) => call.write(f), status, close: () => { call.end(); call.cancel(); } };
}

/** A report big enough to need new pages: 64 events with 1 KB of evidence each. */
const bigReport = (seq: number): AgentFrame => ({
  report: {
    seq,
    events: Array.from({ length: 64 }, (_, i) => ({
      kind: 'CPU', signature: 'cpu.spike', observedAtMs: Date.now(), value: 90, baseline: 10, score: 5, count: 1, cleared: false,
      evidence: { detail: `${i} `.padEnd(1000, 'x'), processes: [], remotes: [] },
    })),
  },
});

describe('a full disk under a running controller', () => {
  const dir = tempDir('firebreak-full-');
  const lines: { level: number; msg: string }[] = [];
  let c: Controller;
  let client: AgentLinkClient;
  let op: OperatorClient;

  const logged = (re: RegExp) => lines.filter((l) => re.test(l.msg)).length;
  const storage = async () => (await unary<{ hosts: Host__Output[]; storage: StorageHealth__Output }>(op, 'ListHosts', {}));

  /** A new stream: Hello, then the welcome (or the stream's end, when even the Hello cannot be stored). */
  async function connect(): Promise<{ s: Stream; lastSeq: number | undefined }> {
    const s = open(client);
    s.send({ hello: { agentId: 'full-agent', bootId: BOOT, inventory, backend: 'DRY_RUN', sentAtMs: Date.now() } });
    const ended = s.status.then(() => true);
    await Promise.race([ended, eventually(async () => s.frames.some((f) => f.welcome), 5000, 'welcome', 20)]);
    return { s, lastSeq: s.frames.find((f) => f.welcome)?.welcome!.lastSeq };
  }

  before(async () => {
    const log = pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s)); } });
    c = await startInProcessController(join(dir.path, 'ctl'), { log });
    client = agentLinkClient(c, await enroll(c, 'full-agent', dir.path), { 'grpc.max_send_message_length': 8 * 1024 * 1024 });
    op = adminClient(c);
  });
  after(async () => {
    client.close();
    op.close();
    await c.stop();
    dir.remove();
  });

  it('refuses reports with a retriable status, keeps serving reads, says so once, and recovers when space returns', async () => {
    const { s: first } = await connect();
    first.send(bigReport(1));
    await eventually(async () => first.frames.some((f) => f.ack?.seq === 1), 5000, 'ack of report 1', 20);

    // the disk is full: no page may be added to the database
    (c.store as SqliteStore).setSizeLimit(0);
    first.send(bigReport(2));
    const st = await first.status;
    assert.equal(st.code, grpc.status.UNAVAILABLE, `retriable status, got ${grpc.status[st.code]}: ${st.details}`);
    assert.match(st.details, /controller storage is full: nothing was stored; keep the reports and retry later/);
    assert.ok(!first.frames.some((f) => f.ack?.seq === 2), 'report 2 was never acked: the agent keeps it');

    // the agent retries, twice: refused again, the store still has report 1 as the last one
    for (let i = 0; i < 2; i++) {
      const { s, lastSeq } = await connect();
      if (lastSeq !== undefined) {
        assert.equal(lastSeq, 1, 'the welcome says report 1 is the last stored');
        s.send(bigReport(2));
      }
      assert.equal((await s.status).code, grpc.status.UNAVAILABLE);
    }
    assert.equal(logged(/^controller storage stopped taking writes: .*firebreak\.db: the disk is full/), 1, 'said once per episode, not per write');
    assert.equal(lines.filter((l) => l.level >= 40 && /agent stream refused|audit append failed|failed$/.test(l.msg)).length, 0,
      `no warning per refused write:\n${lines.filter((l) => l.level >= 40).map((l) => l.msg).join('\n')}`);

    // reads still work, and say the storage is full
    const res = await storage();
    assert.ok(res.hosts.some((h) => h.id === 'full-agent'));
    assert.equal(res.storage.state, 'full');
    assert.ok(res.storage.refusedWrites >= 3, `refused writes counted: ${res.storage.refusedWrites}`);
    assert.match(res.storage.message, /firebreak\.db: the disk is full .* Free space on the disk/);
    const events = await unary<{ events: EventView__Output[] }>(op, 'ListEvents', { hostId: 'full-agent', limit: 500 });
    assert.equal(events.events.length, 64, 'report 1 still readable');
    const text = await cli({ operatorAddress: `127.0.0.1:${c.operatorPort}`, credentialsFile: c.credentialsFile }, ['hosts']);
    assert.match(text.stdout, /controller storage: FULL since \S+ \(\d+s ago\): agents' reports are refused \(they keep them and retry\)/);

    // an operator's write fails with an error naming the file and what to do
    const tags = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'v'.repeat(250)]));
    const err = await unary(op, 'CreateEnrollmentToken', { uses: 1, ttlS: 60, tags }).then(() => undefined, (e: grpc.ServiceError) => e);
    assert.ok(err, 'the write was refused');
    assert.equal(err.code, grpc.status.UNAVAILABLE);
    assert.match(err.details, /firebreak\.db: the disk is full .*Free space on the disk that holds/);

    // space returns: the store notices by itself, says so once, and the agent's retry is stored
    (c.store as SqliteStore).setSizeLimit(undefined);
    await eventually(async () => (await storage()).storage.state === 'ok', 6000, 'storage ok again', 100);
    assert.equal(logged(/^controller storage takes writes again after \d+ s/), 1);
    const { s: last, lastSeq } = await connect();
    assert.equal(lastSeq, 1);
    last.send(bigReport(2));
    await eventually(async () => last.frames.some((f) => f.ack?.seq === 2), 5000, 'ack of report 2 after recovery', 20);
    assert.equal((await unary<{ events: EventView__Output[] }>(op, 'ListEvents', { hostId: 'full-agent', limit: 500 })).events.length, 128);
    last.close();
  });
});
