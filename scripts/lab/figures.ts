// What one scenario measured: the truth (from the worm's and hosts' own log)
// beside what the controller recorded (commands, runs, alerts), with names that
// carry their unit. Times are seconds from the moment the worm was let in (or
// the load started).
import type { AlertRow, CommandRow } from './fleet.ts';
import type { ScenarioDef } from './scenarios.ts';

export interface Truth {
  type: 'infect' | 'rollout' | 'portscan';
  host: string;
  atMs: number;
  kind?: string;
  parent?: string;
  sha256?: string;
  error?: string;
  attempts?: number;
}

export interface Figures {
  scenario: string;
  kind: string;
  firebreak: boolean;
  hosts_total: number;
  infected_hosts: number | null;
  patient_zero_truth: string | null;
  last_new_infection_s: number | null;
  doubling_time_s: number | null;
  infected_after_first_action: number | null;
  worm_sha256_distinct: number | null;
  hosts_rolled_out: number | null;
  portscan_attempts: number | null;
  first_alert_s: number | null;
  first_action_s: number | null;
  first_action_applied_s: number | null;
  isolate_commands: number;
  block_commands: number;
  throttle_commands: number;
  hosts_isolated: number;
  playbook_runs: number;
  master_alerts: number;
  host_alerts: number;
  alert_root_cause: string | null;
  alert_classification: string | null;
  alert_host_count: number | null;
  patient_zero_controller: string | null;
  patient_zero_match: boolean | null;
  spread_edges_true: number | null;
  spread_edges_found: number | null;
  spread_edge_recall_pct: number | null;
  setup_s: number;
  duration_s: number;
  end_reason: string;
  target: string | null;
  target_met: boolean | null;
}

const r1 = (v: number) => Math.round(v * 10) / 10;
const CONTAIN = new Set(['ISOLATE', 'BLOCK', 'THROTTLE']);

/** Least squares of log2(infected) over time while at most half the fleet is infected: seconds per doubling (from 5 infections). */
export function doublingTime(times: number[], fleet: number): number | null {
  const pts = times.slice(0, Math.max(1, Math.floor(fleet / 2))).map((t, i) => [t, Math.log2(i + 1)] as const);
  if (pts.length < 5) return null;
  const mx = pts.reduce((s, p) => s + p[0], 0) / pts.length;
  const my = pts.reduce((s, p) => s + p[1], 0) / pts.length;
  const sxy = pts.reduce((s, p) => s + (p[0] - mx) * (p[1] - my), 0);
  const sxx = pts.reduce((s, p) => s + (p[0] - mx) ** 2, 0);
  return sxy > 0 ? r1(sxx / sxy) : null;
}

export function buildFigures(x: {
  def: ScenarioDef; hosts: string[]; t0: number; truth: Truth[]; patientZero: string | null; portscanHost?: string;
  record?: { commands: CommandRow[]; runs: Record<string, unknown>[]; alerts: AlertRow[]; details: AlertRow[] };
  setupS: number; durationS: number; endReason: string;
}): Figures {
  const { def, t0 } = x;
  const worm = def.kind === 'mailer' || def.kind === 'scanner';
  const inf = x.truth.filter((t) => t.type === 'infect' && t.kind === def.kind).sort((a, b) => a.atMs - b.atMs);
  const rel = (ms: number) => r1((ms - t0) / 1000);
  const cmds = (x.record?.commands ?? []).filter((c) => c.command.issuedAtMs >= t0 - 60_000);
  const contain = cmds.filter((c) => CONTAIN.has(c.command.action)).sort((a, b) => a.command.issuedAtMs - b.command.issuedAtMs);
  const applied = contain.filter((c) => c.status === 'APPLIED').map((c) => c.updatedAtMs).sort((a, b) => a - b);
  const count = (action: string) => cmds.filter((c) => c.command.action === action).length;
  const firstActionMs = contain[0]?.command.issuedAtMs ?? null;
  const alerts = x.record?.alerts ?? [];
  const master = alerts.filter((a) => a.scope === 'fleet');
  const port = def.kind === 'mailer' ? ':25' : def.kind === 'scanner' ? ':445' : null;
  // the outbreak's master alert: one on its port, else the largest
  const details = [...(x.record?.details ?? [])].sort((a, b) => b.hostCount - a.hostCount);
  const alert = (port && details.find((a) => a.rootCause.endsWith(port) || (a.signatures ?? []).some((s) => s.signature.endsWith(port)))) || details[0];
  const trueEdges = inf.filter((t) => t.parent && x.hosts.includes(t.parent)).map((t) => `${t.parent}>${t.host}`);
  const graph = new Set((alert?.spreadGraph?.edges ?? []).map((e) => `${e.from}>${e.to}`));
  const found = trueEdges.filter((e) => graph.has(e)).length;
  const pz = alert?.patientZero?.hostId ?? null;
  const n = x.hosts.length;
  const isolateHosts = new Set(cmds.filter((c) => c.command.action === 'ISOLATE').map((c) => c.command.targetAgentId));

  let target: string | null = null;
  let met: boolean | null = null;
  if (def.firebreak && def.kind === 'mailer') { const lim = Math.round(n / 4); target = `infected <= ${lim} of ${n}`; met = inf.length <= lim; }
  if (def.firebreak && def.kind === 'scanner') { const lim = Math.round(n / 3); target = `infected <= ${lim} of ${n}`; met = inf.length <= lim; }
  if (def.firebreak && (def.kind === 'rollout' || def.kind === 'portscan')) { target = '0 isolations, 0 blocks'; met = count('ISOLATE') === 0 && count('BLOCK') === 0; }

  return {
    scenario: def.name,
    kind: def.kind,
    firebreak: def.firebreak,
    hosts_total: n,
    infected_hosts: worm ? inf.length : def.kind === 'portscan' || def.kind === 'rollout' ? x.truth.filter((t) => t.type === 'infect').length : null,
    patient_zero_truth: x.patientZero,
    last_new_infection_s: worm && inf.length ? rel(inf[inf.length - 1]!.atMs) : null,
    doubling_time_s: worm ? doublingTime(inf.map((t) => (t.atMs - t0) / 1000), n) : null,
    infected_after_first_action: worm && firstActionMs !== null ? inf.filter((t) => t.atMs > firstActionMs).length : null,
    worm_sha256_distinct: worm ? new Set(inf.map((t) => t.sha256)).size : null,
    hosts_rolled_out: def.kind === 'rollout' ? x.truth.filter((t) => t.type === 'rollout' && !t.error).length : null,
    portscan_attempts: def.kind === 'portscan' ? (x.truth.find((t) => t.type === 'portscan')?.attempts ?? 0) : null,
    first_alert_s: master.length ? rel(Math.min(...master.map((a) => a.openedAtMs))) : null,
    first_action_s: firstActionMs !== null ? rel(firstActionMs) : null,
    first_action_applied_s: applied.length ? rel(applied[0]!) : null,
    isolate_commands: count('ISOLATE'),
    block_commands: count('BLOCK'),
    throttle_commands: count('THROTTLE'),
    hosts_isolated: isolateHosts.size,
    playbook_runs: (x.record?.runs ?? []).length,
    master_alerts: master.length,
    host_alerts: alerts.length - master.length,
    alert_root_cause: alert?.rootCause ?? null,
    alert_classification: alert?.classification ?? null,
    alert_host_count: alert?.hostCount ?? null,
    patient_zero_controller: worm && def.firebreak ? pz : null,
    patient_zero_match: worm && def.firebreak ? pz !== null && pz === x.patientZero : null,
    spread_edges_true: worm && def.firebreak ? trueEdges.length : null,
    spread_edges_found: worm && def.firebreak ? found : null,
    spread_edge_recall_pct: worm && def.firebreak && trueEdges.length ? r1((100 * found) / trueEdges.length) : null,
    setup_s: r1(x.setupS),
    duration_s: r1(x.durationS),
    end_reason: x.endReason,
    target,
    target_met: met,
  };
}

