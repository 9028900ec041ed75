// npm run bench:streams -- [--agents 10000] [--workers 4] [--idle 30] [--no-compare] [--json FILE]
//                          [--cache DIR] [--cpu-prof DIR] [--timeout 300]
//
// How many idle agent streams one controller holds, at what RSS, and how long a
// connect storm of all of them takes: a real controller process (controller/main.ts)
// and `agents` simulated agents, each the real agent link (agent/link.ts: its Hello,
// heartbeats at the controller's interval, its reconnect backoff) over its own TLS
// connection with its own enrolled client certificate, spread over `workers` child
// processes. All agents start at one instant; the storm ends when every one has had
// its Welcome. Then the streams idle (heartbeats only) for `idle` seconds and the
// controller's RSS is read. Side by side (unless --no-compare), the same storm
// against the controller with its handshake queue off (--agent-handshake-queue 0:
// connections past the 64 handshakes in progress are reset, as before the queue).
//
// Enrolling 10,000 agents takes minutes, so the enrolled controller data and the
// agents' identities are kept in --cache (default: a directory in the temp dir per
// agent count) and every run starts its controller on a copy.
//
// Descriptors: the controller needs one per agent, each worker one per agent it
// holds. When the soft open-file limit is too low but the hard one allows it, the
// children are started under `prlimit`; otherwise the bench says what to raise.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { pino } from 'pino';
import { Link } from '../../agent/link.ts';
import { Spool } from '../../agent/spool.ts';
import { ensureIdentity, linkCredentials } from '../../agent/trust/enroll.ts';
import { openFileLimit } from '../../controller/net-limits.ts';
import { startController, stopProcess, type ControllerProc } from '../../test/helpers/procs.ts';
import { OperatorApi } from '../simulate/operator.ts';
import { round, treeUsage } from './lib/proc-usage.ts';

const SELF = fileURLToPath(import.meta.url);
const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load1 = () => round(loadavg()[0]!, 2);
const agentId = (i: number) => `stream-${String(i).padStart(5, '0')}`;
/** every simulated agent dials from 127.0.0.1, as a fleet behind one NAT: no per-address caps */
const ONE_ADDRESS = ['--agent-max-per-source', '0', '--enroll-max-per-source', '0'];

/**
 * Channel options of the simulated agents on top of the agent's own (CLIENT_OPTIONS).
 * grpc-js keeps one process-wide subchannel pool and looks a new channel's subchannel
 * up by scanning every subchannel to the same address, comparing options and
 * credentials: n channels in one process cost n² comparisons (a real agent has one
 * channel). A local pool per channel makes that lookup O(1); channelz off drops its
 * per-channel trace objects.
 */
export const SIMULATED_AGENT_CHANNEL_OPTIONS = { 'grpc.use_local_subchannel_pool': 1, 'grpc.enable_channelz': 0 };

// ------------------------------------------------------------ worker: a share of the agents

type ToWorker =
  | { cmd: 'enroll'; from: number; to: number; cache: string; enrollAddress: string; token: string; caPin: string; concurrency: number }
  | { cmd: 'prepare'; from: number; to: number; cache: string; agentAddress: string; globalPool: boolean }
  | { cmd: 'go' }
  | { cmd: 'report' }
  | { cmd: 'stop' };

export interface WorkerReport {
  /** agents that have had a Welcome at least once */
  connected: number;
  /** agents whose stream is up now */
  up: number;
  /** Hellos sent (one per stream attempt) */
  attempts: number;
  /** ms from go to each connected agent's first Welcome */
  connectMs: number[];
  cpuS: number;
}

