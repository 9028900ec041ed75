// Hosts come back in the order operators count them (fbh2 before fbh10), from
// a real SQLite file and a real PostgreSQL server.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachStore } from '../helpers/stores.ts';

forEachStore((_name, open) => {
  it('listHosts sorts host ids naturally: fbh1, fbh2, fbh10, not fbh1, fbh10, fbh2', async () => {
    const store = await open();
    for (const id of ['fbh10', 'fbh2', 'web-b', 'fbh1', 'fbh11', 'web-a']) {
      await store.recordHello({ hostId: id, bootId: 'b', inventory: {} as never, backend: 'DRY_RUN', nowMs: 1 });
    }
    assert.deepEqual((await store.listHosts()).map((h) => h.id), ['fbh1', 'fbh2', 'fbh10', 'fbh11', 'web-a', 'web-b']);
  });
});
