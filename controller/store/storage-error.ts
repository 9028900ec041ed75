// What went wrong with the controller's store, in words an operator can act on.
// Every store error names its file; the kind says what the rest of the
// controller does about it: a full disk or a busy database is worth retrying
// (agents keep their reports), a damaged or unreadable store needs an operator.
import type { Logger } from 'pino';

export type StorageErrorKind =
  /** the disk (or the database's size cap) is full: writes fail, reads still work */
  | 'full'
  /** the file is not a usable Firebreak database: damaged, truncated, overwritten or another program's */
  | 'damaged'
  /** the file or its directory cannot be written (permissions, a read-only mount) */
  | 'readonly'
  /** another process holds the database's lock */
  | 'busy'
  /** the disk returned an error */
  | 'io'
  /** a refusal at start: the store would re-initialise over an existing install */
  | 'refused'
  /** anything else the database reported (a constraint, a bug) */
  | 'other';

export class StorageError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly kind: StorageErrorKind,
    /** the database's own code, e.g. SQLITE_FULL */
    readonly dbCode?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }

  /** Trying again later may work without an operator (space freed, lock released). */
  get retriable(): boolean {
    return this.kind === 'full' || this.kind === 'busy';
  }

  /** The store cannot take writes until something changes outside the controller. */
  get blocksWrites(): boolean {
    return this.kind === 'full' || this.kind === 'damaged' || this.kind === 'readonly' || this.kind === 'io';
  }
}

export const isStorageError = (err: unknown): err is StorageError => err instanceof StorageError;

/** A store error that stops writes (full disk, damaged file): already logged once by the store, not per write. */
export const isStorageOutage = (err: unknown): err is StorageError => err instanceof StorageError && err.blocksWrites;

/** What a store reports of an outage episode (the storage part of StorageHealth). */
export interface OutageHealth { state: StorageErrorKind | 'ok'; message: string; sinceMs: number; refusedWrites: number }

export interface StorageOutageOptions {
  log?: Logger;
  /** names the store in both log lines: `{ file }` for SQLite, `{ store }` for PostgreSQL */
  where: Record<string, string>;
  /** appended to the line that starts an episode: what still works meanwhile */
  meanwhile?: (e: StorageError) => string;
  /**
   * A small write tried every `everyMs` while an episode lasts, true when it worked: nothing else
   * may write to notice that space came back. Never tried for a damaged store (it does not heal).
   */
  probe?: { everyMs: number; write: () => boolean };
}

/**
 * One storage outage episode (the store stopped taking writes): logged once when it
 * starts and once when it ends, not per refused write, with the count of writes
 * refused meanwhile. SQLite and PostgreSQL alike.
 */
export class StorageOutage {
  private episode: { kind: StorageErrorKind; sinceMs: number; message: string; refused: number } | undefined;
  private probeTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: StorageOutageOptions) {}

  /** The kind of the episode going on, if any. */
  get kind(): StorageErrorKind | undefined {
    return this.episode?.kind;
  }

  /** A write refused by `e`: starts an episode, or counts one more refusal in the one going on. */
  note(e: StorageError): void {
    if (this.episode) {
      this.episode.refused++;
      return;
    }
    this.episode = { kind: e.kind, sinceMs: Date.now(), message: e.message, refused: 1 };
    const meanwhile = this.opts.meanwhile?.(e);
    this.opts.log?.error({ ...this.opts.where, kind: e.kind, code: e.dbCode },
      `controller storage stopped taking writes: ${e.message}${meanwhile ? ` Meanwhile ${meanwhile}.` : ''}`);
    const probe = this.opts.probe;
    if (probe && e.kind !== 'damaged') {
      this.probeTimer = setInterval(() => { if (this.episode && probe.write()) this.end(); }, probe.everyMs);
      this.probeTimer.unref();
    }
  }

  /** More writes refused by the error already noted (the rest of a failed batch). */
  refusedMore(n: number): void {
    if (this.episode) this.episode.refused += n;
  }

  /** The store took a write again: the episode, if any, ends. */
  end(): void {
    const o = this.episode;
    if (!o) return;
    this.episode = undefined;
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    this.opts.log?.info({ ...this.opts.where, outageMs: Date.now() - o.sinceMs, refusedWrites: o.refused },
      `controller storage takes writes again after ${Math.round((Date.now() - o.sinceMs) / 1000)} s (${o.refused} writes were refused meanwhile)`);
  }

  health(): OutageHealth {
    const o = this.episode;
    return { state: o?.kind ?? 'ok', message: o?.message ?? '', sinceMs: o?.sinceMs ?? 0, refusedWrites: o?.refused ?? 0 };
  }

  /** Stops probing (the store closes); the episode is not logged as ended. */
  close(): void {
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }
}
