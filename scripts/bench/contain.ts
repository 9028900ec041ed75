// npm run bench:contain -- [--cycles 100] [--json FILE] [--pace-ms 400] [--agent-interval 5s]
//
// How fast containment bites, with real processes in network namespaces: a
// controller process in namespace ctl, an agent process with the real
// nftables backend in h1. From an operator's IssueCommand to the agent's
// APPLIED result at the controller (IssueCommand + WaitCommand on a gRPC
// Operator client, so no CLI start-up time is counted), p50/p95/p99 over N
// isolate/release cycles and N block/unblock cycles (tcp/25 outbound).
//
// Side by side, the floor: the raw `nft -f -` of the same rulesets in a
// namespace with no agent, so the ratio shows what the controller, the
// stream, the signature checks and the agent add. Target: p99 under 500 ms.
//
// Commands are paced (--pace-ms between one result and the next command):
// each command makes the agent send a heartbeat and a result (and a round trip
// when it verifies an isolation), and the controller refuses an agent's stream
// above 10 frames/s (burst 50); back to back, that refusal and the agent's
// reconnect backoff (0.5-1 s) would be measured instead of containment. Run
// with --pace-ms 0 to see that burst case; refusals are counted either way.
//
// The operator port listens on 127.0.0.1 inside ctl only, so the measuring
// part runs there (this file again, `--worker measure`); the floor runs in a
// third namespace (`--worker floor`). Needs root, iproute2 and nftables; every
// namespace, process and temp dir is removed at the end, also on failure.
import { performance } from 'node:perf_hooks';
import { writeFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { CommandView__Output, IssueCommandRequest } from '../../proto/wire.ts';
import type { ControllerEndpoint, EnforcementState } from '../../agent/enforce/backend.ts';
import { renderNftScript } from '../../agent/enforce/nft-render.ts';
import { runTool } from '../../agent/enforce/run.ts';
import { call, loadCredentials, operatorClient } from '../../controller/cli/client.ts';
import { TestNetwork } from '../netns/netns.ts';
import { parseControllerEndpoint, startNsAgent, startNsController } from '../netns/fleet.ts';
import { stopAll, tempDir } from '../../test/helpers/procs.ts';

const SELF = fileURLToPath(import.meta.url);
const TARGET_P99_MS = 500;
const WARMUP = 3;
const FINAL = ['APPLIED', 'FAILED', 'EXPIRED', 'ROLLED_BACK'];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

function log(msg: string): void {
  process.stderr.write(`[bench:contain] ${msg}\n`);
}

/** Nearest-rank percentile of sorted samples. */
function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

interface Stats { n: number; p50: number; p95: number; p99: number; max: number; mean: number }
function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, p50: r(pct(s, 50)), p95: r(pct(s, 95)), p99: r(pct(s, 99)), max: r(s[s.length - 1] ?? NaN), mean: r(s.reduce((a, b) => a + b, 0) / (s.length || 1)) };
}

// ------------------------------------------------------------------ workers (inside a namespace)

type Samples = Record<string, number[]>;
/** One measured command, for matching to the agent's own log of it. */
interface Measured { id: string; issuedAtMs: number }
interface MeasureOutput { samples: Samples; commands: Record<string, Measured[]> }

/** In ctl: issue commands on the Operator API and time issued -> APPLIED. */
async function measureWorker(): Promise<MeasureOutput> {
  const cycles = Number(arg('cycles'));
  const paceMs = Number(arg('pace-ms') ?? 0);
  const hostId = arg('host')!;
  const client = operatorClient(arg('operator')!, loadCredentials(arg('credentials')).cred);
  const out: Samples = {};
  const commands: Record<string, Measured[]> = {};
  const push = (k: string, v: number) => (out[k] ??= []).push(v);
  const timed = async (name: string, req: IssueCommandRequest, record: boolean): Promise<void> => {
    const t0 = performance.now();
    let v = await call<IssueCommandRequest, CommandView__Output>(client, 'IssueCommand', req);
    if (!FINAL.includes(v.status)) {
      v = await call<object, CommandView__Output>(client, 'WaitCommand', { commandId: v.command!.id, timeoutMs: 15_000 }, 20_000);
    }
    const ms = performance.now() - t0;
    if (v.status !== 'APPLIED') throw new Error(`${name} on ${hostId} ended ${v.status}: ${v.resultMessage}`);
    if (paceMs > 0) await new Promise((r) => setTimeout(r, paceMs));
    if (!record) return;
    push(`${name}`, ms);
    // the same span on the controller's own clock: issued -> result stored
    push(`${name}_controller`, Number(v.updatedAtMs) - Number(v.command!.issuedAtMs));
    (commands[name] ??= []).push({ id: v.command!.id, issuedAtMs: Number(v.command!.issuedAtMs) });
  };
  const block: IssueCommandRequest = {
    hostId, action: 'BLOCK', reason: 'bench',
    block: { block: { id: 'bench-25', direction: 'OUT', protocol: 'TCP', ports: [{ from: 25, to: 25 }], remoteCidrs: [], remoteInternet: false, expiresAtMs: 0 } },
  };
  for (let i = 0; i < WARMUP + cycles; i++) {
    const rec = i >= WARMUP;
    await timed('isolate', { hostId, action: 'ISOLATE', reason: 'bench', isolate: { allowlist: [] } }, rec);
    await timed('release', { hostId, action: 'RELEASE', reason: 'bench' }, rec);
  }
  for (let i = 0; i < WARMUP + cycles; i++) {
    const rec = i >= WARMUP;
    await timed('block', block, rec);
    await timed('unblock', { hostId, action: 'UNBLOCK', reason: 'bench', unblock: { blockId: 'bench-25' } }, rec);
  }
  client.close();
  return { samples: out, commands };
}

