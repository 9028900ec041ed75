// The correlation feed: what every controller of a cluster hands the leader's
// correlation (stored events with their host's granted tags and clock offset,
// contacts, presence). Each controller appends rows; the leader reads them in
// id order. Rows are appended by several controllers at once, so an id can
// commit after a larger one: a reader that meets a gap waits for it a moment
// (GAP_WAIT_MS) before taking it for a rolled-back insert and going on, so
// nothing committed late is skipped. The leader keeps its place (the cursor)
// beside its correlation snapshot; a new leader replays from there.
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Contact__Output } from '../../proto/wire.ts';
import type { IngestedEvent } from '../pipeline/ingest.ts';

export type FeedItem =
  | { k: 'events'; events: IngestedEvent[]; tags: Record<string, Record<string, string>>; offsets: Record<string, number> }
  | { k: 'contacts'; host: string; contacts: Contact__Output[]; tracked: boolean; offsetMs: number; atMs: number }
  | { k: 'presence'; host: string; tags: Record<string, string>; online: boolean; addresses: string[] }
  | { k: 'tags'; host: string; tags: Record<string, string> };

export const FEED_DDL = `CREATE TABLE IF NOT EXISTS cluster_feed (id BIGSERIAL PRIMARY KEY, node TEXT NOT NULL, at_ms BIGINT NOT NULL, body TEXT NOT NULL)`;

/** how long a missing id is waited for before the reader takes it as a rolled-back insert */
export const GAP_WAIT_MS = 3000;
/** items held while the store cannot take them; past it the oldest are dropped (and logged) */
const MAX_BUFFERED = 50_000;
const READ_BATCH = 500;

/** Appends this controller's items, one row per turn of the event loop, and wakes the leader. */
export class FeedWriter {
  private buf: FeedItem[] = [];
  private flushing = false;
  private scheduled = false;
  private dropped = 0;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly o: { pool: pg.Pool; node: string; channel: string; log: Logger; now: () => number }) {}

  push(item: FeedItem): void {
    this.buf.push(item);
    if (this.buf.length > MAX_BUFFERED) {
      this.dropped += this.buf.length - MAX_BUFFERED;
      this.buf.splice(0, this.buf.length - MAX_BUFFERED);
    }
    if (!this.scheduled && !this.flushing) {
      this.scheduled = true;
      setImmediate(() => { this.scheduled = false; void this.flush(); });
    }
  }

  get pending(): number {
    return this.buf.length;
  }

  async flush(): Promise<void> {
    if (this.flushing || this.buf.length === 0) return;
    this.flushing = true;
    const items = this.buf;
    this.buf = [];
    try {
      await this.o.pool.query(`WITH i AS (INSERT INTO cluster_feed (node, at_ms, body) VALUES ($1, $2, $3) RETURNING id) SELECT pg_notify($4, '') FROM i`,
        [this.o.node, this.o.now(), JSON.stringify(items), this.o.channel]);
      if (this.dropped) {
        this.o.log.error({ dropped: this.dropped }, `cluster: ${this.dropped} correlation item(s) were dropped while PostgreSQL could not take them (their events are stored; correlation missed them)`);
        this.dropped = 0;
      }
    } catch (err) {
      // put back in front, in order; tried again in a second
      this.buf = items.concat(this.buf);
      this.o.log.warn({ err: (err as Error).message, items: this.buf.length }, 'cluster: could not hand events to the leader; retrying in 1 s');
      clearTimeout(this.retry);
      this.retry = setTimeout(() => void this.flush(), 1000);
      this.retry.unref();
    } finally {
      this.flushing = false;
    }
    if (this.buf.length && !this.retry) void this.flush();
  }

  close(): void {
    clearTimeout(this.retry);
  }
}

/** Reads the feed from a cursor, in id order, waiting out gaps; `apply` gets each row's items. */
export class FeedTail {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  /** the first id missing, and since when */
  private gap: { id: number; sinceMs: number } | undefined;

  constructor(
    private readonly o: { pool: pg.Pool; log: Logger; apply: (items: FeedItem[], node: string) => void; now: () => number; pollMs?: number },
    public cursor: number,
  ) {}

  start(): void {
    const every = this.o.pollMs ?? 500;
    this.timer = setInterval(() => this.wake(), every);
    this.timer.unref();
    this.wake();
  }

  /** Reads what is new (coalesced: one read at a time, one more if woken meanwhile). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) { this.again = true; return; }
    this.running = this.readAll().catch((err) => {
      this.o.log.warn({ err: (err as Error).message }, 'cluster: reading the correlation feed failed; retrying');
    }).finally(() => {
      this.running = undefined;
      if (this.again) { this.again = false; this.wake(); }
    });
  }

  private async readAll(): Promise<void> {
    for (let round = 0; round < 100 && !this.stopped; round++) {
      const rows = (await this.o.pool.query<{ id: string | number; node: string; body: string }>(
        `SELECT id, node, body FROM cluster_feed WHERE id > $1 ORDER BY id LIMIT ${READ_BATCH}`, [this.cursor])).rows;
      let applied = 0;
      for (const r of rows) {
        const id = Number(r.id);
        if (id !== this.cursor + 1) {
          const now = this.o.now();
          if (!this.gap || this.gap.id !== this.cursor + 1) this.gap = { id: this.cursor + 1, sinceMs: now };
          if (now - this.gap.sinceMs < GAP_WAIT_MS) {
            // an insert still committing: look again shortly
            setTimeout(() => this.wake(), 50).unref();
            return;
          }
          this.o.log.debug({ from: this.cursor + 1, to: id - 1 }, 'cluster: feed ids never committed (rolled back); going on');
        }
        this.gap = undefined;
        this.cursor = id;
        applied++;
        try {
          this.o.apply(JSON.parse(r.body) as FeedItem[], r.node);
        } catch (err) {
          this.o.log.error({ err, row: id }, 'cluster: a correlation feed row could not be applied; skipped');
        }
      }
      if (rows.length < READ_BATCH || applied === 0) return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }
}

/** The feed's newest id (where a new cluster's first leader starts). */
export async function feedHead(pool: pg.Pool): Promise<number> {
  return Number((await pool.query<{ id: string | null }>(`SELECT max(id) AS id FROM cluster_feed`)).rows[0]?.id ?? 0);
}

/** Deletes rows the leader has read that are older than `keepMs` (a later leader replays from its snapshot's cursor). */
export async function pruneFeed(pool: pg.Pool, cursor: number, beforeMs: number): Promise<number> {
  return (await pool.query(`DELETE FROM cluster_feed WHERE id <= $1 AND at_ms < $2`, [cursor, beforeMs])).rowCount ?? 0;
}
