// npm run bench:failover — containment survives the loss of the leading controller.
// Two controller processes on one PostgreSQL database (controller/cluster/), the
// simulated fleet spread over both (every other host lists them in reverse), the
// shipped playbooks, a worm. The leader is killed (SIGKILL: no goodbye, its lock goes
// with its connection) mid-containment, once its first playbook command is seen
// (--kill-at action), or when the first master alert is seen, before any playbook
// matched (--kill-at alert). Side by side in
// the same run: the same worm with no kill. Printed and written with --json:
//   - elected_ms: kill to the follower taking the leader lock;
//   - leader_handover_ms: kill to the follower's "this controller leads" line (elected, correlation
//     restored, runs resumed and their unsent commands issued, the feed read from the snapshot's cursor);
//   - first_action_after_kill_ms: kill to the first playbook command the new leader issued
//     (containment continues; target < 10,000 when anything was left to contain);
//   - reports_lost: per host, reports the agent numbered minus reports the store holds (target 0);
//   - runs_duplicated: playbook runs beyond one per (alert, playbook) (target 0);
//   - infected hosts with the kill vs without (ratio).
//
//   npm run bench:failover -- [--hosts 1000] [--scenario worm] [--doubling 10] [--seed 1] [--kill-at action|alert] [--calm no] [--json FILE]
//
// PostgreSQL: FIREBREAK_TEST_PG_URL, or a throwaway server of its own (as the tests start one).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import type { ScenarioContext } from '../simulate/scenario.ts';
import { runSimulation } from '../simulate/run.ts';
import { OperatorApi } from '../simulate/operator.ts';
import type { SimulationSummary } from '../simulate/summary.ts';
import { call } from '../../controller/cli/client.ts';
import type { ControllerProc } from '../../test/helpers/procs.ts';
import { testPg } from '../../test/helpers/postgres.ts';
import { parseArgs, writeJson } from './lib/proc-usage.ts';

