// The run's summary: what really happened (the scenario's truth) against what
// the controller concluded (its alerts, read over the Operator API). Names
// carry their units.
import { doublingTime } from '../../controller/pipeline/alerts.ts';
import type { AlertDetail, AlertSummary } from '../../controller/pipeline/stage-types.ts';
import type { CommandView__Output } from '../../proto/wire.ts';
import type { Fleet } from './fleet.ts';
import type { SimulationOptions } from './run.ts';
import type { Scenario, ScenarioContext, ScenarioTruth } from './scenario.ts';

export interface Observed {
  /** when polling first saw a fleet alert (the alert's own openedAtMs is more precise) */
  firstFleetAlertSeenMs: number | null;
  polls: number;
  pollErrors: number;
}

export interface AlertBrief {
  id: string;
  scope: string;
  status: string;
  severity: string;
  classification: string;
  root_cause: string;
  signatures: string[];
  host_count: number;
  event_count: number;
  patient_zero: string | null;
  doubling_time_s: number | null;
  opened_at_ms: number;
  merged_into: string | null;
}

export interface SimulationSummary {
  scenario: string;
  hosts: number;
  seed: number;
  report_interval_ms: number;
  heartbeat_interval_ms: number;
  warmup: string;
  timings_ms: Record<string, number>;
  truth: {
    affected_hosts: number;
    first_affected_at_ms: number | null;
    patient_zero: string | null;
    doubling_s: number | null;
    /** the same least-squares fit the controller uses, over the true infection times */
    measured_doubling_s: number | null;
    expected_classification: string | null;
    extra: ScenarioTruth['extra'];
    /** who infected whom, in order (ms after the run's start; by null = patient zero or not a spread) */
    affected: { host: string; at_ms: number; by: string | null }[];
  };
  raw_events: number;
  raw_events_from_affected_hosts: number;
  raw_events_from_other_hosts: number;
  cleared_events: number;
  events_folded_into_master_alerts: number;
  folded_pct: number | null;
  master_alerts: number;
  /** master alerts not merged into another: incidents */
  master_incidents: number;
  host_alerts: number;
  /** host lines a master alert absorbed once their host joined it */
  host_alerts_merged_into_master: number;
  first_master_alert_opened_at_ms: number | null;
  first_infection_to_first_master_alert_ms: number | null;
  third_host_first_anomaly_received_at_ms: number | null;
  first_master_alert_after_third_host_ms: number | null;
  main_alert: AlertBrief | null;
  patient_zero_found: boolean | null;
  classification: string | null;
  classification_right: boolean | null;
  doubling_estimate_s: number | null;
  doubling_error_pct: number | null;
  max_master_severity: string | null;
  /** affected hosts the main alert holds */
  affected_hosts_in_main_alert: number;
  /** hosts in the main alert that the scenario never affected */
  unaffected_hosts_in_main_alert: number;
  /**
   * The main alert's spread tree against the true infections. A true edge is
   * by -> host for an infected host the alert holds (patient zero has none);
   * it is found when the alert's spread graph has an edge from -> to alike.
   */
  spread_tree: {
    true_edges: number;
    true_edges_found: number;
    /** share of the true edges in the alert's tree (null: no true edge to find) */
    edge_accuracy_pct: number | null;
    /** edges the alert's tree has, and how many of them no infection made */
    alert_edges: number;
    alert_edges_not_true: number;
    root: string | null;
    root_right: boolean | null;
    generations: number | null;
    /** hosts of the alert whose agents trace contacts (0: the controller fell back on onset timing) */
    traced_hosts: number | null;
    /** the true edges (by>host) the tree lacks, and the tree's edges no infection made: what to look at when it is wrong */
    missed: string[];
    not_true: string[];
  };
  affected_over_time: { t_s: number; hosts: number }[];
  alert_hosts_over_time: { t_s: number; hosts: number }[];
  enforcement_at_end: { isolated_hosts: number; hosts_with_blocks: number };
  /** what the playbooks did (all zero when none ran) */
  containment: {
    playbook_commands: number;
    isolate_commands: number;
    block_commands: number;
    /** from the first infection to the first command a playbook issued */
    first_containment_action_after_first_affected_ms: number | null;
    /** playbook commands that ended failed or expired (a refused signature, e.g. a host's clock too far off) */
    failed_commands: number;
    /** from the first infection to the last host that got infected */
    last_new_affected_after_first_affected_ms: number | null;
  };
  alerts: AlertBrief[];
  poll_errors: number;
}

interface Inputs {
  options: SimulationOptions;
  scenario: Scenario;
  ctx: ScenarioContext;
  fleet: Fleet;
  truth: ScenarioTruth;
  alerts: AlertSummary[];
  details: AlertDetail[];
  firstReceived: Map<string, number>;
  observed: Observed;
  timings: Record<string, number>;
  commands: CommandView__Output[];
}

