// Floods against a controller on real gRPC sockets and a real SQLite file:
// refused calls cost audit rows per minute, not per call; a listener's
// connection caps refuse one source's extra connection while the other
// listeners keep serving; an agent over its byte budget is refused with the
// reason and stores at most its budget while another agent keeps streaming.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as grpc from '@grpc/grpc-js';
import type { AgentIdentity } from '../../agent/trust/identity.ts';
import type { Controller } from '../../controller/controller.ts';
import type { AgentFrame, AgentLinkClient, ControllerFrame__Output, OperatorClient } from '../../proto/wire.ts';
import { firebreakPackage } from '../../proto/wire.ts';
import { eventually, tempDir } from '../helpers/procs.ts';
import { adminClient, agentLinkClient, enroll, inventory, operatorWithToken, startInProcessController, unary } from '../helpers/inproc.ts';

const pkg = firebreakPackage();
const DAY_BUDGET = 300_000;

function open(client: AgentLinkClient, agentId: string) {
  const call = client.Connect();
  const frames: ControllerFrame__Output[] = [];
  call.on('data', (f: ControllerFrame__Output) => frames.push(f));
  call.on('error', () => {});
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.write({ hello: { agentId, bootId: randomBytes(8).toString('hex'), inventory, backend: 'DRY_RUN', sentAtMs: Date.now() } } satisfies AgentFrame);
  return { frames, status, send: (f: AgentFrame) => call.write(f), close: () => call.cancel() };
}

/** A report whose one event carries about `kb` KB of evidence (under the 1 KB-per-string cut the store applies). */
function bigReport(seq: number, kb: number): AgentFrame {
  const processes = Array.from({ length: Math.ceil(kb / 3) }, (_, i) => ({ pid: i + 1, name: 'n'.repeat(1000), exe: 'e'.repeat(1000), user: 'u'.repeat(1000) }));
  return {
    report: {
      seq,
      events: [{ kind: 'PROCESS_NEW', signature: `proc.new/sha256:${seq.toString(16).padStart(8, '0')}`, observedAtMs: Date.now(), value: 1, baseline: 0, score: 1, count: 1, evidence: { processes: processes.slice(0, 32), detail: 'd'.repeat(1000) } }],
    },
  };
}

