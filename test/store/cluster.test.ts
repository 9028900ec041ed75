// Two controllers on one PostgreSQL store (controller/cluster/): real gRPC with
// mutual TLS, a real PostgreSQL server, two in-process controllers with their own
// data dirs sharing the CA and signing key. One leads; a command issued on the
// leader reaches an agent whose stream is on the follower (and WaitCommand on the
// leader sees it applied); events reported to the follower reach the leader's
// correlation; an operator asking the follower for alerts is answered (forwarded
// to the leader); when the leader stops, the follower leads within 10 s with the
// alerts it had; a controller with another CA is refused.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { operatorClient } from '../../controller/cli/client.ts';
import type { Controller } from '../../controller/controller.ts';
import type { CredentialFile } from '../../controller/credentials.ts';
import { PgStore } from '../../controller/store/postgres.ts';
import { SHARED_TRUST_FILES } from '../../controller/trust/ca.ts';
import type { AlertSummary } from '../../controller/pipeline/stage-types.ts';
import type { AgentFrame, CommandView__Output, ControllerFrame__Output, OperatorClient } from '../../proto/wire.ts';
import { agentLinkClient, enroll, inProcessAgent, inventory, silent, startInProcessController, unary } from '../helpers/inproc.ts';
import { testPg } from '../helpers/postgres.ts';
import { eventually, tempDir } from '../helpers/procs.ts';

describe('two controllers on one PostgreSQL', () => {
  const dir = tempDir('firebreak-cluster-');
  const schema = `fbcl_${randomBytes(4).toString('hex')}`;
  let url: string;
  let admin: pg.Client;
  const started: Controller[] = [];
  const clients: { close(): void }[] = [];

  const start = async (name: string) => {
    const c = await startInProcessController(join(dir.path, name), {
      store: await PgStore.open(url, { schema, log: silent }), cluster: { url, schema, node: name },
    });
    started.push(c);
    return c;
  };
  const shareTrust = (from: string, to: string) => {
    mkdirSync(join(dir.path, to, 'trust'), { recursive: true, mode: 0o700 });
    for (const f of SHARED_TRUST_FILES) copyFileSync(join(dir.path, from, 'trust', f), join(dir.path, to, 'trust', f));
  };

  before(async () => {
    url = (await testPg()).url;
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const c of started) await c.stop().catch(() => {});
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    await (await testPg()).stop();
    dir.remove();
  });

  it('routes commands and events between them, forwards operators to the leader, and hands the lead over', async () => {
    const a = await start('a');
    await eventually(async () => a.cluster!.isLeader, 10_000, 'a leads', 20);
    shareTrust('a', 'b');
    const b = await start('b');
    assert.equal(b.cluster!.isLeader, false, 'one leader');

    // a controller with a CA of its own would refuse the fleet's agents: refused at start
    await assert.rejects(start('stranger'), /is not the cluster's: agents enrolled with the cluster would be refused here/);

    const cred = JSON.parse(readFileSync(a.credentialsFile, 'utf8')) as CredentialFile;
    const opA: OperatorClient = operatorClient(`127.0.0.1:${a.operatorPort}`, cred);
    const opB: OperatorClient = operatorClient(`127.0.0.1:${b.operatorPort}`, cred);
    clients.push(opA, opB);

    // an agent whose stream is on the follower; the command is issued on the leader
    const idH1 = await enroll(a, 'cl-h1', dir.path);
    const h1 = inProcessAgent(b, idH1, join(dir.path, 'cl-h1'));
    await h1.agent.start();
    clients.push({ close: () => void h1.agent.stop() });
    await eventually(async () => b.gateway.online.has('cl-h1'), 10_000, 'h1 on b', 20);
    const t0 = Date.now();
    const issued = await unary<CommandView__Output>(opA, 'IssueCommand', {
      hostId: 'cl-h1', action: 'BLOCK', reason: 'cluster test', block: { block: { id: 'cl-b1', direction: 'IN', protocol: 'TCP', ports: [{ from: 4444, to: 4444 }], remoteCidrs: [], remoteInternet: false, expiresAtMs: 0 }, force: false },
    });
    assert.ok(!a.gateway.online.has('cl-h1'), 'the leader does not hold the stream');
    const done = await unary<CommandView__Output>(opA, 'WaitCommand', { commandId: issued.command!.id, timeoutMs: 10_000 });
    assert.equal(done.status, 'APPLIED', `applied through the follower: ${done.resultMessage}`);
    // the periodic sweep only takes commands queued over a second: faster than that is the notification
    assert.ok(Date.now() - t0 < 1000, `routed within 1 s (took ${Date.now() - t0} ms)`);
    console.log(`# cross-controller command applied in ${Date.now() - t0} ms`);

    // events reported to the follower reach the leader's correlation; the follower answers alert queries via the leader
    const idH2 = await enroll(a, 'cl-h2', dir.path);
    const link = agentLinkClient(b, idH2);
    clients.push(link);
    const call = link.Connect();
    const frames: ControllerFrame__Output[] = [];
    call.on('data', (f: ControllerFrame__Output) => frames.push(f));
    call.on('error', () => {});
    clients.push({ close: () => call.cancel() });
    call.write({ hello: { agentId: 'cl-h2', bootId: 'clusterboot01', inventory, backend: 'DRY_RUN', sentAtMs: Date.now() } } satisfies AgentFrame);
    await eventually(async () => frames.some((f) => f.welcome), 10_000, 'welcome from b', 20);
    call.write({ report: { seq: 1, events: [{
      kind: 'PROCESS_NEW', signature: 'proc.new/usr/bin/clusterworm', observedAtMs: Date.now(), value: 1, baseline: 0, score: 9, count: 1, cleared: false,
      evidence: { detail: 'cluster test', processes: [], remotes: [] },
    }] } } satisfies AgentFrame);
    await eventually(async () => frames.some((f) => f.ack?.seq === 1), 10_000, 'ack of the report', 20);
    const onLeader = (alerts: AlertSummary[]) => alerts.find((x) => x.rootCause.includes('clusterworm'));
    const listed = async (op: OperatorClient) => (await unary<{ items: string[] }>(op, 'ListAlerts', { scope: 'host' })).items.map((i) => JSON.parse(i) as AlertSummary);
    const seen = await eventually(async () => onLeader(await listed(opB)), 10_000, 'the alert, asked of the follower', 50);
    assert.ok(onLeader(a.pipeline.listAlerts({ scope: 'host' })), 'the alert is in the leader\'s correlation');
    assert.equal(b.pipeline.listAlerts({ scope: 'host' }).length, 0, 'the follower does not correlate');

    // the leader stops: the follower leads within 10 s and knows the alert (snapshot and feed)
    const stopAt = Date.now();
    await a.stop();
    started.splice(started.indexOf(a), 1);
    await eventually(async () => b.cluster!.isLeader, 10_000, 'b leads', 20);
    const tookMs = Date.now() - stopAt;
    assert.ok(tookMs < 10_000, `handover in ${tookMs} ms`);
    const after = await eventually(async () => onLeader(await listed(opB)), 10_000, 'the alert on the new leader', 50);
    assert.equal(after.id, seen.id, 'the same alert, not a new one');
  });
});