async function worker(): Promise<void> {
  const send = (m: unknown) => process.send!(m);
  let links: Link[] = [];
  let spoolDir: string | undefined;
  const connectedAt: (number | undefined)[] = [];
  let attempts = 0;
  let goAt = 0;
  const report = (): WorkerReport => {
    const connectMs = connectedAt.filter((t): t is number => t !== undefined).map((t) => t - goAt);
    const u = process.cpuUsage();
    return { connected: connectMs.length, up: links.filter((l) => l.connected).length, attempts, connectMs, cpuS: (u.user + u.system) / 1e6 };
  };
  process.on('message', (m: ToWorker) => void (async () => {
    if (m.cmd === 'enroll') {
      const queue = Array.from({ length: m.to - m.from }, (_, k) => m.from + k);
      await Promise.all(Array.from({ length: m.concurrency }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          await ensureIdentity({
            dataDir: join(m.cache, 'agents', agentId(i)), agentId: agentId(i), enrollAddress: m.enrollAddress, token: m.token,
            caPin: m.caPin, inventory: { hostname: agentId(i) }, log,
          });
        }
      }));
      send({ enrolled: m.to - m.from });
    } else if (m.cmd === 'prepare') {
      spoolDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'firebreak-bench-streams-'));
      for (let i = m.from; i < m.to; i++) {
        const id = agentId(i);
        const k = i - m.from;
        const { identity } = await ensureIdentity({ dataDir: join(m.cache, 'agents', id), agentId: id, enrollAddress: '', inventory: { hostname: id }, log });
        links.push(new Link({
          address: m.agentAddress, credentials: linkCredentials(identity), log,
          spool: Spool.open({ file: join(spoolDir, id), maxBytes: 1 << 20, fsync: false, log }),
          hello: () => { attempts++; return { agentId: id, inventory: { hostname: id }, backend: 'DRY_RUN' }; },
          // the link sends its first heartbeat on the Welcome: that is when this agent is connected
          heartbeat: () => { connectedAt[k] ??= Date.now(); return {}; },
          onCommand: async (cmd) => ({ commandId: cmd.id, status: 'FAILED', detail: 'bench agent' }),
          channelOptions: m.globalPool ? { 'grpc.enable_channelz': 0 } : SIMULATED_AGENT_CHANNEL_OPTIONS,
        }));
      }
      send({ ready: links.length });
    } else if (m.cmd === 'go') {
      goAt = Date.now();
      for (const l of links) l.start();
      send({ started: links.length });
    } else if (m.cmd === 'report') {
      send({ report: report() });
    } else if (m.cmd === 'stop') {
      for (const l of links) l.stop();
      links = [];
      if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
      send({ stopped: true });
      setTimeout(() => process.exit(0), 100);
    }
  })().catch((err) => { send({ error: (err as Error).stack ?? String(err) }); }));
  send({ alive: true });
}

// ------------------------------------------------------------ the bench

interface Options {
  agents: number; workers: number; idle: number; compare: boolean; json?: string; cache?: string; cpuProf?: string;
  timeout: number; enrollConcurrency: number; globalPool: boolean; enrollOnly?: boolean; controllerNodeFlag: string[]; worker?: boolean;
}

