// The store contract: a store test written once runs against SQLite (a real
// file in a temp dir) and PostgreSQL (a real server, test/helpers/postgres.ts).
//
//   forEachStore((name, open) => { it('...', async () => { const s = await open(); ... }) });
//
// `open(key)` gives a fresh, migrated store; the same key again opens the same
// data (a restart after a kill -9). On PostgreSQL each key is a schema of its
// own, dropped when the file's tests end.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import pg from 'pg';
import { PgStore } from '../../controller/store/postgres.ts';
import { SqliteStore } from '../../controller/store/sqlite.ts';
import type { Store } from '../../controller/store/store.ts';
import { testPg } from './postgres.ts';
import { tempDir } from './procs.ts';

export type StoreName = 'sqlite' | 'postgres';
export type OpenStore = (key?: string) => Promise<Store>;

/** Runs `fn` once per store, each inside a describe named for it. */
export function forEachStore(fn: (name: StoreName, open: OpenStore) => void): void {
  describe('sqlite', () => fn('sqlite', sqliteOpener()));
  describe('postgres', () => fn('postgres', pgOpener()));
}

function sqliteOpener(): OpenStore {
  const tmp = tempDir('firebreak-store-');
  const opened: Store[] = [];
  let n = 0;
  after(async () => {
    await Promise.all(opened.map((s) => s.close().catch(() => {})));
    tmp.remove();
  });
  return async (key = `s${n++}`) => {
    const s = new SqliteStore(join(tmp.path, `${key}.db`));
    opened.push(s);
    return s;
  };
}

function pgOpener(): OpenStore {
  // schemas unique to this process, so a server shared by several test files is fine
  const prefix = `t${randomBytes(4).toString('hex')}_`;
  const opened: Store[] = [];
  const schemas = new Set<string>();
  let n = 0;
  after(async () => {
    await Promise.all(opened.map((s) => s.close().catch(() => {})));
    if (schemas.size === 0) return;
    const server = await testPg();
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await c.end();
    await server.stop();
  });
  return async (key = `s${n++}`) => {
    const schema = `${prefix}${key.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
    schemas.add(schema);
    const s = await PgStore.open((await testPg()).url, { schema, poolSize: 4 });
    opened.push(s);
    return s;
  };
}
