// The PostgreSQL connection under the PostgreSQL store: one `pg` pool, queries
// and transactions whose errors come out as StorageErrors naming the server
// (never its password), BIGINT columns read as JavaScript numbers, and the
// schema migrations (the same ones SQLite runs, translated in pg-migrate.ts).
import pg from 'pg';
import type { Logger } from 'pino';
import { MIGRATIONS } from './migrations.ts';
import { pgMigrationSql } from './pg-migrate.ts';
import { StorageError, StorageOutage, type StorageErrorKind } from './storage-error.ts';

/** The URL as it may be shown: the password, if any, replaced. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // not a URL we can parse: show nothing that could hold a secret
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

/** Times are BIGINT milliseconds: read as numbers, refused past 2^53 rather than rounded. */
function int8(s: string): number {
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new Error(`PostgreSQL returned the integer ${s}, past what JavaScript holds exactly (2^53)`);
  return n;
}
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? int8 : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export interface PgOptions {
  /** tables live in this schema (created if missing); default: the connection's search_path (usually public) */
  schema?: string;
  /** connections in the pool (default 8) */
  max?: number;
  log?: Logger;
}

export type Query = <R = Record<string, unknown>>(sql: string | pg.QueryConfig, params?: unknown[]) => Promise<pg.QueryResult<R & pg.QueryResultRow>>;

export class PgDb {
  readonly pool: pg.Pool;
  /** where the store is, for messages: the URL without its password, and the schema */
  readonly where: string;
  private readonly log: Logger | undefined;
  /** while the server cannot take writes or cannot be reached: one episode, logged when it starts and ends */
  readonly outage: StorageOutage;
  /** until migrated, a failure is the start-up's to report (one line), not an outage of a running store */
  private opened = false;

  constructor(url: string, opts: PgOptions = {}) {
    this.log = opts.log;
    this.where = redactUrl(url) + (opts.schema ? ` (schema ${opts.schema})` : '');
    this.outage = new StorageOutage({ log: opts.log, where: { store: this.where } });
    if (opts.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(opts.schema)) {
      throw new StorageError(`${this.where}: the schema name must be lower-case letters, digits and _ (got "${opts.schema}")`, this.where, 'refused');
    }
    this.pool = new pg.Pool({
      connectionString: url, max: opts.max ?? 8, types: TYPES,
      // a schema of its own (tests; several installs on one server) without touching the URL
      ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
      connectionTimeoutMillis: 10_000,
    });
    // an idle connection the server dropped: the pool replaces it; the next query says what happened
    this.pool.on('error', (err) => this.log?.warn({ err: err.message }, `a PostgreSQL connection to ${this.where} failed while idle`));
  }

