// The two shipped playbooks (playbooks/*.yaml) against the alerts they are for, and the
// benign fleet-wide spike they must leave alone.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPlaybookDir } from '../../controller/playbooks/loader.ts';
import { PRIVATE_CIDRS } from '../../controller/playbooks/schema.ts';
import { DEFAULT_BLAST_RADIUS } from '../../controller/playbooks/guards.ts';
import { engineWith, fleetHosts, hid, makeFleet, members, RecordingPorts, SHIPPED_DIR, summary, T0, transition } from './helpers.ts';

const shipped = () => {
  const r = loadPlaybookDir(SHIPPED_DIR, T0);
  assert.deepEqual(r.errors, []);
  return r;
};

/** 200 hosts: two mail relays, five core, one never-isolate (the jump host). */
const tags = (i: number): Record<string, string> =>
  i < 2 ? { 'mail-relay': 'true', role: 'mail' } : i >= 190 && i < 195 ? { core: 'true' } : i === 195 ? { 'never-isolate': 'true', role: 'jump' } : {};

describe('shipped playbooks', () => {
  test('mass-mailer: isolates the hosts sending mail, blocks the port outbound except on relays for 1 h, raises core posture, skips an unset webhook', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(shipped(), ports, { controller: { port: 7443 } });
    const alertHosts = [...members(2, 8, ['conn.fanout/tcp:25', 'proc.new/sha256:abc']), { hostId: hid(8), signatures: ['proc.new/sha256:abc'] }, { hostId: hid(195), signatures: ['conn.fanout/tcp:25'] }];
    const fleet = makeFleet(fleetHosts(200, tags), { 'a-1': alertHosts });
    const alert = summary({ signatures: ['conn.fanout/tcp:25', 'proc.new/sha256:abc'], hostCount: 8 });
    const runs = await engine.onTransition(transition('opened', alert, alertHosts.map((h) => h.hostId)), fleet, T0);
    assert.deepEqual(runs.map((r) => r.playbook), ['mass-mailer'], 'the scanning-worm playbook leaves mail ports to mass-mailer');
    const run = engine.getRun(runs[0]!.id)!;

    assert.deepEqual(ports.hostsOf('ISOLATE'), [2, 3, 4, 5, 6, 7].map(hid), 'only hosts showing the mail fan-out; the jump host is spared');
    assert.equal(run.actions.find((a) => a.hostId === hid(195) && a.kind === 'isolate')?.status, 'spared');
    assert.ok(ports.issued.every((c) => c.issuer === 'playbook:mass-mailer'));

    const out = ports.of('BLOCK').filter((c) => c.request.block!.block!.id === `fb-${run.id}-s2`);
    assert.equal(out.length, 198);
    assert.ok(!out.some((c) => c.hostId === hid(0) || c.hostId === hid(1)), 'mail relays keep sending mail');
    assert.deepEqual(out[0]!.request.block!.block, {
      id: `fb-${run.id}-s2`, direction: 'OUT', protocol: 'TCP', ports: [{ from: 25, to: 25 }], remoteCidrs: [], remoteInternet: false, expiresAtMs: T0 + 3_600_000,
    });
    assert.equal(out[0]!.request.block!.force, false);

    const core = ports.of('BLOCK').filter((c) => c.request.block!.block!.id.startsWith(`fb-${run.id}-s3`));
    assert.deepEqual(core.map((c) => c.hostId).sort(), [190, 191, 192, 193, 194].map(hid));
    assert.deepEqual(core[0]!.request.block!.block!.ports, [{ from: 25, to: 25 }, { from: 465, to: 465 }, { from: 587, to: 587 }]);
    assert.equal(core[0]!.request.block!.block!.direction, 'BOTH');
    assert.equal(core[0]!.request.block!.block!.expiresAtMs, 0, 'lifted with the alert, not by a timer');

    const throttled = ports.of('THROTTLE');
    assert.equal(throttled.length, 198, 'the virus throttle on every host but the relays, while the alert is open');
    assert.ok(!throttled.some((c) => c.hostId === hid(0) || c.hostId === hid(1)));

    const notify = run.actions.find((a) => a.kind === 'notify')!;
    assert.equal(notify.status, 'skipped');
    assert.match(notify.reason, /FIREBREAK_WEBHOOK_URL/);
    assert.ok(ports.audits.some((a) => a.action === 'playbook.run.start' && a.target === 'a-1' && a.actor === 'playbook:mass-mailer'));

    ports.clear();
    await engine.onTransition(transition('resolved', { ...alert, status: 'resolved', resolvedReason: 'quiet' }, []), fleet, T0 + 20 * 60_000);
    assert.deepEqual(ports.hostsOf('UNBLOCK'), [190, 191, 192, 193, 194].map(hid), 'core posture lifted when the alert resolves');
    assert.equal(ports.of('UNTHROTTLE').length, 198, 'the throttle lifted with the alert');
    assert.equal(ports.of('RELEASE').length, 0, 'infected hosts stay isolated until an operator releases them');
  });

  test('mass-mailer acts on a quiet mailer in a 24-host fleet: no fan-out, but a propagating graph on tcp/25 — every graph host isolated (up to the small-fleet floor of 8), the port blocked', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(shipped(), ports, { controller: { port: 7443 }, blastRadius: { ...DEFAULT_BLAST_RADIUS } });
    const sigs = ['proc.new/sha256:abc', 'conn.new-port/tcp:25'];
    // h0..h8 in the graph; h5 and h8 show only the binary so far; h20 is in the incident (a roll-out merged in) but in no tree
    const alertHosts = [...members(0, 9, sigs), { hostId: hid(20), signatures: ['proc.new/sha256:abc'] }];
    alertHosts[5] = { hostId: hid(5), signatures: ['proc.new/sha256:abc'] };
    alertHosts[8] = { hostId: hid(8), signatures: ['proc.new/sha256:abc'] };
    const fleet = makeFleet(fleetHosts(24), { 'a-1': alertHosts });
    const graphHosts = Array.from({ length: 9 }, (_, i) => hid(i));
    const alert = { ...summary({ signatures: sigs, hostCount: 10, severity: 'warning' }), spread: { root: hid(0), port: { protocol: 'tcp' as const, port: 25 }, edges: 8, generations: 3, graphHosts, tracedHosts: 10 } };
    const runs = await engine.onTransition(transition('escalated', alert, []), fleet, T0);
    assert.deepEqual(runs.map((r) => r.playbook), ['mass-mailer'], 'the spread graph says mail: the scanning playbook stays out');
    const run = engine.getRun(runs[0]!.id)!;
    assert.deepEqual(ports.hostsOf('ISOLATE'), graphHosts.slice(0, 8), 'the graph hosts, binary-only ones too, up to the floor of 8 in a 24-host fleet');
    const held = run.actions.filter((a) => a.status === 'held');
    assert.deepEqual(held.map((a) => a.hostId), [hid(8)], 'the ninth waits for a person');
    assert.match(held[0]!.reason, /global limit is 8 = min\(5% of 24 hosts \(at least 8, or half the fleet\), 20\)/);
    assert.ok(!ports.hostsOf('ISOLATE').includes(hid(20)), 'a host in no tree and without mail evidence is not isolated');
    const blocks = ports.of('BLOCK');
    assert.ok(blocks.length > 0 && blocks.every((c) => c.request.block!.block!.ports[0]!.from === 25), '$port is the graph port, 25');
  });

  test('mass-mailer notifies the webhook when its URL is set', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(shipped(), ports, { env: { FIREBREAK_WEBHOOK_URL: 'https://hooks.example.com/fb' } });
    const fleet = makeFleet(fleetHosts(200, tags), { 'a-1': members(2, 6, 'conn.fanout/tcp:587') });
    await engine.onTransition(transition('opened', summary({ signatures: ['conn.fanout/tcp:587'] }), []), fleet, T0);
    assert.equal(ports.notified.length, 1);
    assert.equal(ports.notified[0]!.url, 'https://hooks.example.com/fb');
    assert.equal(ports.notified[0]!.body.alert.rootCause, 'conn.fanout/tcp:587');
    assert.deepEqual(ports.notified[0]!.opts, { attempts: 5, timeoutMs: 5000 });
    assert.ok(ports.of('BLOCK').every((c) => c.request.block!.block!.ports.some((r) => r.from === 587)), '$port is the alert port');
  });

  test('scanning-worm: isolates, and blocks the port towards private ranges on every host', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(shipped(), ports, { controller: { port: 7443 } });
    const fleet = makeFleet(fleetHosts(200, tags), { 'a-1': members(10, 14, 'conn.fanout/tcp:445') });
    const runs = await engine.onTransition(transition('opened', summary({ signatures: ['conn.fanout/tcp:445'] }), []), fleet, T0);
    assert.deepEqual(runs.map((r) => r.playbook), ['scanning-worm']);
    assert.deepEqual(ports.hostsOf('ISOLATE'), [10, 11, 12, 13].map(hid));
    const blocks = ports.of('BLOCK');
    assert.equal(blocks.length, 200);
    const b = blocks[0]!.request.block!.block!;
    assert.deepEqual([b.direction, b.protocol, b.ports, b.remoteCidrs, b.remoteInternet], ['OUT', 'TCP', [{ from: 445, to: 445 }], [...PRIVATE_CIDRS], false]);
    assert.equal(b.expiresAtMs, T0 + 3_600_000);
  });

  test("scanning-worm on the controller's own port isolates but plans no block", async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(shipped(), ports, { controller: { port: 7443, addresses: ['10.1.0.1'] } });
    const fleet = makeFleet(fleetHosts(200, tags), { 'a-1': members(10, 14, 'conn.fanout/tcp:7443') });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: ['conn.fanout/tcp:7443'] }), []), fleet, T0);
    assert.equal(ports.of('BLOCK').length, 0);
    assert.equal(ports.of('ISOLATE').length, 4);
    assert.match(run!.actions.find((a) => a.kind === 'block')!.reason, /would cut the agents' link to the controller/);
  });

  test('a simultaneous backup-like alert triggers no isolation and no block', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(shipped(), ports);
    // the nightly backup: every host at once, disk io, and a fan-out to the backup servers
    const sigs = ['conn.fanout/tcp:873', 'disk.io', 'cpu'];
    const fleet = makeFleet(fleetHosts(200, tags), { 'a-b': members(0, 200, sigs) });
    for (const [type, severity, hosts] of [['opened', 'warning', 40], ['escalated', 'warning', 120], ['updated', 'warning', 200]] as const) {
      await engine.onTransition(transition(type, summary({ id: 'a-b', signatures: sigs, classification: 'simultaneous', severity, hostCount: hosts }), []), fleet, T0);
    }
    // and while it is still too small to classify
    await engine.onTransition(transition('opened', summary({ id: 'a-u', signatures: ['conn.fanout/tcp:25'], classification: 'unknown', hostCount: 3 }), []), fleet, T0);
    assert.deepEqual(ports.issued, []);
    assert.deepEqual(engine.listRuns(), []);
  });

  test('transitions arriving back to back never act twice on one host', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(shipped(), ports);
    const fleet = makeFleet(fleetHosts(200, tags), { 'a-1': members(10, 16, 'conn.fanout/tcp:445') });
    const a = summary({ signatures: ['conn.fanout/tcp:445'], hostCount: 6 });
    await Promise.all([
      engine.onTransition(transition('opened', a, [hid(10), hid(11)]), fleet, T0),
      engine.onTransition(transition('escalated', a, [hid(12)]), fleet, T0 + 10),
      engine.onTransition(transition('updated', a, [hid(13)]), fleet, T0 + 20),
    ]);
    assert.equal(ports.of('ISOLATE').length, 6);
    assert.equal(new Set(ports.hostsOf('ISOLATE')).size, 6);
    assert.equal(ports.of('BLOCK').length, 200);
  });
});