const args = parseArgs(process.argv.slice(2));
if (args.has('help')) {
  const head = readFileSync(new URL(import.meta.url), 'utf8').split('\n');
  process.stdout.write(head.slice(0, head.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
  process.exit(0);
}
const hosts = Number(args.get('hosts') ?? 1000);
const scenario = args.get('scenario') ?? 'worm';
const doubling = Number(args.get('doubling') ?? 10);
const seed = Number(args.get('seed') ?? 1);
const killAt = args.get('kill-at') ?? 'action';
if (killAt !== 'action' && killAt !== 'alert') throw new Error(`--kill-at: '${killAt}' is not one of action, alert`);
const log = pino({ level: args.get('log-level') ?? 'warn' }, pino.destination(2));
const PLAYBOOKS = ['--playbooks', join(import.meta.dirname, '../../playbooks')];

interface Run {
  kill: boolean;
  infected_hosts: number;
  master_alerts: number;
  killed_at_s: number | null;
  elected_ms: number | null;
  leader_handover_ms: number | null;
  first_action_after_kill_ms: number | null;
  /** the first playbook command after the first infection (both runs: what the kill cost is the difference) */
  first_action_after_first_infection_ms: number | null;
  playbook_commands: number;
  playbook_commands_after_kill: number;
  reports_numbered: number;
  reports_stored: number;
  reports_lost: number;
  hosts_with_lost_reports: number;
  runs: number;
  runs_duplicated: number;
  patient_zero_right: boolean | null;
  hosts_on_survivor_at_end: number;
  run_wall_s: number;
}

const unary = (api: OperatorApi, method: string, req: unknown) => (call as unknown as (c: unknown, m: string, r: unknown, t?: number) => Promise<unknown>)(api.client, method, req, 30_000);

async function once(storeUrl: string, kill: boolean): Promise<Run> {
  const started = Date.now();
  let ctls: ControllerProc[] = [];
  let ctx: ScenarioContext | undefined;
  let killedAt: number | undefined;
  let watcher: OperatorApi | undefined;
  let watching = false;
  let lastPoll = 0;
  const out: Partial<Run> = {};
  const summary: SimulationSummary = await runSimulation({
    hosts, scenario, seed, log, controllerArgs: PLAYBOOKS,
    scenarioOptions: scenario === 'worm' ? { doublingS: doubling } : {},
    cluster: { storeUrl, controllers: 2, started: (c) => { ctls = c; } },
    onTick: (c, now) => {
      ctx ??= c;
      if (!kill || killedAt !== undefined || watching || now - lastPoll < 250) return;
      lastPoll = now;
      watching = true;
      watcher ??= new OperatorApi(ctls[1]!.operatorAddress, ctls[0]!.credentialsFile);
      const due = killAt === 'alert'
        ? watcher.listAlerts().then((alerts) => alerts.some((a) => a.scope === 'fleet'))
        // the newest command: a playbook's once containment has begun
        : watcher.listCommands(1).then((cmds) => cmds.some((x) => x.command?.issuer.startsWith('playbook:')));
      void due.then((yes) => {
        if (killedAt === undefined && yes) {
          killedAt = Date.now();
          ctls[0]!.child.kill('SIGKILL');
          log.warn({ afterStartS: (killedAt - c.t0) / 1000 }, 'bench:failover: leader killed');
        }
      }, () => {}).finally(() => { watching = false; });
    },
    beforeStop: async () => {
      const api = new OperatorApi(ctls[1]!.operatorAddress, ctls[0]!.credentialsFile);
      try {
        // reports: what each agent had numbered by now against what the store holds for it, once the
        // ones in flight have landed (bounded: 30 s); a report the store never gets is lost
        const want = new Map((ctx?.hosts ?? []).map((h) => [h.id, h.agent?.link.lastSeq ?? 0]));
        let stored = new Map<string, number>();
        for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
          const listed = (await unary(api, 'ListHosts', {})) as { hosts: { id: string; reports: number | string }[] };
          stored = new Map(listed.hosts.map((h) => [h.id, Number(h.reports)]));
          if ([...want].every(([id, n]) => (stored.get(id) ?? 0) >= n)) break;
          await new Promise((r) => setTimeout(r, 500));
        }
        let numbered = 0;
        let kept = 0;
        let lostHosts = 0;
        for (const [id, n] of want) {
          const s = stored.get(id) ?? 0;
          numbered += n;
          kept += Math.min(s, n);
          if (s < n) lostHosts++;
        }
        Object.assign(out, { reports_numbered: numbered, reports_stored: kept, reports_lost: numbered - kept, hosts_with_lost_reports: lostHosts });
        const runs = ((await unary(api, 'ListRuns', { limit: 10_000 })) as { items: string[] }).items.map((i) => JSON.parse(i) as { alertId?: string; alert?: string; playbook: string });
        const keys = runs.map((r) => `${r.alertId ?? r.alert}|${r.playbook}`);
        Object.assign(out, { runs: runs.length, runs_duplicated: keys.length - new Set(keys).size });
        const cmds = await api.listCommands();
        const pb = cmds.filter((c) => c.command?.issuer.startsWith('playbook:'));
        const after = killedAt === undefined ? [] : pb.filter((c) => Number(c.command!.issuedAtMs) > killedAt!);
        const first = after.length ? Math.min(...after.map((c) => Number(c.command!.issuedAtMs))) : undefined;
        Object.assign(out, {
          playbook_commands: pb.length, playbook_commands_after_kill: after.length,
          first_action_after_kill_ms: first === undefined || killedAt === undefined ? null : first - killedAt,
        });
        out.hosts_on_survivor_at_end = (ctx?.hosts ?? []).filter((h) => h.agent?.link.address === ctls[1]!.agentAddress).length;
      } finally {
        api.close();
      }
    },
  });
  watcher?.close();
  // the survivor's own line, stamped by its clock (pino's time)
  const lines = (ctls[1]?.logs ?? []).map((l) => { try { return JSON.parse(l) as { msg?: string; time?: number }; } catch { return {}; } });
  const led = lines.find((l) => l.msg?.startsWith('cluster: this controller leads'));
  const elected = lines.find((l) => l.msg === 'leader election: this controller leads');
  // where the time between the lock and the first action goes: the survivor's milestones after the kill
  if (killedAt !== undefined) {
    const after = lines.filter((l) => (l.time ?? 0) >= killedAt!);
    const milestones = ['leader election: this controller leads', 'playbook runs resumed from the store', 'playbooks loaded', 'command queued', 'cluster: this controller leads'];
    const at = (msg: string) => after.find((l) => l.msg?.startsWith(msg))?.time;
    const online = after.filter((l) => l.msg === 'agent online').map((l) => l.time! - killedAt!);
    process.stderr.write(`survivor after the kill: ${milestones.map((m) => `${m} +${at(m) === undefined ? '-' : at(m)! - killedAt!} ms`).join('; ')}; ` +
      `agents online again: ${online.length} (half by +${online[Math.floor(online.length / 2)] ?? '-'} ms, all by +${online.at(-1) ?? '-'} ms)\n`);
  }
  return {
    kill,
    infected_hosts: summary.truth.affected_hosts,
    master_alerts: summary.master_incidents,
    killed_at_s: killedAt === undefined || !ctx ? null : Math.round((killedAt - ctx.t0) / 100) / 10,
    elected_ms: killedAt !== undefined && elected?.time ? elected.time - killedAt : null,
    leader_handover_ms: killedAt !== undefined && led?.time ? led.time - killedAt : null,
    patient_zero_right: summary.patient_zero_found,
    first_action_after_first_infection_ms: summary.containment.first_containment_action_after_first_affected_ms,
    run_wall_s: Math.round((Date.now() - started) / 1000),
    ...(out as Omit<Run, 'kill' | 'infected_hosts' | 'master_alerts' | 'killed_at_s' | 'elected_ms' | 'leader_handover_ms' | 'patient_zero_right' | 'first_action_after_first_infection_ms' | 'run_wall_s'>),
  };
}

const server = await testPg();
const admin = new pg.Client({ connectionString: server.url });
await admin.connect();
const rows: Run[] = [];
try {
  // --calm no: the kill alone (the milestones of a failover, without the side-by-side run)
  for (const kill of args.get('calm') === 'no' ? [true] : [true, false]) {
    // a database of each run's own: the cluster's tables, feed and leader lock start empty
    const db = `fb_failover_${process.pid}_${kill ? 'kill' : 'calm'}`;
    await admin.query(`DROP DATABASE IF EXISTS ${db}`);
    await admin.query(`CREATE DATABASE ${db}`);
    const u = new URL(server.url);
    u.pathname = `/${db}`;
    process.stderr.write(`bench:failover: ${hosts} hosts, ${scenario}, two controllers, ${kill ? `leader killed at the first ${killAt === 'alert' ? 'master alert' : 'playbook command'}` : 'no kill'}…\n`);
    try {
      rows.push(await once(u.toString(), kill));
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => {});
    }
  }
} finally {
  await admin.end();
  await server.stop();
}