/** In a namespace with no agent: the raw `nft -f -` of the same rulesets, as the backend runs it. */
async function floorWorker(): Promise<Samples> {
  const cycles = Number(arg('cycles'));
  const controller: ControllerEndpoint = parseControllerEndpoint(arg('controller')!);
  const base: EnforcementState = { isolated: false, allowlist: [], blocks: [], backend: 'NFTABLES', rulesetHash: '', controllerEndpoint: '', stateLost: '', throttle: null };
  const scripts = {
    isolate: { ...base, isolated: true },
    release: base,
    block: { ...base, blocks: [{ id: 'bench-25', direction: 'OUT' as const, protocol: 'TCP' as const, ports: [{ from: 25, to: 25 }], remoteCidrs: [], remoteInternet: false, expiresAtMs: 0 }] },
    unblock: base,
  };
  const out: Samples = {};
  for (const [name, state] of Object.entries(scripts)) {
    const text = renderNftScript(state, controller).join('\n') + '\n';
    out[name] = [];
    for (let i = 0; i < WARMUP + cycles; i++) {
      const t0 = performance.now();
      const r = await runTool('nft', ['-f', '-'], { input: text, timeoutMs: 10_000 });
      const ms = performance.now() - t0;
      if (r.code !== 0) throw new Error(`nft -f refused the ${name} ruleset: ${r.stderr.trim()}`);
      if (i >= WARMUP) out[name].push(ms);
    }
  }
  await runTool('nft', ['delete', 'table', 'inet', 'firebreak'], { timeoutMs: 10_000 });
  return out;
}

// ------------------------------------------------------------------ orchestrator (the machine's namespace)

