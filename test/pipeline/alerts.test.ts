// Alert lifecycle: quiet resolve, acknowledge, flapping, escalation on host count and core hosts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline, AlertError } from '../../controller/pipeline/pipeline.ts';
import { classify, doublingTime } from '../../controller/pipeline/alerts.ts';
import { isCoreHost } from '../../controller/pipeline/stage-types.ts';
import { T0, drive, hostId, makeEvent, recorder, type SimHost, type Signal } from './helpers.ts';

const NEW_PORT: Signal = { kind: 'CONN_NEW_PORT', signature: 'conn.new-port/tcp:4444', port: 4444 };
// Sustained: its clear means it stopped (a one-shot signature's clear does not end an incident).
const FANOUT: Signal = { kind: 'CONN_FANOUT', signature: 'conn.fanout/tcp:4444', port: 4444 };

function host(i: number, tags: Record<string, string> = {}): SimHost {
  return { id: hostId(i), tags, offsetMs: 0, onsetMs: T0 };
}

/** Each host sends the signal every 2 s from its start until `until`. */
function stream(starts: Array<[SimHost, number]>, until: number, sig: Signal = NEW_PORT) {
  const out = [];
  for (const [h, start] of starts) for (let t = start; t < until; t += 2000) out.push(makeEvent(h, sig, t, t + 30));
  return out.sort((x, y) => x.receivedAtMs - y.receivedAtMs);
}

test('an alert resolves after the quiet period (5 min by default), not before', () => {
  const rec = recorder();
  const p = new Pipeline({ act: rec.hook, correlate: { fleetSize: 100 } });
  const events = stream([[host(1), T0], [host(2), T0], [host(3), T0]], T0 + 20_000);
  const last = events.at(-1)!.receivedAtMs;
  drive(p, events, { from: T0, to: last + 299_000 });
  const [a] = p.listAlerts({ scope: 'fleet' });
  assert.equal(a?.status, 'open');
  p.tick(last + 300_000);
  const after = p.getAlert(a!.id)!;
  assert.equal(after.status, 'resolved');
  assert.equal(after.resolvedReason, 'quiet');
  assert.equal(rec.all.at(-1)?.type, 'resolved');
});

test('acknowledging an alert emits acknowledged; unknown or resolved ids are refused with a reason', () => {
  const rec = recorder();
  const p = new Pipeline({ act: rec.hook, correlate: { fleetSize: 100 } });
  drive(p, stream([[host(1), T0], [host(2), T0], [host(3), T0]], T0 + 10_000), { from: T0, to: T0 + 10_000 });
  const [a] = p.listAlerts({ scope: 'fleet' });
  const s = p.acknowledge(a!.id, 'alice', T0 + 11_000);
  assert.equal(s.status, 'acknowledged');
  assert.equal(s.acknowledgedBy, 'alice');
  assert.equal(rec.all.at(-1)?.type, 'acknowledged');
  assert.equal(p.listAlerts({ status: 'active' }).length, 1);
  assert.throws(() => p.acknowledge('F999', 'alice', T0), (e: Error) => e instanceof AlertError && /no alert "F999"/.test(e.message));
  p.tick(T0 + 400_000);
  assert.throws(() => p.acknowledge(a!.id, 'alice', T0 + 400_000), /already resolved/);
});

test('a host line opened and cleared four times in twenty minutes is marked flapping and not re-alerted', () => {
  const rec = recorder();
  const p = new Pipeline({ act: rec.hook, correlate: { fleetSize: 100 } });
  const h = host(7);
  const sig: Signal = { kind: 'DISK_USAGE', signature: 'disk.usage//var' };
  const events = [];
  for (let c = 0; c < 6; c++) {
    const start = T0 + c * 180_000; // a cycle every 3 minutes
    for (let t = start; t < start + 30_000; t += 2000) events.push(makeEvent(h, sig, t, t + 10));
    events.push(makeEvent(h, sig, start + 30_000, start + 30_010, true));
  }
  drive(p, events, { from: T0, to: T0 + 6 * 180_000 });
  const lines = p.listAlerts({ scope: 'host' });
  assert.equal(lines.length, 1, 'the same line comes back, not a new one each time');
  assert.equal(lines[0]!.flapping, true);
  assert.equal(rec.all.filter((t) => t.type === 'opened').length, 4, 'opened four times, then marked instead of re-alerted');
  assert.equal(rec.all.filter((t) => t.type === 'resolved').length, 4);
  assert.equal(lines[0]!.eventCount, 6 * 15);
});

