// npm run bench:agent -- [--duration 60] [--quiet 60] [--settle 20] [--json FILE] [--quick] [--cpu-prof DIR]
//
// Builds a busy host (500 extra processes, 2,000 loopback TCP connections),
// then measures over the same window, at the same interval: (a) the whole
// Firebreak agent as deployed (the `npm run build:agent` bundle, enrolled with a
// real controller over gRPC, dry-run enforcement), (a') as root, the same agent
// enforcing with nftables and counting connections in the kernel, inside a
// network namespace the benchmark makes, (a'') its sampler+detector loop alone,
// which also gives the detection times, (b) a naive sampler on
// systeminformation, (c) Prometheus node_exporter scraped at that interval. CPU is percent of one
// core including child processes; RSS is the whole process tree. Then it
// counts anomalies over a quiet window and times the detection of a CPU
// burner, a connection burst, a 500 MB write and deletion, and a new binary
// run from /tmp. Everything it makes is removed at the end, also on failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, copyFileSync, existsSync, fsyncSync, mkdtempSync, openSync, rmSync, unlinkSync, appendFileSync, writeSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { AnomalyEvent__Output } from '../../proto/wire.ts';
import { buildAgent, AGENT_ENV, AGENT_NODE_FLAGS } from '../build/agent.ts';
import { cliJson, startController, stopAll } from '../../test/helpers/procs.ts';
import { makeBusyHost, type BusyHost } from './lib/busy-host.ts';
import { UsageMeter, parseArgs, round, sleep, treeUsage, writeJson } from './lib/proc-usage.ts';

const args = parseArgs(process.argv.slice(2));
const quick = args.has('quick');
const intervalMs = Number(args.get('interval-ms') ?? (quick ? 1000 : 5000));
const durationS = Number(args.get('duration') ?? (quick ? 10 : 60));
const quietS = Number(args.get('quiet') ?? (quick ? 10 : 60));
const warmup = Number(args.get('warmup') ?? (quick ? 5 : 12));
const settleS = Number(args.get('settle') ?? (quick ? 5 : 20));
const pollMs = Number(args.get('poll-ms') ?? 1000);
const busyProcs = Number(args.get('processes') ?? (quick ? 100 : 500));
const busyConns = Number(args.get('connections') ?? (quick ? 200 : 2000));
const jsonFile = args.get('json');
const inNetns = args.has('in-netns');
const NODE_EXPORTER = '/usr/bin/prometheus-node-exporter';

const here = fileURLToPath(new URL('.', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'fb-bench-'));
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

interface Received {
  atMs: number;
  event: AnomalyEvent__Output;
}
const events: Received[] = [];
/** Host CPU of each sample, to show how noisy the host was (a burner is invisible on a saturated host). */
const hostCpu: { atMs: number; pct: number }[] = [];
let lastSample: { n: number; busyMs: number; polls: number; pollTableReads: number; tableReads: number; pidReads: number } = { n: 0, busyMs: 0, polls: 0, pollTableReads: 0, tableReads: 0, pidReads: 0 };

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

function start(cmd: string, argv: string[], onLine?: (line: string) => void, quietStderr = false, env?: Record<string, string>): ChildProcess {
  const c = spawn(cmd, argv, { stdio: ['ignore', 'pipe', quietStderr ? 'ignore' : 'inherit'], env: env && { ...process.env, ...env } });
  children.push(c);
  let buf = '';
  c.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      onLine?.(line);
    }
  });
  c.on('error', (err) => log(`${cmd}: ${err.message}`));
  return c;
}