describe('floods cost the attacker, not the fleet', () => {
  const dir = tempDir();
  let c: Controller;
  let admin: OperatorClient;
  const ids: Record<string, AgentIdentity> = {};
  let goodClient: AgentLinkClient;
  let good: ReturnType<typeof open>;
  let seq = 0;

  async function goodAgentStillServed(): Promise<void> {
    const s = ++seq;
    good.send({ report: { seq: s, events: [] } });
    await eventually(async () => good.frames.some((f) => f.ack?.seq === s), 3000, `ack ${s} for the good agent`, 20);
  }

  before(async () => {
    c = await startInProcessController(join(dir.path, 'ctl'), {
      maxFramesPerSecond: 200,
      connectionLimits: { enroll: { maxConnections: 50, maxPerSource: 3, handshakeTimeoutMs: 1500 } },
      byteBudget: { storedBytesPerDay: DAY_BUDGET, bytesPerSecond: 200_000, burstBytes: 4.5 * 1024 * 1024 },
    });
    admin = adminClient(c);
    for (const id of ['good', 'hog', 'gush']) ids[id] = await enroll(c, id, dir.path);
    goodClient = agentLinkClient(c, ids['good']!);
    good = open(goodClient, 'good');
    await eventually(async () => good.frames.some((f) => f.welcome), 5000, 'welcome', 20);
  });

  after(async () => {
    good.close();
    goodClient.close();
    admin.close();
    await c.stop();
    dir.remove();
  });

  it('files a flood of denied calls as one row per peer and minute, under the address, not the claimed id', async () => {
    const before = (await c.store.trust.allAudit()).length;
    const bogus = operatorWithToken(c, 'fbo_' + 'A'.repeat(43));
    const denied = await Promise.allSettled(Array.from({ length: 200 }, () => unary(bogus, 'ListHosts', {})));
    assert.ok(denied.every((d) => d.status === 'rejected'));
    bogus.close();
    const enrollClient = new pkg.Enrollment(`127.0.0.1:${c.enrollPort}`, grpc.credentials.createSsl(Buffer.from(c.trust.caCertPem)));
    await Promise.allSettled(Array.from({ length: 30 }, (_, i) => new Promise((resolve, reject) =>
      enrollClient.Enroll({ agentId: `good-${i % 3}`, token: 'fbe_' + 'B'.repeat(43), csrPem: '' }, (err: Error | null) => (err ? reject(err) : resolve(0))))));
    enrollClient.close();
    await c.audit.flushRefused();
    const added = (await c.store.trust.allAudit()).slice(before);
    const rows = added.filter((e) => e.action === 'calls.refused');
    assert.ok(rows.length >= 1 && rows.length <= 2, `230 refused calls cost ${added.length} rows (${rows.length} calls.refused): one per peer and minute expected`);
    assert.equal(added.length, rows.length, 'no row per call');
    assert.ok(rows.every((r) => r.actor === 'peer:127.0.0.1' && r.target === '127.0.0.1'));
    const sum = (action: string) => rows.reduce((n, r) => n + ((JSON.parse(r.detail) as { byAction: Record<string, number> }).byAction[action] ?? 0), 0);
    assert.equal(sum('rpc.denied'), 200);
    assert.equal(sum('agent.enroll.refused'), 30);
    assert.ok(!added.some((e) => e.actor.startsWith('agent:good')), 'never filed under the claimed id');
    await goodAgentStillServed();
  });

  it('caps connections per source on the enrollment port while the operator and agent ports keep serving; idle handshakes time out', async () => {
    const enrollStats = c.listeners.find((l) => l.name === 'enroll')!.stats;
    const refusedBefore = enrollStats.refusedPerSource;
    const opened: Socket[] = [];
    const closedAt = new Map<Socket, number>();
    const dial = () => new Promise<Socket>((resolve, reject) => {
      const s = connect(c.enrollPort, '127.0.0.1', () => resolve(s));
      s.on('error', () => {});
      s.on('close', () => closedAt.set(s, Date.now()));
      s.once('error', reject);
    });
    for (let i = 0; i < 3; i++) opened.push(await dial());
    const t0 = Date.now();
    const extra = connect(c.enrollPort, '127.0.0.1');
    extra.on('error', () => {});
    await new Promise((resolve) => extra.on('close', resolve));
    assert.ok(Date.now() - t0 < 1000, 'the 4th connection from one source is refused at once');
    assert.equal(enrollStats.refusedPerSource, refusedBefore + 1);
    assert.ok(opened.every((s) => !closedAt.has(s)), 'the first three stay open meanwhile');
    // the other listeners are untouched by the enrollment port's state
    const who = await unary<{ name: string }>(admin, 'WhoAmI', {});
    assert.equal(who.name, 'admin');
    await goodAgentStillServed();
    // no TLS ClientHello: each is closed at the handshake deadline, freeing its place
    await eventually(async () => opened.every((s) => closedAt.has(s)), 4000, 'idle handshakes closed', 50);
    assert.ok(enrollStats.handshakeTimeouts >= 3);
    assert.equal(enrollStats.open, 0);
  });

  it('refuses an agent over its stored bytes per day with the reason, stores at most its budget, keeps it online, audits once', async () => {
    const client = agentLinkClient(c, ids['hog']!);
    let s = open(client, 'hog');
    await eventually(async () => s.frames.some((f) => f.welcome), 5000, 'welcome', 20);
    let n = 0;
    let status: grpc.StatusObject | undefined;
    void s.status.then((st) => { status = st; });
    // about 60 KB of events per report: the budget (300,000 bytes) lasts four or five reports
    for (n = 1; n <= 20 && !status; n++) {
      s.send(bigReport(n, 60));
      await eventually(async () => status || s.frames.some((f) => f.ack?.seq === n), 3000, `ack or refusal of report ${n}`, 10);
      await goodAgentStillServed();
    }
    assert.ok(status, 'refused before 20 reports');
    assert.equal(grpc.status[status.code], 'RESOURCE_EXHAUSTED');
    assert.match(status.details, /agent hog has stored .* of events today \(UTC\) and its budget is 0\.29 MiB per day/);
    // it reconnects, as agents do: its resent and further reports are acked, their events not stored
    s = open(client, 'hog');
    await eventually(async () => s.frames.some((f) => f.welcome), 5000, 'welcome again', 20);
    const refusedSeq = n - 1;
    for (const r of [refusedSeq, refusedSeq + 1, refusedSeq + 2]) s.send(bigReport(r, 60));
    await eventually(async () => s.frames.some((f) => f.ack?.seq === refusedSeq + 2), 3000, 'acks after the refusal', 20);
    s.send({ heartbeat: { sentAtMs: Date.now(), lastSeq: refusedSeq + 2 } });
    await goodAgentStillServed();
    assert.ok(c.gateway.online.has('hog'), 'the host stays online for commands');
    const db = new Database(join(dir.path, 'ctl', 'firebreak.db'), { readonly: true });
    const stored = db.prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(LENGTH(evidence) + LENGTH(signature)), 0) AS bytes FROM events WHERE host_id = 'hog'`).get() as { n: number; bytes: number };
    db.close();
    assert.ok(stored.n >= 3, `some reports were stored (${stored.n})`);
    assert.ok(stored.bytes <= DAY_BUDGET, `stored ${stored.bytes} bytes over a budget of ${DAY_BUDGET}`);
    const entries = (await c.store.trust.allAudit()).filter((e) => e.action === 'agent.over-budget' && e.target === 'hog');
    assert.equal(entries.length, 1, 'one audit entry for the episode');
    s.close();
    client.close();
  });

  it('cuts an agent sending more bytes per second than its budget, not the others', async () => {
    const client = agentLinkClient(c, ids['gush']!);
    const s = open(client, 'gush');
    await eventually(async () => s.frames.some((f) => f.welcome), 5000, 'welcome', 20);
    // 1 MB samples (no events: the day budget is not what stops it), six at once: over the 4.5 MiB burst
    for (let i = 1; i <= 6; i++) {
      s.send({ report: { seq: i, events: [], sample: { observedAtMs: Date.now(), topProcesses: [{ pid: 1, name: 'x', exe: 'e'.repeat(1_000_000) }] } } });
    }
    const st = await s.status;
    assert.equal(grpc.status[st.code], 'RESOURCE_EXHAUSTED');
    assert.match(st.details, /agent gush sends more than its byte budget of 0\.19 MiB\/s \(burst 4\.5 MiB\)/);
    await goodAgentStillServed();
    client.close();
  });
});
