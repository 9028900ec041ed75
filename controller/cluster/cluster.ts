// Several controllers on one PostgreSQL store. Every controller holds agent
// streams, stores their reports and serves operators; one of them, the leader
// (a PostgreSQL advisory lock, controller/leader.ts), runs correlation and the
// playbooks. What crosses between controllers goes through PostgreSQL:
//   - the correlation feed (feed.ts): stored events, contacts and presence, from
//     every controller to the leader, replayed from the snapshot's cursor by a new leader;
//   - command wake-ups: a command stored by one controller for a host whose stream
//     another holds is announced (NOTIFY), and the holder sends it; a periodic read of
//     queued commands covers a missed notification;
//   - command changes: whoever waits on a command elsewhere (WaitCommand) is told.
import pg from 'pg';
import type { Logger } from 'pino';
import { LeaderElection, openPgLockSession } from '../leader.ts';
import { FEED_DDL, FeedTail, FeedWriter, feedHead, pruneFeed, type FeedItem } from './feed.ts';
import { PgChannel } from './pg-channel.ts';

export interface ClusterOptions {
  /** the PostgreSQL store's URL (the same --store) */
  url: string;
  /** the store's schema, when not the connection's default */
  schema?: string;
  /** this controller's name in the cluster (logs, feed rows) */
  node: string;
  log: Logger;
  now: () => number;
  /** how often a follower tries for the lead (default 1 s) */
  electionPollMs?: number;
}

export interface ClusterHooks {
  /** this controller now leads: restore correlation, resume runs, read the feed (Cluster.follow) */
  elected(): Promise<void>;
  deposed(reason: string): void;
  /** commands wait for these hosts (whichever controller holds their streams sends them) */
  wake(hostIds: string[]): void;
  /** these commands changed on another controller */
  commandsChanged(ids: string[]): void;
}

/** A command still queued after this long is looked for by every controller's periodic read. */
const QUEUED_SWEEP_MS = 5000;

export class Cluster {
  readonly pool: pg.Pool;
  private readonly channel: PgChannel;
  readonly feed: FeedWriter;
  private tail: FeedTail | undefined;
  private readonly election: LeaderElection;
  private hooks!: ClusterHooks;
  private sweep: NodeJS.Timeout | undefined;
  private pendingWake = new Set<string>();
  private pendingChanged = new Set<string>();
  private notifyScheduled = false;

  constructor(private readonly o: ClusterOptions) {
    if (o.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(o.schema)) throw new Error(`cluster: bad schema name "${o.schema}"`);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(o.node)) throw new Error(`cluster: the node name "${o.node}" must be 1-64 letters, digits, '.', '_' or '-'`);
    this.pool = new pg.Pool({
      connectionString: o.url, max: 4, connectionTimeoutMillis: 10_000,
      ...(o.schema ? { options: `-c search_path=${o.schema}` } : {}),
    });
    this.pool.on('error', (err) => o.log.warn({ err: err.message }, 'cluster: an idle PostgreSQL connection failed'));
    this.channel = new PgChannel({ url: o.url, schema: o.schema, log: o.log, onReconnect: () => void this.sweepQueued() });
    this.feed = new FeedWriter({ pool: this.pool, node: o.node, channel: this.channel.name('feed'), log: o.log, now: o.now });
    this.election = new LeaderElection({
      open: () => openPgLockSession(o.url, { scope: o.schema ?? 'public' }),
      pollMs: o.electionPollMs ?? 1000,
      log: o.log,
      onElected: () => {
        this.hooks.elected().catch((err) => o.log.error({ err }, 'cluster: taking the lead failed; correlation and playbooks may not run here'));
      },
      onDeposed: (reason) => this.hooks.deposed(reason),
    });
  }

  get node(): string {
    return this.o.node;
  }

  get isLeader(): boolean {
    return this.election.isLeader;
  }

  /** where the leader has read the correlation feed up to (undefined unless it leads) */
  get cursor(): number | undefined {
    return this.tail?.cursor;
  }

  async start(hooks: ClusterHooks): Promise<void> {
    this.hooks = hooks;
    await this.pool.query(FEED_DDL);
    this.channel.on('feed', () => this.tail?.wake());
    this.channel.on('commands', (p) => hooks.wake(p.split(',').filter(Boolean)));
    this.channel.on('command_changes', (p) => hooks.commandsChanged(p.split(',').filter(Boolean)));
    await this.channel.start();
    this.sweep = setInterval(() => void this.sweepQueued(), QUEUED_SWEEP_MS);
    this.sweep.unref();
    this.election.start();
  }

  /** Reads the feed from `cursor` (undefined: from its newest row) and hands each row's items to `apply`. */
  async follow(cursor: number | undefined, apply: (items: FeedItem[], node: string) => void): Promise<FeedTail> {
    await this.tail?.stop();
    const from = cursor ?? (await feedHead(this.pool));
    this.tail = new FeedTail({ pool: this.pool, log: this.o.log, apply, now: this.o.now }, from);
    this.tail.start();
    return this.tail;
  }

  async unfollow(): Promise<void> {
    const t = this.tail;
    this.tail = undefined;
    await t?.stop();
  }

  async prune(savedCursor: number, beforeMs: number): Promise<number> {
    return pruneFeed(this.pool, savedCursor, beforeMs);
  }

  /** A command for `hostId` was stored here but its stream is not here: the holder is told. */
  wakeHost(hostId: string): void {
    this.pendingWake.add(hostId);
    this.scheduleNotify();
  }

  /** A command changed here: a controller where someone waits on it is told. */
  commandChanged(id: string): void {
    this.pendingChanged.add(id);
    this.scheduleNotify();
  }

  private scheduleNotify(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    setImmediate(() => {
      this.notifyScheduled = false;
      const wake = [...this.pendingWake];
      const changed = [...this.pendingChanged];
      this.pendingWake.clear();
      this.pendingChanged.clear();
      const sends = [
        ...PgChannel.parts(wake).map((p) => [this.channel.name('commands'), p]),
        ...PgChannel.parts(changed).map((p) => [this.channel.name('command_changes'), p]),
      ];
      if (sends.length === 0) return;
      // one statement for every part: a fleet-wide command is a few notifications, not one per host
      const values = sends.map((_, i) => `pg_notify($${2 * i + 1}, $${2 * i + 2})`).join(', ');
      this.pool.query(`SELECT ${values}`, sends.flat()).catch((err) => {
        this.o.log.warn({ err: (err as Error).message }, 'cluster: could not notify the other controllers; their periodic read finds the commands within 5 s');
      });
    });
  }

  /** Every host with a queued command: the holders of their streams send them (covers a lost notification). */
  private async sweepQueued(): Promise<void> {
    try {
      const rows = (await this.pool.query<{ host_id: string }>(
        `SELECT DISTINCT host_id FROM commands WHERE status = 'QUEUED' AND expires_at_ms > $1 AND issued_at_ms < $2`,
        [this.o.now(), this.o.now() - 1000])).rows;
      if (rows.length) this.hooks.wake(rows.map((r) => r.host_id));
    } catch (err) {
      this.o.log.debug({ err: (err as Error).message }, 'cluster: the queued-command sweep failed');
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.sweep);
    await this.election.stop();
    await this.unfollow();
    this.feed.close();
    await this.feed.flush().catch(() => {});
    await this.channel.stop();
    await this.pool.end().catch(() => {});
  }
}
