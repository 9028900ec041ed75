// The engine against recording ports: guards (blast radius → approval, never-isolate,
// dry-run, cooldown, the controller's port), expiries, incremental isolation, persistence.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PlaybookEngine, PlaybookError } from '../../controller/playbooks/engine.ts';
import {
  engineWith, fleetHosts, hid, ISOLATE_ALL, makeFleet, members, playbooks, RecordingPorts, summary, T0, transition,
} from './helpers.ts';

const SIG = 'conn.fanout/tcp:445';
const MIN = 60_000;

describe('blast radius', () => {
  test('past the limit isolations are held, and approve() executes them', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(playbooks(ISOLATE_ALL), ports);
    // 100 hosts: limit = min(5% of 100, 20) = 5
    const fleet = makeFleet(fleetHosts(100), { 'a-1': members(0, 8, SIG) });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: [SIG], hostCount: 8 }), members(0, 8, SIG).map((m) => m.hostId)), fleet, T0);
    assert.equal(ports.of('ISOLATE').length, 5);
    assert.deepEqual(ports.hostsOf('ISOLATE'), [0, 1, 2, 3, 4].map(hid));
    const r = engine.getRun(run!.id)!;
    const held = r.actions.filter((a) => a.status === 'held');
    assert.deepEqual(held.map((a) => a.hostId), [5, 6, 7].map(hid));
    assert.match(held[0]!.reason, /blast radius: 5 isolations \(by playbooks, and by operators with a host selector\) in the last 10m, the global limit is 5 = min\(5% of 100 hosts \(at least 1, or half the fleet\), 20\)/);
    assert.match(held[0]!.reason, /firebreak approve/);
    const line = engine.listRuns()[0]!;
    assert.deepEqual(line.counts, { issued: 5, held: 3 });
    assert.match(line.heldReason ?? '', /blast radius/);
    assert.ok(ports.audits.some((a) => a.action === 'playbook.isolate' && a.detail.status === 'held' && a.target === 'a-1' && a.detail.hosts.length === 3));

    ports.clear();
    const approved = await engine.approve(run!.id, 'alice', T0 + 1000);
    assert.deepEqual(ports.hostsOf('ISOLATE'), [5, 6, 7].map(hid));
    assert.ok(ports.issued.every((c) => c.issuer === 'playbook:iso'));
    assert.deepEqual(approved.actions.filter((a) => a.status === 'issued').length, 8);
    assert.ok(approved.actions.filter((a) => a.hostId === hid(6)).every((a) => a.approvedBy === 'alice'));
    assert.ok(ports.audits.some((a) => a.actor === 'alice' && a.action === 'playbook.approve' && a.target === 'a-1'));
    assert.ok(ports.audits.some((a) => a.actor === 'alice' && a.action === 'playbook.isolate' && a.detail.status === 'issued'));
    assert.throws(() => engine.approve(run!.id, 'alice', T0 + 2000), (e: Error) => e instanceof PlaybookError && /holds nothing to approve/.test(e.message));
    assert.throws(() => engine.approve('run-nope', 'alice', T0), /unknown run 'run-nope'/);

    // an approved run goes on isolating the worm's new hosts without asking again
    ports.clear();
    fleet.setAlertHosts('a-1', members(0, 10, SIG));
    await engine.onTransition(transition('updated', summary({ signatures: [SIG], hostCount: 10 }), [hid(8), hid(9)]), fleet, T0 + 2000);
    assert.deepEqual(ports.hostsOf('ISOLATE'), [hid(8), hid(9)]);
  });

  test('a held isolation approved late still lasts its whole expiry, counted from the approval', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(playbooks(ISOLATE_ALL.replace('- isolate: {}', '- isolate: { expiry: 30m }')), ports);
    const fleet = makeFleet(fleetHosts(100), { 'a-1': members(0, 6, SIG) });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: [SIG], hostCount: 6 }), []), fleet, T0);
    assert.deepEqual(engine.getRun(run!.id)!.actions.filter((a) => a.status === 'held').map((a) => a.hostId), [hid(5)]);
    // approved 20 minutes later: released 30 minutes after the approval, not 10
    await engine.approve(run!.id, 'alice', T0 + 20 * MIN);
    ports.clear();
    await engine.tick(T0 + 30 * MIN);
    assert.deepEqual(ports.hostsOf('RELEASE'), [0, 1, 2, 3, 4].map(hid), 'the five isolated at once expire on time');
    ports.clear();
    await engine.tick(T0 + 49 * MIN);
    assert.equal(ports.of('RELEASE').length, 0, 'the approved one is still isolated');
    await engine.tick(T0 + 50 * MIN);
    assert.deepEqual(ports.hostsOf('RELEASE'), [hid(5)]);
  });

  test('a refused release leaves the host counted as isolated by its run: another run does not isolate it again', async () => {
    const ports = new RecordingPorts();
    const pbs = playbooks(ISOLATE_ALL.replace('- isolate: {}', '- isolate: { expiry: 30m }'), ISOLATE_ALL.replace('name: iso', 'name: iso2').replace('conn.fanout/*', 'proc.new/*'));
    const engine = engineWith(pbs, ports);
    const fleet = makeFleet(fleetHosts(100), { 'a-1': members(0, 2, SIG), 'a-2': members(0, 2, 'proc.new/sha256:ab') });
    await engine.onTransition(transition('opened', summary({ id: 'a-1', signatures: [SIG] }), []), fleet, T0);
    assert.deepEqual(ports.hostsOf('ISOLATE'), [hid(0), hid(1)]);
    ports.refuse.add(hid(0));
    await engine.tick(T0 + 30 * MIN);
    const run = engine.listRuns({ alertId: 'a-1' })[0]!;
    const lifts = engine.getRun(run.id)!.actions.filter((a) => a.kind === 'isolate').map((a) => `${a.hostId} ${a.lift?.status}`);
    assert.deepEqual(lifts, [`${hid(0)} failed`, `${hid(1)} issued`]);
    ports.clear();
    await engine.onTransition(transition('opened', summary({ id: 'a-2', signatures: ['proc.new/sha256:ab'] }), []), fleet, T0 + 31 * MIN);
    assert.deepEqual(ports.hostsOf('ISOLATE'), [hid(1)], 'the host whose release was refused is not isolated a second time');
    const run2 = engine.getRun(engine.listRuns({ alertId: 'a-2' })[0]!.id)!;
    assert.match(run2.actions.find((a) => a.hostId === hid(0))!.reason, /already isolated by run/);
  });

  test('a timed isolation outlives its run: another run does not isolate the host again, and one release goes at the expiry', async () => {
    const ports = new RecordingPorts();
    const pbs = playbooks(ISOLATE_ALL.replace('- isolate: {}', '- isolate: { expiry: 30m }'), ISOLATE_ALL.replace('name: iso', 'name: iso2').replace('conn.fanout/*', 'proc.new/*'));
    const engine = engineWith(pbs, ports);
    const fleet = makeFleet(fleetHosts(100), { 'a-1': members(0, 2, SIG), 'a-2': members(0, 3, 'proc.new/sha256:ab') });
    const [run1] = await engine.onTransition(transition('opened', summary({ id: 'a-1', signatures: [SIG] }), []), fleet, T0);
    assert.deepEqual(ports.hostsOf('ISOLATE'), [hid(0), hid(1)]);
    // the alert resolves after 5 minutes: the run finishes, its 30-minute isolations stay
    await engine.onTransition(transition('resolved', summary({ id: 'a-1', signatures: [SIG], status: 'resolved', resolvedReason: 'quiet' }), []), fleet, T0 + 5 * MIN);
    assert.equal(engine.getRun(run1!.id)!.status, 'finished');
    assert.equal(ports.of('RELEASE').length, 0);
    ports.clear();
    const [run2] = await engine.onTransition(transition('opened', summary({ id: 'a-2', signatures: ['proc.new/sha256:ab'] }), []), fleet, T0 + 10 * MIN);
    assert.deepEqual(ports.hostsOf('ISOLATE'), [hid(2)], 'the two hosts still isolated by the finished run are not isolated again');
    assert.match(engine.getRun(run2!.id)!.actions.find((a) => a.hostId === hid(0))!.reason, new RegExp(`already isolated by run ${run1!.id}`));
    ports.clear();
    await engine.tick(T0 + 30 * MIN);
    assert.deepEqual(ports.hostsOf('RELEASE'), [hid(0), hid(1)], 'released once, at the expiry');
  });

  test('the window slides: ten minutes later there is room again; the limit is global across playbooks', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(playbooks(ISOLATE_ALL, ISOLATE_ALL.replace('name: iso', 'name: iso2').replace('conn.fanout/*', 'proc.new/*')), ports);
    const fleet = makeFleet(fleetHosts(100), { 'a-1': members(0, 4, SIG), 'a-2': members(10, 14, 'proc.new/sha256:ab') });
    await engine.onTransition(transition('opened', summary({ id: 'a-1', signatures: [SIG] }), []), fleet, T0);
    assert.equal(ports.of('ISOLATE').length, 4);
    // another playbook, another alert: one more fits in the global 5
    await engine.onTransition(transition('opened', summary({ id: 'a-2', signatures: ['proc.new/sha256:ab'] }), []), fleet, T0 + MIN);
    assert.equal(ports.of('ISOLATE').length, 5);
    const run2 = engine.listRuns({ alertId: 'a-2' })[0]!;
    assert.deepEqual(run2.counts, { issued: 1, held: 3 });
    // ten minutes after the first four, they leave the window
    fleet.setAlertHosts('a-2', members(10, 16, 'proc.new/sha256:ab'));
    ports.clear();
    await engine.onTransition(transition('updated', summary({ id: 'a-2', signatures: ['proc.new/sha256:ab'], hostCount: 6 }), [hid(14), hid(15)]), fleet, T0 + 10 * MIN + 1);
    assert.deepEqual(ports.hostsOf('ISOLATE'), [hid(14), hid(15)]);
    assert.deepEqual(engine.blastRadius(100, T0 + 10 * MIN + 1), { used: 3, limit: 5, windowMs: 10 * MIN });
  });

  test('a per-playbook limit holds before the global one', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(playbooks(`${ISOLATE_ALL}guards:\n  max_isolations: 2\n  window: 5m\n`), ports);
    const fleet = makeFleet(fleetHosts(1000), { 'a-1': members(0, 4, SIG) });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: [SIG] }), []), fleet, T0);
    assert.equal(ports.of('ISOLATE').length, 2);
    assert.match(run!.actions.find((a) => a.status === 'held')!.reason, /by playbook iso in the last 5m, its limit is 2/);
  });

  test('the global default is 20 hosts on a large fleet', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(playbooks(ISOLATE_ALL), ports);
    const fleet = makeFleet(fleetHosts(5000), { 'a-1': members(0, 30, SIG) });
    await engine.onTransition(transition('opened', summary({ signatures: [SIG], hostCount: 30 }), []), fleet, T0);
    assert.equal(ports.of('ISOLATE').length, 20);
  });
});