async function runWorker<T>(net: TestNetwork, ns: string, args: string[], timeoutMs: number): Promise<T> {
  const r = await net.node(ns, SELF, args, { timeoutMs });
  if (r.code !== 0) throw new Error(`worker ${args[1]} in ${ns} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}

async function main(): Promise<void> {
  const cycles = Number(arg('cycles') ?? 100);
  if (!Number.isInteger(cycles) || cycles < 1 || cycles > 10_000) throw new Error('--cycles must be an integer from 1 to 10000');
  const jsonFile = arg('json');
  // the agent's own default; its sampling and drift check run at this interval, beside the commands
  const agentInterval = arg('agent-interval') ?? '5s';
  const paceMs = Number(arg('pace-ms') ?? 400);
  if (!Number.isFinite(paceMs) || paceMs < 0 || paceMs > 10_000) throw new Error('--pace-ms must be 0 to 10000');
  const dirs: { remove(): void }[] = [];
  let net: TestNetwork | undefined;
  const cleanup = async () => {
    await stopAll();
    await net?.destroy();
    for (const d of dirs) d.remove();
  };
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    log('building namespaces ctl, h1 (agent) and floor (no agent)');
    net = await TestNetwork.create(['ctl', 'h1', 'floor']);
    const ctlDir = tempDir('fb-bench-contain-');
    const agentDir = tempDir('fb-bench-contain-');
    dirs.push(ctlDir, agentDir);
    const ctl = await startNsController(net, 'ctl', ctlDir.path);
    // a listener in floor gives the agent's verification a destination isolation must block
    await net.listen('floor', { tcp: [80] });
    const agent = await startNsAgent(net, 'h1', ctl, agentDir.path, { extra: ['--verify-target', `${net.host('floor').v4}:80`, '--interval', agentInterval] });
    log(`controller ${ctl.agentAddress}, agent h1 connected (interval ${agentInterval}); ${cycles} cycles each`);

    const t0 = Date.now();
    const { samples: measured, commands } = await runWorker<MeasureOutput>(net, 'ctl', ['--worker', 'measure', '--cycles', String(cycles), '--host', 'h1', '--pace-ms', String(paceMs),
      '--operator', ctl.operatorAddress, '--credentials', ctl.credentialsFile], 60_000 + cycles * 4 * (3000 + paceMs));
    log(`measured in ${((Date.now() - t0) / 1000).toFixed(1)} s; now the nft floor`);
    const floor = await runWorker<Samples>(net, 'floor', ['--worker', 'floor', '--cycles', String(cycles), '--controller', ctl.agentAddress],
      60_000 + cycles * 4 * 1000);

    // issued (controller clock) -> the agent logged its result (same machine, same clock): delivery + verify + apply
    const agentDone = new Map<string, number>();
    for (const line of agent.logs) {
      try {
        const l = JSON.parse(line) as { command?: string; status?: string; time?: number };
        if (l.command && l.status && l.time) agentDone.set(l.command, l.time);
      } catch { /* not a JSON log line */ }
    }
    for (const [action, list] of Object.entries(commands)) {
      measured[`${action}_agent`] = list.filter((c) => agentDone.has(c.id)).map((c) => agentDone.get(c.id)! - c.issuedAtMs);
    }
    // the raw samples, in order, so outliers can be matched to what else ran at that moment
    const series: Record<string, number[]> = {};
    for (const [k, v] of Object.entries(measured)) series[`${k}_samples_ms`] = v.map((x) => Math.round(x * 10) / 10);
    const nftVersion = (await runTool('nft', ['--version'], { timeoutMs: 5000 })).stdout.trim();
    const rows: string[][] = [];
    const json: Record<string, unknown> = {
      bench: 'contain', cycles, pace_ms: paceMs, agent_interval: agentInterval,
      // the controller refused the agent's stream for sending frames too fast (each costs a reconnect)
      agent_stream_refusals: ctl.logs.filter((l) => l.includes('sends frames faster')).length, target_p99_ms: TARGET_P99_MS, node: process.version, nft: nftVersion,
      cpu_cores: cpus().length, loadavg_1m_at_end: Math.round(loadavg()[0]! * 100) / 100, finished_at: new Date().toISOString(),
    };
    for (const action of ['isolate', 'release', 'block', 'unblock']) {
      const e2e = stats(measured[action] ?? []);
      const atCtl = stats(measured[`${action}_controller`] ?? []);
      const atAgent = stats(measured[`${action}_agent`] ?? []);
      const raw = stats(floor[action] ?? []);
      for (const [suffix, s] of [['', e2e], ['_controller', atCtl], ['_agent', atAgent], ['_nft', raw]] as const) {
        json[`${action}${suffix}_p50_ms`] = s.p50;
        json[`${action}${suffix}_p95_ms`] = s.p95;
        json[`${action}${suffix}_p99_ms`] = s.p99;
        json[`${action}${suffix}_max_ms`] = s.max;
        json[`${action}${suffix}_mean_ms`] = s.mean;
      }
      json[`${action}_p50_over_nft_p50_ratio`] = Math.round((e2e.p50 / raw.p50) * 10) / 10;
      rows.push([action, String(e2e.n), `${e2e.p50}`, `${e2e.p95}`, `${e2e.p99}`, `${e2e.max}`, `${atCtl.p50} / ${atCtl.p99}`, `${atAgent.p50} / ${atAgent.p99}`, `${raw.p50} / ${raw.p99}`, `${(e2e.p50 / raw.p50).toFixed(1)}x`]);
    }
    const worst = Math.max(Number(json.isolate_p99_ms), Number(json.block_p99_ms));
    json.meets_target = worst < TARGET_P99_MS;

    const head = ['action', 'n', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'at controller p50/p99', 'agent done p50/p99', 'nft -f floor p50/p99', 'p50 / floor'];
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
    process.stdout.write([
      `containment latency, issued -> APPLIED at the controller (Operator gRPC client in ctl, agent in h1, ${cycles} cycles, ${WARMUP} warm-up, ${paceMs} ms between commands)`,
      line(head), ...rows.map(line),
      `agent stream refused by the controller's frame rate limit: ${json.agent_stream_refusals} time(s)`,
      `target p99 < ${TARGET_P99_MS} ms: ${json.meets_target ? 'met' : 'NOT met'} (isolate p99 ${json.isolate_p99_ms} ms, block p99 ${json.block_p99_ms} ms)`,
      '',
    ].join('\n'));
    if (jsonFile) {
      writeFileSync(jsonFile, JSON.stringify({ ...json, ...series }, null, 2) + '\n');
      log(`wrote ${jsonFile}`);
    }
  } finally {
    await cleanup();
  }
}

const worker = arg('worker');
try {
  if (worker === 'measure') process.stdout.write(JSON.stringify(await measureWorker()) + '\n');
  else if (worker === 'floor') process.stdout.write(JSON.stringify(await floorWorker()) + '\n');
  else if (worker !== undefined) throw new Error(`unknown worker '${worker}': use measure or floor`);
  else await main();
} catch (err) {
  process.stderr.write(`bench:contain: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
