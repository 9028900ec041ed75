// npm run bench:throttle -- [--benign-s 15] [--rate 1] [--burst 5] [--json FILE]
//
// What Williamson's virus throttle costs a busy benign host and what it takes
// from a scanner, with the real nftables backend in network namespaces (root,
// iproute2, nftables). Host h1 connects to a peer holding 520 addresses:
// - benign: 200 connections/s to a working set of 10 destinations, plus one new
//   destination every 5 s, for --benign-s seconds (connect timeout 3 s, so a
//   dropped SYN shows as the 1 s retransmission it costs);
// - scanner: 500 distinct destinations as fast as it can, 100 in flight, each
//   given 2 s (TCP retries its SYN once in that time);
// each without and with the throttle (applied afresh before each run, so the
// benign host starts with an empty working set). Prints connections completed,
// median and p99 connect latency, and new destinations reached per second, and
// the ratios side by side; --json FILE writes them with units in their names.
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ControllerEndpoint, EnforcementState } from '../../agent/enforce/backend.ts';
import { TestNetwork } from '../netns/netns.ts';
import type { ThrottlePlan, ThrottleProbeResult } from '../netns/throttle-probe.ts';

const PROBE = fileURLToPath(new URL('../netns/throttle-probe.ts', import.meta.url));

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}
const log = (msg: string) => process.stderr.write(`[bench:throttle] ${msg}\n`);

const BENIGN_S = Number(arg('benign-s') ?? 15);
const RATE = Number(arg('rate') ?? 1);
const BURST = Number(arg('burst') ?? 5);
const BENIGN_PER_S = 200;
const WORKING = 10;
const NEW_EVERY_MS = 5000;
const SCAN = 500;
const ADDRS = 520;

/** 10.78.0.0/16 on the peer, one /32 each; h1 reaches them on-link. */
const dest = (i: number) => `10.78.${i >> 8}.${i & 255}`;

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const r1 = (x: number) => Math.round(x * 10) / 10;

interface CaseResult {
  tried: number;
  completed: number;
  medianMs: number;
  p99Ms: number;
  /** connections that took over 900 ms: a SYN dropped and sent again */
  retried: number;
  newDestPerS: number;
  elapsedS: number;
}

function summarize(results: ThrottleProbeResult[]): CaseResult {
  const ok = results.filter((r) => r.ok);
  const lat = ok.map((r) => r.ms).sort((a, b) => a - b);
  const t0 = Math.min(...results.map((r) => r.startedAtMs));
  const t1 = Math.max(...results.map((r) => r.startedAtMs + r.ms));
  const elapsedS = (t1 - t0) / 1000;
  return {
    tried: results.length,
    completed: ok.length,
    medianMs: r1(pct(lat, 50)),
    p99Ms: r1(pct(lat, 99)),
    retried: ok.filter((r) => r.ms > 900).length,
    newDestPerS: r1(new Set(ok.map((r) => r.address)).size / elapsedS),
    elapsedS: r1(elapsedS),
  };
}