describe('guards', () => {
  test('hosts tagged never-isolate are spared, and it is recorded and audited', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(playbooks(ISOLATE_ALL), ports);
    const fleet = makeFleet(fleetHosts(100, (i) => (i === 1 ? { 'never-isolate': 'true', role: 'dns' } : {})), { 'a-1': members(0, 4, SIG) });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: [SIG] }), []), fleet, T0);
    assert.deepEqual(ports.hostsOf('ISOLATE'), [0, 2, 3].map(hid));
    const spared = run!.actions.find((a) => a.hostId === hid(1))!;
    assert.equal(spared.status, 'spared');
    assert.match(spared.reason, /never-isolate/);
    assert.ok(ports.audits.some((a) => a.action === 'playbook.isolate' && a.detail.status === 'spared' && a.detail.hosts[0] === hid(1)));
  });

  test('dry-run issues nothing and records what it would do, including what a guard would hold', async () => {
    const ports = new RecordingPorts();
    const text = `name: dry
mode: dry-run
when: { signatures: ["conn.fanout/*"] }
do:
  - isolate: {}
  - block: { ports: [$port], hosts: [all], expiry: 1h }
  - notify: { url: "http://127.0.0.1:9/hook" }
`;
    const engine = engineWith(playbooks(text), ports);
    const fleet = makeFleet(fleetHosts(40), { 'a-1': members(0, 4, SIG) });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: [SIG] }), []), fleet, T0);
    assert.equal(ports.issued.length, 0, 'dry-run must not issue a command');
    assert.equal(ports.notified.length, 0, 'dry-run must not call a webhook');
    const statuses = new Set(run!.actions.map((a) => a.status));
    assert.deepEqual([...statuses], ['dry-run']);
    // 40 hosts: limit 2; the run shows the third and fourth would have been held
    const iso = run!.actions.filter((a) => a.kind === 'isolate');
    assert.deepEqual(iso.map((a) => a.reason.startsWith('would be held') ? 'held' : 'isolate'), ['isolate', 'isolate', 'held', 'held']);
    assert.equal(run!.actions.filter((a) => a.kind === 'block').length, 40);
    assert.match(run!.actions.find((a) => a.kind === 'block')!.reason, /would block out tcp 445/);
    assert.ok(ports.audits.some((a) => a.action === 'playbook.block' && a.detail.status === 'dry-run' && a.detail.hosts.length === 40));
    assert.equal(engine.blastRadius(40, T0).used, 0, 'dry-run isolations do not use the blast radius');
  });

  test('cooldown: a flapping alert does not start a second run within it', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(playbooks(`${ISOLATE_ALL}cooldown: 10m\n`), ports);
    const fleet = makeFleet(fleetHosts(100), { 'a-1': members(0, 2, SIG) });
    const a = summary({ signatures: [SIG], hostCount: 2 });
    await engine.onTransition(transition('opened', a, []), fleet, T0);
    await engine.onTransition(transition('resolved', { ...a, status: 'resolved', resolvedReason: 'quiet' }, []), fleet, T0 + MIN);
    ports.clear();
    await engine.onTransition(transition('opened', a, []), fleet, T0 + 2 * MIN);
    assert.equal(ports.issued.length, 0);
    assert.equal(engine.listRuns().length, 1);
    assert.equal(engine.getRun(engine.listRuns()[0]!.id)!.cooldownSkips, 1);
    await engine.onTransition(transition('opened', a, []), fleet, T0 + 10 * MIN);
    assert.equal(engine.listRuns().length, 2, 'after the cooldown the alert starts a new run');
    assert.equal(ports.of('ISOLATE').length, 2);
  });

  test('a block never includes the controller port', async () => {
    const ports = new RecordingPorts();
    const text = `name: cut
when: { signatures: ["conn.fanout/*"] }
do:
  - block: { ports: [$port], hosts: [all] }
  - block: { ports: ["7000-8000"], hosts: [all], remote: [private] }
`;
    const engine = engineWith(playbooks(text), ports, { controller: { port: 7443, addresses: ['10.0.0.1'] } });
    const fleet = makeFleet(fleetHosts(3), { 'a-1': members(0, 3, 'conn.fanout/tcp:7443') });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: ['conn.fanout/tcp:7443'], hostCount: 3 }), []), fleet, T0);
    const skip = run!.actions.find((a) => a.step === 0)!;
    assert.equal(skip.status, 'skipped');
    assert.match(skip.reason, /would cut the agents' link to the controller \(tcp\/7443\)/);
    const blocks = ports.of('BLOCK');
    assert.equal(blocks.length, 3);
    assert.deepEqual(blocks[0]!.request.block!.block!.ports, [{ from: 7000, to: 7442 }, { from: 7444, to: 8000 }]);
  });

  test('a refused command is recorded as failed with the reason', async () => {
    const ports = new RecordingPorts();
    ports.refuse.add(hid(2));
    const engine = engineWith(playbooks(ISOLATE_ALL), ports);
    const fleet = makeFleet(fleetHosts(100), { 'a-1': members(0, 3, SIG) });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: [SIG], hostCount: 3 }), []), fleet, T0);
    const failed = run!.actions.find((a) => a.hostId === hid(2))!;
    assert.equal(failed.status, 'failed');
    assert.match(failed.reason, /unknown host 'h002'/);
  });

  test('a simultaneous alert is never isolated unless the playbook names simultaneous', async () => {
    const ports = new RecordingPorts();
    const any = ISOLATE_ALL.replace('signatures: [conn.fanout/*]', 'signatures: ["*"]\n  classification: any\n  min_severity: info');
    const engine = engineWith(playbooks(any), ports);
    const fleet = makeFleet(fleetHosts(100), { 'a-1': members(0, 30, 'disk.io') });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: ['disk.io'], classification: 'simultaneous', severity: 'warning', hostCount: 30 }), []), fleet, T0);
    assert.equal(ports.issued.length, 0);
    assert.equal(run!.actions.length, 1);
    assert.match(run!.actions[0]!.reason, /simultaneous/);

    const asked = engineWith(playbooks(any.replace('classification: any', 'classification: simultaneous')), ports);
    await asked.onTransition(transition('opened', summary({ signatures: ['disk.io'], classification: 'simultaneous', hostCount: 30 }), []), fleet, T0);
    assert.equal(ports.of('ISOLATE').length, 5, 'an explicit simultaneous playbook may isolate (within the blast radius)');
  });
});

