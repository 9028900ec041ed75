// Hosts come back in the order operators count them (fbh2 before fbh10), from
// a real SQLite file.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../../controller/store/sqlite.ts';

test('listHosts sorts host ids naturally: fbh1, fbh2, fbh10, not fbh1, fbh10, fbh2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-host-order-'));
  const store = new SqliteStore(join(dir, 'firebreak.db'));
  try {
    for (const id of ['fbh10', 'fbh2', 'web-b', 'fbh1', 'fbh11', 'web-a']) {
      await store.recordHello({ hostId: id, bootId: 'b', inventory: {} as never, backend: 'DRY_RUN', nowMs: 1 });
    }
    assert.deepEqual((await store.listHosts()).map((h) => h.id), ['fbh1', 'fbh2', 'fbh10', 'fbh11', 'web-a', 'web-b']);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