const net = await TestNetwork.create(['ctrl', 'h1', 'peer']);
try {
  log('adding 520 addresses to the peer');
  const batch = Array.from({ length: ADDRS }, (_, i) => `addr add ${dest(i + 1)}/32 dev eth0`).join('\n') + '\n';
  const add = await net.exec('peer', 'ip', ['-batch', '-'], { input: batch, timeoutMs: 60_000 });
  if (add.code !== 0) throw new Error(`adding addresses failed: ${add.stderr}`);
  await net.mustExec('h1', 'ip', ['route', 'add', '10.78.0.0/16', 'dev', 'eth0']);
  await net.listen('peer', { tcp: [80] });
  const controller: ControllerEndpoint = { targets: [{ address: net.host('ctrl').v4, port: 7443 }], dnsServers: [] };
  const state = (throttled: boolean): EnforcementState => ({
    isolated: false, allowlist: [], blocks: [], backend: 'NFTABLES', rulesetHash: '', controllerEndpoint: '', stateLost: '',
    throttle: throttled ? { newPerSecond: RATE, burst: BURST, workingSetS: 60, expiresAtMs: 0 } : null,
  });
  const run = async (plan: ThrottlePlan, timeoutMs: number): Promise<ThrottleProbeResult[]> => {
    const res = await net.exec('h1', process.execPath, ['--import', 'tsx', PROBE, '-'], { input: JSON.stringify(plan), timeoutMs });
    if (res.code !== 0) throw new Error(`probe failed (exit ${res.code}): ${res.stderr.trim()}`);
    return JSON.parse(res.stdout) as ThrottleProbeResult[];
  };
  // warm the neighbour cache for every address, without rules, so ARP is not measured
  await net.applyState('h1', state(false), controller);
  await run({ mode: 'pool', timeoutMs: 3000, concurrency: 100, probes: Array.from({ length: ADDRS }, (_, i) => ({ address: dest(i + 1), port: 80 })) }, 60_000);

  /** newBase: where the run's new destinations start (a second run gets ones the first never used) */
  const benignPlan = (newBase: number): ThrottlePlan => ({
    mode: 'paced', timeoutMs: 3000,
    probes: Array.from({ length: BENIGN_S * BENIGN_PER_S }, (_, k) => {
      const atMs = (k * 1000) / BENIGN_PER_S;
      const fresh = k > 0 && Math.floor(atMs / NEW_EVERY_MS) > Math.floor(((k - 1) * 1000) / BENIGN_PER_S / NEW_EVERY_MS);
      // a new destination at each 5 s mark; the rest round-robin over the working set
      return { address: fresh ? dest(newBase + Math.floor(atMs / NEW_EVERY_MS)) : dest(1 + (k % WORKING)), port: 80, atMs };
    }),
  });
  const scanPlan: ThrottlePlan = {
    mode: 'pool', timeoutMs: 2000, concurrency: 100, capMs: 30_000,
    probes: Array.from({ length: SCAN }, (_, i) => ({ address: dest(ADDRS - SCAN + 1 + i), port: 80 })),
  };

  const cases: Record<string, CaseResult> = {};
  for (const [name, plan, throttled, budget, fresh] of [
    ['benign, no throttle', benignPlan(WORKING), false, (BENIGN_S + 30) * 1000, true],
    ['benign, throttle', benignPlan(WORKING), true, (BENIGN_S + 30) * 1000, true],
    // the same host carrying on under the same throttle: its working set is full now
    ['benign, throttle, warm', benignPlan(WORKING + 20), true, (BENIGN_S + 30) * 1000, false],
    ['scanner, no throttle', scanPlan, false, 60_000, true],
    ['scanner, throttle', scanPlan, true, 60_000, true],
  ] as const) {
    if (fresh) await net.applyState('h1', state(throttled), controller);
    log(`${name}...`);
    cases[name] = summarize(await run(plan, budget));
  }

  const b0 = cases['benign, no throttle']!;
  const b1 = cases['benign, throttle']!;
  const bw = cases['benign, throttle, warm']!;
  const s0 = cases['scanner, no throttle']!;
  const s1 = cases['scanner, throttle']!;
  const rows = Object.entries(cases).map(([n, c]) => [n, c.tried, c.completed, c.retried, c.medianMs, c.p99Ms, c.newDestPerS, c.elapsedS].map(String));
  const head = ['case', 'tried', 'completed', 'retried SYN', 'median ms', 'p99 ms', 'new dest/s', 'elapsed s'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`throttle ${RATE}/s burst ${BURST}, working set 60 s; benign ${BENIGN_PER_S} conn/s to ${WORKING} destinations + 1 new every 5 s for ${BENIGN_S} s; scanner ${SCAN} destinations, 100 in flight\n\n`);
  process.stdout.write([line(head), ...rows.map(line)].join('\n') + '\n\n');
  const ratio = (a: number, b: number) => (b > 0 ? r1(a / b) : Infinity);
  process.stdout.write([
    `benign completed   ${b1.completed} / ${b0.completed} with / without (${r1((100 * b1.completed) / b0.completed)}%)`,
    `benign median      ${b1.medianMs} / ${b0.medianMs} ms, p99 ${b1.p99Ms} / ${b0.p99Ms} ms; ${b1.retried} connection(s) waited for a SYN retry (the empty working set filling at ${RATE}/s)`,
    `benign, warm       ${bw.completed} / ${b0.completed} completed, median ${bw.medianMs} ms, p99 ${bw.p99Ms} ms, ${bw.retried} SYN retries`,
    `scanner reach      ${s1.newDestPerS} / ${s0.newDestPerS} new destinations/s with / without: ${ratio(s0.newDestPerS, s1.newDestPerS)}x slower`,
    `load               ${loadavg()[0]!.toFixed(2)} (1 min) on ${cpus().length} cores`,
  ].join('\n') + '\n');

  const jsonFile = arg('json');
  if (jsonFile) {
    const out = {
      throttle_new_per_s: RATE, throttle_burst: BURST, throttle_working_set_s: 60,
      benign_duration_s: BENIGN_S, benign_rate_conn_per_s: BENIGN_PER_S,
      benign_tried_off: b0.tried, benign_completed_off: b0.completed, benign_median_ms_off: b0.medianMs, benign_p99_ms_off: b0.p99Ms, benign_syn_retried_off: b0.retried,
      benign_tried_on: b1.tried, benign_completed_on: b1.completed, benign_median_ms_on: b1.medianMs, benign_p99_ms_on: b1.p99Ms, benign_syn_retried_on: b1.retried,
      benign_warm_completed_on: bw.completed, benign_warm_median_ms_on: bw.medianMs, benign_warm_p99_ms_on: bw.p99Ms, benign_warm_syn_retried_on: bw.retried,
      scanner_tried_off: s0.tried, scanner_completed_off: s0.completed, scanner_median_ms_off: s0.medianMs, scanner_p99_ms_off: s0.p99Ms, scanner_new_dest_per_s_off: s0.newDestPerS, scanner_elapsed_s_off: s0.elapsedS,
      scanner_tried_on: s1.tried, scanner_completed_on: s1.completed, scanner_median_ms_on: s1.medianMs, scanner_p99_ms_on: s1.p99Ms, scanner_new_dest_per_s_on: s1.newDestPerS, scanner_elapsed_s_on: s1.elapsedS,
      scanner_slowdown_x: ratio(s0.newDestPerS, s1.newDestPerS),
      cpu_cores: cpus().length, loadavg_1m_at_end: r1(loadavg()[0]!), finished_at: new Date().toISOString(),
    };
    writeFileSync(jsonFile, JSON.stringify(out, null, 2) + '\n');
    log(`figures written to ${jsonFile}`);
  }
} finally {
  await net.destroy();
}
