// npm run bench:worm — the headline number: how many hosts a worm reaches.
// Runs the fleet simulator's worms against a real controller process with the
// shipped playbooks enabled, at several fleet sizes, side by side with the same
// run with playbooks off (the baseline, until a quarter of the fleet or the
// scenario's length), then the benign scenarios with the same playbooks, which
// must isolate and block nothing. Each row also holds the controller's alert
// against the truth: patient zero, and the share of true infection edges
// (who infected whom) found in the alert's spread tree.
//
//   npm run bench:worm -- [--sizes 100,1000,5000] [--scenarios worm,quiet-mailer,...]
//                         [--doublings 10,8.5|none] [--benign no] [--baseline no] [--json FILE]
//                         [--playbooks DIR] [--metrics-scrape [FILE]]
//
// --metrics-scrape: the controller serves /metrics on a free loopback port; once each worm
// run's verdict is read (the worm contained, agents still connected) the bench GETs it
// (curl when installed, else Node's fetch), prints the firebreak_* families with their
// values and saves the raw text (FILE, or one file per run in the temp dir).
// --scenarios picks worms and benign scenarios by name (default: every one);
// --doublings applies to `worm` only (the variants have their own doubling).
// Each fleet size enrolls once (a template every run of that size copies).
// Reports every 2 s and heartbeats every 5 s keep 5,000 hosts in one process.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { enrollFleet, runSimulation } from '../simulate/run.ts';
import { BENIGN_SCENARIOS, SCENARIOS, WORM_SCENARIOS } from '../simulate/scenarios/index.ts';
import type { SimulationSummary } from '../simulate/summary.ts';
import { parseArgs, writeJson } from './lib/proc-usage.ts';
import { stopAll } from '../../test/helpers/procs.ts';

const args = parseArgs(process.argv.slice(2));
if (args.has('help')) {
  // the usage is the comment block at the top of this file
  const head = readFileSync(new URL(import.meta.url), 'utf8').split('\n');
  process.stdout.write(head.slice(0, head.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
  process.exit(0);
}
const sizes = (args.get('sizes') ?? '100,1000,5000').split(',').map(Number);
// --doublings none: no `worm` rows
const doublings = args.get('doublings') === 'none' ? [] : (args.get('doublings') ?? '10,8.5').split(',').map(Number);
const picked = args.get('scenarios')?.split(',').map((s) => s.trim()).filter(Boolean);
for (const s of picked ?? []) {
  if (!SCENARIOS[s]) throw new Error(`--scenarios: unknown scenario '${s}': choose from ${Object.keys(SCENARIOS).join(', ')}`);
}
const worms = (WORM_SCENARIOS as readonly string[]).filter((s) => (picked ? picked.includes(s) : true));
const benign = args.get('benign') === 'no' ? [] : (BENIGN_SCENARIOS as readonly string[]).filter((s) => (picked ? picked.includes(s) : true));
const baseline = args.get('baseline') !== 'no';
const log = pino({ level: args.get('log-level') ?? 'warn' }, pino.destination(2));
// --playbooks DIR: another playbook set (scripts/bench/playbooks/throttle-only: the throttle alone)
const PLAYBOOKS = ['--playbooks', args.get('playbooks') ? resolve(args.get('playbooks')!) : join(import.meta.dirname, '../../playbooks')];
/** a worm row with playbooks should end here or sooner (the target); the baseline runs to a quarter of the fleet */
const TARGET_INFECTED = 16;

interface Row {
  hosts: number;
  scenario: string;
  benign: boolean;
  doubling_s: number | null;
  playbooks: boolean;
  infected_hosts: number;
  first_containment_action_s: number | null;
  last_new_infection_s: number | null;
  isolate_commands: number;
  block_commands: number;
  failed_commands: number;
  master_alerts: number;
  classification: string | null;
  patient_zero_right: boolean | null;
  tree_true_edges: number;
  tree_edge_accuracy_pct: number | null;
  tree_edges_not_true: number;
  spread_stopped_within_30s: boolean | null;
  run_wall_s: number;
}

// ------------------------------------------------------------- --metrics-scrape

/** The families the operator's console issue names, in its order (histograms by their _count and _sum). */
const SCRAPED_FAMILIES = [
  'firebreak_hosts', 'firebreak_reports_total', 'firebreak_events_total', 'firebreak_ingest_seconds', 'firebreak_event_to_alert_seconds',
  'firebreak_alerts', 'firebreak_commands_issued_total', 'firebreak_command_results_total', 'firebreak_playbook_runs',
  'firebreak_enforcement_hosts', 'firebreak_audit_entries', 'firebreak_connections_rejected_total', 'firebreak_refused_calls',
];
const scrapeTo = args.get('metrics-scrape');

async function freeLoopbackPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r, j) => srv.once('error', j).listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function httpGet(url: string): Promise<{ text: string; via: string }> {
  const viaCurl = await new Promise<string | null>((resolveCurl) => {
    execFile('curl', ['-fsS', '--max-time', '10', url], { maxBuffer: 32 << 20 }, (err, stdout) => resolveCurl(err ? null : stdout));
  });
  if (viaCurl !== null) return { text: viaCurl, via: 'curl' };
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET ${url} answered HTTP ${res.status}`);
  return { text: await res.text(), via: 'fetch' };
}

/** The samples of each named family, as lines; a family with none says so (a labelled counter before its first increment). */
function familyLines(text: string): string[] {
  const out: string[] = [];
  const samples = text.split('\n').filter((l) => l && !l.startsWith('#'));
  for (const f of SCRAPED_FAMILIES) {
    const mine = samples.filter((l) => {
      const name = l.split(/[{ ]/)[0]!;
      return name === f || name === `${f}_count` || name === `${f}_sum`;
    });
    const declared = text.includes(`# TYPE ${f} `);
    if (mine.length === 0) out.push(`${f}  ${declared ? '(declared, no sample yet: nothing counted)' : 'MISSING'}`);
    else out.push(...mine.map((l) => `  ${l}`));
  }
  return out;
}

