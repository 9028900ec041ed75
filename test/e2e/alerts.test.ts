// Correlation through the real controller: anomaly events from several enrolled
// agents over mutual TLS become one master alert that operators read, ack and
// silence with the CLI.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Controller } from '../../controller/controller.ts';
import type { AlertDetail, AlertSummary } from '../../controller/pipeline/stage-types.ts';
import type { AgentFrame, AgentLinkClient, ControllerFrame__Output } from '../../proto/wire.ts';
import { writeFileSync } from 'node:fs';
import { cli, cliJson, eventually, ROOT, tempDir, type CliTarget } from '../helpers/procs.ts';
import { agentLinkClient, enroll, inventory, startInProcessController } from '../helpers/inproc.ts';

describe('master alerts through the controller and the CLI', () => {
  const dir = tempDir();
  let c: Controller;
  let target: CliTarget;
  const streams: { client: AgentLinkClient; call: ReturnType<AgentLinkClient['Connect']>; seq: number; frames: ControllerFrame__Output[] }[] = [];

  async function connectAgent(id: string) {
    // tags are granted (here by the enrollment token), not taken from the Hello
    const client = agentLinkClient(c, await enroll(c, id, dir.path, id === 'h3' ? { core: 'yes' } : {}));
    const call = client.Connect();
    const s = { client, call, seq: 0, frames: [] as ControllerFrame__Output[] };
    call.on('data', (f: ControllerFrame__Output) => s.frames.push(f));
    call.on('error', () => {});
    call.write({ hello: { agentId: id, bootId: randomBytes(8).toString('hex'), inventory: { ...inventory, tags: id === 'h3' ? { core: 'yes' } : {} }, backend: 'DRY_RUN', sentAtMs: Date.now() } });
    await eventually(async () => s.frames.some((f) => f.welcome), 5000, `welcome for ${id}`, 20);
    streams.push(s);
    return s;
  }

  function send(s: (typeof streams)[number], signature: string, kind: string) {
    const frame: AgentFrame = { report: { seq: ++s.seq, events: [{ kind: kind as never, signature, value: 400, baseline: 3, score: 12, count: 1, observedAtMs: Date.now(),
      evidence: { detail: 'fan-out', processes: [{ pid: 4242, name: 'mailer', exe: '/tmp/.x/mailer', sha256: 'ab'.repeat(32) }], remotes: [] } }] } };
    s.call.write(frame);
  }

  /** Each test raises its own alert on its own hosts, so it holds alone and in any order. */
  async function raiseAlert(hostIds: string[], signature: string): Promise<AlertSummary> {
    const hosts = [];
    for (const id of hostIds) hosts.push(await connectAgent(id));
    for (const s of hosts) send(s, signature, 'PROCESS_NEW');
    // polled in process (a CLI start per poll is slow on a busy host); the test then acts through the CLI
    return eventually(async () => c.pipeline.listAlerts({}).find((a) => a.signatures.some((x) => x.signature === signature)
      && a.hostCount === hostIds.length), 10_000, `an alert for ${signature} over ${hostIds.join(', ')}`, 50);
  }

  before(async () => {
    c = await startInProcessController(join(dir.path, 'ctl'), { playbookDir: join(ROOT, 'playbooks') });
    target = { operatorAddress: `127.0.0.1:${c.operatorPort}`, credentialsFile: c.credentialsFile };
  });

  after(async () => {
    for (const s of streams) { s.call.cancel(); s.client.close(); }
    await c.stop();
    dir.remove();
  });

  it('folds the same signature on several hosts into one master alert with patient zero', async () => {
    const hosts = [];
    for (const id of ['h1', 'h2', 'h3', 'h4']) hosts.push(await connectAgent(id));
    for (const [i, s] of hosts.entries()) {
      send(s, 'conn.fanout/tcp:25', 'CONN_FANOUT');
      send(s, `proc.new/sha256:${'ab'.repeat(32)}`, 'PROCESS_NEW');
      if (i === 0) await new Promise((r) => setTimeout(r, 300)); // h1 starts first
    }
    const fanoutAlerts = async () => (await cliJson<AlertSummary[]>(target, ['alerts', '--fleet']))
      .filter((a) => a.signatures.some((s) => s.signature === 'conn.fanout/tcp:25'));
    const alerts = await eventually(async () => {
      const a = await fanoutAlerts();
      return a.length === 1 && a[0]!.hostCount === 4 && a;
    }, 10_000, 'one master alert over 4 hosts');
    const a = alerts[0]!;
    assert.equal(a.scope, 'fleet');
    assert.equal(a.patientZero?.hostId, 'h1');
    assert.equal(a.rootCause, `proc.new/sha256:${'ab'.repeat(32)}`);
    assert.deepEqual(a.signatures.map((s) => s.signature).sort(), ['conn.fanout/tcp:25', `proc.new/sha256:${'ab'.repeat(32)}`]);
    assert.equal(a.eventCount, 8);
    assert.equal(a.coreHostCount, 1, 'h3 is tagged core');
    const detail = await cliJson<AlertDetail>(target, ['alert', a.id]);
    assert.equal(detail.hosts.length, 4);
    const table = await cli(target, ['alerts']);
    assert.match(table.stdout, /MASTER ALERTS \(\d+\)/);
    assert.match(table.stdout, /proc\.new\/sha256:abab/);
    const shown = await cli(target, ['alert', a.id]);
    assert.match(shown.stdout, /patient zero {2}h1 at/);
    assert.match(shown.stdout, /remote ports|executables/);
  });

  it('acknowledges an alert and audits it', async () => {
    const a = await raiseAlert(['k1'], `proc.new/sha256:${'cd'.repeat(32)}`);
    assert.equal(a.status, 'open');
    const acked = await cliJson<AlertSummary>(target, ['ack', a!.id]);
    assert.equal(acked.status, 'acknowledged');
    const audit = await cliJson<{ action: string; target: string }[]>(target, ['audit']);
    assert.ok(audit.some((e) => e.action === 'alert.ack' && e.target === a!.id));
    const missing = await cli(target, ['ack', 'no-such-alert']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /NOT_FOUND: no alert "no-such-alert"/);
  });

  it('a silence stores matching events but opens nothing', async () => {
    const made = await cli(target, ['silence', 'add', 'signature=disk.io', '--for', '1h', '-c', 'nightly backup']);
    assert.equal(made.code, 0, made.stderr);
    const hosts = [];
    for (const id of ['s1', 's2']) hosts.push(await connectAgent(id));
    for (const s of hosts) send(s, 'disk.io', 'DISK_IO');
    // positive condition, not a sleep: the silence has matched both events, so each has passed
    // the suppress stage (which comes before the alert book) and was muted there
    const silence = await eventually(async () => c.pipeline.listSilences(Date.now()).find((x) => x.comment === 'nightly backup' && x.matched >= 2),
      10_000, 'the silence matching the two events', 50);
    assert.equal(silence.matched, 2, 'both events were matched and muted');
    // alerts open on the controller's tick: a later, unsilenced marker's alert proves a tick has
    // looked at the muted events too
    const marker = `proc.new/sha256:${'ef'.repeat(32)}`;
    send(hosts[0]!, marker, 'PROCESS_NEW');
    await eventually(async () => c.pipeline.listAlerts({}).some((a) => a.signatures.some((x) => x.signature === marker)), 10_000, 'the marker\'s alert', 50);
    const alerts = await cliJson<AlertSummary[]>(target, ['alerts']);
    assert.ok(!alerts.some((a) => a.rootCause === 'disk.io' || a.signatures.some((x) => x.signature === 'disk.io')), 'no alert for the silenced signature');
    const bad = await cli(target, ['silence', 'add', 'colour=blue', '--for', '1h']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /INVALID_ARGUMENT/);
  });

  it('lists the shipped playbooks, refuses a bad one with its line, and audits enable/disable', async () => {
    const list = await cliJson<{ name: string; enabled: boolean }[]>(target, ['playbooks', 'list']);
    assert.deepEqual(list.map((p) => p.name).sort(), ['mass-mailer', 'scanning-worm']);
    const bad = join(dir.path, 'bad.yaml');
    writeFileSync(bad, 'name: bad\nwhen:\n  signature: "conn.fanout/*"\ndo:\n  - block: { ports: [70000], direction: out }\n');
    const v = await cli(target, ['playbooks', 'validate', bad]);
    assert.equal(v.code, 2);
    assert.match(v.stdout, /bad\.yaml:5: port 70000 is out of range: ports are 1-65535/);
    assert.match(v.stdout, /bad\.yaml:3: unknown field .signature./);
    const off = await cli(target, ['playbooks', 'disable', 'scanning-worm']);
    assert.equal(off.code, 0, off.stderr);
    const after = await cliJson<{ name: string; enabled: boolean }[]>(target, ['playbooks', 'list']);
    assert.equal(after.find((p) => p.name === 'scanning-worm')!.enabled, false);
    const audit = await cliJson<{ action: string; target: string }[]>(target, ['audit']);
    assert.ok(audit.some((e) => e.action === 'playbook.disable' && e.target === 'scanning-worm'));
    const denied = await cli(target, ['approve', 'run-nope']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /NOT_FOUND|INVALID_ARGUMENT/);
  });
});
