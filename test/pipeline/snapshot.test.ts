// Snapshot/restore: the state survives a JSON round trip (the controller keeps it in
// SQLite) and the restored pipeline carries on exactly like the original.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline } from '../../controller/pipeline/pipeline.ts';
import { T0, drive, recorder, reports, wormHosts, wormSignals } from './helpers.ts';

test('snapshot/restore round-trips mid-incident and both copies go on identically', () => {
  const hosts = wormHosts(7, 10_000, 500).filter((h) => h.onsetMs !== Infinity);
  const events = [...reports(hosts, wormSignals, { from: T0, to: T0 + 80_000 })];
  const mid = events.findIndex((e) => e.receivedAtMs >= T0 + 45_000);
  const first = events.slice(0, mid);
  const rest = events.slice(mid);

  const recA = recorder();
  const a = new Pipeline({ act: recA.hook, correlate: { fleetSize: 500 } });
  a.addSilence({ matchers: [{ field: 'host', value: 'never-*' }], endsAtMs: T0 + 3600_000 }, T0);
  drive(a, first, { from: T0, to: T0 + 45_000 });
  const [open] = a.listAlerts({ scope: 'fleet' });
  a.acknowledge(open!.id, 'carol', T0 + 45_000);

  const json = JSON.stringify(a.toJSON());
  const recB = recorder();
  const b = Pipeline.restore(JSON.parse(json), { act: recB.hook });
  assert.deepEqual(b.listAlerts(), a.listAlerts());
  assert.deepEqual(b.getAlert(open!.id), a.getAlert(open!.id));
  assert.deepEqual(b.listSilences(T0 + 45_000), a.listSilences(T0 + 45_000));
  assert.equal(JSON.stringify(b.toJSON()), json);

  recA.all.length = 0;
  drive(a, rest, { from: T0 + 45_000, to: T0 + 400_000 });
  drive(b, rest, { from: T0 + 45_000, to: T0 + 400_000 });
  assert.deepEqual(recB.all, recA.all);
  assert.deepEqual(b.listAlerts(), a.listAlerts());
  const end = b.getAlert(open!.id)!;
  assert.equal(end.hostCount, 64);
  assert.equal(end.status, 'resolved');
});

test('restore refuses an unknown snapshot with what to do next', () => {
  assert.throws(() => Pipeline.restore({ version: 2 }), /start the pipeline empty/);
  assert.throws(() => Pipeline.restore(null), /unknown version/);
});
