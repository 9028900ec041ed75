// Leader election among controllers sharing one PostgreSQL: the leader is the
// controller whose dedicated connection holds a session advisory lock. The
// lock lives exactly as long as that connection, so when the leader dies (or
// its connection does) the server releases it and a follower, trying every
// `pollMs`, takes it. The leader checks its connection every `checkMs` and
// steps down as soon as a check fails, before the server can have handed the
// lock on (its keepalive gives up later than the check). controller/cluster/
// runs correlation and playbooks on the leader only.
import pg from 'pg';
import type { Logger } from 'pino';
import { redactUrl } from './store/pg-db.ts';

/** One connection that may hold the lock. */
export interface LockSession {
  /** one try; false when another session holds the lock */
  tryLock(): Promise<boolean>;
  /** one round trip within the timeout; throws when the connection is gone */
  check(): Promise<void>;
  /** resolves when the connection ends (and a held lock with it) */
  readonly ended: Promise<Error | undefined>;
  close(): Promise<void>;
}

export interface LeaderElectionOptions {
  open: () => Promise<LockSession>;
  /** how often a follower tries the lock (default 1 s) */
  pollMs?: number;
  /** how often the leader checks its connection (default 2 s) */
  checkMs?: number;
  onElected: () => void;
  onDeposed: (reason: string) => void;
  log?: Logger;
}

export class LeaderElection {
  private session: LockSession | undefined;
  private stopped = false;
  private leading = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly opts: LeaderElectionOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Steps down (the lock goes with the connection) and stops trying. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.session?.close().catch(() => {});
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => { clearTimeout(t); resolve(); };
    });
  }

  private async run(): Promise<void> {
    const pollMs = this.opts.pollMs ?? 1000;
    const checkMs = this.opts.checkMs ?? 2000;
    while (!this.stopped) {
      try {
        this.session = await this.opts.open();
      } catch (err) {
        this.opts.log?.warn({ err: (err as Error).message }, 'leader election: cannot open a lock connection; retrying');
        await this.sleep(pollMs);
        continue;
      }
      const s = this.session;
      let gone: string | undefined;
      void s.ended.then((err) => { gone ??= `its lock connection ended${err ? ` (${err.message})` : ''}`; this.wake?.(); });
      try {
        while (!this.stopped && !gone && !(await s.tryLock())) await this.sleep(pollMs);
        if (!this.stopped && !gone) {
          this.leading = true;
          this.opts.log?.info('leader election: this controller leads');
          this.opts.onElected();
          while (!this.stopped && !gone) {
            await this.sleep(checkMs);
            if (!this.stopped && !gone) await s.check();
          }
        }
      } catch (err) {
        gone ??= `its lock connection failed (${(err as Error).message})`;
      }
      if (this.leading) {
        this.leading = false;
        const reason = this.stopped ? 'stopped' : gone ?? 'stopped';
        this.opts.log?.warn({ reason }, 'leader election: this controller no longer leads');
        this.opts.onDeposed(reason);
      }
      await s.close().catch(() => {});
      if (!this.stopped && gone) await this.sleep(pollMs);
    }
  }
}

/** The lock's key: one per fleet (database and schema), a 64-bit advisory key from the name. */
const lockKey = (scope: string) => `hashtextextended('firebreak.leader.${scope}', 0)`;

/**
 * A LockSession on its own PostgreSQL connection (never a pooled one: the lock
 * must live and die with it). Over TCP, the server is told to drop the session
 * after `deadAfterS` seconds without an answer from this side, so a controller
 * cut off by the network loses the lock to the others.
 */
export async function openPgLockSession(url: string, opts: { checkTimeoutMs?: number; deadAfterS?: number; scope?: string } = {}): Promise<LockSession & { backendPid: number }> {
  // several fleets on one database (a schema each) elect their leaders apart
  const scope = opts.scope ?? 'public';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(scope)) throw new Error(`leader election: the scope must be a schema name (lower-case letters, digits, _), got "${scope}"`);
  const client = new pg.Client({ connectionString: url, keepAlive: true, query_timeout: opts.checkTimeoutMs ?? 2000, connectionTimeoutMillis: 5000 });
  let endedWith: (e: Error | undefined) => void = () => {};
  const ended = new Promise<Error | undefined>((resolve) => { endedWith = resolve; });
  client.on('error', (e) => endedWith(e));
  client.on('end', () => endedWith(undefined));
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`${redactUrl(url)}: cannot open the leader-election connection: ${(err as Error).message}`, { cause: err });
  }
  const dead = Math.max(1, Math.floor((opts.deadAfterS ?? 6) / 3));
  // unix sockets ignore these; on TCP the server gives up on a silent peer after about 3 x dead s
  await client.query(`SET tcp_keepalives_idle = ${dead}; SET tcp_keepalives_interval = ${dead}; SET tcp_keepalives_count = 3`);
  const backendPid = (await client.query<{ pid: number }>(`SELECT pg_backend_pid() AS pid`)).rows[0]!.pid;
  return {
    backendPid,
    ended,
    tryLock: async () => (await client.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${lockKey(scope)}) AS ok`)).rows[0]!.ok,
    check: async () => { await client.query('SELECT 1'); },
    close: async () => { await client.end().catch(() => {}); },
  };
}
