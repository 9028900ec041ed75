// The engine wired as the controller wires it: the real Pipeline's act hook feeds the
// engine, the fleet view reads the pipeline's alert book, the shipped playbooks act.
// Ports record what would reach Commands, the audit log and the webhook.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline } from '../../controller/pipeline/pipeline.ts';
import { fleetView, loadPlaybookDir, type FleetHost, type PlaybookRun } from '../../controller/playbooks/index.ts';
import { PlaybookEngine } from '../../controller/playbooks/engine.ts';
import { T0, drive, hostId, reports, rng, wormHosts, wormSignals, type SimHost } from '../pipeline/helpers.ts';
import { RecordingPorts, SHIPPED_DIR } from './helpers.ts';

function wire(hosts: SimHost[]) {
  const registry = new Map<string, FleetHost>(hosts.map((h) => [h.id, { id: h.id, tags: h.tags, online: true }]));
  const ports = new RecordingPorts();
  const engine = new PlaybookEngine({ ports, env: {}, controller: { port: 7443 } });
  engine.setPlaybooks(loadPlaybookDir(SHIPPED_DIR, T0));
  const pending: Array<Promise<PlaybookRun[]>> = [];
  const p = new Pipeline({ correlate: { fleetSize: hosts.length } });
  const fleet = fleetView(() => registry, p.book);
  // the controller's hook: the pipeline's time, so a simulated run is deterministic
  p.setActHook((t) => void pending.push(engine.onTransition(t, fleet, t.atMs)));
  return { p, engine, ports, pending };
}

test('a mass-mailing worm at 200 hosts: the shipped playbook isolates each sender once, blocks port 25, within the blast radius', async () => {
  const hosts = wormHosts(6, 10_000, 200); // 1 → 32 infected
  hosts[150]!.tags = { 'mail-relay': 'true' };
  const { p, engine, ports, pending } = wire(hosts);
  const infected = hosts.filter((h) => h.onsetMs !== Infinity);
  drive(p, reports(infected, wormSignals, { from: T0, to: T0 + 60_000 }), { from: T0, to: T0 + 65_000 });
  await Promise.all(pending);

  const runs = engine.listRuns();
  assert.deepEqual(runs.map((r) => r.playbook), ['mass-mailer']);
  const iso = ports.hostsOf('ISOLATE');
  assert.equal(new Set(iso).size, iso.length, 'no host isolated twice');
  assert.ok(iso.every((h) => infected.some((i) => i.id === h)), 'only infected hosts are isolated');
  // 200 hosts: at most min(5% of 200, 20) = 10 automatic isolations; the rest wait for approval
  assert.equal(iso.length, 10);
  const run = engine.getRun(runs[0]!.id)!;
  assert.ok(run.actions.some((a) => a.status === 'held'));
  const blocks = ports.of('BLOCK').filter((c) => c.request.block!.block!.id.endsWith('-s2'));
  assert.equal(blocks.length, 199, 'port 25 blocked outbound on every host but the relay');
  assert.deepEqual(blocks[0]!.request.block!.block!.ports, [{ from: 25, to: 25 }]);

  const held = run.actions.filter((a) => a.status === 'held').length;
  ports.clear();
  await engine.approve(run.id, 'oncall', T0 + 70_000);
  assert.equal(ports.of('ISOLATE').length, held);
});

test('a nightly backup on 200 hosts with the shipped playbooks: zero isolations, zero blocks', async () => {
  const r = rng(3);
  const hosts: SimHost[] = Array.from({ length: 200 }, (_, i) => ({
    id: hostId(i), tags: (i < 5 ? { core: 'db' } : {}) as Record<string, string>, offsetMs: Math.round((r() - 0.5) * 4000),
    onsetMs: T0 + Math.round(r() * 4000), endMs: T0 + 180_000,
  }));
  const { p, engine, ports, pending } = wire(hosts);
  const signals = () => [
    { kind: 'DISK_IO' as const, signature: 'disk.io/read', exe: '/usr/bin/restic' },
    // the backup pushes to many storage nodes: a fan-out, but everywhere at once
    { kind: 'CONN_FANOUT' as const, signature: 'conn.fanout/tcp:873', exe: '/usr/bin/restic', port: 873 },
  ];
  drive(p, reports(hosts, signals, { from: T0, to: T0 + 185_000 }), { from: T0, to: T0 + 190_000 });
  await Promise.all(pending);
  assert.ok(p.listAlerts({ scope: 'fleet' }).some((a) => a.classification === 'simultaneous'));
  assert.deepEqual(ports.issued, []);
  assert.deepEqual(engine.listRuns(), []);
});
