// Correlation on deterministic fleet streams: a worm is one master alert, a backup is a
// simultaneous warning, noise stays on its hosts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline } from '../../controller/pipeline/pipeline.ts';
import { severityRank } from '../../controller/pipeline/stage-types.ts';
import { T0, WORM_SHA, drive, hostId, makeEvent, recorder, reports, rng, wormHosts, wormSignals, type SimHost } from './helpers.ts';

test('a worm doubling every 10 s on skewed clocks becomes one propagating master alert naming patient zero', () => {
  const rec = recorder();
  const p = new Pipeline({ act: rec.hook, correlate: { fleetSize: 1000 } });
  const hosts = wormHosts(8, 10_000, 1000); // 1 → 2 → 4 … → 128 infected
  const infected = hosts.filter((h) => h.onsetMs !== Infinity);
  assert.equal(infected.length, 128);
  const total = drive(p, reports(infected, wormSignals, { from: T0, to: T0 + 90_000 }), { from: T0, to: T0 + 95_000 });

  const fleet = p.listAlerts({ scope: 'fleet' });
  assert.equal(fleet.length, 1, `expected one master alert, got ${fleet.map((a) => a.rootCause).join(', ')}`);
  const a = p.getAlert(fleet[0]!.id)!;
  assert.equal(a.hostCount, 128);
  assert.equal(a.patientZero?.hostId, 'h0000', 'patient zero must come from clock-corrected onsets');
  assert.equal(a.patientZero?.onsetMs, T0);
  assert.equal(a.hosts[0]?.hostId, 'h0000');
  assert.equal(a.classification, 'propagating');
  assert.ok(a.doublingTimeMs !== null && Math.abs(a.doublingTimeMs - 10_000) <= 3_000, `doubling time ${a.doublingTimeMs} ms is not within 30% of 10 s`);
  assert.equal(a.rootCause, `proc.new/sha256:${WORM_SHA}`);
  assert.deepEqual(a.signatures.map((s) => s.signature).sort(), ['conn.fanout/tcp:25', 'cpu.spike', `proc.new/sha256:${WORM_SHA}`].sort());
  assert.ok(a.eventCount / total >= 0.99, `only ${a.eventCount} of ${total} events folded into the master alert`);
  assert.equal(a.severity, 'critical');
  assert.equal(a.evidence.exe[0]?.value, '/tmp/.mailer');
  assert.equal(a.evidence.sha256[0]?.value, WORM_SHA);
  assert.equal(a.evidence.remotePorts[0]?.value, 'tcp/25');
  // Hosts over time, per 10 s bucket, show the doubling.
  const totals = a.timeline.map((b) => b.totalHosts);
  assert.equal(a.timelineBucketMs, 10_000);
  assert.equal(totals[totals.length - 1], 128);
  assert.ok(totals.every((n, i) => i === 0 || n >= totals[i - 1]!));

  // The first master alert came within 2 s of the third infected host's first event.
  const third = [...infected].sort((x, y) => x.onsetMs - y.onsetMs)[2]!;
  const opened = rec.all.find((t) => t.type === 'opened' && t.alert.scope === 'fleet')!;
  assert.ok(opened.atMs - third.onsetMs <= 2000, `opened ${opened.atMs - third.onsetMs} ms after the third host's first anomaly`);
  assert.ok(opened.newHosts.length >= 3);
  // Coalesced: thousands of events, a few dozen transitions.
  const forFleet = rec.all.filter((t) => t.alert.id === a.id);
  assert.ok(forFleet.length < 40, `${forFleet.length} transitions for one alert`);
  assert.ok(forFleet.some((t) => t.type === 'escalated' && t.alert.severity === 'critical'));
  // Every host that joined is announced once in newHosts.
  const announced = forFleet.flatMap((t) => t.newHosts);
  assert.equal(new Set(announced).size, 128);
  assert.equal(announced.length, 128);
});

test('a backup starting on all hosts within a few seconds is simultaneous, at most warning, and resolves when cleared', () => {
  const rec = recorder();
  const p = new Pipeline({ act: rec.hook, correlate: { fleetSize: 200 } });
  const r = rng(3);
  const hosts: SimHost[] = Array.from({ length: 200 }, (_, i) => ({
    id: hostId(i), tags: (i < 5 ? { core: 'db' } : {}) as Record<string, string>, offsetMs: Math.round((r() - 0.5) * 4000),
    onsetMs: T0 + Math.round(r() * 4000), endMs: T0 + 180_000,
  }));
  const signals = () => [
    { kind: 'DISK_IO' as const, signature: 'disk.io/read', exe: '/usr/bin/restic' },
    { kind: 'CPU' as const, signature: 'cpu.spike', exe: '/usr/bin/restic' },
  ];
  drive(p, reports(hosts, signals, { from: T0, to: T0 + 185_000 }), { from: T0, to: T0 + 190_000 });

  const fleet = p.listAlerts({ scope: 'fleet' });
  assert.equal(fleet.length, 1);
  const a = fleet[0]!;
  assert.equal(a.classification, 'simultaneous');
  assert.ok(severityRank(a.severity) <= severityRank('warning'), `backup severity is ${a.severity}`);
  assert.ok(rec.all.every((t) => t.alert.severity !== 'critical'));
  assert.equal(a.hostCount, 200);
  assert.equal(a.signatures.length, 2);
  assert.equal(a.evidence.exe[0]?.value, '/usr/bin/restic');
  assert.equal(a.status, 'resolved');
  assert.equal(a.resolvedReason, 'cleared');
  assert.equal(p.listAlerts({ scope: 'host' }).length, 0, 'no host should have raised a line of its own');
});

