// Opening the SQLite store safely: a database that is missing, empty,
// truncated, overwritten, damaged or another program's is refused with one
// message naming the file and what to do, never silently re-initialised over an
// existing install (that would mint a new admin credential, reset the audit
// chain and refuse every enrolled agent). And every SQLite error the store
// raises later is turned into a StorageError that names the file.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { StorageError, type StorageErrorKind } from './storage-error.ts';

/** Files a controller leaves in its data dir once it has run; with any present, the database must already be Firebreak's. */
const INSTALL_MARKERS = ['trust/ca.crt', 'trust/ca.key', 'trust/command-signing.key', 'audit.head', 'admin.credentials.json'];

/** Which of the files of an existing install `dataDir` holds (empty for a fresh data dir). */
export function installEvidence(dataDir: string): string[] {
  return INSTALL_MARKERS.filter((f) => existsSync(join(dataDir, f)));
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

function restoreHint(file: string): string {
  const dir = dirname(file);
  const b = basename(file);
  return `Restore ${b} from a backup (stop the controller, copy the backup over it and delete any ${b}-wal and ${b}-shm beside it), ` +
    `or, to start over, move ${dir} away (every agent must then enroll again).`;
}

/**
 * Checks the file before SQLite touches it (opening would create a missing file,
 * and setting WAL mode writes to an empty one). Throws a StorageError when the
 * file cannot be the store of the install around it.
 */
export function preflight(file: string, evidence: string[]): void {
  const install = evidence.length > 0;
  // an empty or missing file would be initialised afresh: refused only inside an existing install;
  // a damaged one is refused everywhere (we never write over a file we cannot read)
  const refuse = (what: string, kind: StorageErrorKind) => new StorageError(
    kind === 'refused'
      ? `${file}: ${what}, but ${dirname(file)} already holds a Firebreak install (${evidence.join(', ')}). Starting would create ` +
        `a new store over it: a new admin credential, a reset audit chain, and every enrolled agent refused. Nothing was changed. ${restoreHint(file)}`
      : `${file}: ${what}. Nothing was changed. ${install ? restoreHint(file) : 'Move the file away, or point --data-dir at an empty directory.'}`,
    file, kind,
  );
  if (!existsSync(file)) {
    if (install) throw refuse('the database is missing', 'refused');
    return;
  }
  const size = statSync(file).size;
  if (size === 0) {
    if (install) throw refuse('the database is empty (0 bytes)', 'refused');
    return;
  }
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  let got: number;
  try { got = readSync(fd, header, 0, 100, 0); } finally { closeSync(fd); }
  if (got < 100 || !header.subarray(0, 16).equals(SQLITE_MAGIC)) {
    throw refuse(got < 100 ? `the database is truncated (${size} bytes, less than a SQLite header)` :
      'is not a SQLite database (its first bytes are not a SQLite header: overwritten or garbage)', 'damaged');
  }
  // The header's page count is only valid while its change counter matches (offsets 24 and 92).
  // With a -wal file beside it a checkpoint may have been cut short: SQLite finishes it, quick_check judges.
  const wal = `${file}-wal`;
  const walBytes = existsSync(wal) ? statSync(wal).size : 0;
  const pageSize = header.readUInt16BE(16) === 1 ? 65536 : header.readUInt16BE(16);
  const pages = header.readUInt32BE(28);
  if (walBytes === 0 && header.readUInt32BE(24) === header.readUInt32BE(92) && pages * pageSize > size) {
    throw refuse(`the database is truncated: its header counts ${pages} pages (${pages * pageSize} bytes) but the file holds ${size} bytes`, 'damaged');
  }
}

/**
 * After opening, before any write: the quick integrity check, and whether the
 * tables are Firebreak's. `knownVersion` is the newest migration this build has.
 */
export function checkOpened(db: Database.Database, file: string, evidence: string[], knownVersion: number): void {
  const problems = (db.pragma('quick_check(5)') as { quick_check: string }[]).map((r) => r.quick_check);
  if (problems.length !== 1 || problems[0] !== 'ok') {
    throw new StorageError(
      `${file}: the database is damaged (integrity check: ${problems.join('; ')}). Nothing was changed. ${restoreHint(file)}`,
      file, 'damaged',
    );
  }
  const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[])
    .map((r) => r.name);
  if (tables.length === 0) {
    if (evidence.length > 0) preflightEmpty(file, evidence);
    return;
  }
  if (!tables.includes('schema_migrations')) {
    const shown = tables.slice(0, 5).join(', ') + (tables.length > 5 ? ', ...' : '');
    throw new StorageError(
      `${file}: is not a Firebreak database (it holds tables ${shown} and no schema_migrations): another program's file? ` +
        `Nothing was changed. Point --data-dir at the controller's own directory, or move the file away.`,
      file, 'damaged',
    );
  }
  const newest = (db.prepare(`SELECT MAX(version) AS v FROM schema_migrations`).get() as { v: number | null }).v ?? 0;
  if (newest > knownVersion) {
    throw new StorageError(
      `${file}: was written by a newer Firebreak (schema version ${newest}; this controller knows up to ${knownVersion}). ` +
        `Nothing was changed. Run the newer controller, or restore a backup made by this version.`,
      file, 'refused',
    );
  }
  if (newest === 0 && evidence.length > 0) preflightEmpty(file, evidence);
}

