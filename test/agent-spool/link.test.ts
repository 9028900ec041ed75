// The link over real gRPC: its reconnect backoff is capped and does not start
// over on a welcome that fails at once; after a controller restart the agent is
// back within 10 s and replays a backlog larger than the controller's frame
// burst, in order, paced, each report stored once.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Agent } from '../../agent/agent.ts';
import { AgentConfigSchema } from '../../agent/config.ts';
import { DryRunBackend } from '../../agent/enforce/dry-run.ts';
import { CLIENT_OPTIONS, Link } from '../../agent/link.ts';
import { emptySample } from '../../agent/sample/sampler.ts';
import { Spool } from '../../agent/spool.ts';
import type { Controller } from '../../controller/controller.ts';
import type { AgentFrame__Output, ControllerFrame } from '../../proto/wire.ts';
import { firebreakPackage } from '../../proto/wire.ts';
import { enroll, inventory, silent, startInProcessController } from '../helpers/inproc.ts';
import { eventually, tempDir } from '../helpers/procs.ts';

test('the channel\'s own reconnect backoff is capped', () => {
  assert.ok(Number(CLIENT_OPTIONS['grpc.max_reconnect_backoff_ms']) <= 5000);
  assert.ok(Number(CLIENT_OPTIONS['grpc.initial_reconnect_backoff_ms']) <= 1000);
});

test('a welcome followed by an immediate failure does not reset the backoff, and the backoff stays capped', async (t) => {
  const dir = tempDir(); t.after(() => dir.remove());
  // a controller that welcomes every agent and drops it at once
  const server = new grpc.Server();
  let hellos = 0;
  server.addService(firebreakPackage().AgentLink.service, {
    Connect: (call: grpc.ServerDuplexStream<AgentFrame__Output, ControllerFrame>) => {
      call.on('data', (f: AgentFrame__Output) => {
        if (f.body !== 'hello') return;
        hellos++;
        call.write({ welcome: { controllerTimeMs: Date.now(), heartbeatIntervalMs: 60_000, lastSeq: 0 } });
        setImmediate(() => call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'going away', metadata: new grpc.Metadata() }));
      });
      call.on('error', () => {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  t.after(() => server.forceShutdown());
  const spool = Spool.open({ file: join(dir.path, 'spool.log'), maxBytes: 1 << 20, log: silent });
  const link = new Link({
    address: `127.0.0.1:${port}`, log: silent, spool, random: () => 1, backoffInitialMs: 20, backoffMaxMs: 100,
    // the channel's own backoff would hide the link's: it reconnects at once in this test
    channelOptions: { 'grpc.initial_reconnect_backoff_ms': 10, 'grpc.min_reconnect_backoff_ms': 10, 'grpc.max_reconnect_backoff_ms': 10 },
    hello: () => ({ agentId: 'a1', inventory, backend: 'DRY_RUN' }),
    heartbeat: () => ({}),
    onCommand: async () => { throw new Error('no commands here'); },
  });
  t.after(() => link.stop());
  link.start();
  await eventually(async () => link.delays.length >= 7, 10_000, 'seven reconnect attempts');
  assert.ok(hellos >= 6, `the fake controller welcomed ${hellos} times`);
  assert.deepEqual(link.delays.slice(0, 7), [20, 40, 80, 100, 100, 100, 100]);
});

function capture(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s)); } }) };
}

/** Records every report the controller's store took, by (boot, seq), and every one it dropped as a duplicate. */
function recordIngest(c: Controller, stored: Map<string, number>): void {
  const store = c.store as unknown as { ingestReport: (r: { bootId: string; seq: number }) => Promise<{ duplicate: boolean }> };
  const orig = store.ingestReport.bind(store);
  store.ingestReport = async (r) => {
    const out = await orig(r);
    if (!out.duplicate) { const k = `${r.bootId}/${r.seq}`; stored.set(k, (stored.get(k) ?? 0) + 1); }
    return out;
  };
}

test('an agent stopped during an outage keeps its spool; after the controller returns it is back within 10 s and replays a backlog beyond the frame burst, paced, each report once', async (t) => {
  const dir = tempDir(); t.after(() => dir.remove());
  const ctlDir = join(dir.path, 'ctl');
  let c = await startInProcessController(ctlDir);
  const port = c.agentPort;
  const stored = new Map<string, number>();
  recordIngest(c, stored);
  const identity = await enroll(c, 'a1', dir.path);
  const { log, lines } = capture();
  const config = AgentConfigSchema.parse({
    agentId: 'a1', controller: `127.0.0.1:${port}`, intervalMs: 1000, dataDir: join(dir.path, 'a1'), backend: 'dry-run',
  });
  const newAgent = () => new Agent({
    config, identity, inventory, backend: new DryRunBackend(), log,
    sampler: { sample: async () => emptySample(Date.now()) }, detector: { observe: () => [] },
  });
  let agent = newAgent();
  await agent.start();
  t.after(async () => { await agent.stop(); await c.stop(); });
  await eventually(async () => agent.link.connected, 10_000, 'the agent to connect');

  await c.stop();
  await eventually(async () => !agent.link.connected, 5000, 'the agent to notice the controller is gone');
  // a long outage's worth of reports: more than the controller's 5 s burst of 250 frames
  const backlog = 320;
  for (let i = 0; i < backlog; i++) {
    agent.link.report({ events: [{ kind: 'CONN_FANOUT', signature: `conn.fanout/tcp:${i}`, observedAtMs: Date.now(), value: 1, baseline: 0, score: 1, count: 1 }] });
  }
  // a graceful stop during the outage: the next start replays what the last one spooled
  const boot = agent.link.bootId;
  await agent.stop();
  agent = newAgent();
  await agent.start();
  assert.equal(agent.link.bootId, boot, 'the same boot continues');
  const back = Date.now();
  c = await startInProcessController(ctlDir, { agentListen: `127.0.0.1:${port}` });
  recordIngest(c, stored);
  await eventually(async () => agent.link.connected, 10_000, 'the agent to reconnect');
  const tookMs = Date.now() - back;
  const replayStarted = Date.now();
  // an isolation's proof that the controller answers does not wait for the whole backlog
  const probeMs = await agent.link.probe(1500);
  assert.ok(agent.link.spooled > 50, `the probe answered during the replay (${agent.link.spooled} reports still spooled)`);
  assert.ok(tookMs <= 10_000, `agent back ${tookMs} ms after the controller`);
  await eventually(async () => {
    const last = Math.max(0, ...[...stored.keys()].map((k) => Number(k.split('/')[1])));
    return last >= backlog && agent.link.spooled === 0;
  }, 15_000, 'the backlog to be stored', 100);
  t.diagnostic(`reconnect ${tookMs} ms, probe ${probeMs} ms, replay ${Date.now() - replayStarted} ms`);
  const seqs = [...stored.keys()].filter((k) => k.startsWith(`${boot}/`)).map((k) => Number(k.split('/')[1])).sort((a, b) => a - b);
  const max = seqs.at(-1)!;
  assert.deepEqual(seqs, Array.from({ length: max }, (_, i) => i + 1), 'every report number stored, none missing');
  assert.ok([...stored.values()].every((n) => n === 1), 'each stored once');
  const cut = lines.filter((l) => l.code === 'RESOURCE_EXHAUSTED');
  assert.equal(cut.length, 0, `the replay was cut: ${JSON.stringify(cut[0])}`);
});
