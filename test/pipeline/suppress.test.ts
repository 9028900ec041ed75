// Silences and maintenance windows: matching events are counted but open and escalate nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline, SilenceError, parseMatcher } from '../../controller/pipeline/pipeline.ts';
import { T0, drive, hostId, makeEvent, recorder, reports, wormSignals, type SimHost } from './helpers.ts';

const staging = (i: number, onsetMs = T0): SimHost => ({ id: hostId(i), tags: { env: 'staging' }, offsetMs: 0, onsetMs });

test('a maintenance window on a tag suppresses opening; expiring it lets the incident open', () => {
  const rec = recorder();
  const p = new Pipeline({ act: rec.hook, correlate: { fleetSize: 100 } });
  const sil = p.addSilence(
    { kind: 'maintenance', matchers: [{ field: 'tag', tag: 'env', value: 'staging' }], endsAtMs: T0 + 3600_000, createdBy: 'bob', comment: 'patching' },
    T0,
  );
  assert.equal(sil.state, 'active');
  const hosts = Array.from({ length: 6 }, (_, i) => staging(i));
  const n = drive(p, reports(hosts, wormSignals, { from: T0, to: T0 + 60_000 }), { from: T0, to: T0 + 60_000 });
  assert.equal(p.listAlerts().length, 0, 'silenced events open neither master alerts nor host lines');
  assert.equal(rec.all.length, 0);
  assert.equal(p.stats().muted, n);
  assert.equal(p.listSilences(T0 + 60_000)[0]!.matched, n);

  const expired = p.expireSilence(sil.id, T0 + 60_000);
  assert.equal(expired.state, 'expired');
  drive(p, reports(hosts, wormSignals, { from: T0 + 60_000, to: T0 + 70_000 }), { from: T0 + 60_000, to: T0 + 70_000 });
  assert.equal(p.listAlerts({ scope: 'fleet' }).length, 1);
});

test('a signature glob silence mutes only what it matches, and only in its time range', () => {
  const p = new Pipeline({ correlate: { fleetSize: 100 } });
  p.addSilence({ matchers: [parseMatcher('signature=conn.fanout/*')], startsAtMs: T0 + 30_000, endsAtMs: T0 + 90_000 }, T0);
  const hosts = Array.from({ length: 4 }, (_, i) => staging(i));
  const sig = [{ kind: 'CONN_FANOUT' as const, signature: 'conn.fanout/tcp:25' }];
  // Before the silence starts, conn.fanout opens an alert; during it, nothing new joins.
  drive(p, reports(hosts.slice(0, 3), () => sig, { from: T0, to: T0 + 40_000 }), { from: T0, to: T0 + 40_000 });
  const [a] = p.listAlerts({ scope: 'fleet' });
  assert.equal(a?.hostCount, 3);
  assert.equal(p.listSilences(T0 + 10_000)[0]!.state, 'pending');
  drive(p, reports(hosts, () => sig, { from: T0 + 40_000, to: T0 + 80_000 }), { from: T0 + 40_000, to: T0 + 80_000 });
  const during = p.getAlert(a!.id)!;
  assert.equal(during.hostCount, 3, 'a muted host does not join');
  assert.ok(during.suppressedEvents > 0);
  assert.equal(during.status, 'open', 'muted events keep a live incident from resolving');
  // Other signatures are untouched by the glob.
  assert.equal(p.ingest(makeEvent(hosts[0]!, { kind: 'CPU', signature: 'cpu.spike' }, T0 + 80_000, T0 + 80_000), T0 + 80_000).muted, false);
  assert.equal(p.listSilences(T0 + 100_000)[0]!.state, 'expired');
});

test('host glob matchers, parse errors and invalid silences are explained', () => {
  const p = new Pipeline();
  p.addSilence({ matchers: [parseMatcher('host=h00?1')], endsAtMs: T0 + 1000 }, T0);
  const h = (id: string): SimHost => ({ id, tags: {}, offsetMs: 0, onsetMs: T0 });
  const ev = (id: string) => makeEvent(h(id), { kind: 'CPU', signature: 'cpu.spike' }, T0, T0);
  assert.equal(p.ingest(ev('h0001'), T0).muted, true);
  assert.equal(p.ingest(ev('h0011'), T0).muted, true);
  assert.equal(p.ingest(ev('h0012'), T0).muted, false);
  assert.deepEqual(parseMatcher('tag:role=db'), { field: 'tag', tag: 'role', value: 'db' });
  assert.throws(() => parseMatcher('sig~cpu'), (e: Error) => e instanceof SilenceError && /signature=<glob>/.test(e.message));
  assert.throws(() => p.addSilence({ matchers: [], endsAtMs: T0 + 1000 }, T0), /at least one matcher/);
  assert.throws(() => p.addSilence({ matchers: [{ field: 'tag', value: 'x' }], endsAtMs: T0 + 1000 }, T0), /tag key/);
  assert.throws(() => p.addSilence({ matchers: [parseMatcher('host=a')], endsAtMs: T0 - 1 }, T0), /already passed/);
  assert.throws(() => p.expireSilence('s99', T0), /firebreak silence list/);
});
