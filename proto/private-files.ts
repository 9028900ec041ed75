// Private data dirs, for the controller and the agent alike: their files hold keys,
// tokens' hashes, credentials, the audit chain and what a host saw. Every dir is
// 0700 and every file 0600, whatever existed before (a data dir made by hand or by
// an older version with 0755/0644), and files made later are private by the umask.
import { chmodSync, closeSync, fsyncSync, lstatSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** Deeper than any data dir goes; a loop guard, not a limit anyone meets. */
const MAX_DEPTH = 8;

/** A data dir set to one of these by mistake must not have the whole tree under it narrowed. */
const SHARED_DIRS = new Set(['/', '/etc', '/var', '/var/lib', '/usr', '/usr/local', '/opt', '/home', '/root', '/tmp', '/srv', '/run']);

/**
 * Narrows dir and everything under it to 0700 (dirs) and 0600 (files); symlinks are
 * left alone (chmod would follow them out of the dir). Returns the paths changed,
 * with their old modes, for one log line.
 */
export function makePrivate(dir: string): { path: string; was: string }[] {
  const abs = resolve(dir);
  if (SHARED_DIRS.has(abs) || abs === resolve(homedir())) {
    throw new Error(`${abs} is a shared directory, not a data dir: give the controller or agent a directory of its own (e.g. ${join(abs === '/' ? '/var/lib' : abs, 'firebreak')})`);
  }
  const changed: { path: string; was: string }[] = [];
  const walk = (path: string, depth: number): void => {
    const st = lstatSync(path);
    if (st.isSymbolicLink()) return;
    const want = st.isDirectory() ? 0o700 : 0o600;
    // only narrow: an owner-only mode that is already stricter (0400) stays
    if ((st.mode & 0o077) !== 0 || (st.isDirectory() && (st.mode & 0o700) !== 0o700)) {
      chmodSync(path, want);
      changed.push({ path, was: (st.mode & 0o777).toString(8) });
    }
    if (st.isDirectory() && depth < MAX_DEPTH) for (const name of readdirSync(path)) walk(join(path, name), depth + 1);
  };
  walk(dir, 0);
  return changed;
}

/** New files and dirs of this process (and its children) are owner-only: 0600 / 0700. */
export function privateUmask(): void {
  process.umask(0o077);
}

/**
 * Replaces file whole or not at all: written to a private (0600) temp file beside
 * it, then renamed over it, so a crash leaves the old file or the new one, never
 * half of one. durable: the data and the rename are also fsynced (file, then its
 * directory), so they survive a power loss once this returns. Throws as fs does;
 * the temp file is removed on failure.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: { durable?: boolean } = {}): void {
  const tmp = `${file}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      if (opts.durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(tmp, 0o600); // the umask may narrow it, never widen: be explicit anyway
    renameSync(tmp, file);
  } catch (err) {
    try { unlinkSync(tmp); } catch { /* never written */ }
    throw err;
  }
  if (opts.durable) {
    const dir = openSync(dirname(file), 'r');
    try { fsyncSync(dir); } finally { closeSync(dir); }
  }
}
