// What the pipeline keeps in the store row by row as it changes (the alert id mark,
// acknowledgements, silences), put back over an older correlation snapshot as after a
// kill -9: no id is given twice, no ack or silence is lost, a silence id is not reused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline } from '../../controller/pipeline/pipeline.ts';
import { forEachStore } from '../helpers/stores.ts';
import { drive, makeEvent, T0, type SimHost } from './helpers.ts';

const NEXT = 'alert_next_id';

forEachStore((_name, open) => test('the id mark, acks and silences stored as they change come back over an older snapshot', async () => {
  const store = await open('db');
  const p = new Pipeline({ correlate: { fleetSize: 50 } });
  p.onAlertIdAllocated((n) => void store.raiseCounter(NEXT, n));
  const host = (id: string): SimHost => ({ id, tags: {}, offsetMs: 0, onsetMs: T0 });
  const busy = (h: SimHost, sig: string, from: number) =>
    Array.from({ length: 5 }, (_, i) => makeEvent(h, { kind: 'CPU', signature: sig }, from + i * 1000, from + i * 1000 + 20));

  drive(p, busy(host('a'), 'cpu.spike', T0), { from: T0, to: T0 + 10_000 });
  const [first] = p.listAlerts({ scope: 'host' });
  assert.ok(first);
  const snapshot = JSON.parse(JSON.stringify(p.toJSON())); // the last snapshot before the crash

  // after the snapshot: an ack, a silence, and a second line that takes the newest id
  const acked = p.acknowledge(first.id, 'alice', T0 + 11_000);
  await store.putAck({ alertId: acked.id, by: acked.acknowledgedBy!, atMs: acked.acknowledgedAtMs! });
  const s = p.addSilence({ kind: 'silence', matchers: [{ field: 'signature', value: 'disk.*' }], endsAtMs: T0 + 3600_000, createdBy: 'bob', comment: 'patching' }, T0 + 11_000);
  const { state: _state, ...silence } = s;
  await store.putSilence(s.id, JSON.stringify(silence), s.endsAtMs, T0 + 11_000);
  drive(p, busy(host('b'), 'cpu.spike', T0 + 12_000), { from: T0 + 12_000, to: T0 + 22_000 });
  const second = p.listAlerts({ scope: 'host' }).find((a) => a.id !== first.id)!;
  assert.ok(second, 'a second line opened after the snapshot');

  // kill -9: a new process with the old snapshot and what the store holds (the same file or schema)
  const store2 = await open('db');
  const q = Pipeline.restore(snapshot, { correlate: { fleetSize: 50 } });
  const bad = q.applyStored({
    nextAlertId: await store2.getCounter(NEXT), acks: await store2.listAcks(0), silences: (await store2.listSilences(0)).map((x) => JSON.parse(x)),
  });
  assert.deepEqual(bad, []);
  assert.equal(q.getAlert(first.id)!.status, 'acknowledged', 'the ack made after the snapshot is back');
  assert.equal(q.getAlert(first.id)!.acknowledgedBy, 'alice');
  assert.deepEqual(q.listSilences(T0 + 23_000).map((x) => [x.id, x.comment, x.state]), [[s.id, 'patching', 'active']], 'the silence is back');
  const s2 = q.addSilence({ kind: 'silence', matchers: [{ field: 'host', value: 'zzz' }], endsAtMs: T0 + 3600_000, createdBy: 'bob', comment: '' }, T0 + 23_000);
  assert.notEqual(s2.id, s.id, 'no silence id given twice');

  drive(q, busy(host('c'), 'cpu.spike', T0 + 24_000), { from: T0 + 24_000, to: T0 + 34_000 });
  const third = q.listAlerts({ scope: 'host' }).find((a) => a.id !== first.id)!;
  const n = (id: string) => Number(id.slice(1));
  assert.ok(n(third.id) > n(second.id), `the line opened after the restart is ${third.id}: ${second.id} was given before the crash`);
}));