/** Scenarios side by side: one column each, one row per figure. */
export function table(figs: Figures[]): string {
  const d = (v: unknown, unit = '') => (v === null || v === undefined ? '-' : `${String(v)}${unit}`);
  const rows: [string, (f: Figures) => string][] = [
    ['Firebreak', (f) => (f.firebreak ? 'on' : 'off (no agents)')],
    ['hosts infected', (f) => (f.infected_hosts === null ? '-' : `${f.infected_hosts} / ${f.hosts_total}`)],
    ['doubling time (truth)', (f) => d(f.doubling_time_s, ' s')],
    ['last new infection', (f) => d(f.last_new_infection_s, ' s')],
    ['worm copies sha256', (f) => (f.worm_sha256_distinct === null ? '-' : f.worm_sha256_distinct === 1 ? 'identical' : `${f.worm_sha256_distinct} distinct`)],
    ['hosts rolled out / scan attempts', (f) => (f.hosts_rolled_out !== null ? `${f.hosts_rolled_out} rolled out` : f.portscan_attempts !== null ? `${f.portscan_attempts} attempts` : '-')],
    ['first master alert', (f) => d(f.first_alert_s, ' s')],
    ['first containment action', (f) => d(f.first_action_s, ' s')],
    ['  applied by the agent', (f) => d(f.first_action_applied_s, ' s')],
    ['infected after it', (f) => d(f.infected_after_first_action)],
    ['isolate / block / throttle', (f) => (f.firebreak ? `${f.isolate_commands} / ${f.block_commands} / ${f.throttle_commands}` : '-')],
    ['hosts isolated', (f) => (f.firebreak ? String(f.hosts_isolated) : '-')],
    ['playbook runs', (f) => (f.firebreak ? String(f.playbook_runs) : '-')],
    ['master / host alerts', (f) => (f.firebreak ? `${f.master_alerts} / ${f.host_alerts}` : '-')],
    ['alert root cause', (f) => d(f.alert_root_cause)],
    ['alert spread', (f) => (f.alert_classification ? `${f.alert_classification}, ${f.alert_host_count} hosts` : '-')],
    ['patient zero truth / ctl', (f) => (f.patient_zero_truth && f.firebreak ? `${f.patient_zero_truth} / ${d(f.patient_zero_controller)}${f.patient_zero_match ? ' ok' : ''}` : d(f.patient_zero_truth))],
    ['true edges in spread graph', (f) => (f.spread_edges_true === null ? '-' : `${f.spread_edges_found} / ${f.spread_edges_true}${f.spread_edge_recall_pct !== null ? ` (${f.spread_edge_recall_pct}%)` : ''}`)],
    ['target', (f) => d(f.target)],
    ['met', (f) => (f.target_met === null ? '-' : f.target_met ? 'MET' : 'MISSED')],
    ['setup / run', (f) => `${f.setup_s} s / ${f.duration_s} s`],
    ['ended', (f) => f.end_reason],
  ];
  const header = ['', ...figs.map((f) => f.scenario)];
  const body = rows.map(([label, fn]) => [label, ...figs.map(fn)]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
