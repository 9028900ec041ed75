// A real controller process killed with SIGKILL 100 ms after an operator's changes and a
// playbook run: after the restart the ack, the silence, the playbook disable, the run
// (its isolations, its held action, its blast-radius count) are all there, the events
// that come again join the same alert and run (no second run, no further isolation),
// and no alert id is given twice.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { ensureIdentity, linkCredentials } from '../../agent/trust/enroll.ts';
import type { AgentIdentity } from '../../agent/trust/identity.ts';
import { operatorClient } from '../../controller/cli/client.ts';
import type { CredentialFile } from '../../controller/credentials.ts';
import type { AlertSummary, SilenceView } from '../../controller/pipeline/stage-types.ts';
import type { PlaybookRun } from '../../controller/playbooks/index.ts';
import { firebreakPackage, type AgentLinkClient, type ControllerFrame__Output, type OperatorClient } from '../../proto/wire.ts';
import { eventually, startController, startProcess, stopAll, tempDir, type ControllerProc } from '../helpers/procs.ts';

const silent = pino({ level: 'silent' });
const inventory = { hostname: 'test', os: 'linux', kernel: '6', cpuModel: 'x', cpuCores: 2, memoryBytes: 1024, ipAddresses: [], agentVersion: 't', tags: {} };
const SIG = 'conn.fanout/tcp:445';

const CONTAIN = `
name: contain
mode: enforce
when:
  signatures: [conn.fanout/*]
  classification: any
guards:
  max_isolations: 2
do:
  - isolate:
      expiry: 1h
`;
const SPARE = `
name: spare
mode: dry-run
when:
  signatures: [nothing.matches/*]
do:
  - isolate: {}
`;

type Unary = <T>(method: string, req: unknown) => Promise<T>;
function operator(ctl: ControllerProc): { client: OperatorClient; call: Unary } {
  const cred = JSON.parse(readFileSync(ctl.credentialsFile, 'utf8')) as CredentialFile;
  const client = operatorClient(ctl.operatorAddress, cred);
  const call: Unary = (method, req) => new Promise((resolve, reject) =>
    (client as unknown as Record<string, Function>)[method]!.call(client, req, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res as never))));
  return { client, call };
}
const items = <T>(r: { items: string[] }): T[] => r.items.map((i) => JSON.parse(i) as T);
const json = <T>(r: { json: string }): T => JSON.parse(r.json) as T;

interface Stream { client: AgentLinkClient; call: ReturnType<AgentLinkClient['Connect']>; seq: number; frames: ControllerFrame__Output[] }

async function connect(ctl: ControllerProc, id: AgentIdentity, bootId: string): Promise<Stream> {
  const client = new (firebreakPackage().AgentLink)(ctl.agentAddress, linkCredentials(id));
  const call = client.Connect();
  const s: Stream = { client, call, seq: 0, frames: [] };
  call.on('data', (f: ControllerFrame__Output) => s.frames.push(f));
  call.on('error', () => {});
  call.write({ hello: { agentId: id.agentId, bootId, inventory, backend: 'DRY_RUN', sentAtMs: Date.now() } });
  await eventually(async () => s.frames.find((f) => f.welcome), 5000, `welcome for ${id.agentId}`, 20);
  s.seq = Number(s.frames.find((f) => f.welcome)!.welcome!.lastSeq ?? 0);
  return s;
}

function send(s: Stream, signature: string, kind: string): void {
  s.call.write({ report: { seq: ++s.seq, events: [{ kind: kind as never, signature, value: 400, baseline: 3, score: 12, count: 1, observedAtMs: Date.now(),
    evidence: { detail: 'x', processes: [], remotes: [] } }] } });
}

const idNum = (id: string) => Number(id.slice(1));

/** The same controller again on its data dir (its enrollment token and credential are already there). */
async function restartController(old: ControllerProc, extra: string[]): Promise<ControllerProc> {
  const p = startProcess('controller/main.ts', [
    '-d', old.dataDir, '--listen', '127.0.0.1:0', '--enroll-listen', '127.0.0.1:0', '--operator-listen', '127.0.0.1:0', '--heartbeat-interval', '1s', ...extra,
  ]);
  const ready = await p.waitFor((l) => l.msg === 'controller ready', 30_000);
  return { ...old, ...p, agentAddress: `127.0.0.1:${ready.agentPort}`, enrollAddress: `127.0.0.1:${ready.enrollPort}`, operatorAddress: `127.0.0.1:${ready.operatorPort}` };
}

