// A controller on PostgreSQL, end to end (real gRPC with mutual TLS, a real
// PostgreSQL server): an agent enrolls and reports; a second controller on the
// same database (a restart) knows the host, its events and its last seq; when
// the server stops taking the controller's connections, agents are told to
// retry (nothing acked that was not stored) and operators get an error naming
// the server without its password; when it takes them again, so does the store.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import pg from 'pg';
import { pino } from 'pino';
import type { Controller } from '../../controller/controller.ts';
import { PgStore } from '../../controller/store/postgres.ts';
import type { AgentFrame, AgentLinkClient, ControllerFrame__Output, EventView__Output, Host__Output, OperatorClient, StorageHealth__Output } from '../../proto/wire.ts';
import { adminClient, agentLinkClient, enroll, inventory, startInProcessController, unary } from '../helpers/inproc.ts';
import { testPg } from '../helpers/postgres.ts';
import { eventually, tempDir } from '../helpers/procs.ts';

const BOOT = 'pgboot000001';
const report = (seq: number): AgentFrame => ({
  report: {
    seq, events: [0, 1].map((i) => ({
      kind: 'CPU', signature: `cpu.spike/${i}`, observedAtMs: Date.now(), value: 90, baseline: 10, score: 5, count: 1, cleared: false,
      evidence: { detail: 'pg', processes: [], remotes: [] },
    })),
  },
});

interface Stream { frames: ControllerFrame__Output[]; send(f: AgentFrame): void; status: Promise<grpc.StatusObject>; close(): void }

/** A stream said Hello: its welcome's lastSeq, or the status it ended with. */
async function connect(client: AgentLinkClient): Promise<{ s: Stream; lastSeq: number | undefined }> {
  const call = client.Connect();
  const frames: ControllerFrame__Output[] = [];
  call.on('data', (f: ControllerFrame__Output) => frames.push(f));
  call.on('error', () => {});
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  const s = { frames, send: (f: AgentFrame) => call.write(f), status, close: () => { call.end(); call.cancel(); } };
  s.send({ hello: { agentId: 'pg-agent', bootId: BOOT, inventory, backend: 'DRY_RUN', sentAtMs: Date.now() } });
  await Promise.race([status, eventually(async () => frames.some((f) => f.welcome), 10_000, 'welcome', 20)]);
  return { s, lastSeq: frames.find((f) => f.welcome)?.welcome!.lastSeq };
}

describe('a controller on PostgreSQL', () => {
  const dir = tempDir('firebreak-ctl-pg-');
  const role = `fb_${randomBytes(4).toString('hex')}`;
  const password = `pw-${randomBytes(6).toString('hex')}`;
  const lines: { level: number; msg: string }[] = [];
  let admin: pg.Client;
  let storeUrl: string;
  let c: Controller | undefined;

  const start = async () => {
    const log = pino({ level: 'info' }, { write: (l: string) => { lines.push(JSON.parse(l)); } });
    return startInProcessController(join(dir.path, 'ctl'), { log, store: await PgStore.open(storeUrl, { schema: role, log }) });
  };

  before(async () => {
    const server = await testPg();
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    // a role and schema of this test's own: it can lock the controller out without touching anything else on the server
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await admin.query(`CREATE SCHEMA ${role} AUTHORIZATION ${role}`);
    const u = new URL(server.url);
    u.username = role;
    u.password = password;
    storeUrl = u.toString();
  });
  after(async () => {
    await c?.stop().catch(() => {});
    await admin.query(`DROP SCHEMA IF EXISTS ${role} CASCADE`);
    await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
    await (await testPg()).stop();
    dir.remove();
  });

  it('stores what agents report, keeps it across a restart, and tells agents to retry while the server is out of reach', async () => {
    c = await start();
    const identity = await enroll(c, 'pg-agent', dir.path);
    let client = agentLinkClient(c, identity);
    let op: OperatorClient = adminClient(c);
    const first = await connect(client);
    assert.equal(first.lastSeq, 0);
    first.s.send(report(1));
    await eventually(async () => first.s.frames.some((f) => f.ack?.seq === 1), 5000, 'ack of report 1', 20);
    const listed = await unary<{ hosts: Host__Output[]; storage: StorageHealth__Output }>(op, 'ListHosts', {});
    assert.deepEqual(listed.hosts.map((h) => [h.id, h.reports, h.events]), [['pg-agent', 1, 2]]);
    assert.equal(listed.storage.state, 'ok');
    assert.match(listed.storage.file, new RegExp(`^postgres://${role}:\\*\\*\\*@.*\\(schema ${role}\\)$`), 'where the store is, without the password');
    first.s.close();
    client.close();
    op.close();
    await c.stop();

    // a restart: a new controller on the same database and data dir
    c = await start();
    client = agentLinkClient(c, identity); // same data dir: same CA, the agent's certificate still good
    op = adminClient(c);
    const again = await connect(client);
    assert.equal(again.lastSeq, 1, 'the last stored seq of this boot survived the restart');
    const events = await unary<{ events: EventView__Output[] }>(op, 'ListEvents', { hostId: 'pg-agent', limit: 10 });
    assert.equal(events.events.length, 2);

    // the server stops taking the controller's connections
    await admin.query(`ALTER ROLE ${role} NOLOGIN`);
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [role]);
    again.s.send(report(2));
    const st = await again.s.status;
    assert.equal(st.code, grpc.status.UNAVAILABLE, `retriable, got ${grpc.status[st.code]}: ${st.details}`);
    assert.match(st.details, /controller storage is failing: nothing was stored; keep the reports and retry later/);
    assert.ok(!again.s.frames.some((f) => f.ack?.seq === 2), 'report 2 was not acked');
    const err = await unary(op, 'ListHosts', {}).then(() => undefined, (e: grpc.ServiceError) => e);
    assert.ok(err, 'reads fail too: the data is on the server');
    assert.equal(err.code, grpc.status.UNAVAILABLE);
    assert.doesNotMatch(err.details, new RegExp(password));
    assert.match(err.details, /postgres:\/\/.*\*\*\*@.*(cannot reach PostgreSQL|refused the login)/);
    assert.equal(lines.filter((l) => /^controller storage stopped taking writes/.test(l.msg)).length, 1, 'said once');
    assert.ok(!JSON.stringify(lines).includes(password), 'the password is in no log line');

    // it takes them again: the agent's retry is stored once
    await admin.query(`ALTER ROLE ${role} LOGIN`);
    let retry: Awaited<ReturnType<typeof connect>> | undefined;
    await eventually(async () => {
      retry?.s.close();
      retry = await connect(client);
      return retry.lastSeq === 1;
    }, 10_000, 'a welcome after the server is back', 200);
    retry!.s.send(report(2));
    await eventually(async () => retry!.s.frames.some((f) => f.ack?.seq === 2), 5000, 'ack of report 2', 20);
    assert.equal((await unary<{ events: EventView__Output[] }>(op, 'ListEvents', { hostId: 'pg-agent', limit: 10 })).events.length, 4);
    assert.equal(lines.filter((l) => /^controller storage takes writes again/.test(l.msg)).length, 1);
    retry!.s.close();
    client.close();
    op.close();
  });
});
