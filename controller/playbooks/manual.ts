// An operator's hand on the engine: `firebreak contain <alert>` applies a playbook's
// plan to an alert (a run of mode 'manual'), after a preview planned by the very same
// steps on a scratch copy of the engine's state (mode 'dry-run', nothing issued,
// nothing stored). The preview's digest ties the confirmation to what was shown: a
// plan that changed since (a host joined, the blast radius filled) is refused.
//
// Operator isolations by host selector (`firebreak isolate --hosts ...`) are counted
// here too, in the same window as the playbooks' own, so a fleet isolate by hand
// leaves less room for automatic ones and the reverse.
import { createHash } from 'node:crypto';
import { StageError, type AlertSummary } from '../pipeline/stage-types.ts';
import { emptyJournal, type EngineState, type Op } from './engine-state.ts';
import { SlidingCount } from './guards.ts';
import type { LoadedPlaybook } from './loader.ts';
import { whenMatches, type FleetView } from './match.ts';
import type { PlaybookRun } from './records.ts';
import { planManualRun } from './run-lifecycle.ts';

export class ManualError extends StageError {
  override name = 'ManualError';
}

/** The playbook an operator named, or the first loaded one whose `when` matches the alert. */
export function pickPlaybook(s: EngineState, alert: AlertSummary, fleet: FleetView, name: string | null): LoadedPlaybook {
  if (alert.status === 'resolved') throw new ManualError(`alert ${alert.id} is resolved: there is nothing to contain`);
  if (name) {
    const lp = s.playbooks.get(name);
    if (!lp) throw new ManualError(`unknown playbook '${name}' (list them with 'firebreak playbooks list')`, 'not-found');
    return lp;
  }
  const reasons: string[] = [];
  for (const lp of s.playbooks.values()) {
    const v = whenMatches(lp.playbook, alert, fleet);
    if (v.match) return lp;
    reasons.push(`${lp.playbook.name}: ${v.reason}`);
  }
  throw new ManualError(`no loaded playbook matches alert ${alert.id}${reasons.length ? ` (${reasons.slice(0, 5).join('; ')})` : ' (none is loaded)'}: name one with --playbook`);
}

function refuseActive(s: EngineState, lp: LoadedPlaybook, alert: AlertSummary): void {
  const last = s.runs.get(s.latest.get(`${lp.playbook.name}\0${alert.id}`) ?? '');
  if (last?.status === 'active') {
    throw new ManualError(`run ${last.id} of playbook ${lp.playbook.name} already acts on alert ${alert.id} (see 'firebreak run ${last.id}'; approve what it holds with 'firebreak approve ${last.id}')`);
  }
}

/** What a preview showed, in a form that changes when the plan would: hosts, steps, outcomes, blocks. */
export function planDigest(run: PlaybookRun): string {
  const shape = run.actions.map((a) => [
    a.step, a.kind, a.hostId, a.status, a.status === 'dry-run' && a.reason.startsWith('would be held') ? 'held' : '',
    a.block ? [a.block.direction, a.block.protocol, a.block.ports] : null, a.throttle ?? null,
  ]);
  return createHash('sha256').update(JSON.stringify([run.playbook, run.alertIds[0], run.port, shape])).digest('hex').slice(0, 16);
}

/** A copy of the state a preview may change freely: runs and windows copied, no ports that persist or issue. */
function scratch(s: EngineState): EngineState {
  const byPlaybook = new Map<string, SlidingCount>();
  for (const [k, w] of s.byPlaybook) byPlaybook.set(k, new SlidingCount(w.toJSON()));
  return {
    ...s,
    ports: { ...s.ports, persist: undefined, audit: () => undefined },
    runs: new Map(s.runs),
    latest: new Map(s.latest),
    isolatedBy: new Map(s.isolatedBy),
    globalWindow: new SlidingCount(s.globalWindow.toJSON()),
    byPlaybook,
    expiring: new Set(),
    planned: [],
    handledCache: new WeakMap(),
    journal: emptyJournal(),
  };
}

export interface ManualPlan {
  run: PlaybookRun;
  digest: string;
  /** Set when the playbook's `when` would not have matched. */
  note: string | null;
}

/** The preview: what the playbook would do for the alert now. Changes nothing. */
export function previewManual(s: EngineState, alert: AlertSummary, fleet: FleetView, name: string | null, by: string, now: number): ManualPlan {
  const lp = pickPlaybook(s, alert, fleet, name);
  refuseActive(s, lp, alert);
  const t = scratch(s);
  t.seq = s.seq;
  const { run, note } = planManualRun(t, lp, alert, fleet, now, by, 'dry-run');
  return { run: structuredClone(run), digest: planDigest(run), note };
}

/**
 * The real run, when its preview still has the digest the operator confirmed. Returns
 * the ops to execute (execute() in execution.ts writes the run first, then issues).
 */
export function startManual(
  s: EngineState, alert: AlertSummary, fleet: FleetView, name: string | null, by: string, now: number, digest: string,
): { run: PlaybookRun; ops: Op[]; note: string | null } {
  const preview = previewManual(s, alert, fleet, name, by, now);
  if (!digest) throw new ManualError(`contain needs the digest of its preview (run it with --dry-run first, or let the CLI preview and confirm)`);
  if (preview.digest !== digest) {
    throw new ManualError(`the plan for alert ${alert.id} changed since the preview (digest ${digest}, now ${preview.digest}): preview it again and confirm what it shows now`);
  }
  return planManualRun(s, s.playbooks.get(preview.run.playbook)!, alert, fleet, now, by, 'manual');
}

/** Operator isolations by selector, counted in the global window under `by` (journaled like the playbooks' own). */
export function countOperatorIsolations(s: EngineState, by: string, n: number, now: number): void {
  for (let i = 0; i < n; i++) {
    s.journal.isolations.push({ playbook: by, atMs: now });
    s.globalWindow.add(now);
  }
}