describe('controller state survives kill -9 made 100 ms after the change', () => {
  const dir = tempDir();
  const streams: Stream[] = [];
  const ops: OperatorClient[] = [];
  after(async () => {
    for (const s of streams) { s.call.cancel(); s.client.close(); }
    for (const o of ops) o.close();
    await stopAll();
    dir.remove();
  });

  it('ack, silence, playbook disable, a run with its blast-radius count and the alert id mark are intact; a replay starts no second run', async () => {
    const data = join(dir.path, 'ctl');
    const pbDir = join(dir.path, 'playbooks');
    mkdirSync(pbDir);
    writeFileSync(join(pbDir, 'contain.yaml'), CONTAIN);
    writeFileSync(join(pbDir, 'spare.yaml'), SPARE);
    // the test's streams send no heartbeats: keep them online
    const args = ['--playbooks', pbDir, '--offline-after', '120'];
    let ctl = await startController(data, args);
    let op = operator(ctl);
    ops.push(op.client);

    // h1-h3 start the incident and come back after the restart with h4; h5-h7 raise a new one then
    const ids = await Promise.all(['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7'].map(async (h) => (await ensureIdentity({
      dataDir: join(dir.path, h), agentId: h, enrollAddress: ctl.enrollAddress, token: ctl.enrollToken, caPin: ctl.caFingerprint, inventory, log: silent,
    })).identity));
    const boots = ids.map(() => randomBytes(8).toString('hex'));
    const first = await Promise.all(ids.slice(0, 3).map((id, i) => connect(ctl, id, boots[i]!)));
    streams.push(...first);
    for (const s of first) send(s, SIG, 'CONN_FANOUT');

    // the run: two isolations (max_isolations: 2), the third host held
    const run = await eventually(async () => {
      const runs = items<{ id: string; counts: Record<string, number> }>(await op.call('ListRuns', { limit: 10 }));
      return runs.length === 1 && runs[0]!.counts.issued === 2 && runs[0]!.counts.held === 1 && runs[0];
    }, 10_000, 'a run with 2 isolations issued and 1 held', 50);
    const fleet = items<AlertSummary>(await op.call('ListAlerts', { scope: 'fleet', status: 'active' }));
    assert.equal(fleet.length, 1);
    const alertId = fleet[0]!.id;

    await op.call('AckAlert', { alertId });
    // a host line (one host outside the incident, its own signature) lives only in the correlation
    // snapshot: its ack must bring it back
    const lone = await connect(ctl, ids[6]!, boots[6]!);
    first.push(lone);
    send(lone, 'mem.high', 'MEMORY');
    const line = await eventually(async () => items<AlertSummary>(await op.call('ListAlerts', { scope: 'host', status: 'active' }))
      .find((a) => a.rootCause === 'mem.high'), 15_000, 'the host line for mem.high (a lone host waits 5 s)', 100);
    await op.call('AckAlert', { alertId: line.id });
    const silence = json<SilenceView>(await op.call('AddSilence', { kind: 'silence', matchers: ['signature=disk.*'], endsAtMs: Date.now() + 3600_000, comment: 'crash test' }));
    await op.call('SetPlaybookEnabled', { name: 'spare', enabled: false });
    await new Promise((r) => setTimeout(r, 100));
    ctl.child.kill('SIGKILL');
    await new Promise((r) => ctl.child.once('exit', r));
    for (const s of first) { s.call.cancel(); s.client.close(); }

    ctl = await restartController(ctl, args);
    op = operator(ctl);
    ops.push(op.client);
    const alerts = items<AlertSummary>(await op.call('ListAlerts', { scope: 'fleet', status: '' }));
    const back = alerts.find((a) => a.id === alertId);
    assert.ok(back, `alert ${alertId} is back after the restart`);
    assert.equal(back.status, 'acknowledged', 'the ack survived');
    const lineBack = items<AlertSummary>(await op.call('ListAlerts', { scope: 'host', status: '' })).find((a) => a.id === line.id);
    assert.equal(lineBack?.status, 'acknowledged', `the acked host line ${line.id} is back, acknowledged`);
    const sil = items<SilenceView>(await op.call('ListSilences', {}));
    assert.ok(sil.some((s) => s.id === silence.id && s.comment === 'crash test'), 'the silence survived');
    const pbs = items<{ name: string; enabled: boolean }>(await op.call('ListPlaybooks', {}));
    assert.equal(pbs.find((p) => p.name === 'spare')?.enabled, false, 'the disable survived');
    const r = json<PlaybookRun>(await op.call('GetRun', { runId: run.id }));
    assert.deepEqual(r.actions.map((a) => a.status).sort(), ['held', 'issued', 'issued'], 'the run with its isolations and its held host');

    // the agents come back and their events come again (new reports, the same incident)
    const again = await Promise.all(ids.slice(0, 4).map((id, i) => connect(ctl, id, boots[i]!)));
    streams.push(...again);
    for (const s of again) send(s, SIG, 'CONN_FANOUT');
    await eventually(async () => items<AlertSummary>(await op.call('ListAlerts', { scope: 'fleet', status: '' }))
      .find((a) => a.id === alertId && a.eventCount >= back.eventCount + 4), 5000, `the replayed events counted into ${alertId}`, 50);

    // a new incident on other hosts: a new id, and a new run whose isolations the blast radius holds
    const others = await Promise.all(ids.slice(4).map((id, i) => connect(ctl, id, boots[4 + i]!)));
    streams.push(...others);
    for (const s of others) send(s, 'conn.fanout/tcp:3389', 'CONN_FANOUT');
    const fresh = await eventually(async () => items<AlertSummary>(await op.call('ListAlerts', { scope: 'fleet', status: 'active' }))
      .find((a) => a.rootCause === 'conn.fanout/tcp:3389'), 5000, 'a master alert for conn.fanout/tcp:3389', 50);
    assert.ok(idNum(fresh.id) > idNum(alertId), `new alert ${fresh.id} reuses no id (${alertId} was given before the crash)`);
    const second = await eventually(async () => items<{ id: string; alertId: string; counts: Record<string, number> }>(await op.call('ListRuns', { limit: 10 }))
      .find((x) => x.alertId === fresh.id && x.counts.held === 3), 5000, `a run for ${fresh.id} with 3 isolations held`, 50);
    assert.equal(second.counts.issued ?? 0, 0, 'the 2 isolations counted before the crash fill the window (max_isolations: 2)');

    const runs = items<{ id: string; alertId: string }>(await op.call('ListRuns', { limit: 10 }));
    assert.deepEqual(runs.filter((x) => x.alertId === alertId).map((x) => x.id), [run.id], `no second run for the replayed alert ${alertId}`);
    const isolations = (await Promise.all(ids.map(async (id) =>
      (await op.call<{ commands: { command: { action: string } }[] }>('ListCommands', { hostId: id.agentId, limit: 50 })).commands))).flat()
      .filter((c) => c.command.action === 'ISOLATE');
    assert.equal(isolations.length, 2, 'no isolation beyond the two made before the crash');
  });
});
