// The playbook `throttle` action: schema (defaults, refusals with their line), the
// THROTTLE commands a run issues to its host selector, and the lifts (UNTHROTTLE when the
// alert resolves; the agent itself at a timed expiry), one run's throttle per host.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePlaybook } from '../../controller/playbooks/loader.ts';
import { engineWith, fleetHosts, hid, makeFleet, members, playbooks, RecordingPorts, summary, T0, transition } from './helpers.ts';

const SIG = 'conn.fanout/tcp:445';
const MIN = 60_000;

const THROTTLE = (step: string, name = 'slow', sig = 'conn.fanout/*') => `
name: ${name}
when:
  signatures: [${sig}]
do:
  - throttle: ${step}
`;

describe('throttle in the playbook schema', () => {
  test('defaults: 1/s, burst 5, working set 60s, lifted when the alert resolves', () => {
    const r = parsePlaybook(THROTTLE('{ hosts: [alert] }'), 'p.yaml');
    assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
    assert.deepEqual(r.playbook.do[0], {
      kind: 'throttle', hosts: { include: [{ kind: 'alert' }], exclude: [] }, rate: 1, burst: 5, working_set: 60_000, expiry: 'alert',
    });
    const timed = parsePlaybook(THROTTLE('{ hosts: ["not tag:mail-relay"], rate: 2, burst: 20, working_set: 5m, expiry: 1h }'), 'p.yaml');
    assert.ok(timed.ok);
    assert.deepEqual(timed.playbook.do[0], {
      kind: 'throttle', hosts: { include: [{ kind: 'all' }], exclude: [{ kind: 'tag', key: 'mail-relay', value: null }] }, rate: 2, burst: 20, working_set: 300_000, expiry: 3_600_000,
    });
  });

  test('refuses out-of-range values and unknown keys, with the line', () => {
    const cases: Array<[string, RegExp]> = [
      ['{ hosts: [alert], rate: 0 }', /rate|>=1/],
      ['{ hosts: [alert], rate: 5000 }', /rate|<=1000/],
      ['{ hosts: [alert], burst: 1.5 }', /burst|int/],
      ['{ hosts: [alert], working_set: 2d }', /working_set must be 1s to 24h/],
      ['{ hosts: [alert], expiry: soon }', /not a duration.*'alert'/],
      ['{ hosts: [alert], speed: 3 }', /speed/],
      ['{ rate: 1 }', /hosts/],
    ];
    for (const [step, want] of cases) {
      const r = parsePlaybook(THROTTLE(step), 'p.yaml');
      assert.ok(!r.ok, `${step} should be refused`);
      assert.match(r.errors.map((e) => e.message).join('; '), want, step);
      assert.equal(r.errors[0]!.line, 6, `${step}: the line of the throttle step`);
    }
  });
});