async function scrapeMetrics(port: number, label: string): Promise<void> {
  const url = `http://127.0.0.1:${port}/metrics`;
  const { text, via } = await httpGet(url);
  const file = scrapeTo && scrapeTo !== 'true' ? scrapeTo : join(tmpdir(), `firebreak-bench-worm-metrics-${label}.prom`);
  writeFileSync(file, text);
  process.stdout.write(`\n/metrics of the controller (${label}), GET ${url} via ${via}, raw scrape saved to ${file}:\n${familyLines(text).join('\n')}\n`);
}

/** Controller flags and the hook of one run: a metrics listener, and the scrape once the verdict is read. */
async function metricsFor(label: string): Promise<{ controllerArgs: string[]; beforeStop?: () => Promise<void> }> {
  if (!scrapeTo) return { controllerArgs: [] };
  const port = await freeLoopbackPort();
  return {
    controllerArgs: ['--metrics-listen', `127.0.0.1:${port}`],
    beforeStop: () => scrapeMetrics(port, label).catch((err: Error) => void process.stderr.write(`--metrics-scrape: ${err.message}\n`)),
  };
}

const rows: Row[] = [];
const s1 = (ms: number | null) => (ms === null ? null : Math.round(ms / 100) / 10);

function row(hosts: number, scenario: string, playbooks: boolean, s: SimulationSummary, wallMs: number): Row {
  const c = s.containment;
  const lastNew = s1(c.last_new_affected_after_first_affected_ms);
  const isBenign = !(WORM_SCENARIOS as readonly string[]).includes(scenario);
  return {
    hosts, scenario, benign: isBenign, doubling_s: s.truth.doubling_s, playbooks, infected_hosts: s.truth.affected_hosts,
    first_containment_action_s: s1(c.first_containment_action_after_first_affected_ms), last_new_infection_s: lastNew,
    isolate_commands: c.isolate_commands, block_commands: c.block_commands, failed_commands: c.failed_commands, master_alerts: s.master_incidents,
    classification: s.classification,
    patient_zero_right: s.patient_zero_found, tree_true_edges: s.spread_tree.true_edges, tree_edge_accuracy_pct: s.spread_tree.edge_accuracy_pct,
    tree_edges_not_true: s.spread_tree.alert_edges_not_true,
    spread_stopped_within_30s: !isBenign && playbooks ? lastNew !== null && lastNew <= 30 : null,
    run_wall_s: Math.round(wallMs / 1000),
  };
}

function print(): void {
  const head = ['hosts', 'scenario', 'doubling', 'playbooks', 'infected', 'first action', 'last infection', 'isolates', 'blocks', 'alerts', 'class', 'pz right', 'tree acc', 'run'];
  const yes = (v: boolean | null) => (v === null ? '-' : v ? 'yes' : 'NO');
  const lines = rows.map((r) => [String(r.hosts), r.scenario, r.doubling_s === null ? '-' : `${r.doubling_s} s`, r.playbooks ? 'on' : 'off (baseline)',
    r.benign ? `${r.infected_hosts} (benign)` : String(r.infected_hosts), r.first_containment_action_s === null ? '-' : `${r.first_containment_action_s} s`,
    r.last_new_infection_s === null ? '-' : `${r.last_new_infection_s} s`, String(r.isolate_commands), String(r.block_commands), String(r.master_alerts),
    r.classification ?? '-', yes(r.patient_zero_right),
    r.tree_edge_accuracy_pct === null ? '-' : `${r.tree_edge_accuracy_pct}% of ${r.tree_true_edges}`, `${r.run_wall_s} s`]);
  const w = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  process.stdout.write('\n' + [head, ...lines].map((l) => l.map((c, i) => c.padEnd(w[i]!)).join('  ')).join('\n') + '\n');
}

