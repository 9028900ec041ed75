// The dashboard's change feed: many notifications of a kind within the coalescing
// window become one event carrying their ids; with nobody listening, nothing is kept.
// Each host's last anomaly: read from the store once per host, then kept as events come.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChangeFeed, MAX_IDS, type Change, type ChangeKind } from '../../controller/dashboard/changes.ts';
import { FILL_BATCH, LastAnomalies } from '../../controller/dashboard/last-anomaly.ts';
import type { EventView__Output } from '../../proto/wire.ts';
import { eventually } from '../helpers/procs.ts';

describe('change feed', () => {
  it('coalesces a burst per kind into one event with the ids, and caps the ids', async () => {
    const feed = new ChangeFeed(40);
    const got: [ChangeKind, Change][] = [];
    feed.subscribe((k, c) => got.push([k, c]));
    for (let i = 0; i < 1000; i++) feed.notify('commands', `cmd-${i % 150}`);
    feed.notify('hosts', 'web-1');
    feed.notify('hosts', 'web-1');
    await eventually(async () => got.length === 2, 2000, 'two events', 5);
    const commands = got.find(([k]) => k === 'commands')![1];
    assert.equal(commands.ids.length, MAX_IDS);
    assert.equal(commands.more, true);
    assert.deepEqual(got.find(([k]) => k === 'hosts')![1], { ids: ['web-1'] });
    // the next burst is a new event
    feed.notify('hosts', 'web-2');
    await eventually(async () => got.length === 3, 2000, 'a third event', 5);
    assert.deepEqual(got[2], ['hosts', { ids: ['web-2'] }]);
    feed.close();
  });

  it('keeps nothing and starts no timer while nobody listens', () => {
    const feed = new ChangeFeed(40);
    for (let i = 0; i < 1000; i++) feed.notify('alerts', `F${i}`);
    assert.equal((feed as unknown as { pending: Map<string, unknown> }).pending.size, 0);
    feed.close();
  });
});

describe('last anomalies', () => {
  const ev = (hostId: string, signature: string, receivedAtMs: number) =>
    ({ id: receivedAtMs, hostId, receivedAtMs, event: { signature } }) as unknown as EventView__Output;

  it('reads the store once per unknown host: none for a host without events, the fleet\'s newest in one query, then host by host', async () => {
    const last = new LastAnomalies();
    const calls: string[] = [];
    const events = async (hostId: string, limit: number) => {
      calls.push(`${hostId || '*'}:${limit}`);
      if (hostId === '') return [ev('b', 'proc.new/x', 20), ev('b', 'cpu', 10)];
      return hostId === 'c' ? [ev('c', 'disk.io/read', 5)] : [];
    };
    const hosts = [{ id: 'a', events: 0 }, { id: 'b', events: 3 }, { id: 'c', events: 2 }, { id: 'd', events: 1 }];
    const got = await last.of(hosts, events);
    assert.deepEqual(Object.fromEntries(got), { a: null, b: { signature: 'proc.new/x', atMs: 20 }, c: { signature: 'disk.io/read', atMs: 5 }, d: null });
    assert.deepEqual(calls, [`*:${FILL_BATCH}`, 'c:1', 'd:1']);
    // known now: events as they arrive update it, the store is not asked again
    last.record('a', 'conn.fanout/tcp:25', 30);
    last.record('b', 'old', 1);
    const again = await last.of(hosts, events);
    assert.deepEqual(again.get('a'), { signature: 'conn.fanout/tcp:25', atMs: 30 });
    assert.deepEqual(again.get('b'), { signature: 'proc.new/x', atMs: 20 }, 'an older event does not replace a newer one');
    assert.equal(calls.length, 3);
  });
});