test('a core host joining an incident escalates it to critical', () => {
  const rec = recorder();
  const p = new Pipeline({ act: rec.hook, correlate: { fleetSize: 100 } });
  // A slow spread: a new host every 5 minutes, so neither pace nor count make it critical.
  const starts: Array<[SimHost, number]> = [[host(1), T0], [host(2), T0 + 300_000], [host(3), T0 + 600_000]];
  drive(p, stream(starts, T0 + 900_000), { from: T0, to: T0 + 899_000 });
  const [a] = p.listAlerts({ scope: 'fleet' });
  assert.equal(a?.severity, 'warning');
  assert.equal(a?.coreHostCount, 0);

  const core = host(4, { role: 'core' });
  const more = stream([...starts, [core, T0 + 900_000]], T0 + 960_000).filter((e) => e.receivedAtMs >= T0 + 899_000);
  drive(p, more, { from: T0 + 899_000, to: T0 + 960_000 });
  const esc = rec.all.filter((t) => t.type === 'escalated');
  assert.equal(esc.length, 1);
  assert.equal(esc[0]!.alert.severity, 'critical');
  assert.equal(esc[0]!.previousSeverity, 'warning');
  assert.deepEqual(esc[0]!.newHosts, [core.id]);
  assert.equal(p.getAlert(a!.id)!.hosts.find((h) => h.hostId === core.id)?.core, true);
});

test('crossing a host-count threshold emits escalated even when severity stays', () => {
  const rec = recorder();
  const p = new Pipeline({ act: rec.hook, correlate: { fleetSize: 1000 }, alerts: { hostThresholds: [5, 10] } });
  // All at once: simultaneous, so severity stays warning.
  const starts: Array<[SimHost, number]> = Array.from({ length: 12 }, (_, i) => [host(i), T0 + i * 100] as [SimHost, number]);
  drive(p, stream(starts, T0 + 20_000), { from: T0, to: T0 + 20_000 });
  const esc = rec.all.filter((t) => t.type === 'escalated' && t.alert.scope === 'fleet');
  assert.deepEqual(esc.map((t) => t.alert.hostCount), [5, 10]);
  assert.ok(esc.every((t) => t.alert.severity === 'warning'));
});

test('core tags: key core (unless false/0/no) or role=core', () => {
  assert.equal(isCoreHost({ core: 'db' }), true);
  assert.equal(isCoreHost({ core: '' }), true);
  assert.equal(isCoreHost({ core: 'false' }), false);
  assert.equal(isCoreHost({ role: 'core' }), true);
  assert.equal(isCoreHost({ role: 'web' }), false);
});

test('classification and doubling time from onsets', () => {
  const worm = [0, 10, 20, 20, 30, 30, 30, 30, 40, 40, 40, 40, 40, 40, 40, 40].map((s) => s * 1000);
  assert.equal(classify(worm, 10_000, 60_000), 'propagating');
  assert.ok(Math.abs(doublingTime(worm, 0)! - 10_000) < 3000);
  assert.equal(classify([0, 1, 2, 3, 4, 5].map((s) => s * 1000), 10_000, 60_000), 'simultaneous');
  assert.equal(classify([0, 1, 2], 10_000, 60_000), 'unknown');
  assert.equal(classify([0, 300, 600, 900].map((s) => s * 1000), 10_000, 60_000), 'propagating');
  assert.equal(doublingTime([5, 5, 5], 0), null);
});

test('a master alert that keeps coming back reopens under the same id and is marked flapping', () => {
  const rec = recorder();
  const p = new Pipeline({ act: rec.hook, correlate: { fleetSize: 100 } });
  const hosts = [host(1), host(2), host(3)];
  const events = [];
  for (let c = 0; c < 6; c++) {
    const start = T0 + c * 120_000; // on for 20 s, cleared, every 2 minutes
    for (const h of hosts) {
      for (let t = start; t < start + 20_000; t += 2000) events.push(makeEvent(h, FANOUT, t, t + 10));
      events.push(makeEvent(h, FANOUT, start + 20_000, start + 20_010, true));
    }
  }
  events.sort((x, y) => x.receivedAtMs - y.receivedAtMs);
  drive(p, events, { from: T0, to: T0 + 6 * 120_000 });
  const fleet = p.listAlerts({ scope: 'fleet' });
  assert.equal(fleet.length, 1);
  assert.equal(fleet[0]!.flapping, true);
  const mine = rec.all.filter((t) => t.alert.id === fleet[0]!.id);
  assert.equal(mine.filter((t) => t.type === 'opened').length, 4);
  assert.equal(mine.filter((t) => t.type === 'resolved').length, 4);
  assert.equal(fleet[0]!.eventCount, 6 * 3 * 10);
});
