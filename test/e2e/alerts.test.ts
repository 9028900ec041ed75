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
    const client = agentLinkClient(c, await enroll(c, id, dir.path));
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
    const alerts = await eventually(async () => {
      const a = await cliJson<AlertSummary[]>(target, ['alerts', '--fleet']);
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
    assert.match(table.stdout, /MASTER ALERTS \(1\)/);
    assert.match(table.stdout, /proc\.new\/sha256:abab/);
    const shown = await cli(target, ['alert', a.id]);
    assert.match(shown.stdout, /patient zero {2}h1 at/);
    assert.match(shown.stdout, /remote ports|executables/);
  });

  it('acknowledges an alert and audits it', async () => {
    const [a] = await cliJson<AlertSummary[]>(target, ['alerts', '--fleet']);
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
    for (const s of streams) send(s, 'disk.io', 'DISK_IO');
    await new Promise((r) => setTimeout(r, 1500));
    const alerts = await cliJson<AlertSummary[]>(target, ['alerts']);
    assert.ok(!alerts.some((a) => a.rootCause === 'disk.io'), 'no alert for the silenced signature');
    const silences = await cliJson<{ matched: number; comment: string }[]>(target, ['silence', 'list']);
    assert.equal(silences[0]!.comment, 'nightly backup');
    assert.equal(silences[0]!.matched, 4, 'all four events were matched and muted');
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
