// Opening the SQLite store on real files: what is refused (and with which
// words), what still opens, and that errors after opening name the file.
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { installEvidence } from '../../controller/store/sqlite-open.ts';
import { SqliteStore } from '../../controller/store/sqlite.ts';
import { StorageError } from '../../controller/store/storage-error.ts';
import { tempDir } from '../helpers/procs.ts';

const tmp = tempDir('firebreak-open-');
after(() => tmp.remove());
let n = 0;

/** A data dir; `install` leaves the files a controller's first start leaves beside the database. */
function dataDir(install: boolean): { dir: string; db: string; evidence: () => string[] } {
  const dir = join(tmp.path, `d${n++}`);
  mkdirSync(join(dir, 'trust'), { recursive: true });
  if (install) {
    writeFileSync(join(dir, 'trust', 'ca.crt'), 'pem');
    writeFileSync(join(dir, 'audit.head'), '{"seq":3,"hash":"x"}');
  }
  return { dir, db: join(dir, 'firebreak.db'), evidence: () => installEvidence(dir) };
}

function refusal(fn: () => unknown): StorageError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StorageError, `a StorageError, got ${err}`);
    return err;
  }
  assert.fail('opened; expected a refusal');
}

describe('opening the store', () => {
  it('a fresh data dir initialises; reopening an install works', async () => {
    const d = dataDir(false);
    const s = new SqliteStore(d.db, { existingInstall: d.evidence() });
    await s.recordHello({ hostId: 'h1', bootId: 'boot0001', inventory: {} as never, backend: 'DRY_RUN', nowMs: 1 });
    await s.close();
    writeFileSync(join(d.dir, 'audit.head'), '{}');
    const again = new SqliteStore(d.db, { existingInstall: d.evidence() });
    assert.equal((await again.listHosts()).length, 1);
    await again.close();
  });

  it('an empty file in a fresh data dir initialises; inside an install it is refused', async () => {
    const fresh = dataDir(false);
    writeFileSync(fresh.db, '');
    await new SqliteStore(fresh.db, { existingInstall: fresh.evidence() }).close();
    const inst = dataDir(true);
    writeFileSync(inst.db, '');
    const e = refusal(() => new SqliteStore(inst.db, { existingInstall: inst.evidence() }));
    assert.match(e.message, /^\S+firebreak\.db: the database is empty \(0 bytes\), but \S+ already holds a Firebreak install \(trust\/ca\.crt, audit\.head\)/);
    assert.equal(e.kind, 'refused');
  });

  it('a missing database inside an install is refused, not created', () => {
    const d = dataDir(true);
    const e = refusal(() => new SqliteStore(d.db, { existingInstall: d.evidence() }));
    assert.match(e.message, /the database is missing, but .* already holds a Firebreak install/);
  });

  it('a SQLite file with no tables inside an install is refused', () => {
    const d = dataDir(true);
    const empty = new Database(d.db);
    empty.pragma('user_version = 1'); // a valid header, no tables
    empty.close();
    const e = refusal(() => new SqliteStore(d.db, { existingInstall: d.evidence() }));
    assert.match(e.message, /the database holds no Firebreak data, but .* already holds a Firebreak install/);
  });

  it("another program's database is refused even in a fresh dir, naming its tables", () => {
    const d = dataDir(false);
    const other = new Database(d.db);
    other.exec('CREATE TABLE songs (id INTEGER PRIMARY KEY, title TEXT)');
    other.close();
    const e = refusal(() => new SqliteStore(d.db, {}));
    assert.match(e.message, /firebreak\.db: is not a Firebreak database \(it holds tables songs and no schema_migrations\)/);
  });

  it('a store written by a newer Firebreak is refused', async () => {
    const d = dataDir(false);
    await new SqliteStore(d.db).close();
    const db = new Database(d.db);
    db.prepare(`INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (999, 'future', 0)`).run();
    db.close();
    const e = refusal(() => new SqliteStore(d.db));
    assert.match(e.message, /was written by a newer Firebreak \(schema version 999; this controller knows up to \d+\)/);
  });

  it('a damaged page is caught by the integrity check at open, before anything is served', async () => {
    const d = dataDir(true);
    const s = new SqliteStore(d.db);
    await s.recordHello({ hostId: 'h1', bootId: 'boot0001', inventory: {} as never, backend: 'DRY_RUN', nowMs: 1 });
    for (let seq = 1; seq <= 200; seq++) {
      await s.ingestReport({
        hostId: 'h1', bootId: 'boot0001', seq, sample: null, receivedAtMs: seq,
        events: [{ kind: 'CPU', signature: 'cpu.spike', observedAtMs: seq, value: 1, baseline: 1, score: 1, count: 1, cleared: false,
          evidence: { detail: 'x'.repeat(400), processes: [], remotes: [] } }] as never,
      });
    }
    await s.close(); // checkpoints: every page is in the file
    // overwrite one page in the middle of the file with noise, as a bad sector or a stray write would
    const fd = openSync(d.db, 'r+');
    writeSync(fd, Buffer.alloc(4096, 0xa5), 0, 4096, 4096 * 20);
    closeSync(fd);
    const e = refusal(() => new SqliteStore(d.db, { existingInstall: d.evidence() }));
    assert.equal(e.kind, 'damaged', e.message);
    assert.match(e.message, /firebreak\.db: the database is (damaged|malformed)/);
    assert.match(e.message, /Restore firebreak\.db from a backup/);
  });

  it('an error after opening names the file', async () => {
    const d = dataDir(false);
    const s = new SqliteStore(d.db);
    await s.insertCommand({ id: 'c1', targetAgentId: 'h1', issuedAtMs: 1, expiresAtMs: 2, signature: Buffer.alloc(0) } as never, 1);
    const err = await s.insertCommand({ id: 'c1', targetAgentId: 'h1', issuedAtMs: 1, expiresAtMs: 2, signature: Buffer.alloc(0) } as never, 1)
      .then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof StorageError);
    assert.ok(err.message.startsWith(`${d.db}: UNIQUE constraint failed`), err.message);
    assert.equal(err.kind, 'other');
    await s.close();
  });
});
