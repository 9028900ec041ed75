// npm run bench:fleet -- [--hosts 1000] [--interval 5s] [--template DIR] [--json FILE] [--keep]
//
// A fleet-wide block by host selector, end to end: a real controller process, N
// simulated agents in this process (the simulator's Fleet: real Agent, link, mTLS and
// signed-command checks, dry-run firewall), each enrolled with its own identity. The
// hosts of role mail are granted the tag mail-relay by an admin (granted tags are what
// selectors read). Then the real CLI process runs
//   firebreak block --hosts 'all,not tag:mail-relay' --port 25 --direction outbound --yes
// and the bench waits until every command it issued is APPLIED at the controller (the
// agent's ack), polling ListCommands. Apply time per host = the command's updated_at
// (when the controller stored APPLIED) less its issued_at, both the controller's clock.
//
// Side by side, the alternative: the same block (port 26) to the same hosts as single-host
// IssueCommand RPCs, one at a time (each awaited, as a script looping over hosts would),
// timed from the first issue to the last APPLIED; the ratio is alternative / fleet.
//
// The controller runs with the per-address caps off, as the simulator's do (every
// simulated agent dials from 127.0.0.1). Target: all applied within 5 s.
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { pino } from 'pino';
import { call } from '../../controller/cli/client.ts';
import { durationArg } from '../../proto/duration-option.ts';
import type { CommandView__Output, FleetIssueResponse__Output } from '../../proto/wire.ts';
import { cli, startController, stopProcess, type ControllerProc } from '../../test/helpers/procs.ts';
import { Fleet } from '../simulate/fleet.ts';
import { OperatorApi } from '../simulate/operator.ts';
import { enrollFleet, enrollHosts, ONE_ADDRESS_FLEET } from '../simulate/run.ts';
import { treeUsage } from './lib/proc-usage.ts';

const TARGET_S = 5;
const SELECTOR = 'all,not tag:mail-relay';

const program = new Command('bench:fleet')
  .option('--hosts <n>', 'simulated hosts', Number, 1000)
  .option('--interval <duration>', "the agents' report interval", durationArg, 5000)
  .option('--enroll-concurrency <n>', 'identities enrolled at once', Number, 8)
  .option('--template <dir>', 'enroll the fleet once into DIR (made on first use) and start every run from a copy of it')
  .option('--json <file>', 'write the figures as JSON here')
  .option('--cpu-prof <dir>', 'run the controller under node --cpu-prof into DIR (and skip the single-RPC phase, so the profile ends with the fleet action)')
  .option('--keep', 'keep the temp dir');

