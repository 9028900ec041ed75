// Event retention: the store keeps events for `maxAgeMs` and at most about
// `maxBytes` of database, deleting the oldest first. It runs on a timer in small
// batches (one short statement each) and yields to the event loop between
// batches, so reports arriving meanwhile are written between two batches, not
// after the whole prune. Events of the open incident window (the correlator's
// recentMs, and every active alert since its first event) are never deleted,
// whatever the size: an operator is reading them.
import type { Logger } from 'pino';
import type { PruneOutcome, Store } from './store.ts';

export interface RetentionOptions {
  /** events older than this are deleted. Default 14 days. */
  maxAgeMs?: number;
  /** while the database holds more than this, the oldest events are deleted. Default 1 GiB. */
  maxBytes?: number;
  /** how often a prune runs. Default 10 s. */
  everyMs?: number;
  /** events per batch (one DELETE). Default 200. */
  batch?: number;
  /** batches per run at most; the rest waits for the next run. Default 200. */
  maxBatchesPerRun?: number;
}

export const RETENTION_DEFAULTS: Required<RetentionOptions> = {
  maxAgeMs: 14 * 24 * 3600_000,
  maxBytes: 1024 * 1024 * 1024,
  everyMs: 10_000,
  batch: 200,
  maxBatchesPerRun: 200,
};

/** Events received at or after this are kept whatever the rules say: the open incident window. */
export type KeepSince = () => { windowMs: number; alertsMs: number };

export interface RetentionStats {
  runs: number;
  batches: number;
  deleted: number;
  longestBatchMs: number;
}

export class Retention {
  readonly opts: Required<RetentionOptions>;
  readonly stats: RetentionStats = { runs: 0, batches: 0, deleted: 0, longestBatchMs: 0 };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** over the size with nothing it may prune: logged when it starts and ends, not per run */
  private stuck = false;

  constructor(
    private readonly store: Store,
    opts: RetentionOptions,
    private readonly keepSince: KeepSince,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.opts = { ...RETENTION_DEFAULTS, ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) };
  }

  start(): void {
    this.timer = setInterval(() => void this.run(), this.opts.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  /** One run: batches until nothing is due or the run's budget is spent. Runs never overlap. */
  run(): Promise<void> {
    if (!this.running) this.running = this.runBatches().finally(() => { this.running = undefined; });
    return this.running;
  }

  private async runBatches(): Promise<void> {
    const { maxAgeMs, maxBytes, batch, maxBatchesPerRun } = this.opts;
    this.stats.runs++;
    let deleted = 0;
    let last: PruneOutcome | undefined;
    const keep = this.keepSince();
    const floor = Math.min(keep.windowMs, keep.alertsMs);
    for (let i = 0; i < maxBatchesPerRun && !this.stopped; i++) {
      const now = this.now();
      try {
        last = await this.store.pruneEvents({
          ageCutoffMs: Math.min(now - maxAgeMs, floor),
          // the size rule may reach into an old alert's events, never into the open window
          sizeCutoffMs: keep.windowMs,
          maxBytes, batch,
        });
      } catch (err) {
        // a full or damaged store was already reported by the store itself
        this.log.debug({ err }, 'event retention skipped a run: the store refused');
        return;
      }
      this.stats.batches++;
      this.stats.longestBatchMs = Math.max(this.stats.longestBatchMs, last.ms);
      deleted += last.deleted;
      if (last.deleted === 0) break;
      // let the reports that arrived meanwhile be written before the next batch
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.stats.deleted += deleted;
    if (deleted > 0) {
      this.log.debug({ deleted, longestBatchMs: Math.round(this.stats.longestBatchMs * 10) / 10 }, 'event retention pruned old events');
    }
    // over the size with nothing left outside the open window: said when it starts and when it ends
    const over = last !== undefined && last.usedBytes > maxBytes;
    const stuck = over ? this.stuck || last!.deleted === 0 : false;
    if (stuck !== this.stuck) {
      this.stuck = stuck;
      if (stuck) {
        this.log.warn({ usedBytes: last!.usedBytes, maxBytes }, 'the store holds more than the event retention size and every event left ' +
          'is in the open incident window (or the space is not events); raise --event-retention-size or free the disk');
      } else {
        this.log.info({ maxBytes }, 'the store is within the event retention size again');
      }
    }
  }
}
