// A throwaway PostgreSQL server for the tests that run against PostgreSQL:
// FIREBREAK_TEST_PG_URL when set (CI may start one server for the whole run),
// otherwise a cluster of this test file's own: initdb into a temp dir, a unix
// socket in that dir and no TCP port, fsync off; stopped and removed when the
// file's tests end (or the process exits). PostgreSQL refuses to run as root,
// so as root the cluster runs as the `postgres` user (created if missing).
// Missing binaries fail the tests with what to install, never a silent skip.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PG_URL_ENV = 'FIREBREAK_TEST_PG_URL';

export interface TestPg {
  /** connects as a superuser to a database the tests may create schemas in */
  url: string;
  /** the postmaster's pid, when this process started the server (benchmarks count its CPU) */
  pid?: number;
  stop(): Promise<void>;
}

/** initdb and postgres: on PATH, or Debian's versioned directory (newest first). */
export function findPgBin(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' }).stdout.trim();
  if (onPath && existsSync(join(onPath, '..', 'postgres'))) return join(onPath, '..');
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  return undefined;
}

/** Under root: the uid/gid to run PostgreSQL as (the `postgres` user, created when missing). */
function pgUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    const r = spawnSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`NEEDS a non-root user to run PostgreSQL as: useradd postgres failed: ${r.stderr}`);
  }
  return { uid: Number(id('-u').stdout.trim()), gid: Number(id('-g').stdout.trim()) };
}

let shared: Promise<TestPg> | undefined;

/** One server per test process (file), started on first use. */
export function testPg(): Promise<TestPg> {
  shared ??= startTestPg().then((pg) => ({
    url: pg.url,
    pid: pg.pid,
    stop: () => { shared = undefined; return pg.stop(); },
  }));
  return shared;
}

async function startTestPg(): Promise<TestPg> {
  const given = process.env[PG_URL_ENV];
  if (given) return { url: given, stop: async () => {} };
  const bin = findPgBin();
  if (!bin) {
    throw new Error('NEEDS PostgreSQL for the PostgreSQL store tests: no initdb on PATH or in /usr/lib/postgresql/*/bin. ' +
      `Install it as root: apt-get install -y postgresql (npm run setup does), or set ${PG_URL_ENV} to a server's URL.`);
  }
  const user = pgUser();
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const asUser = { ...(user ? { uid: user.uid, gid: user.gid } : {}), env: { ...process.env, LC_ALL: 'C' } };
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'firebreak', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    { ...asUser, encoding: 'utf8', timeout: 60_000 });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status ?? init.signal}): ${init.stderr || init.stdout}`);
  }
  // only a unix socket in the temp dir; durability is not what these tests measure
  const child: ChildProcess = spawn(join(bin, 'postgres'), ['-D', data, '-k', dir, '-c', 'listen_addresses=', '-c', 'fsync=off',
    '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'], { ...asUser, stdio: ['ignore', 'ignore', 'pipe'] });
  const cleanup = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT'); // immediate shutdown
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  };
  process.once('exit', cleanup);
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`PostgreSQL did not start within 30 s:\n${log}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('ready to accept connections')) { clearTimeout(t); resolve(); }
    });
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`PostgreSQL exited (${code}) while starting:\n${log}`)); });
  }).catch((err: Error) => { cleanup(); throw err; });
  child.stderr!.resume();
  // never what keeps a finished test process alive: the exit handler stops the server
  child.unref();
  (child.stderr as unknown as { unref(): void }).unref();
  return {
    url: `postgres://firebreak@localhost/postgres?host=${encodeURIComponent(dir)}`,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.ref(); // the wait must keep this process alive
        child.kill('SIGINT'); // fast shutdown
        await exited;
      }
      process.removeListener('exit', cleanup);
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
}