const SEV = ['info', 'warning', 'critical'];
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function brief(a: AlertSummary): AlertBrief {
  return {
    id: a.id, scope: a.scope, status: a.status, severity: a.severity, classification: a.classification, root_cause: a.rootCause,
    signatures: a.signatures.map((s) => s.signature), host_count: a.hostCount, event_count: a.eventCount,
    patient_zero: a.patientZero?.hostId ?? null, doubling_time_s: a.doublingTimeMs === null ? null : round(a.doublingTimeMs / 1000, 2),
    opened_at_ms: a.openedAtMs, merged_into: a.mergedInto,
  };
}

export function summarize(i: Inputs): SimulationSummary {
  const { truth, fleet, ctx, options: o } = i;
  const t0 = ctx.t0;
  const fleetAlerts = i.alerts.filter((a) => a.scope === 'fleet');
  const hostAlerts = i.alerts.filter((a) => a.scope === 'host');
  const incidents = fleetAlerts.filter((a) => !a.mergedInto);
  // The main alert: the incident holding the most affected hosts, then the fewest others (a
  // worm masked by a roll-out: the worm's own alert, not the roll-out's that also holds its hosts).
  const affectedIds = new Set(truth.affected.map((a) => a.hostId));
  const detail = new Map(i.details.map((d) => [d.id, d]));
  const inAlert = (a: AlertSummary) => (detail.get(a.id)?.hosts ?? []).filter((h) => affectedIds.has(h.hostId)).length;
  const others = (a: AlertSummary) => a.hostCount - inAlert(a);
  const topRank = (a: AlertSummary) => Math.max(0, ...a.signatures.map((x) => x.rank));
  const main = [...incidents].sort((x, y) => inAlert(y) - inAlert(x) || others(x) - others(y) || topRank(y) - topRank(x) || y.hostCount - x.hostCount)[0] ?? null;
  const mainHosts = main ? detail.get(main.id)?.hosts ?? [] : [];

  let raw = 0, rawAffected = 0, cleared = 0;
  for (const h of fleet.hosts) {
    raw += h.events.raw;
    cleared += h.events.cleared;
    if (affectedIds.has(h.id)) rawAffected += h.events.raw;
  }
  // Folded: events counted in master alerts, and in host lines a master alert absorbed (resolved as merged into it).
  const fleetIds = new Set(fleetAlerts.map((a) => a.id));
  const folded = fleetAlerts.reduce((a, x) => a + x.eventCount, 0) +
    hostAlerts.filter((h) => h.mergedInto !== null && fleetIds.has(h.mergedInto)).reduce((a, x) => a + x.eventCount, 0);

  const firstAffected = truth.affected[0]?.atMs ?? null;
  const firstOpened = fleetAlerts.length ? Math.min(...fleetAlerts.map((a) => a.openedAtMs)) : null;
  const arrivals = [...i.firstReceived.values()].sort((a, b) => a - b);
  const third = arrivals[2] ?? null;

  const trueOnsets = truth.affected.map((a) => a.atMs).sort((a, b) => a - b);
  const measured = doublingTime(trueOnsets, fleet.hosts.length);
  const expectD = truth.expect.doublingS ?? null;
  const estimate = main?.doublingTimeMs ?? null;

  const span = Math.ceil((i.timings['scenario_ms'] ?? 0) / 1000);
  const overTime = (times: number[]) => {
    const out: { t_s: number; hosts: number }[] = [];
    const sorted = [...times].sort((a, b) => a - b);
    let k = 0;
    for (let s = 0; s <= span; s++) {
      while (k < sorted.length && sorted[k]! <= t0 + s * 1000) k++;
      out.push({ t_s: s, hosts: k });
    }
    return out;
  };

  let isolated = 0, blocked = 0;
  for (const h of fleet.hosts) {
    const st = h.agent?.enforcer.state();
    if (st?.isolated) isolated++;
    if (st && st.blocks.length > 0) blocked++;
  }
  const maxSev = fleetAlerts.reduce<string | null>((m, a) => (m === null || SEV.indexOf(a.severity) > SEV.indexOf(m) ? a.severity : m), null);

  return {
    scenario: i.scenario.name,
    hosts: fleet.hosts.length,
    seed: o.seed,
    report_interval_ms: o.intervalMs,
    heartbeat_interval_ms: o.heartbeatMs,
    warmup: `${o.warmupSamples} synthetic normal samples fed to each host's DetectorEngine (default config) in-process before the agents start`,
    timings_ms: i.timings,
    truth: {
      affected_hosts: truth.affected.length,
      first_affected_at_ms: firstAffected,
      patient_zero: truth.expect.patientZero ?? null,
      doubling_s: expectD,
      measured_doubling_s: measured === null ? null : round(measured / 1000, 2),
      expected_classification: truth.expect.classification ?? null,
      extra: truth.extra,
      affected: truth.affected.map((a) => ({ host: a.hostId, at_ms: a.atMs - t0, by: a.by })),
    },
    raw_events: raw,
    raw_events_from_affected_hosts: rawAffected,
    raw_events_from_other_hosts: raw - rawAffected,
    cleared_events: cleared,
    events_folded_into_master_alerts: folded,
    folded_pct: raw > 0 ? round((100 * Math.min(folded, raw)) / raw, 2) : null,
    master_alerts: fleetAlerts.length,
    master_incidents: incidents.length,
    host_alerts: hostAlerts.length,
    host_alerts_merged_into_master: hostAlerts.filter((h) => h.mergedInto !== null && fleetIds.has(h.mergedInto)).length,
    first_master_alert_opened_at_ms: firstOpened,
    first_infection_to_first_master_alert_ms: firstOpened !== null && firstAffected !== null ? firstOpened - firstAffected : null,
    third_host_first_anomaly_received_at_ms: third,
    first_master_alert_after_third_host_ms: firstOpened !== null && third !== null ? firstOpened - third : null,
    main_alert: main ? brief(main) : null,
    patient_zero_found: truth.expect.patientZero ? main?.patientZero?.hostId === truth.expect.patientZero : null,
    classification: main?.classification ?? null,
    classification_right: truth.expect.classification ? main?.classification === truth.expect.classification : null,
    doubling_estimate_s: estimate === null ? null : round(estimate / 1000, 2),
    doubling_error_pct: estimate !== null && expectD ? round((100 * (estimate / 1000 - expectD)) / expectD, 1) : null,
    max_master_severity: maxSev,
    affected_hosts_in_main_alert: mainHosts.filter((h) => affectedIds.has(h.hostId)).length,
    unaffected_hosts_in_main_alert: mainHosts.filter((h) => !affectedIds.has(h.hostId)).length,
    affected_over_time: overTime(truth.affected.map((a) => a.atMs)),
    spread_tree: spreadTreeOf(main ? detail.get(main.id) : undefined, truth, mainHosts.map((h) => h.hostId)),
    alert_hosts_over_time: overTime(mainHosts.map((h) => h.onsetMs)),
    enforcement_at_end: { isolated_hosts: isolated, hosts_with_blocks: blocked },
    containment: containmentOf(i.commands, truth),
    alerts: [...fleetAlerts, ...hostAlerts.slice(0, 50)].map(brief),
    poll_errors: i.observed.pollErrors,
  };
}

