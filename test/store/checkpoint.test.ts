// The WAL is copied back into the database by the store's checkpoint thread, not on the
// event loop: a few MB of reports reach the database file while the store's own connection
// stays far below the WAL size at which it would checkpoint itself. Real SQLite file.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { SqliteStore } from '../../controller/store/sqlite.ts';
import { tempDir } from '../helpers/procs.ts';

const dir = tempDir('firebreak-checkpoint-');
after(() => dir.remove());

it('reports reach the database file through the checkpoint thread, with the WAL well under the store\'s own checkpoint size', async () => {
  const file = join(dir.path, 'firebreak.db');
  const store = new SqliteStore(file);
  try {
    for (let h = 0; h < 100; h++) await store.recordHello({ hostId: `fbh${h}`, bootId: 'boot-aaaaaaaa', inventory: {} as never, backend: 'DRY_RUN', nowMs: 1 });
    const before = statSync(file).size;
    // a few MB of WAL: past nothing the store's own connection checkpoints at (16,000 pages)
    for (let seq = 1; seq <= 10; seq++) {
      await Promise.all(Array.from({ length: 100 }, (_, h) => store.ingestReport({
        hostId: `fbh${h}`, bootId: 'boot-aaaaaaaa', seq, sample: null, receivedAtMs: Date.now(),
        events: Array.from({ length: 4 }, (_, i) => ({ kind: 'CPU', signature: `cpu.high/${h}/${i}`, observedAtMs: 1, value: 1, baseline: 0, score: 3,
          count: 1, cleared: false, evidence: { detail: 'x'.repeat(200), processes: [], remotes: [] } })) as never,
      })));
    }
    const wal = statSync(`${file}-wal`).size;
    assert.ok(wal < 16_000 * 4096, `WAL ${wal} bytes`);
    let size = statSync(file).size;
    for (let i = 0; i < 100 && size < before + 1024 * 1024; i++) {
      await new Promise((r) => setTimeout(r, 50));
      size = statSync(file).size;
    }
    assert.ok(size >= before + 1024 * 1024, `the database file grew from ${before} to ${size} bytes: the WAL (${wal} bytes) was not checkpointed`);
    assert.equal((await store.getHost('fbh7'))!.reports, 10);
  } finally {
    await store.close();
  }
});
