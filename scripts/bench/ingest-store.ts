// bench:ingest's store: SQLite in the controller's data dir (the default), or
// PostgreSQL (--store postgres): a throwaway server this bench starts (or
// --pg-url), a fresh schema per run, and the server's CPU counted with the
// controller's, since SQLite does that work inside the controller process.
// --store both runs the bench once per store and prints them side by side.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { PgStore } from '../../controller/store/postgres.ts';
import type { Store } from '../../controller/store/store.ts';
import { testPg } from '../../test/helpers/postgres.ts';
import { ROOT } from '../../test/helpers/procs.ts';

export type StoreChoice = 'sqlite' | 'postgres' | 'both';

export function parseStoreChoice(v: string): StoreChoice {
  if (v !== 'sqlite' && v !== 'postgres' && v !== 'both') throw new Error(`--store takes sqlite, postgres or both (got ${v})`);
  return v;
}

/** In the controller child: the PostgreSQL store named by --store-url (URL#schema), or undefined for SQLite. */
export async function openBenchStore(storeUrl: string | undefined, log: Logger): Promise<Store | undefined> {
  if (!storeUrl) return undefined;
  const [url, schema] = storeUrl.split('#') as [string, string];
  return PgStore.open(url, { schema, log });
}

export interface BenchStore {
  /** extra arguments for the controller child */
  args: string[];
  /** CPU seconds the store's own processes used so far (0 for SQLite: it is inside the controller) */
  cpuSeconds: () => number;
  cleanup(): Promise<void>;
}

/** CPU seconds (user + system) of a postmaster and its live children, plus its reaped children's. */
function clusterCpuSeconds(postmaster: number): number {
  const stat = (pid: string) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return f.slice(f.lastIndexOf(')') + 2).split(' ');
    } catch { return undefined; } // exited meanwhile
  };
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const s = stat(pid);
    if (!s) continue;
    // fields after the command: state, ppid, ..., utime (11), stime (12), cutime (13), cstime (14)
    if (Number(pid) === postmaster) ticks += Number(s[11]) + Number(s[12]) + Number(s[13]) + Number(s[14]);
    else if (Number(s[1]) === postmaster) ticks += Number(s[11]) + Number(s[12]);
  }
  return ticks / 100;
}

export async function prepareBenchStore(choice: 'sqlite' | 'postgres', pgUrl: string | undefined): Promise<BenchStore> {
  if (choice === 'sqlite') return { args: [], cpuSeconds: () => 0, cleanup: async () => {} };
  const server = pgUrl ? { url: pgUrl, pid: undefined, stop: async () => {} } : await testPg();
  const schema = `bench_${process.pid}`;
  const postmaster = server.pid;
  return {
    args: ['--store-url', `${server.url}#${schema}`],
    // a server elsewhere (--pg-url): its CPU is not ours to see
    cpuSeconds: () => (postmaster ? clusterCpuSeconds(postmaster) : 0),
    cleanup: async () => {
      if (pgUrl) {
        const c = new pg.Client({ connectionString: pgUrl });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      }
      await server.stop();
    },
  };
}

/** --store both: the whole bench once per store, one after the other, then both rows together. */
export async function runBoth(argv: string[]): Promise<void> {
  const rows: Array<{ store: string; r: Record<string, any> }> = [];
  for (const store of ['sqlite', 'postgres']) {
    const json = join(tmpdir(), `firebreak-bench-ingest-${process.pid}-${store}.json`);
    const args = [...argv.filter((a, i) => a !== '--store' && argv[i - 1] !== '--store' && !a.startsWith('--store=')), '--store', store, '--json', json];
    process.stderr.write(`--- ${store} ---\n`);
    const code = await new Promise<number | null>((resolve) => {
      spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/bench/ingest.ts'), ...args], { stdio: 'inherit', cwd: ROOT }).once('exit', resolve);
    });
    if (code !== 0) throw new Error(`the ${store} run failed (exit ${code})`);
    rows.push({ store, r: JSON.parse(readFileSync(json, 'utf8')) });
    rmSync(json, { force: true });
  }
  process.stdout.write('\nstore      reports/s  CPU-s/1k reports  ack p99 ms  event-to-alert p99 ms  echo reports/s  load avg\n');
  for (const { store, r } of rows) {
    const c = r.controller;
    process.stdout.write(`${store.padEnd(10)} ${String(c.reports_per_s).padStart(9)}  ${String(c.server_cpu_s_per_1k_reports).padStart(16)}  ` +
      `${String(c.ack_p99_ms).padStart(10)}  ${String(c.event_to_alert_p99_ms).padStart(21)}  ${String(r.bare_grpc_echo.reports_per_s).padStart(14)}  ` +
      `${r.load_average_1m.controller_run}\n`);
  }
  process.stdout.write('(CPU-s per 1,000 reports: the controller process, plus on PostgreSQL the server\'s processes)\n');
}