/** A few lines for a person; the JSON has everything. */
export function formatSummary(s: SimulationSummary): string {
  const ms = (v: number | null) => (v === null ? 'n/a' : `${v} ms`);
  const yes = (v: boolean | null) => (v === null ? 'n/a' : v ? 'yes' : 'NO');
  const lines = [
    `scenario ${s.scenario}: ${s.hosts} simulated hosts, report interval ${s.report_interval_ms} ms, seed ${s.seed}`,
    `  setup: controller ${s.timings_ms['controller_start_ms']} ms, enrollment ${s.timings_ms['enrollment_ms']} ms, agents connected ${s.timings_ms['agents_connect_ms']} ms; scenario ran ${s.timings_ms['scenario_ms']} ms`,
    `  truth: ${s.truth.affected_hosts} hosts affected` + (s.truth.patient_zero ? `, patient zero ${s.truth.patient_zero}` : '') +
      (s.truth.doubling_s ? `, doubling ${s.truth.doubling_s} s (measured on true infections ${s.truth.measured_doubling_s ?? 'n/a'} s)` : ''),
    `  raw anomaly events ${s.raw_events} (${s.raw_events_from_affected_hosts} from affected hosts), folded into master alerts ${s.events_folded_into_master_alerts} = ${s.folded_pct ?? 'n/a'}%`,
    `  master alerts ${s.master_alerts} (${s.master_incidents} incidents), host alerts ${s.host_alerts} (${s.host_alerts_merged_into_master} merged into a master alert), highest master severity ${s.max_master_severity ?? 'none'}`,
  ];
  if (s.main_alert) {
    const a = s.main_alert;
    lines.push(
      `  main alert ${a.id}: ${a.severity}, ${a.classification}, root cause ${a.root_cause}, ${a.host_count} hosts (${s.affected_hosts_in_main_alert} affected, ${s.unaffected_hosts_in_main_alert} not), signatures ${a.signatures.join(' ')}`,
      `  first infection → first master alert ${ms(s.first_infection_to_first_master_alert_ms)}; after the third host's first anomaly reached the controller ${ms(s.first_master_alert_after_third_host_ms)}`,
      `  patient zero right: ${yes(s.patient_zero_found)} (alert says ${a.patient_zero ?? 'none'}); classification right: ${yes(s.classification_right)}; doubling estimate ${s.doubling_estimate_s ?? 'n/a'} s (${s.doubling_error_pct ?? 'n/a'}% off the truth)`,
    );
  }
  const t = s.spread_tree;
  if (s.main_alert) {
    lines.push(`  spread tree: ${t.alert_edges} edges (${t.alert_edges_not_true} not a true infection), ${t.generations ?? 'n/a'} generations, root ${t.root ?? 'none'}` +
      (t.root_right === null ? '' : ` (${t.root_right ? 'right' : 'WRONG'})`) + `; true infection edges found ${t.true_edges_found} of ${t.true_edges}` +
      (t.edge_accuracy_pct === null ? '' : ` = ${t.edge_accuracy_pct}%`) + `; traced hosts ${t.traced_hosts ?? 'n/a'}`);
  }
  const curve = s.affected_over_time.filter((p) => p.t_s % 5 === 0).map((p) => `${p.t_s}s:${p.hosts}`).join(' ');
  lines.push(`  affected hosts over time: ${curve}`);
  const c = s.containment;
  if (c.playbook_commands > 0) {
    lines.push(`  playbooks: ${c.isolate_commands} isolate and ${c.block_commands} block commands; first action ${secs(c.first_containment_action_after_first_affected_ms)} after the first infection, last new infection at ${secs(c.last_new_affected_after_first_affected_ms)}` +
      (c.failed_commands > 0 ? `; ${c.failed_commands} commands failed or expired` : ''));
  }
  if (s.enforcement_at_end.isolated_hosts || s.enforcement_at_end.hosts_with_blocks) {
    lines.push(`  enforcement at the end: ${s.enforcement_at_end.isolated_hosts} isolated, ${s.enforcement_at_end.hosts_with_blocks} with port blocks`);
  }
  return lines.join('\n');
}