class Worker {
  private waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  constructor(readonly child: ChildProcess, readonly from: number, readonly to: number) {
    child.on('message', (m: Record<string, unknown>) => {
      if (m.error) for (const w of this.waiters.splice(0)) w.reject(new Error(`worker ${from}-${to}: ${m.error}`));
      for (const w of [...this.waiters]) if (w.pred(m)) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(m); }
    });
    child.on('exit', (code) => { for (const w of this.waiters.splice(0)) w.reject(new Error(`worker ${from}-${to} exited (${code})`)); });
  }

  ask<K extends string>(msg: ToWorker, key: K, timeoutMs = 600_000): Promise<Record<K, unknown>> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`worker ${this.from}-${this.to}: no '${key}' within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ pred: (m) => key in m, resolve: (m) => { clearTimeout(t); resolve(m as Record<K, unknown>); }, reject: (e) => { clearTimeout(t); reject(e); } });
      this.child.send(msg);
    });
  }
}

/** The hard open-file limit of this process. */
function hardFileLimit(): number | undefined {
  const m = /^Max open files\s+\S+\s+(\d+|unlimited)\s/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m ? (m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1])) : undefined;
}

/** The command prefix that gives a child `need` descriptors, or a thrown explanation. */
function fdPrefix(need: number): string[] {
  const soft = openFileLimit() ?? 0;
  if (soft >= need) return [process.execPath];
  const hard = hardFileLimit() ?? 0;
  const hasPrlimit = spawnSync('prlimit', ['--version'], { stdio: 'ignore' }).status === 0;
  if (hard >= need && hasPrlimit) return ['prlimit', `--nofile=${need}:${hard}`, process.execPath];
  throw new Error(`${need} open files are needed (one per agent stream, plus a reserve); this shell allows ${soft} (hard limit ${hard}). `
    + `Raise it (as root: ulimit -Hn ${need}; then ulimit -n ${need}) or run fewer --agents`);
}

async function startWorkers(o: Options, prefix: string[]): Promise<Worker[]> {
  const per = Math.ceil(o.agents / o.workers);
  const out: Worker[] = [];
  for (let w = 0; w < o.workers && w * per < o.agents; w++) {
    const child = spawn(prefix[0]!, [...prefix.slice(1), '--import', 'tsx', SELF, '--worker'], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, NODE_OPTIONS: '' },
    });
    const wk = new Worker(child, w * per, Math.min(o.agents, (w + 1) * per));
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`a worker exited at start (${code})`)));
    });
    out.push(wk);
  }
  return out;
}

async function stopWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map(async (w) => {
    if (w.child.exitCode !== null) return;
    const exited = new Promise((r) => w.child.once('exit', r));
    try { await w.ask({ cmd: 'stop' }, 'stopped', 30_000); } catch { /* killed below */ }
    const t = setTimeout(() => w.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  }));
}

/**
 * Enrolls agents 0..n-1 into the cache once; later runs (of this many agents or fewer)
 * reuse them, and an interrupted enrollment resumes where it stopped.
 */
async function ensureEnrolled(o: Options, cache: string, prefix: string[]): Promise<void> {
  const marker = join(cache, 'enrolled.json');
  if (existsSync(marker) && (JSON.parse(readFileSync(marker, 'utf8')) as { agents: number }).agents >= o.agents) return;
  mkdirSync(join(cache, 'agents'), { recursive: true });
  const t0 = Date.now();
  process.stderr.write(`enrolling ${o.agents} agents into ${cache} (once; later runs reuse them)...\n`);
  const ctl = await startController(join(cache, 'controller'), ONE_ADDRESS, { prefix });
  let api: OperatorApi | undefined;
  let workers: Worker[] = [];
  try {
    api = new OperatorApi(ctl.operatorAddress, ctl.credentialsFile);
    const token = await api.createEnrollmentToken(o.agents, 24 * 3600);
    workers = await startWorkers(o, prefix);
    await Promise.all(workers.map((w) => w.ask({
      cmd: 'enroll', from: w.from, to: w.to, cache, enrollAddress: ctl.enrollAddress, token, caPin: ctl.caFingerprint,
      concurrency: Math.max(1, Math.round(o.enrollConcurrency / workers.length)),
    }, 'enrolled', 3600_000)));
  } finally {
    api?.close();
    await stopWorkers(workers);
    await stopProcess(ctl);
  }
  writeFileSync(marker, JSON.stringify({ agents: o.agents, enrollment_s: round((Date.now() - t0) / 1000, 1) }) + '\n');
  process.stderr.write(`enrolled in ${round((Date.now() - t0) / 1000, 1)} s\n`);
}

async function scrape(port: number): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(firebreak_connections_rejected_total|firebreak_hosts|firebreak_controller_nodejs_heap_size_used_bytes|firebreak_controller_nodejs_external_memory_bytes)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (m) out.set(m[1]! + (m[2] ?? ''), Number(m[3]));
  }
  return out;
}

function pct(xs: number[], p: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

export interface StormResult {
  mode: 'queue' | 'reset';
  agents: number;
  /** from go to the last agent's first Welcome; null when not every agent had one by --timeout */
  connect_storm_s: number | null;
  /** agents that had their Welcome by the end of the storm (or its timeout) */
  connected: number;
  streams_open: number;
  /** agent-port connections the controller reset or closed (by reason, from its metrics) */
  resets: number;
  resets_by_reason: Record<string, number>;
  /** stream attempts past each agent's first */
  client_retries: number;
  p50_connect_ms: number | null;
  p99_connect_ms: number | null;
  /** controller CPU seconds from the first connect to the last Welcome */
  cpu_s: number;
  /** controller CPU seconds over the idle window */
  idle_cpu_s: number;
  idle_s: number;
  /** controller RSS after the idle window, and its peak */
  rss_mb: number;
  rss_peak_mb: number;
  rss_before_storm_mb: number;
  /** of the RSS after idling: the V8 heap in use, and memory outside it that V8 knows of (buffers) */
  heap_used_mb: number | null;
  external_mb: number | null;
  worker_cpu_s: number;
  load_1m_start: number;
  load_1m_end: number;
}

async function storm(o: Options, cache: string, mode: 'queue' | 'reset', prefix: string[]): Promise<StormResult> {
  const run = mkdtempSync(join(tmpdir(), 'firebreak-bench-streams-run-'));
  let ctl: ControllerProc | undefined;
  let workers: Worker[] = [];
  try {
    cpSync(join(cache, 'controller'), join(run, 'controller'), { recursive: true });
    const ctlPrefix = [...prefix, ...(o.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', join(o.cpuProf, mode)] : []), ...o.controllerNodeFlag];
    ctl = await startController(join(run, 'controller'), [
      ...ONE_ADDRESS, '--heartbeat-interval', '5s', '--metrics-listen', '127.0.0.1:0',
      '--agent-handshake-queue', mode === 'reset' ? '0' : String(o.agents),
    ], { prefix: ctlPrefix });
    const ready = await ctl.waitFor((l) => l.msg === 'controller ready');
    const metricsPort = Number(ready.metricsPort);
    const pid = ctl.child.pid!;
    workers = await startWorkers(o, prefix);
    await Promise.all(workers.map((w) => w.ask({ cmd: 'prepare', from: w.from, to: w.to, cache, agentAddress: ctl!.agentAddress, globalPool: o.globalPool }, 'ready')));
    const rejected0 = await scrape(metricsPort);
    const before = treeUsage(pid);
    const load0 = load1();
    process.stderr.write(`[${mode}] ${o.agents} agents in ${workers.length} workers: go (controller RSS ${round(before.rssBytes / 2 ** 20, 1)} MB, load ${load0})\n`);
    const goAt = Date.now();
    await Promise.all(workers.map((w) => w.ask({ cmd: 'go' }, 'started')));
    const reports = async () => (await Promise.all(workers.map((w) => w.ask({ cmd: 'report' }, 'report', 60_000)))).map((r) => r.report as WorkerReport);
    let rs = await reports();
    let peakRss = 0;
    let lastPrint = 0;
    const deadline = goAt + o.timeout * 1000;
    while (rs.reduce((n, r) => n + r.connected, 0) < o.agents && Date.now() < deadline) {
      await sleep(250);
      peakRss = Math.max(peakRss, treeUsage(pid).rssBytes);
      rs = await reports();
      if (Date.now() - lastPrint > 5000) {
        lastPrint = Date.now();
        process.stderr.write(`[${mode}] ${round((Date.now() - goAt) / 1000, 1)} s: ${rs.reduce((n, r) => n + r.connected, 0)}/${o.agents} connected, ${rs.reduce((n, r) => n + r.attempts, 0)} attempts, load ${load1()}\n`);
      }
    }
    const connectMs = rs.flatMap((r) => r.connectMs);
    const connected = connectMs.length;
    const stormS = connected === o.agents ? Math.max(...connectMs) / 1000 : null;
    const afterStorm = treeUsage(pid);
    process.stderr.write(`[${mode}] ${connected}/${o.agents} connected in ${stormS ?? `(timeout ${o.timeout})`} s; idling ${o.idle} s...\n`);
    const idleStart = Date.now();
    while (Date.now() - idleStart < o.idle * 1000) {
      await sleep(1000);
      peakRss = Math.max(peakRss, treeUsage(pid).rssBytes);
    }
    const end = treeUsage(pid);
    rs = await reports();
    const rejected1 = await scrape(metricsPort);
    const byReason: Record<string, number> = {};
    for (const [k, v] of rejected1) {
      const m = /^firebreak_connections_rejected_total\{.*listener="agent".*reason="([^"]+)"|^firebreak_connections_rejected_total\{.*reason="([^"]+)".*listener="agent"/.exec(k);
      if (!m) continue;
      const n = v - (rejected0.get(k) ?? 0);
      if (n > 0) byReason[m[1] ?? m[2]!] = n;
    }
    const attempts = rs.reduce((n, r) => n + r.attempts, 0);
    return {
      mode, agents: o.agents,
      connect_storm_s: stormS === null ? null : round(stormS, 2),
      connected,
      streams_open: rs.reduce((n, r) => n + r.up, 0),
      resets: Object.values(byReason).reduce((a, b) => a + b, 0),
      resets_by_reason: byReason,
      client_retries: attempts - connected,
      p50_connect_ms: pct(connectMs, 50), p99_connect_ms: pct(connectMs, 99),
      cpu_s: round(afterStorm.cpuS - before.cpuS, 2),
      idle_cpu_s: round(end.cpuS - afterStorm.cpuS, 2),
      idle_s: round((Date.now() - idleStart) / 1000, 1),
      rss_mb: round(end.rssBytes / 2 ** 20, 1),
      rss_peak_mb: round(peakRss / 2 ** 20, 1),
      rss_before_storm_mb: round(before.rssBytes / 2 ** 20, 1),
      heap_used_mb: rejected1.has('firebreak_controller_nodejs_heap_size_used_bytes') ? round(rejected1.get('firebreak_controller_nodejs_heap_size_used_bytes')! / 2 ** 20, 1) : null,
      external_mb: rejected1.has('firebreak_controller_nodejs_external_memory_bytes') ? round(rejected1.get('firebreak_controller_nodejs_external_memory_bytes')! / 2 ** 20, 1) : null,
      worker_cpu_s: round(rs.reduce((n, r) => n + r.cpuS, 0), 1),
      load_1m_start: load0, load_1m_end: load1(),
    };
  } finally {
    await stopWorkers(workers);
    await stopProcess(ctl);
    rmSync(run, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }
}

function line(r: StormResult): string {
  return `${r.mode === 'queue' ? 'handshake queue' : 'reset (no queue)'}: ${r.streams_open}/${r.agents} streams open; connect storm ${r.connect_storm_s !== null ? `${r.connect_storm_s} s` : `not done (${r.connected} connected by the timeout)`} `
    + `(p50 ${r.p50_connect_ms} ms, p99 ${r.p99_connect_ms} ms); ${r.resets} resets ${JSON.stringify(r.resets_by_reason)}, ${r.client_retries} client retries; `
    + `controller CPU ${r.cpu_s} s in the storm, ${r.idle_cpu_s} s in ${r.idle_s} s idle; RSS ${r.rss_mb} MB after idling (V8 heap ${r.heap_used_mb} MB, external ${r.external_mb} MB; peak ${r.rss_peak_mb} MB, ${r.rss_before_storm_mb} MB before); `
    + `load ${r.load_1m_start} -> ${r.load_1m_end}`;
}

async function main(o: Options): Promise<void> {
  const prefix = fdPrefix(o.agents + 1024);
  const cache = o.cache ?? join(tmpdir(), 'firebreak-bench-streams-cache');
  await ensureEnrolled(o, cache, prefix);
  if (o.enrollOnly) return;
  const results: StormResult[] = [];
  for (const mode of o.compare ? ['queue', 'reset'] as const : ['queue'] as const) {
    const r = await storm(o, cache, mode, prefix);
    results.push(r);
    process.stdout.write(line(r) + '\n');
  }
  const [q, r] = results;
  const ratio = q && r && q.connect_storm_s && r.connect_storm_s ? round(r.connect_storm_s / q.connect_storm_s, 2) : null;
  // a reset storm still going at the timeout: the ratio is at least the timeout over the queue's time
  const atLeast = q?.connect_storm_s && r && r.connect_storm_s === null ? round(o.timeout / q.connect_storm_s, 1) : null;
  if (o.compare) {
    process.stdout.write(`connect storm, reset / queue: ${ratio ?? (atLeast ? `at least ${atLeast} (the reset storm was not done in ${o.timeout} s)` : 'n/a (the queue storm did not finish)')}\n`);
  }
  if (o.json) {
    writeFileSync(o.json, JSON.stringify({
      agents: o.agents, workers: o.workers, idle_s: o.idle, cpu_cores: cpus().length,
      queue: q, reset: r ?? null, connect_storm_reset_over_queue: ratio, connect_storm_reset_over_queue_at_least: atLeast, timeout_s: o.timeout,
      note: 'one machine: the simulated agents (TLS clients) and the controller share its cores; loads are 1-minute averages',
    }, null, 2) + '\n');
  }
}

const program = new Command('bench:streams')
  .option('--agents <n>', 'simulated agents, each its own identity and TLS stream', Number, 10_000)
  .option('--workers <n>', 'child processes the agents are spread over', Number, 4)
  .option('--idle <s>', 'seconds the streams idle (heartbeats only) before RSS is read', Number, 30)
  .option('--timeout <s>', 'a storm not done by then is reported as not done', Number, 300)
  .option('--no-compare', 'skip the storm with the handshake queue off')
  .option('--json <file>', 'write the results as JSON here')
  .option('--cache <dir>', 'enrolled controller data and agent identities, reused by runs of as many agents or fewer (default: in the temp dir)')
  .option('--enroll-only', 'fill the cache and stop')
  .option('--cpu-prof <dir>', 'write the controller\'s V8 CPU profile per storm under this dir (node --cpu-prof)')
  .option('--controller-node-flag <flag>', 'a node flag for the controller (repeat), e.g. --heapsnapshot-signal=SIGUSR2 --diagnostic-dir=/tmp/heap', (v: string, acc: string[]) => [...acc, v], [] as string[])
  .option('--enroll-concurrency <n>', 'enrollments at once (first run only)', Number, 16)
  .option('--global-pool', 'simulated agents share grpc-js\'s process-wide subchannel pool (shows its n² lookup; default: one pool per agent)')
  .option('--worker', '(internal) run a share of the agents in this process');

program.action(async (o: Options) => {
  if (o.worker) return worker();
  await main(o);
  process.exit(0);
});

program.parseAsync().catch((err) => {
  process.stderr.write(`bench:streams: ${(err as Error).message}\n`);
  process.exit(1);
});
