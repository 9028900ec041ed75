// The dashboard's change feed: many notifications of a kind within the coalescing
// window become one event carrying their ids; with nobody listening, nothing is kept.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ChangeFeed, MAX_IDS, type Change, type ChangeKind } from '../../controller/dashboard/changes.ts';
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