describe('throttle runs', () => {
  test('throttles the selected hosts as the alert grows, and unthrottles them when it resolves', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(playbooks(THROTTLE('{ hosts: [alert], rate: 2, burst: 10, working_set: 2m }')), ports);
    const fleet = makeFleet(fleetHosts(20), { 'a-1': members(0, 3, SIG) });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: [SIG], hostCount: 3 }), []), fleet, T0);
    assert.deepEqual(ports.hostsOf('THROTTLE'), [0, 1, 2].map(hid));
    const req = ports.of('THROTTLE')[0]!.request;
    assert.deepEqual(req.throttle, { newPerSecond: 2, burst: 10, workingSetS: 120, expiresAtMs: 0 });
    assert.equal(req.params, 'throttle');
    assert.equal(ports.of('THROTTLE')[0]!.issuer, 'playbook:slow');
    assert.ok(ports.audits.some((a) => a.action === 'playbook.throttle' && a.detail.hosts.length === 3 && a.detail.throttle.burst === 10));

    ports.clear();
    fleet.setAlertHosts('a-1', members(0, 5, SIG));
    await engine.onTransition(transition('updated', summary({ signatures: [SIG], hostCount: 5 }), [hid(3), hid(4)]), fleet, T0 + 1000);
    assert.deepEqual(ports.hostsOf('THROTTLE'), [hid(3), hid(4)], 'only the hosts that joined');

    ports.clear();
    await engine.onTransition(transition('resolved', summary({ signatures: [SIG], hostCount: 5, status: 'resolved' }), []), fleet, T0 + 5 * MIN);
    assert.deepEqual(ports.hostsOf('UNTHROTTLE'), [0, 1, 2, 3, 4].map(hid));
    assert.equal(ports.of('UNTHROTTLE')[0]!.request.params, undefined);
    const r = engine.getRun(run!.id)!;
    assert.equal(r.status, 'finished');
    assert.ok(r.actions.filter((a) => a.kind === 'throttle').every((a) => a.lift?.status === 'issued'));
  });

  test('a timed throttle is lifted by the agent: the command carries the expiry, tick marks it, no unthrottle is sent', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(playbooks(THROTTLE('{ hosts: [alert], expiry: 30m }')), ports);
    const fleet = makeFleet(fleetHosts(10), { 'a-1': members(0, 2, SIG) });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: [SIG], hostCount: 2 }), []), fleet, T0);
    assert.equal(ports.of('THROTTLE')[0]!.request.throttle!.expiresAtMs, T0 + 30 * MIN);
    await engine.tick(T0 + 29 * MIN);
    assert.ok(engine.getRun(run!.id)!.actions.every((a) => a.lift === null));
    await engine.tick(T0 + 30 * MIN);
    const lifts = engine.getRun(run!.id)!.actions.map((a) => a.lift);
    assert.ok(lifts.every((l) => l?.status === 'expired' && /agent lifts the throttle itself/.test(l.reason)), JSON.stringify(lifts));
    await engine.onTransition(transition('resolved', summary({ signatures: [SIG], status: 'resolved' }), []), fleet, T0 + 31 * MIN);
    assert.equal(ports.of('UNTHROTTLE').length, 0);
  });

  test('one throttle per host: a host another run throttles is skipped, so its lift is that run\'s alone', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(playbooks(
      THROTTLE('{ hosts: [alert] }', 'first', 'conn.fanout/*'),
      THROTTLE('{ hosts: [alert], rate: 5 }', 'second', 'proc.new/*'),
    ), ports);
    const fleet = makeFleet(fleetHosts(10), { 'a-1': members(0, 2, SIG), 'a-2': members(1, 3, 'proc.new/sha256:ab') });
    await engine.onTransition(transition('opened', summary({ id: 'a-1', signatures: [SIG] }), []), fleet, T0);
    await engine.onTransition(transition('opened', summary({ id: 'a-2', signatures: ['proc.new/sha256:ab'] }), []), fleet, T0 + 1000);
    assert.deepEqual(ports.of('THROTTLE').map((c) => `${c.hostId} ${c.issuer}`), [`${hid(0)} playbook:first`, `${hid(1)} playbook:first`, `${hid(2)} playbook:second`]);
    const second = engine.listRuns({ playbook: 'second' })[0]!;
    assert.match(engine.getRun(second.id)!.actions.find((a) => a.hostId === hid(1))!.reason, /already throttled by run run-/);
    ports.clear();
    await engine.onTransition(transition('resolved', summary({ id: 'a-2', signatures: ['proc.new/sha256:ab'], status: 'resolved' }), []), fleet, T0 + 2000);
    assert.deepEqual(ports.hostsOf('UNTHROTTLE'), [hid(2)], 'the second run lifts only its own');
  });

  test('dry-run records what it would do and sends nothing', async () => {
    const ports = new RecordingPorts();
    const engine = engineWith(playbooks(THROTTLE('{ hosts: [alert] }').replace('when:', 'mode: dry-run\nwhen:')), ports);
    const fleet = makeFleet(fleetHosts(10), { 'a-1': members(0, 2, SIG) });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: [SIG] }), []), fleet, T0);
    assert.equal(ports.issued.length, 0);
    assert.deepEqual(engine.getRun(run!.id)!.actions.map((a) => `${a.status} ${a.reason}`), [0, 1].map(() => 'dry-run would throttle: 1 new destination(s)/s, burst 5, working set 1m'));
    await engine.onTransition(transition('resolved', summary({ signatures: [SIG], status: 'resolved' }), []), fleet, T0 + MIN);
    assert.equal(ports.issued.length, 0);
  });
});