process.on('SIGINT', () => void stopAll().finally(() => process.exit(130)));

const common = { intervalMs: 2000, heartbeatMs: 5000, log, seed: 7 };
for (const hosts of sizes) {
  const template = mkdtempSync(join(tmpdir(), `firebreak-bench-worm-${hosts}-`));
  const t = Date.now();
  await enrollFleet({ hosts, dir: template, log });
  process.stderr.write(`enrolled ${hosts} hosts in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  try {
    for (const scenario of worms) {
      // `worm` at each --doublings; a variant at its own doubling (0 = the scenario's own)
      for (const doublingS of scenario === 'worm' ? doublings : [0]) {
        // the loud worm keeps its 90 s bound; a variant runs its own length
        const durationMs = scenario === 'worm' ? 90_000 : 0;
        let t1 = Date.now();
        const m = await metricsFor(`${hosts}-${scenario}${doublingS ? `-${doublingS}s` : ''}`);
        const on = await runSimulation({ ...common, hosts, template, scenario, controllerArgs: [...PLAYBOOKS, ...m.controllerArgs], beforeStop: m.beforeStop,
          scenarioOptions: { doublingS, durationMs } });
        rows.push(row(hosts, scenario, true, on, Date.now() - t1));
        if (baseline) {
          t1 = Date.now();
          const off = await runSimulation({ ...common, hosts, template, scenario,
            scenarioOptions: { doublingS, durationMs, stopAtAffected: Math.ceil(hosts / 4) } });
          rows.push(row(hosts, scenario, false, off, Date.now() - t1));
        }
        print();
      }
    }
    for (const scenario of benign) {
      const t1 = Date.now();
      const s = await runSimulation({ ...common, hosts, template, scenario, controllerArgs: PLAYBOOKS });
      rows.push(row(hosts, scenario, true, s, Date.now() - t1));
    }
    if (benign.length > 0) print();
  } finally {
    rmSync(template, { recursive: true, force: true });
  }
}

print();
const out: string[] = [];
for (const hosts of sizes) {
  const on = rows.filter((r) => r.hosts === hosts && !r.benign && r.playbooks);
  if (on.length > 0) {
    const over = on.filter((r) => r.infected_hosts > TARGET_INFECTED);
    out.push(`${hosts} hosts, worms with playbooks: at most ${Math.max(...on.map((r) => r.infected_hosts))} infected (target ${TARGET_INFECTED}); ` +
      (over.length ? `over the target: ${over.map((r) => `${r.scenario} ${r.infected_hosts}`).join(', ')}` : 'every variant within it') +
      `; spread stopped within 30 s in ${on.filter((r) => r.spread_stopped_within_30s).length} of ${on.length}`);
  }
}
const wormRows = rows.filter((r) => !r.benign);
if (wormRows.length > 0) {
  const pz = wormRows.filter((r) => r.patient_zero_right !== null);
  out.push(`patient zero right in ${pz.filter((r) => r.patient_zero_right).length} of ${pz.length} worm runs`);
  const acc = wormRows.filter((r) => r.tree_edge_accuracy_pct !== null);
  const below = acc.filter((r) => r.tree_edge_accuracy_pct! < 90);
  out.push(acc.length === 0 ? 'spread tree accuracy: no run had a true edge inside its alert (target ≥ 90%)'
    : `spread tree accuracy: min ${Math.min(...acc.map((r) => r.tree_edge_accuracy_pct!))}%, mean ${(acc.reduce((a, r) => a + r.tree_edge_accuracy_pct!, 0) / acc.length).toFixed(1)}% over ${acc.length} runs (target ≥ 90%)` +
      (below.length ? `; below: ${below.map((r) => `${r.hosts}/${r.scenario}${r.playbooks ? '' : ' (baseline)'} ${r.tree_edge_accuracy_pct}%`).join(', ')}` : ''));
}
const benignRows = rows.filter((r) => r.benign);
if (benignRows.length > 0) {
  const acted = benignRows.filter((r) => r.isolate_commands + r.block_commands > 0);
  out.push(`benign runs: ${benignRows.reduce((a, r) => a + r.isolate_commands, 0)} isolations and ${benignRows.reduce((a, r) => a + r.block_commands, 0)} blocks (target 0)` +
    (acted.length ? `; acted on: ${acted.map((r) => `${r.hosts}/${r.scenario}`).join(', ')}` : ''));
}
process.stdout.write('\n' + out.join('\n') + '\n');
if (args.get('json')) writeJson(args.get('json')!, { rows, summary: out });
process.exit(0);