const [k, calm] = rows;
const cols: (keyof Run)[] = ['infected_hosts', 'master_alerts', 'killed_at_s', 'elected_ms', 'leader_handover_ms', 'first_action_after_kill_ms', 'first_action_after_first_infection_ms', 'playbook_commands',
  'playbook_commands_after_kill', 'reports_numbered', 'reports_lost', 'hosts_with_lost_reports', 'runs', 'runs_duplicated', 'patient_zero_right', 'hosts_on_survivor_at_end', 'run_wall_s'];
process.stdout.write(`\nbench:failover — ${hosts} simulated hosts, ${scenario}${scenario === 'worm' ? ` (doubling ${doubling} s)` : ''}, two controllers on one PostgreSQL, leader killed at the first ${killAt === 'alert' ? 'master alert' : 'playbook command'}\n\n`);
process.stdout.write(`${'figure'.padEnd(30)}${'leader killed'.padStart(16)}${'no kill'.padStart(12)}\n`);
for (const c of cols) process.stdout.write(`${c.padEnd(30)}${String(k?.[c] ?? '-').padStart(16)}${String(calm?.[c] ?? '-').padStart(12)}\n`);
const ratio = k && calm && calm.infected_hosts ? Math.round((k.infected_hosts / calm.infected_hosts) * 100) / 100 : null;
process.stdout.write(`\ninfected with the kill / without: ${ratio ?? '-'}x\n`);
const verdict = {
  containment_continued_within_10s: k?.first_action_after_kill_ms != null ? k.first_action_after_kill_ms < 10_000 : null,
  zero_reports_lost: rows.every((r) => r.reports_lost === 0),
  no_run_duplicated: rows.every((r) => r.runs_duplicated === 0),
};
process.stdout.write(`${JSON.stringify(verdict)}\n`);
if (args.get('json')) writeJson(args.get('json')!, { hosts, scenario, kill_at: killAt, doubling_s: scenario === 'worm' ? doubling : null, seed, runs: rows, infected_ratio_kill_vs_calm: ratio, ...verdict });