test('a job started on every host in the same minute is simultaneous, not a worm', () => {
  const p = new Pipeline({ correlate: { fleetSize: 200 } });
  const r = rng(11);
  const hosts: SimHost[] = Array.from({ length: 200 }, (_, i) => ({ id: hostId(i), tags: {}, offsetMs: 0, onsetMs: T0 + Math.round(r() * 60_000) }));
  const signals = () => [{ kind: 'DISK_IO' as const, signature: 'disk.io/read' }, { kind: 'CPU' as const, signature: 'cpu.spike' }];
  drive(p, reports(hosts, signals, { from: T0, to: T0 + 120_000 }), { from: T0, to: T0 + 120_000 });
  const fleet = p.listAlerts({ scope: 'fleet' });
  assert.equal(fleet.length, 1);
  assert.equal(fleet[0]!.classification, 'simultaneous');
  assert.ok(severityRank(fleet[0]!.severity) <= severityRank('warning'));
});

test('random single-host spikes on a few percent of hosts open no master alert, one line per host and signature', () => {
  const rec = recorder();
  const p = new Pipeline({ act: rec.hook, correlate: { fleetSize: 200 } });
  const r = rng(5);
  const events = [];
  const pairs = new Set<string>();
  // 6 of 200 hosts (3%), each with three spikes of 20-40 s at random times over 10 minutes.
  for (let n = 0; n < 6; n++) {
    const h: SimHost = { id: hostId(17 + n * 31), tags: {}, offsetMs: 0, onsetMs: 0 };
    for (let k = 0; k < 3; k++) {
      const sig = r() < 0.7 ? { kind: 'CPU' as const, signature: 'cpu.spike' } : { kind: 'MEMORY' as const, signature: 'mem.high' };
      pairs.add(`${h.id} ${sig.signature}`);
      const start = T0 + Math.floor(r() * 540_000);
      const len = 20_000 + Math.floor(r() * 20_000);
      for (let t = start; t < start + len; t += 2000) events.push(makeEvent(h, sig, t, t + 50));
      events.push(makeEvent(h, sig, start + len, start + len + 50, true));
    }
    const own = { kind: 'PROCESS_NEW' as const, signature: `proc.new/sha256:${String(n).repeat(64)}` };
    pairs.add(`${h.id} ${own.signature}`);
    events.push(makeEvent(h, own, T0 + 1000 * n, T0 + 1000 * n + 50));
  }
  events.sort((x, y) => x.receivedAtMs - y.receivedAtMs);
  drive(p, events, { from: T0, to: T0 + 600_000 });

  assert.equal(p.listAlerts({ scope: 'fleet' }).length, 0);
  assert.ok(!rec.all.some((t) => t.alert.scope === 'fleet'));
  const lines = p.listAlerts({ scope: 'host' });
  assert.equal(lines.length, pairs.size, 'one line per host and signature, however often it repeats');
  for (const l of lines) {
    assert.equal(l.hostCount, 1);
    assert.equal(l.severity, 'info');
  }
  assert.ok(lines.some((l) => l.eventCount >= 10), 'repeats are counted on the line');
});

test('a lone busy host is one line with a repeat count and one opened transition', () => {
  const rec = recorder();
  const p = new Pipeline({ act: rec.hook, correlate: { fleetSize: 50 } });
  const h: SimHost = { id: 'web-1', tags: {}, offsetMs: 0, onsetMs: T0 };
  const events = Array.from({ length: 50 }, (_, i) => makeEvent(h, { kind: 'CPU', signature: 'cpu.spike' }, T0 + i * 2000, T0 + i * 2000 + 20));
  drive(p, events, { from: T0, to: T0 + 100_000 });
  const lines = p.listAlerts({ scope: 'host' });
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.eventCount, 50);
  assert.equal(rec.all.filter((t) => t.type === 'opened').length, 1);
  assert.ok(rec.all.filter((t) => t.type === 'updated').length <= 25);
});

test('100,000 events through the pipeline: one incident, bounded transitions and memory', () => {
  const rec = recorder();
  const p = new Pipeline({ act: rec.hook, correlate: { fleetSize: 1000 } });
  const hosts = wormHosts(10, 10_000, 1000, 9).filter((h) => h.onsetMs !== Infinity); // 512 hosts
  let fed = 0;
  let t = T0;
  const signals = wormSignals();
  while (fed < 100_000) {
    for (const h of hosts) {
      if (t < h.onsetMs) continue;
      for (const s of signals) {
        if (fed >= 100_000) break;
        p.ingest(makeEvent(h, s, t, t + 5), t + 5);
        fed++;
      }
    }
    t += 1000;
    p.tick(t);
  }
  assert.equal(p.stats().events, 100_000);
  const fleet = p.listAlerts({ scope: 'fleet' });
  assert.equal(fleet.length, 1);
  assert.ok(fleet[0]!.eventCount >= 99_000, `${fleet[0]!.eventCount} events folded`);
  assert.ok(rec.all.length < 200, `${rec.all.length} transitions for 100,000 events`);
  assert.ok(JSON.stringify(p.toJSON()).length < 5_000_000, 'state must stay bounded, not copy events');
});