  /**
   * Creates the schema (if named) and runs the migrations this build knows and the database lacks.
   * `existingInstall`: files of an install in the data dir; an empty database is then refused, as SQLite's preflight does.
   */
  async migrate(schema: string | undefined, existingInstall: string[] = []): Promise<void> {
    const known = Math.max(...MIGRATIONS.map((m) => m.version));
    await this.tx(async (q) => {
      // several controllers starting at once on one database: one migrates, the others wait and find it done
      await q(`SELECT pg_advisory_xact_lock(hashtext('firebreak.migrate'))`);
      // only when missing: a user that owns its schema need not be allowed to create schemas
      if (schema && (await q(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema])).rowCount === 0) await q(`CREATE SCHEMA ${schema}`);
      await q(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)`);
      const done = new Set((await q<{ version: number }>(`SELECT version FROM schema_migrations`)).rows.map((r) => r.version));
      const newest = Math.max(0, ...done);
      if (newest === 0 && existingInstall.length > 0) {
        throw new StorageError(`${this.where}: the database holds no Firebreak data, but the data dir already holds a Firebreak install ` +
          `(${existingInstall.join(', ')}). Starting would create a new store beside it: a new admin credential, a reset audit chain, and every ` +
          `enrolled agent refused. Nothing was changed. Point --store at this install's database, or start a new install with an empty --data-dir ` +
          `(moving a SQLite store into PostgreSQL is not supported yet).`, this.where, 'refused');
      }
      if (newest > known) {
        throw new StorageError(`${this.where}: was written by a newer Firebreak (schema version ${newest}; this controller knows up to ${known}). ` +
          `Nothing was changed. Run the newer controller, or point --store at another database.`, this.where, 'refused');
      }
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await q(pgMigrationSql(m.sql));
        await q(`INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)`, [m.version, m.name, Date.now()]);
      }
    });
    this.opened = true;
  }

  readonly query: Query = async (sql, params) => {
    try {
      const r = await this.pool.query(sql as string, params);
      this.succeeded(isWrite(sql));
      return r;
    } catch (err) {
      throw this.convert(err);
    }
  };

  /** `fn` in one transaction on one connection; rolled back if it throws. */
  async tx<T>(fn: (q: Query) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.convert(err);
    }
    const q: Query = (sql, params) => client.query(sql as string, params);
    let broken: Error | undefined;
    // a connection lost while checked out is emitted as 'error' on it: unheard, it would crash the process
    const lost = (e: Error) => { broken = e; };
    client.on('error', lost);
    try {
      await q('BEGIN');
      const out = await fn(q);
      await q('COMMIT');
      this.succeeded(true);
      return out;
    } catch (err) {
      await q('ROLLBACK').catch((e: Error) => { broken = e; });
      throw this.convert(err);
    } finally {
      client.removeListener('error', lost);
      client.release(broken);
    }
  }

  /** A pg error as a StorageError naming the server and what to do; an outage starts an episode. */
  convert(err: unknown): unknown {
    if (err instanceof StorageError) {
      if (err.blocksWrites && this.opened) this.outage.note(err);
      return err;
    }
    if (!(err instanceof Error)) return err;
    const e = toPgStorageError(err, this.where);
    if (e.blocksWrites && this.opened) this.outage.note(e);
    return e;
  }

  /** A write that worked ends any episode; a read ends only an unreachable server's. */
  private succeeded(write: boolean): void {
    const kind = this.outage.kind;
    if (kind && (write || kind === 'io')) this.outage.end();
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

const isWrite = (sql: string | pg.QueryConfig): boolean => /^\s*(INSERT|UPDATE|DELETE|WITH)\b/i.test(typeof sql === 'string' ? sql : sql.text);

/** What the server (or the connection to it) said, as an operator can act on it; SQLSTATE classes per the PostgreSQL manual, appendix A. */
export function toPgStorageError(err: Error, where: string): StorageError {
  const code = (err as { code?: string }).code ?? '';
  const said = err.message;
  const make = (kind: StorageErrorKind, text: string) => new StorageError(`${where}: ${text}`, where, kind, code || undefined, { cause: err });
  if (code === '53100') {
    return make('full', `PostgreSQL's disk is full (${said}): nothing more can be written. Free space on the database server; ` +
      `the controller resumes writing by itself, and agents keep their reports until then.`);
  }
  if (code === '28P01' || code === '28000') {
    return make('io', `PostgreSQL refused the login (${said}): check the user and password in --store (or PGPASSWORD / ~/.pgpass).`);
  }
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' ||
      ['ECONNREFUSED', 'ENOENT', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE'].includes(code) ||
      /Connection terminated|timeout exceeded when trying to connect/i.test(said)) {
    return make('io', `cannot reach PostgreSQL (${said}${code ? `, ${code}` : ''}): check that the server runs and that --store names it. ` +
      `Agents keep their reports and retry meanwhile.`);
  }
  if (code === '25006' || code === '42501') {
    return make('readonly', `PostgreSQL refuses writes (${said}): a read-only standby, or the controller's user lacks the privilege. ` +
      `Point --store at the primary, or grant the user rights on the schema.`);
  }
  if (code.startsWith('XX')) return make('damaged', `PostgreSQL reports damaged data (${said}, ${code}): see the server's log; restore from a backup.`);
  if (code === '40P01' || code === '40001' || code === '55P03') return make('busy', `PostgreSQL aborted a transaction under contention (${said}, ${code}); it is safe to retry.`);
  return make('other', `${said}${code ? ` (${code})` : ''}`);
}
