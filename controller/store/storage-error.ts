// What went wrong with the controller's store, in words an operator can act on.
// Every store error names its file; the kind says what the rest of the
// controller does about it: a full disk or a busy database is worth retrying
// (agents keep their reports), a damaged or unreadable store needs an operator.

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