const log = pino({ level: process.env.LOG_LEVEL ?? 'error' });
const say = (m: string) => process.stderr.write(`[bench:fleet] ${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of sorted samples. */
const pct = (s: number[], p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;

/** Polls the controller until every id is final (bounded); returns their views. */
async function waitApplied(api: OperatorApi, ids: Set<string>, timeoutMs: number): Promise<CommandView__Output[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // newest first: the commands waited for are the newest ones, so no more rows than that are read
    // (a poll of every command the bench ever issued would load the controller it measures)
    const all = (await api.listCommands(ids.size)).filter((v) => ids.has(v.command!.id));
    const pending = all.filter((v) => v.status === 'QUEUED' || v.status === 'SENT').length;
    if (all.length === ids.size && pending === 0) return all;
    if (Date.now() > deadline) {
      say(`gave up after ${timeoutMs} ms: ${pending} of ${ids.size} commands still pending`);
      return all;
    }
    await sleep(200);
  }
}

/** When each agent (in this process) finished applying a command: its own result's time. */
const agentDone = new Map<string, number>();

function figures(views: CommandView__Output[], startedAtMs: number) {
  const applied = views.filter((v) => v.status === 'APPLIED');
  // split: issue -> the agent finished applying (delivery and the agent's work), and -> the controller stored its ack
  const atAgent = applied.map((v) => (agentDone.get(v.command!.id) ?? NaN) - Number(v.command!.issuedAtMs)).filter(Number.isFinite).sort((a, b) => a - b);
  const times = applied.map((v) => Number(v.updatedAtMs) - Number(v.command!.issuedAtMs)).sort((a, b) => a - b);
  const last = Math.max(...applied.map((v) => Number(v.updatedAtMs)));
  const firstIssue = Math.min(...views.map((v) => Number(v.command!.issuedAtMs)));
  return {
    hosts_issued: views.length,
    hosts_applied: applied.length,
    not_applied: Object.fromEntries([...new Set(views.filter((v) => v.status !== 'APPLIED').map((v) => v.status))].map((s) => [s, views.filter((v) => v.status === s).length])),
    apply_p50_ms: pct(times, 50),
    apply_p99_ms: pct(times, 99),
    apply_max_ms: times[times.length - 1] ?? NaN,
    agent_applied_p50_ms: pct(atAgent, 50),
    agent_applied_max_ms: atAgent[atAgent.length - 1] ?? NaN,
    // from the issue (the first command stored, the controller's clock) to the last APPLIED
    total_s: +((last - firstIssue) / 1000).toFixed(3),
    // from the operator's start (the CLI process started, or the first RPC sent) to the last APPLIED
    from_operator_start_s: +((last - startedAtMs) / 1000).toFixed(3),
  };
}

async function main(): Promise<void> {
  const o = program.parse().opts<{ hosts: number; interval: number; enrollConcurrency: number; template?: string; json?: string; keep?: boolean; cpuProf?: string }>();
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-bench-fleet-'));
  // the simulated hosts' files in memory, as the simulator keeps them: a thousand hosts'
  // fsyncs on one disk would stall this one process and be measured instead (see run.ts)
  const hostsDir = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/firebreak-bench-fleet-hosts-') : join(dir, 'hosts');
  let ctl: ControllerProc | undefined;
  let fleet: Fleet | undefined;
  let api: OperatorApi | undefined;
  try {
    if (o.template) {
      // enrollment (a key, a CSR and a certificate per host) costs minutes at 1,000 hosts: paid once
      if (!existsSync(join(o.template, 'controller'))) {
        say(`enrolling ${o.hosts} hosts into the template ${o.template}`);
        await enrollFleet({ hosts: o.hosts, dir: o.template, log, concurrency: o.enrollConcurrency });
      }
      cpSync(join(o.template, 'controller'), join(dir, 'controller'), { recursive: true });
      cpSync(join(o.template, 'hosts'), hostsDir, { recursive: true });
    }
    const prefix = o.cpuProf ? [process.execPath, '--cpu-prof', `--cpu-prof-dir=${o.cpuProf}`] : undefined;
    ctl = await startController(join(dir, 'controller'), [...ONE_ADDRESS_FLEET, '--heartbeat-interval', '5s'], { prefix });
    api = new OperatorApi(ctl.operatorAddress, ctl.credentialsFile);
    fleet = new Fleet({ hosts: o.hosts, seed: 1, intervalMs: o.interval, controller: ctl.agentAddress, dataDir: hostsDir, log, countFromMs: () => Infinity });
    let t = Date.now();
    const ids = await enrollHosts(api, ctl, fleet.hosts, o.enrollConcurrency, log);
    say(`${o.hosts} hosts enrolled in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    t = Date.now();
    await fleet.start(async (h) => ({ identity: ids.get(h.id)! }), 60_000 + o.hosts * 60);
    const slow = await fleet.drained(60_000);
    for (const h of fleet.hosts) h.agent!.results.on('result', (r: { commandId: string; finishedAtMs: number }) => agentDone.set(r.commandId, Number(r.finishedAtMs)));
    say(`agents connected and answering in ${((Date.now() - t) / 1000).toFixed(1)} s${slow ? ` (${slow} links slow)` : ''}`);
    // the mail relays, granted by an admin (an agent's own claim would not count)
    const relays = fleet.hosts.filter((h) => h.role === 'mail').map((h) => h.id);
    for (const id of relays) await call(api.client, 'SetHostTags', { hostId: id, set: { 'mail-relay': '' }, remove: [] });
    const want = o.hosts - relays.length;
    say(`${relays.length} hosts granted mail-relay; the selector should pick ${want}`);
    await sleep(1000);

    // ---- the fleet action, through the real CLI process
    const load1 = loadavg()[0]!;
    // CPU seconds of the controller and of this process (the simulated agents) over each phase:
    // on a loaded machine wall time is noisy, CPU spent is not
    const cpu = () => ({ controller: treeUsage(ctl!.child.pid!).cpuS, agents: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 });
    const cpuDelta = (a: ReturnType<typeof cpu>) => { const b = cpu(); return { controller_cpu_s: +(b.controller - a.controller).toFixed(2), simulator_cpu_s: +(b.agents - a.agents).toFixed(2) }; };
    let c0 = cpu();
    const cliStart = Date.now();
    const r = await cli(ctl, ['-o', 'json', 'block', '--hosts', SELECTOR, '--port', '25', '--direction', 'outbound', '--yes'], 120_000);
    const cliExitMs = Date.now() - cliStart;
    if (r.code !== 0) throw new Error(`firebreak block --hosts exited ${r.code}: ${r.stderr}`);
    const issued = JSON.parse(r.stdout) as FleetIssueResponse__Output;
    const fleetViews = await waitApplied(api, new Set(issued.commands.map((c) => c.commandId)), 120_000);
    // the controller's own account of the batch: signing, the one transaction, the audit entry, the sends
    const line = await ctl.waitFor((l) => l.msg === 'fleet commands issued', 5000).catch(() => ({} as Record<string, unknown>));
    const controller_ms = { build: line.buildMs, store: line.storeMs, audit: line.auditMs, send: line.sendMs };
    const fleetFig = { ...figures(fleetViews, cliStart), controller_ms, ...cpuDelta(c0), cli_exit_ms: cliExitMs, load1 };
    say(`controller: ${JSON.stringify(controller_ms)} ms`);
    say(`fleet: ${fleetFig.hosts_applied}/${fleetFig.hosts_issued} applied, p50 ${fleetFig.apply_p50_ms} ms, p99 ${fleetFig.apply_p99_ms} ms, max ${fleetFig.apply_max_ms} ms, issue to last applied ${fleetFig.total_s} s, ${fleetFig.from_operator_start_s} s from the CLI's start (it exited after ${cliExitMs} ms)`);

    if (o.cpuProf) {
      say(`profile: the controller's profile is written to ${o.cpuProf} when it stops; its last ${Math.ceil(fleetFig.from_operator_start_s)} s are the fleet action`);
      return;
    }

    // ---- the alternative: one IssueCommand per host, one at a time
    await sleep(1000);
    const load2 = loadavg()[0]!;
    c0 = cpu();
    const singleStart = Date.now();
    const singleIds = new Set<string>();
    for (const hostId of issued.plan!.hostIds) {
      const v = await call<object, CommandView__Output>(api.client, 'IssueCommand', {
        hostId, action: 'BLOCK', reason: 'bench:fleet single', block: { force: false, block: { id: 'tcp-out-26', direction: 'OUT', protocol: 'TCP', ports: [{ from: 26, to: 26 }], remoteCidrs: [], remoteInternet: false, expiresAtMs: 0 } },
      });
      singleIds.add(v.command!.id);
    }
    const issueLoopMs = Date.now() - singleStart;
    const singleViews = await waitApplied(api, singleIds, 300_000);
    const singleFig = { ...figures(singleViews, singleStart), ...cpuDelta(c0), issue_loop_ms: issueLoopMs, load1: load2 };
    say(`single: ${singleFig.hosts_applied}/${singleFig.hosts_issued} applied, p50 ${singleFig.apply_p50_ms} ms, p99 ${singleFig.apply_p99_ms} ms, first issue to last applied ${singleFig.total_s} s (issue loop ${issueLoopMs} ms)`);

    const ratio = +(singleFig.total_s / fleetFig.total_s).toFixed(2);
    const out = {
      hosts: o.hosts, selector: SELECTOR, expected_hosts: want, cpus: cpus().length, target_s: TARGET_S,
      fleet: fleetFig, single_rpcs: singleFig, single_over_fleet_total_ratio: ratio,
      within_target: fleetFig.hosts_applied === want && fleetFig.total_s <= TARGET_S,
    };
    process.stdout.write([
      '',
      `bench:fleet — ${o.hosts} simulated hosts, block tcp/25 outbound on '${SELECTOR}' (${want} hosts), load ${load1.toFixed(1)} on ${cpus().length} cores`,
      '                          issued  applied  p50 ms  p99 ms  max ms  total s (issue to last applied)',
      `fleet (one CLI call)      ${String(fleetFig.hosts_issued).padStart(6)}  ${String(fleetFig.hosts_applied).padStart(7)}  ${String(fleetFig.apply_p50_ms).padStart(6)}  ${String(fleetFig.apply_p99_ms).padStart(6)}  ${String(fleetFig.apply_max_ms).padStart(6)}  ${fleetFig.total_s.toFixed(2).padStart(7)}`,
      `single RPCs, one by one   ${String(singleFig.hosts_issued).padStart(6)}  ${String(singleFig.hosts_applied).padStart(7)}  ${String(singleFig.apply_p50_ms).padStart(6)}  ${String(singleFig.apply_p99_ms).padStart(6)}  ${String(singleFig.apply_max_ms).padStart(6)}  ${singleFig.total_s.toFixed(2).padStart(7)}`,
      `ratio (single / fleet, total): ${ratio}x; target: all applied within ${TARGET_S} s: ${out.within_target ? 'met' : 'NOT met'}`,
      `CPU seconds, controller / simulator (all agents): fleet ${fleetFig.controller_cpu_s} / ${fleetFig.simulator_cpu_s}, single RPCs ${singleFig.controller_cpu_s} / ${singleFig.simulator_cpu_s}`,
      '',
    ].join('\n'));
    if (o.json) writeFileSync(o.json, JSON.stringify(out, null, 2) + '\n');
  } finally {
    await fleet?.stop().catch(() => {});
    api?.close();
    if (ctl) await stopProcess(ctl);
    if (!o.keep) {
      rmSync(dir, { recursive: true, force: true });
      rmSync(hostsDir, { recursive: true, force: true });
    } else say(`kept ${dir} and ${hostsDir}`);
  }
}

await main();