/** A valid SQLite file with none of Firebreak's data, inside an existing install: the same refusal as an empty file. */
function preflightEmpty(file: string, evidence: string[]): never {
  throw new StorageError(
    `${file}: the database holds no Firebreak data, but ${dirname(file)} already holds a Firebreak install (${evidence.join(', ')}). ` +
      `Starting would create a new store over it: a new admin credential, a reset audit chain, and every enrolled agent refused. ` +
      `Nothing was changed. ${restoreHint(file)}`,
    file, 'refused',
  );
}

/** A SQLite error as a StorageError naming the file and what to do; other errors unchanged. */
export function toStorageError(err: unknown, file: string): unknown {
  if (err instanceof StorageError || !(err instanceof Database.SqliteError)) return err;
  const code = err.code;
  const dir = dirname(file);
  const said = err.message;
  const make = (kind: StorageErrorKind, text: string) => new StorageError(`${file}: ${text}`, file, kind, code, { cause: err });
  if (code === 'SQLITE_FULL' || (code.startsWith('SQLITE_IOERR') && /space|full/i.test(said))) {
    return make('full', `the disk is full or the store reached its size cap (${said}): nothing more can be written. ` +
      `Free space on the disk that holds ${dir}; the controller resumes writing by itself, and agents keep their reports until then.`);
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') {
    return make('damaged', `the database is damaged (${said}). ${restoreHint(file)}`);
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH')) {
    return make('readonly', `the database cannot be written (${said}). Give the controller's user write access to it and to ${dir}, or remount the disk read-write.`);
  }
  if (code.startsWith('SQLITE_CANTOPEN')) {
    return make('io', `the database cannot be opened (${said}). Check that ${dir} exists and that the controller's user may read and write it.`);
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return make('busy', `the database is locked by another process (${said}): is another controller running on ${dir}?`);
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return make('io', `the disk returned an I/O error (${said}, ${code}). Check the disk (dmesg); if the file is damaged, restore it from a backup.`);
  }
  return make('other', `${said} (${code})`);
}

/**
 * Every SQLite error a method of `obj` raises, synchronously or through its
 * promise, comes out as `convert(err)`: one place, so methods added later are
 * covered too. Own methods of the object's class only; getters untouched.
 */
export function guardMethods(obj: object, convert: (err: unknown) => unknown): void {
  const proto = Object.getPrototypeOf(obj) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(proto, name);
    if (!d || typeof d.value !== 'function') continue;
    const fn = d.value as (...a: unknown[]) => unknown;
    Object.defineProperty(obj, name, {
      configurable: true, writable: true,
      value: function guarded(this: unknown, ...args: unknown[]) {
        let r: unknown;
        try { r = fn.apply(this, args); } catch (err) { throw convert(err); }
        return r instanceof Promise ? r.catch((err: unknown) => { throw convert(err); }) : r;
      },
    });
  }
}