function containmentOf(commands: CommandView__Output[], truth: ScenarioTruth): SimulationSummary['containment'] {
  const byPlaybook = commands.filter((c) => c.command?.issuer.startsWith('playbook:'));
  const first = truth.affected[0]?.atMs ?? null;
  const last = truth.affected.length ? Math.max(...truth.affected.map((a) => a.atMs)) : null;
  const firstAction = byPlaybook.length ? Math.min(...byPlaybook.map((c) => c.command!.issuedAtMs)) : null;
  return {
    playbook_commands: byPlaybook.length,
    isolate_commands: byPlaybook.filter((c) => c.command!.action === 'ISOLATE').length,
    block_commands: byPlaybook.filter((c) => c.command!.action === 'BLOCK').length,
    first_containment_action_after_first_affected_ms: first !== null && firstAction !== null ? firstAction - first : null,
    failed_commands: byPlaybook.filter((c) => c.status === 'FAILED' || c.status === 'EXPIRED').length,
    last_new_affected_after_first_affected_ms: first !== null && last !== null ? last - first : null,
  };
}

function spreadTreeOf(d: AlertDetail | undefined, truth: ScenarioTruth, alertHosts: string[]): SimulationSummary['spread_tree'] {
  const held = new Set(alertHosts);
  const trueEdges = truth.affected.filter((a) => a.by !== null && held.has(a.hostId)).map((a) => `${a.by}>${a.hostId}`);
  const isTrue = new Set(truth.affected.filter((a) => a.by !== null).map((a) => `${a.by}>${a.hostId}`));
  // the graph is empty (or absent, from a controller without contact tracing) until contacts arrive
  const g = d?.spreadGraph;
  const edges = new Set((g?.edges ?? []).map((e) => `${e.from}>${e.to}`));
  const found = trueEdges.filter((e) => edges.has(e)).length;
  const pz = truth.expect.patientZero;
  const root = g?.root ?? null;
  return {
    true_edges: trueEdges.length,
    true_edges_found: found,
    edge_accuracy_pct: trueEdges.length > 0 ? round((100 * found) / trueEdges.length, 1) : null,
    alert_edges: edges.size,
    alert_edges_not_true: [...edges].filter((e) => !isTrue.has(e)).length,
    root,
    root_right: pz && d ? root === pz : null,
    generations: g?.generations ?? null,
    traced_hosts: g?.tracedHosts ?? null,
    missed: trueEdges.filter((e) => !edges.has(e)),
    not_true: [...edges].filter((e) => !isTrue.has(e)),
  };
}

function secs(ms: number | null): string {
  return ms === null ? '-' : `${(ms / 1000).toFixed(1)} s`;
}