describe('runs over an alert’s life', () => {
  const WORM = `name: worm
when:
  signatures: ["conn.fanout/*"]
  min_hosts: 2
do:
  - isolate: { expiry: 30m }
  - block: { ports: [$port], hosts: [all, "not tag:mail-relay"], expiry: 1h }
  - raise_core_posture:
      blocks:
        - { ports: [$port], direction: both }
        - { ports: [22], direction: in, remote: [internet] }
`;

  test('incremental: only newly joined hosts are isolated; blocks are not re-sent', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(playbooks(WORM), ports, { blastRadius: { maxHosts: 100, fraction: 1 } });
    const fleet = makeFleet(fleetHosts(20, (i) => (i === 19 ? { 'mail-relay': 'yes' } : i === 18 ? { core: 'true' } : {})), { 'a-1': members(0, 2, SIG) });
    await engine.onTransition(transition('opened', summary({ signatures: [SIG], hostCount: 2 }), [hid(0), hid(1)]), fleet, T0);
    assert.deepEqual(ports.hostsOf('ISOLATE'), [hid(0), hid(1)]);
    assert.equal(ports.of('BLOCK').filter((c) => c.request.block!.block!.id.endsWith('-s1')).length, 19, 'every host but the mail relay');
    assert.ok(!ports.of('BLOCK').some((c) => c.hostId === hid(19) && c.request.block!.block!.id.endsWith('-s1')), 'the mail relay keeps its port');
    for (const step of [2, 3, 4, 5]) {
      ports.clear();
      fleet.setAlertHosts('a-1', members(0, step + 1, SIG));
      await engine.onTransition(transition(step % 2 ? 'escalated' : 'updated', summary({ signatures: [SIG], hostCount: step + 1 }), [hid(step)]), fleet, T0 + step * 1000);
      assert.deepEqual(ports.issued.map((c) => `${c.request.action} ${c.hostId}`), [`ISOLATE ${hid(step)}`], 'only the new host, nothing re-sent');
    }
    // a host the pipeline announced before the fleet view knows it is still acted on, once
    ports.clear();
    await engine.onTransition(transition('updated', summary({ signatures: [SIG], hostCount: 7 }), [hid(6)]), fleet, T0 + 6000);
    await engine.onTransition(transition('updated', summary({ signatures: [SIG], hostCount: 7 }), [hid(6)]), fleet, T0 + 7000);
    assert.deepEqual(ports.hostsOf('ISOLATE'), [hid(6)]);
    const run = engine.getRun(engine.listRuns()[0]!.id)!;
    const isolated = run.actions.filter((a) => a.kind === 'isolate').map((a) => a.hostId);
    assert.equal(new Set(isolated).size, isolated.length, 'no host isolated twice');
    assert.equal(isolated.length, 7);
  });

  test('expiries are passed on: block expiry set, isolation released at its expiry, core posture lifted on resolve', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(playbooks(WORM), ports);
    const fleet = makeFleet(fleetHosts(100, (i) => (i >= 90 ? { core: 'true' } : {})), { 'a-1': members(0, 2, SIG) });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: [SIG], hostCount: 2 }), []), fleet, T0);
    const blocks = ports.of('BLOCK');
    const main = blocks.filter((c) => c.request.block!.block!.id === `fb-${run!.id}-s1`);
    assert.equal(main.length, 100);
    assert.equal(main[0]!.request.block!.block!.expiresAtMs, T0 + 3_600_000);
    assert.deepEqual(main[0]!.request.block!.block!.ports, [{ from: 445, to: 445 }]);
    assert.equal(main[0]!.request.block!.block!.direction, 'OUT');
    const core = blocks.filter((c) => c.request.block!.block!.id.startsWith(`fb-${run!.id}-s2`));
    assert.equal(core.length, 20, 'two blocks on each of the ten core hosts');
    assert.ok(core.every((c) => c.request.block!.block!.expiresAtMs === 0 && Number(c.hostId.slice(1)) >= 90));
    assert.ok(core.some((c) => c.request.block!.block!.remoteInternet && c.request.block!.block!.direction === 'IN'));

    ports.clear();
    await engine.tick(T0 + 29 * MIN);
    assert.equal(ports.issued.length, 0);
    await engine.tick(T0 + 30 * MIN);
    assert.deepEqual(ports.hostsOf('RELEASE'), [hid(0), hid(1)]);
    await engine.tick(T0 + 61 * MIN);
    assert.equal(ports.of('RELEASE').length, 2, 'released once');
    const mid = engine.getRun(run!.id)!;
    assert.ok(mid.actions.filter((a) => a.step === 1).every((a) => a.lift?.status === 'expired'), 'the agent lifted the 1 h blocks itself');
    assert.ok(mid.actions.filter((a) => a.step === 2).every((a) => a.lift === null), 'core posture stays while the alert is open');

    ports.clear();
    const resolved = summary({ signatures: [SIG], status: 'resolved', resolvedReason: 'quiet' });
    await engine.onTransition(transition('resolved', resolved, []), fleet, T0 + 62 * MIN);
    const unblocks = ports.of('UNBLOCK');
    assert.equal(unblocks.length, 20);
    assert.deepEqual(new Set(unblocks.map((c) => c.request.unblock!.blockId)), new Set(core.map((c) => c.request.block!.block!.id)));
    const done = engine.getRun(run!.id)!;
    assert.equal(done.status, 'finished');
    assert.match(done.finishReason ?? '', /alert resolved \(quiet\)/);
    assert.ok(ports.audits.some((a) => a.action === 'playbook.lift' && a.detail.hosts.length === 20));
    assert.ok(ports.audits.some((a) => a.action === 'playbook.run.finish' && a.target === 'a-1'));
  });

  test('held actions are cancelled when the alert resolves first', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(playbooks(ISOLATE_ALL), ports);
    const fleet = makeFleet(fleetHosts(20), { 'a-1': members(0, 3, SIG) });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: [SIG], hostCount: 3 }), []), fleet, T0);
    await engine.onTransition(transition('resolved', summary({ signatures: [SIG], status: 'resolved', resolvedReason: 'quiet' }), []), fleet, T0 + 1000);
    assert.deepEqual(engine.listRuns()[0]!.counts, { issued: 1, cancelled: 2 });
    assert.throws(() => engine.approve(run!.id, 'bob', T0 + 2000), /holds nothing to approve \(it finished\)/);
  });

  test('a run follows its alert into the one it was merged into', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(playbooks(WORM), ports, { blastRadius: { fraction: 1, maxHosts: 100 } });
    const fleet = makeFleet(fleetHosts(10, (i) => (i === 9 ? { core: '1' } : {})), { 'a-1': members(0, 2, SIG), 'a-2': members(0, 4, SIG) });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: [SIG], hostCount: 2 }), []), fleet, T0);
    await engine.onTransition(transition('resolved', summary({ signatures: [SIG], status: 'resolved', resolvedReason: 'merged', mergedInto: 'a-2' }), []), fleet, T0 + 1000);
    assert.equal(ports.of('UNBLOCK').length, 0, 'a merge lifts nothing');
    ports.clear();
    await engine.onTransition(transition('updated', summary({ id: 'a-2', signatures: [SIG], hostCount: 4 }), [hid(2), hid(3)]), fleet, T0 + 2000);
    assert.deepEqual(ports.hostsOf('ISOLATE'), [hid(2), hid(3)]);
    assert.equal(engine.listRuns().length, 1);
    assert.deepEqual(engine.getRun(run!.id)!.alertIds, ['a-1', 'a-2']);
    await engine.onTransition(transition('resolved', summary({ id: 'a-2', signatures: [SIG], status: 'resolved', resolvedReason: 'quiet' }), []), fleet, T0 + 3000);
    assert.equal(ports.of('UNBLOCK').length, 2, 'core posture lifted when the merged-into alert resolves');
  });

  test('toJSON/restore keeps runs, windows and overrides; a restored run still lifts on resolve', async () => {
    const ports = new RecordingPorts();
    const load = playbooks(WORM, ISOLATE_ALL);
    const engine = engineWith(load, ports);
    engine.disable('iso', 'carol');
    assert.ok(ports.audits.some((a) => a.actor === 'carol' && a.action === 'playbook.disable'));
    const fleet = makeFleet(fleetHosts(100, (i) => (i === 50 ? { core: 'true' } : {})), { 'a-1': members(0, 8, SIG) });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: [SIG], hostCount: 8 }), []), fleet, T0);
    assert.equal(engine.listRuns().length, 1, 'the disabled playbook did not run');
    const snap = JSON.parse(JSON.stringify(engine.toJSON()));

    const ports2 = new RecordingPorts();
    const again = PlaybookEngine.restore(snap, { ports: ports2, env: {} });
    again.setPlaybooks(load);
    assert.equal(again.list().find((p) => p.name === 'iso')!.enabled, false, 'the override survives');
    assert.equal(again.list().find((p) => p.name === 'iso')!.enabledInFile, true);
    assert.equal(again.blastRadius(100, T0).used, 5);
    assert.deepEqual(again.getRun(run!.id)!.actions.length, engine.getRun(run!.id)!.actions.length);
    await again.approve(run!.id, 'dave', T0 + 1000);
    assert.deepEqual(ports2.hostsOf('ISOLATE'), [5, 6, 7].map(hid));
    await again.onTransition(transition('resolved', summary({ signatures: [SIG], status: 'resolved', resolvedReason: 'quiet' }), []), fleet, T0 + 2000);
    assert.equal(ports2.of('UNBLOCK').length, 2);
    assert.throws(() => PlaybookEngine.restore({ version: 9 }, { ports: ports2 }), /unknown version/);
    assert.throws(() => again.enable('nope'), /unknown playbook 'nope'/);
    again.enable('iso');
    assert.equal(again.list().find((p) => p.name === 'iso')!.enabled, true);
  });
});