/** Bundled with esbuild and run by plain node, as a deployed agent would be (tsx alone adds ~50 MB). */
async function bundle(entry: string, out: string): Promise<string> {
  await build({
    entryPoints: [join(here, 'lib', entry)], bundle: true, platform: 'node', format: 'esm', target: 'node20',
    outfile: join(work, out), logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return join(work, out);
}

function ensureNodeExporter(): boolean {
  if (existsSync(NODE_EXPORTER)) return true;
  log('node_exporter missing: apt-get install -y prometheus-node-exporter');
  const r = spawnSync('apt-get', ['install', '-y', 'prometheus-node-exporter'], { stdio: 'inherit' });
  return r.status === 0 && existsSync(NODE_EXPORTER);
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

async function waitEvent(pred: (e: AnomalyEvent__Output) => boolean, sinceMs: number, timeoutMs: number): Promise<Received | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const hit = events.find((r) => r.atMs >= sinceMs && pred(r.event));
    if (hit) return hit;
    await sleep(50);
  }
  return undefined;
}

interface Detection {
  scenario: string;
  signature: string;
  detect_ms: number | null;
  within_two_intervals: boolean;
  detail: string;
}
const detections: Detection[] = [];

function record(scenario: string, t0: number, hit: Received | undefined): void {
  const ms = hit ? hit.atMs - t0 : null;
  detections.push({
    scenario, signature: hit?.event.signature ?? '(none)', detect_ms: ms,
    within_two_intervals: ms !== null && ms <= 2 * intervalMs, detail: hit?.event.evidence?.detail ?? '',
  });
  log(`${scenario}: ${hit ? `${hit.event.signature} after ${ms} ms` : 'NOT detected'}`);
}

const timeout = (): number => 4 * intervalMs + 2000;
const fired = (prefix: string) => (e: AnomalyEvent__Output): boolean => !e.cleared && e.signature.startsWith(prefix);

async function scenarioCpu(): Promise<void> {
  const t0 = Date.now();
  const burner = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  children.push(burner);
  try {
    record('cpu burner', t0, await waitEvent(fired('cpu.spike'), t0, timeout()));
  } finally {
    burner.kill('SIGKILL');
  }
}

async function scenarioConnBurst(): Promise<void> {
  // 150 listeners on distinct loopback addresses, one port (like a worm's port 25), and
  // 150 distinct loopback addresses with nothing listening (refused at once).
  const port = await freePort();
  const servers: net.Server[] = [];
  cleanups.push(() => { for (const s of servers) s.close(); });
  for (let i = 1; i <= 150; i++) {
    const s = net.createServer((c) => { c.on('error', () => undefined); c.end(); });
    s.on('error', () => undefined);
    await new Promise<void>((r) => s.listen(port, `127.1.0.${i}`, () => r()));
    servers.push(s);
  }
  const t0 = Date.now();
  const attempts: Promise<void>[] = [];
  for (let i = 1; i <= 150; i++) {
    for (const host of [`127.1.0.${i}`, `127.2.0.${i}`]) {
      attempts.push(new Promise<void>((r) => {
        const c = net.connect(port, host, () => { c.destroy(); r(); });
        c.on('error', () => r());
      }));
    }
  }
  await Promise.all(attempts);
  record('300 outbound connections (150 accepted, 150 refused)', t0, await waitEvent(fired('conn.fanout/'), t0, timeout()));
  for (const s of servers) s.close();
}

async function scenarioDisk(): Promise<void> {
  const file = join(work, 'fill.bin');
  const chunk = randomBytes(8 * 1024 * 1024);
  const t0 = Date.now();
  const fd = openSync(file, 'w');
  for (let i = 0; i < 500 / 8; i++) writeSync(fd, chunk);
  fsyncSync(fd);
  closeSync(fd);
  log(`wrote 500 MB in ${Date.now() - t0} ms`);
  const first = await waitEvent((e) => !e.cleared && (e.signature === 'disk.io' || e.signature === 'disk.usage'), t0, timeout());
  record('500 MB write (first of disk.io / disk.usage)', t0, first);
  record('500 MB write: disk.usage', t0, await waitEvent(fired('disk.usage'), t0, 100));
  // The deletion is a new disk.usage event only after the write's one cleared.
  await waitEvent((e) => e.cleared && e.signature === 'disk.usage', t0, timeout() + 2 * intervalMs);
  const t1 = Date.now();
  unlinkSync(file);
  record('500 MB delete: disk.usage', t1, await waitEvent(fired('disk.usage'), t1, timeout()));
}

async function scenarioNewBinary(): Promise<void> {
  // A copy of sleep with random bytes appended: runs the same, hashes differently (never seen).
  const dir = mkdtempSync(join('/tmp', 'fb-bench-bin-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const exe = join(dir, `w${randomBytes(4).toString('hex')}`);
  copyFileSync('/usr/bin/sleep', exe);
  appendFileSync(exe, randomBytes(64));
  chmodSync(exe, 0o755);
  const t0 = Date.now();
  const p = spawn(exe, ['60'], { stdio: 'ignore' });
  children.push(p);
  try {
    record('new binary run from /tmp', t0, await waitEvent(fired('proc.new/'), t0, timeout()));
  } finally {
    p.kill('SIGKILL');
  }
}

async function cleanup(): Promise<void> {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  for (const f of cleanups.reverse()) await f();
  await sleep(300);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}

async function main(): Promise<void> {
  log(`work dir ${work}; interval ${intervalMs} ms, window ${durationS} s, quiet ${quietS} s${quick ? ' (quick)' : ''}`);
  const [agentJs, naiveJs, whole] = await Promise.all([bundle('agent-loop.ts', 'agent-loop.mjs'), bundle('naive-loop.ts', 'naive-loop.mjs'),
    buildAgent(join(work, 'agent-dist'))]);
  const haveNe = ensureNodeExporter();
  if (!haveNe) log('node_exporter unavailable: its column stays empty');

  log(`busy host: ${busyProcs} processes, ${busyConns} loopback connections`);
  const busy: BusyHost = await makeBusyHost(busyProcs, busyConns);
  cleanups.push(() => busy.close());

  // The loop runs with the deployed agent's node flags and environment (see scripts/build/agent.ts).
  // --cpu-prof DIR: a V8 profile of our loop, to see where its CPU goes (the profiler's own cost inflates the figures).
  const prof = args.get('cpu-prof') ? ['--cpu-prof', `--cpu-prof-dir=${args.get('cpu-prof')}`] : [];
  const agent = start(process.execPath, [...AGENT_NODE_FLAGS, ...prof, agentJs, '--interval-ms', String(intervalMs), '--data-dir', join(work, 'data'),
    '--warmup', String(warmup), '--poll-ms', String(pollMs)], (line) => {
    try {
      const m = JSON.parse(line) as { t: string; atMs: number; event: AnomalyEvent__Output } & typeof lastSample;
      if (m.t === 'event') events.push({ atMs: m.atMs, event: m.event });
      else if (m.t === 'sample') {
        lastSample = m;
        hostCpu.push({ atMs: Date.now(), pct: (m as unknown as { cpuPct: number }).cpuPct });
      }
    } catch {
      // not ours
    }
  }, false, AGENT_ENV);
  const naive = start(process.execPath, [naiveJs, '--interval-ms', String(intervalMs)]);

  // The whole agent: its controller (not measured) on loopback, heartbeats at the default 5 s.
  const ctl = await startController(join(work, 'controller'), ['--heartbeat-interval', '5s']);
  cleanups.push(() => stopAll());
  const startWhole = async (id: string, backend: string): Promise<ChildProcess> => {
    let up!: () => void;
    const connected = new Promise<void>((r) => { up = r; });
    // the launcher, as deployed: its node flags and environment (it execs node: one process)
    const c = start(whole.launcher, ['run', '-d', join(work, `agent-${id}`), '-c', ctl.agentAddress,
      '--enroll-address', ctl.enrollAddress, '--enroll-token', ctl.enrollToken, '--ca-pin', ctl.caFingerprint, '--id', id,
      '--interval', `${intervalMs}ms`, '--backend', backend, '--log-level', 'info'], (line) => {
      if (line.includes('connected to controller')) up();
    });
    await Promise.race([connected, sleep(30_000).then(() => { throw new Error(`the bundled agent (${backend}) did not connect to its controller within 30 s`); })]);
    return c;
  };
  const wholeAgent = await startWhole('bench-host', 'dry-run');
  // In the benchmark's own network namespace (see inNetns): the agent as it runs on a real
  // host, enforcing with nftables and counting connections in the kernel (its nft runs are its children).
  const nftAgent = inNetns ? await startWhole('bench-host-nft', 'nftables') : undefined;
  let ne: ChildProcess | undefined;
  let scrape: NodeJS.Timeout | undefined;
  if (haveNe) {
    const nePort = await freePort();
    // Its systemd collector logs an error per scrape without systemd: not ours to fix.
    ne = start(NODE_EXPORTER, [`--web.listen-address=127.0.0.1:${nePort}`, '--log.level=warn'], undefined, true);
    // Over one kept-alive connection, as Prometheus scrapes: a new connection per
    // scrape would be outbound churn on the measured host that a remote scraper
    // (an inbound connection) does not cause.
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
    scrape = setInterval(() => {
      http.get({ host: '127.0.0.1', port: nePort, path: '/metrics', agent: keepAlive }, (res) => { res.resume(); }).on('error', () => undefined);
    }, intervalMs);
    cleanups.push(() => { clearInterval(scrape); keepAlive.destroy(); });
  }

  // Let them start, then the window: steady state is what a host pays. Startup
  // (enrollment, inventory, hashing every executable already running once) is
  // reported apart, as CPU seconds.
  await sleep(settleS * 1000);
  const startupCpuS = round(treeUsage(wholeAgent.pid!).cpuS, 2);
  const meters = [new UsageMeter('ours', wholeAgent.pid!), new UsageMeter('ours_loop', agent.pid!), new UsageMeter('naive', naive.pid!)];
  if (nftAgent?.pid) meters.splice(1, 0, new UsageMeter('ours_nftables', nftAgent.pid));
  if (ne?.pid) meters.push(new UsageMeter('node_exporter', ne.pid));
  for (const m of meters) m.start();
  const samplesAtStart = lastSample;
  const endAt = Date.now() + durationS * 1000;
  while (Date.now() < endAt) {
    await sleep(1000);
    for (const m of meters) m.tick();
  }
  const cost = Object.fromEntries(meters.map((m) => [m.name, m.result()]));
  const samplesInWindow = lastSample.n - samplesAtStart.n;
  const loop = {
    samples: samplesInWindow,
    busy_ms_per_sample: samplesInWindow > 0 ? round((lastSample.busyMs - samplesAtStart.busyMs) / samplesInWindow, 1) : null,
    polls: lastSample.polls - samplesAtStart.polls,
    poll_table_reads: lastSample.pollTableReads - samplesAtStart.pollTableReads,
    sample_table_reads: lastSample.tableReads - samplesAtStart.tableReads,
    pid_stat_reads_per_sample: samplesInWindow > 0 ? round((lastSample.pidReads - samplesAtStart.pidReads) / samplesInWindow, 0) : null,
  };
  log(`cost window done: ${JSON.stringify(cost)}`);

  // Quiet window: once warm, nothing should fire.
  while (lastSample.n <= warmup) await sleep(200);
  const q0 = Date.now();
  await sleep(quietS * 1000);
  const quietEvents = events.filter((r) => r.atMs >= q0 && !r.event.cleared);
  const qc = hostCpu.filter((h) => h.atMs >= q0).map((h) => h.pct);
  const qMean = qc.reduce((a, b) => a + b, 0) / Math.max(1, qc.length);
  const hostCpuQuiet = { mean_pct: round(qMean, 1), min_pct: Math.min(...qc), max_pct: Math.max(...qc),
    sd_pct: round(Math.sqrt(qc.reduce((a, b) => a + (b - qMean) ** 2, 0) / Math.max(1, qc.length)), 1) };
  log(`quiet ${quietS} s: ${quietEvents.length} anomalies`);

  await scenarioCpu();
  await sleep(2 * intervalMs);
  await scenarioConnBurst();
  await sleep(intervalMs);
  await scenarioNewBinary();
  await sleep(intervalMs);
  await scenarioDisk();

  const ours = cost.ours!;
  const nv = cost.naive!;
  const nx = cost.node_exporter;
  const ratios = {
    naive_over_ours_cpu: ours.cpu_pct_of_core > 0 ? round(nv.cpu_pct_of_core / ours.cpu_pct_of_core, 1) : null,
    ours_over_node_exporter_cpu: nx && nx.cpu_pct_of_core > 0 ? round(ours.cpu_pct_of_core / nx.cpu_pct_of_core, 2) : null,
    ours_over_node_exporter_rss: nx && nx.rss_mb > 0 ? round(ours.rss_mb / nx.rss_mb, 2) : null,
  };
  const targets = {
    ours_cpu_le_0_3_pct: ours.cpu_pct_of_core <= 0.3,
    ...(cost.ours_nftables ? { ours_nftables_cpu_le_0_3_pct: cost.ours_nftables.cpu_pct_of_core <= 0.3, ours_nftables_rss_le_80_mb: cost.ours_nftables.rss_max_mb <= 80 } : {}),
    ours_rss_le_80_mb: ours.rss_max_mb <= 80,
    naive_ge_10x_ours: (ratios.naive_over_ours_cpu ?? 0) >= 10,
    ours_le_2x_node_exporter: ratios.ours_over_node_exporter_cpu !== null && ratios.ours_over_node_exporter_cpu <= 2,
    detections_within_two_intervals: detections.every((d) => d.within_two_intervals),
    quiet_zero_anomalies: quietEvents.length === 0,
  };
  const result = {
    startup: { ours_cpu_s_before_window: startupCpuS, settle_s: settleS },
    config: { interval_ms: intervalMs, window_s: durationS, quiet_s: quietS, warmup_samples: warmup, poll_ms: pollMs,
      busy_processes: busyProcs, busy_connections: busyConns, quick },
    cost, ratios, agent_loop: loop, detections,
    quiet: { window_s: quietS, anomalies: quietEvents.length, signatures: quietEvents.map((r) => r.event.signature), host_cpu: hostCpuQuiet },
    targets,
  };

  const pad = (s: string, n: number): string => s.padEnd(n);
  let out = `\nFirebreak agent benchmark — busy host: ${busyProcs} extra processes, ${busyConns} loopback connections; ${intervalMs / 1000} s interval, ${durationS} s window\n\n`;
  out += `${pad('', 16)}${pad('cpu_pct_of_core', 18)}${pad('rss_mb (mean)', 15)}rss_max_mb\n`;
  const label: Record<string, string> = { ours: 'ours (agent)', ours_nftables: 'ours (nftables)', ours_loop: 'ours (loop)' };
  for (const [name, r] of Object.entries(cost)) out += `${pad(label[name] ?? name, 16)}${pad(r.cpu_pct_of_core.toFixed(3), 18)}${pad(r.rss_mb.toFixed(1), 15)}${r.rss_max_mb.toFixed(1)}\n`;
  out += `(ours (agent) = the whole agent, measured from ${settleS} s after it connected; its start-up took ${startupCpuS} CPU seconds)\n`;
  out += `\nnaive / ours CPU: ${ratios.naive_over_ours_cpu ?? '-'}x   ours / node_exporter CPU: ${ratios.ours_over_node_exporter_cpu ?? '-'}x   ours / node_exporter RSS: ${ratios.ours_over_node_exporter_rss ?? '-'}x\n`;
  out += `our loop: ${loop.busy_ms_per_sample ?? '-'} ms wall per sample; in the window ${loop.sample_table_reads} of ${loop.samples} samples read the socket tables, ${loop.polls} fast polls, ${loop.poll_table_reads} burst table reads; ${loop.pid_stat_reads_per_sample ?? '-'} /proc/<pid>/stat reads per sample\n\n`;
  out += `${pad('detection', 48)}${pad('signature', 34)}detect_ms\n`;
  for (const d of detections) out += `${pad(d.scenario, 48)}${pad(d.signature, 34)}${d.detect_ms ?? 'missed'}${d.within_two_intervals ? '' : '  (over two intervals)'}\n`;
  out += `\nquiet ${quietS} s after warm-up: ${quietEvents.length} anomalies ${quietEvents.length ? `(${result.quiet.signatures.join(', ')})` : ''}\n`;
  out += `host CPU meanwhile (all cores, other tenants included): mean ${hostCpuQuiet.mean_pct}%, sd ${hostCpuQuiet.sd_pct}, range ${hostCpuQuiet.min_pct}-${hostCpuQuiet.max_pct}%\n`;
  out += `targets: ${Object.entries(targets).map(([k, v]) => `${k}=${v ? 'ok' : 'MISS'}`).join('  ')}\n`;
  process.stdout.write(out);
  if (jsonFile) writeJson(jsonFile, result);
}

/**
 * As root with iproute2 and nftables, the benchmark runs itself again inside a
 * network namespace it makes (and removes): the agent with the nftables backend
 * and kernel counting changes that namespace's firewall only, never the
 * machine's, and the busy host's sockets are the only ones its tables show.
 * Elsewhere it measures the dry-run agent in the current namespace.
 */
function runInNetns(): number | undefined {
  if (inNetns || args.has('no-netns') || process.getuid?.() !== 0) return undefined;
  if (spawnSync('ip', ['-V']).status !== 0 || spawnSync('nft', ['--version']).status !== 0) {
    log('not measuring the nftables agent: needs root, iproute2 and nftables (apt-get install -y iproute2 nftables)');
    return undefined;
  }
  ensureNodeExporter(); // here: the namespace has no route to a package mirror
  const ns = `fb-bench-${process.pid}`;
  if (spawnSync('ip', ['netns', 'add', ns], { stdio: 'inherit' }).status !== 0) return undefined;
  try {
    spawnSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'], { stdio: 'inherit' });
    log(`running inside network namespace ${ns}`);
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2), '--in-netns'],
      { stdio: 'inherit' });
    return r.status ?? 1;
  } finally {
    spawnSync('ip', ['netns', 'delete', ns]);
  }
}

const delegated = runInNetns();
if (delegated !== undefined) {
  rmSync(work, { recursive: true, force: true });
  process.exit(delegated);
}
process.on('SIGINT', () => { void cleanup().then(() => process.exit(130)); });
main().then(cleanup, async (err: Error) => {
  log(`failed: ${err.message}`);
  await cleanup();
  process.exit(1);
});
