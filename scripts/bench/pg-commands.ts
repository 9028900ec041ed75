// A fleet-wide command on PostgreSQL: N commands stored with one insertCommands
// (one statement, one commit) against one insertCommand each (what the controller
// did before: N statements, N commits), and marked SENT with one markCommandsSent
// against one updateCommand each (all at once, as the delivery did). Alternating
// rounds in one run, each on fresh ids; the CPU of this process and of the
// server's processes (a throwaway server this bench starts, or --pg-url without
// its CPU) and the wall time per round, with the load average beside.
//   node --import tsx scripts/bench/pg-commands.ts [--commands 1000] [--rounds 10] [--pg-url URL]
// The throwaway server runs with fsync off (test/helpers/postgres.ts): a commit
// costs less there than on a durable server, so the per-command ratio is a floor.
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PgStore } from '../../controller/store/postgres.ts';
import type { Command__Output } from '../../proto/wire.ts';
import { testPg } from '../../test/helpers/postgres.ts';
import { treeUsage } from './lib/proc-usage.ts';

const { values: a } = parseArgs({ options: { commands: { type: 'string', default: '1000' }, rounds: { type: 'string', default: '10' }, 'pg-url': { type: 'string' } } });
const N = Number(a.commands);
const ROUNDS = Number(a.rounds);
if (!(N > 0) || !(ROUNDS > 0)) throw new Error('--commands and --rounds take positive numbers');

delete process.env.FIREBREAK_TEST_PG_URL; // a server of our own, so its CPU can be counted
const server = a['pg-url'] ? { url: a['pg-url'], pid: undefined, stop: async () => {} } : await testPg();
const schema = `bench_cmds_${process.pid}`;
const store = await PgStore.open(server.url, { schema });
const serverCpu = () => (server.pid ? treeUsage(server.pid).cpuS : 0);

const now = Date.now();
const command = (id: string, hostId: string): Command__Output => ({
  id, targetAgentId: hostId, action: 'ISOLATE', issuer: 'operator:bench', reason: 'bench', issuedAtMs: now, expiresAtMs: now + 3_600_000,
  nonce: `nonce-${id}`, signature: Buffer.alloc(64, 7), isolate: { allow: ['10.0.0.1/32'] } as never, params: 'isolate',
} as Command__Output);

interface Sample { wallMs: number; cpuS: number; serverCpuS: number }
async function measure(fn: () => Promise<void>): Promise<Sample> {
  const c0 = process.cpuUsage();
  const s0 = serverCpu();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuS: (c.user + c.system) / 1e6, serverCpuS: serverCpu() - s0 };
}

const modes = {
  'insertCommand x N': [] as Sample[], 'insertCommands': [] as Sample[],
  'updateCommand x N (SENT)': [] as Sample[], 'markCommandsSent': [] as Sample[],
};
const load0 = loadavg()[0]!.toFixed(2);
for (let r = 0; r < ROUNDS; r++) {
  const one = Array.from({ length: N }, (_, i) => command(`r${r}-one-${i}`, `h${i}`));
  const batch = Array.from({ length: N }, (_, i) => command(`r${r}-batch-${i}`, `h${i}`));
  // alternate which goes first, so neither always runs on a warmer (or busier) machine
  const pairs: Array<[keyof typeof modes, () => Promise<void>]> = [
    ['insertCommand x N', async () => { for (const c of one) await store.insertCommand(c, now); }],
    ['insertCommands', () => store.insertCommands(batch, now)],
  ];
  for (const [name, fn] of r % 2 ? pairs.reverse() : pairs) modes[name].push(await measure(fn));
  const sent: Array<[keyof typeof modes, () => Promise<void>]> = [
    ['updateCommand x N (SENT)', async () => { await Promise.all(one.map((c) => store.updateCommand(c.id, ['QUEUED'], { status: 'SENT', atMs: now }))); }],
    ['markCommandsSent', () => store.markCommandsSent(batch.map((c) => c.id), now)],
  ];
  for (const [name, fn] of r % 2 ? sent.reverse() : sent) modes[name].push(await measure(fn));
}
const load1 = loadavg()[0]!.toFixed(2);

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
// CPU as the mean over the rounds: /proc counts in 10 ms ticks, finer than one batch's share of the server
const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
const row = (name: keyof typeof modes) => {
  const s = modes[name];
  return { wallMs: median(s.map((x) => x.wallMs)), cpuS: mean(s.map((x) => x.cpuS)), serverCpuS: mean(s.map((x) => x.serverCpuS)) };
};
process.stdout.write(`${N} commands, ${ROUNDS} rounds (wall: median, CPU: mean); load average (1 min) ${load0} at start, ${load1} at end\n`);
process.stdout.write('mode                        wall ms   controller CPU-s   server CPU-s   total CPU-s\n');
for (const name of Object.keys(modes) as Array<keyof typeof modes>) {
  const x = row(name);
  process.stdout.write(`${name.padEnd(26)} ${x.wallMs.toFixed(1).padStart(8)}   ${x.cpuS.toFixed(3).padStart(16)}   ${x.serverCpuS.toFixed(3).padStart(12)}   ${(x.cpuS + x.serverCpuS).toFixed(3).padStart(11)}\n`);
}
const ratio = (slow: keyof typeof modes, fast: keyof typeof modes) => {
  const s = row(slow);
  const f = row(fast);
  return `wall ${(s.wallMs / f.wallMs).toFixed(1)}x, CPU-s ${((s.cpuS + s.serverCpuS) / Math.max(1e-3, f.cpuS + f.serverCpuS)).toFixed(1)}x`;
};
process.stdout.write(`one-by-one / batch: insert ${ratio('insertCommand x N', 'insertCommands')}; mark sent ${ratio('updateCommand x N (SENT)', 'markCommandsSent')}` +
  `${server.pid ? '' : ' (server CPU not counted: --pg-url)'}\n`);

await store.close();
const c = new pg.Client({ connectionString: server.url });
await c.connect();
await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await c.end();
await server.stop();
