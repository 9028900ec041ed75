// npm run bench:worm — the headline number: how many hosts a worm reaches.
// Runs the fleet simulator's worm scenario against a real controller process
// with the shipped playbooks enabled, at several fleet sizes and doubling
// times, side by side with the same run with playbooks off (the baseline),
// then the benign scenarios (backup, noise) with the same playbooks, which
// must isolate and block nothing.
//
//   npm run bench:worm -- [--sizes 100,1000,5000] [--doublings 10,8.5|none] [--benign no] [--json FILE]
//
// Each fleet size enrolls once (a template every run of that size copies).
// Reports every 2 s and heartbeats every 5 s keep 5,000 hosts in one process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { enrollFleet, runSimulation } from '../simulate/run.ts';
import type { SimulationSummary } from '../simulate/summary.ts';
import { parseArgs, writeJson } from './lib/proc-usage.ts';
import { stopAll } from '../../test/helpers/procs.ts';

const args = parseArgs(process.argv.slice(2));
const sizes = (args.get('sizes') ?? '100,1000,5000').split(',').map(Number);
// --doublings none: only the benign scenarios
const doublings = args.get('doublings') === 'none' ? [] : (args.get('doublings') ?? '10,8.5').split(',').map(Number);
const benign = args.get('benign') !== 'no';
const log = pino({ level: args.get('log-level') ?? 'warn' }, pino.destination(2));
const PLAYBOOKS = ['--playbooks', join(import.meta.dirname, '../../playbooks')];

interface Row {
  hosts: number;
  scenario: string;
  doubling_s: number | null;
  playbooks: boolean;
  infected_hosts: number;
  first_containment_action_s: number | null;
  last_new_infection_s: number | null;
  isolate_commands: number;
  block_commands: number;
  master_alerts: number;
  spread_stopped_within_30s: boolean | null;
}

const rows: Row[] = [];
const s1 = (ms: number | null) => (ms === null ? null : Math.round(ms / 100) / 10);

function row(hosts: number, scenario: string, doubling: number | null, playbooks: boolean, s: SimulationSummary): Row {
  const c = s.containment;
  const lastNew = s1(c.last_new_affected_after_first_affected_ms);
  return {
    hosts, scenario, doubling_s: doubling, playbooks, infected_hosts: s.truth.affected_hosts,
    first_containment_action_s: s1(c.first_containment_action_after_first_affected_ms), last_new_infection_s: lastNew,
    isolate_commands: c.isolate_commands, block_commands: c.block_commands, master_alerts: s.master_incidents,
    spread_stopped_within_30s: scenario === 'worm' && playbooks ? lastNew !== null && lastNew <= 30 : null,
  };
}

function print(): void {
  const head = ['hosts', 'scenario', 'doubling', 'playbooks', 'infected', 'first action', 'last infection', 'isolates', 'blocks', 'alerts'];
  const lines = rows.map((r) => [String(r.hosts), r.scenario, r.doubling_s === null ? '-' : `${r.doubling_s} s`, r.playbooks ? 'on' : 'off (baseline)',
    String(r.infected_hosts), r.first_containment_action_s === null ? '-' : `${r.first_containment_action_s} s`,
    r.last_new_infection_s === null ? '-' : `${r.last_new_infection_s} s`, String(r.isolate_commands), String(r.block_commands), String(r.master_alerts)]);
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  process.stdout.write('\n' + [head, ...lines].map((l) => l.map((c, i) => c.padEnd(w[i]!)).join('  ')).join('\n') + '\n');
}

process.on('SIGINT', () => void stopAll().finally(() => process.exit(130)));

const common = { intervalMs: 2000, heartbeatMs: 5000, log };
for (const hosts of sizes) {
  const template = mkdtempSync(join(tmpdir(), `firebreak-bench-worm-${hosts}-`));
  const t = Date.now();
  await enrollFleet({ hosts, dir: template, log });
  process.stderr.write(`enrolled ${hosts} hosts in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  try {
    for (const doubling of doublings) {
      // with playbooks: the spread must stop; 90 s is three times the target
      const on = await runSimulation({ ...common, hosts, template, scenario: 'worm', seed: 7, controllerArgs: PLAYBOOKS,
        scenarioOptions: { doublingS: doubling, durationMs: 90_000 } });
      rows.push(row(hosts, 'worm', doubling, true, on));
      // baseline: the same worm left alone, until it holds 25% of the fleet or 90 s pass
      const off = await runSimulation({ ...common, hosts, template, scenario: 'worm', seed: 7,
        scenarioOptions: { doublingS: doubling, durationMs: 90_000, stopAtAffected: Math.ceil(hosts / 4) } });
      rows.push(row(hosts, 'worm', doubling, false, off));
      print();
    }
    if (benign) {
      for (const scenario of ['backup', 'noise']) {
        const s = await runSimulation({ ...common, hosts, template, scenario, seed: 7, controllerArgs: PLAYBOOKS });
        rows.push(row(hosts, scenario, null, true, s));
      }
      print();
    }
  } finally {
    rmSync(template, { recursive: true, force: true });
  }
}

print();
const worst = rows.filter((r) => r.scenario === 'worm' && r.playbooks);
if (worst.length > 0) {
  process.stdout.write(`\nworm with playbooks: at most ${Math.max(...worst.map((r) => r.infected_hosts))} hosts infected (target 16); ` +
    `spread stopped within 30 s in ${worst.filter((r) => r.spread_stopped_within_30s).length} of ${worst.length} runs\n`);
}
const benignRows = rows.filter((r) => r.scenario !== 'worm');
if (benignRows.length > 0) {
  process.stdout.write(`benign runs: ${benignRows.reduce((a, r) => a + r.isolate_commands + r.block_commands, 0)} automatic isolations and blocks (target 0)\n`);
}
if (args.get('json')) writeJson(args.get('json')!, { rows });
process.exit(0);
