// The life of a run: started by a matching transition (outside the playbook's
// cooldown), planned again on each later transition of its alert, following the alert
// when it is merged into another, finished (lifting its alert-tied actions) when the
// alert resolves, and pruned from memory once finished runs pile up.
// Everything here is synchronous: it changes state and returns the ops to execute.
import type { AlertSummary, AlertTransition } from '../pipeline/stage-types.ts';
import { planBlocks } from './action-block.ts';
import { planIsolate } from './action-isolate.ts';
import { planNotify, planNotifyResolved } from './action-notify.ts';
import { planThrottle } from './action-throttle.ts';
import { activeRunsOf, audit, countStatuses, isEnabled, releasePending, touch, type EngineState, type Op } from './engine-state.ts';
import { planLift } from './lifts.ts';
import type { LoadedPlaybook } from './loader.ts';
import { dominantPort, isCore, matchedSignatures, selectHosts, whenMatches, type AlertHost, type FleetView } from './match.ts';
import type { PlaybookRun, RunAction } from './records.ts';

/** Plans one alert transition: the ops to execute, and the runs it touched. */
export function planTransition(s: EngineState, t: AlertTransition, fleet: FleetView, now: number): { ops: Op[]; touched: Set<PlaybookRun> } {
  const ops: Op[] = [];
  const touched = new Set<PlaybookRun>();
  const created: PlaybookRun[] = [];
  if (t.type === 'resolved') {
    onResolved(s, t, now, ops, touched);
  } else if (t.type !== 'acknowledged') {
    for (const lp of s.playbooks.values()) {
      const pb = lp.playbook;
      const key = `${pb.name}\0${t.alert.id}`;
      const last = s.runs.get(s.latest.get(key) ?? '');
      if (last?.status === 'active') {
        // a disabled playbook stops acting; its alert-tied actions are still lifted on resolve
        if (!isEnabled(s, pb)) continue;
        plan(s, last, t, fleet, now, ops);
        touched.add(last);
        continue;
      }
      if (!isEnabled(s, pb)) continue;
      const verdict = whenMatches(pb, t.alert, fleet);
      if (!verdict.match) continue;
      if (last && now - last.startedAtMs < pb.cooldown) {
        last.cooldownSkips++;
        touch(s, last);
        continue;
      }
      const run = startRun(s, lp, t, verdict.signatures, now);
      created.push(run);
      plan(s, run, t, fleet, now, ops);
      touched.add(run);
    }
    // runs of playbooks no longer loaded still follow their alert
    for (const run of activeRunsOf(s, t.alert.id)) {
      if (!touched.has(run) && !s.playbooks.has(run.playbook)) {
        plan(s, run, t, fleet, now, ops);
        touched.add(run);
      }
    }
  }
  for (const run of created) {
    audit(s, `playbook:${run.playbook}`, 'playbook.run.start', run.alertId, {
      runId: run.id, playbook: run.playbook, mode: run.mode, trigger: run.trigger, alert: run.alert, port: run.port,
    });
  }
  prune(s);
  return { ops, touched };
}

/**
 * After a restore (a restart, or a new leader): every active run plans again against its
 * alert as it stands now. What it already did is in its handled lists and is not done twice;
 * what a crash left unsent (restoreState took it out of them) is issued now.
 */
export function planResume(s: EngineState, fleet: FleetView, alertOf: (id: string) => AlertSummary | undefined, now: number): Op[] {
  const ops: Op[] = [];
  for (const run of [...s.runs.values()]) {
    if (run.status !== 'active') continue;
    const alert = [...run.alertIds].reverse().map(alertOf).find((a) => a && a.status !== 'resolved');
    if (!alert) continue;
    plan(s, run, { type: 'updated', atMs: now, alert, newHosts: [], previousSeverity: null }, fleet, now, ops);
  }
  return ops;
}

/**
 * An operator applies a playbook to an alert by hand (`firebreak contain`): a run started
 * as a transition would start it, with mode 'manual' (acts like enforce: counted by the
 * blast radius, held above it) or 'dry-run' (the preview), planned by the same steps.
 * The caller checked that no run of the playbook is active on the alert.
 */
export function planManualRun(
  s: EngineState, lp: LoadedPlaybook, alert: AlertSummary, fleet: FleetView, now: number, by: string, mode: 'manual' | 'dry-run',
): { run: PlaybookRun; ops: Op[]; note: string | null } {
  const verdict = whenMatches(lp.playbook, alert, fleet);
  // chosen by name, the playbook applies even where its `when` would not have started it
  const matched = verdict.match ? verdict.signatures : matchedSignatures(lp.playbook, alert);
  const t: AlertTransition = { type: 'updated', atMs: now, alert, newHosts: [], previousSeverity: null };
  const run = startRun(s, lp, t, matched, now);
  run.mode = mode;
  run.startedBy = by;
  const ops: Op[] = [];
  plan(s, run, t, fleet, now, ops);
  if (mode === 'manual') {
    audit(s, by, 'playbook.run.start', run.alertId, { runId: run.id, playbook: run.playbook, mode: run.mode, trigger: 'manual', alert: run.alert, port: run.port });
  }
  return { run, ops, note: verdict.match ? null : `the playbook's when does not match this alert (${verdict.reason}); applied by hand anyway` };
}

function startRun(s: EngineState, lp: LoadedPlaybook, t: AlertTransition, matched: string[], now: number): PlaybookRun {
  const pb = lp.playbook;
  const run: PlaybookRun = {
    id: `run-${now.toString(36)}-${++s.seq}`,
    playbook: pb.name,
    file: lp.file,
    mode: pb.mode,
    alertId: t.alert.id,
    alertIds: [t.alert.id],
    trigger: t.type,
    status: 'active',
    startedAtMs: now,
    updatedAtMs: now,
    finishedAtMs: null,
    finishReason: null,
    alert: {
      rootCause: t.alert.rootCause,
      classification: t.alert.classification,
      severity: t.alert.severity,
      hostCount: t.alert.hostCount,
      matched,
    },
    port: dominantPort(t.alert, matched),
    approvedBy: null,
    approvedAtMs: null,
    cooldownSkips: 0,
    actions: [],
    definition: pb,
    handled: {},
    inherited: [],
    dryIsolations: 0,
  };
  s.runs.set(run.id, run);
  s.latest.set(`${pb.name}\0${t.alert.id}`, run.id);
  touch(s, run);
  s.log?.info({ run: run.id, playbook: pb.name, alert: t.alert.id, mode: pb.mode, rootCause: t.alert.rootCause }, 'playbook run started');
  return run;
}

/** Plans every step of the run's definition against what the alert holds now. */
function plan(s: EngineState, run: PlaybookRun, t: AlertTransition, fleet: FleetView, now: number, ops: Op[]): void {
  const members = new Map<string, AlertHost>();
  for (const h of fleet.alertHosts(t.alert.id)) members.set(h.hostId, h);
  for (const id of t.newHosts) if (!members.has(id)) members.set(id, { hostId: id, signatures: [] });
  const inAlert = new Set(members.keys());
  run.definition.do.forEach((step, i) => {
    switch (step.kind) {
      case 'isolate':
        planIsolate(s, run, step, i, t.alert, [...members.values()], fleet, now, ops);
        break;
      case 'block': {
        const hosts = selectHosts(step.hosts, fleet, inAlert).map((h) => h.id);
        planBlocks(s, run, i, 'block', [{ spec: step, entry: null }], hosts, step.expiry, now, ops);
        break;
      }
      case 'raise_core_posture': {
        const hosts: string[] = [];
        for (const h of fleet.hosts()) if (isCore(h)) hosts.push(h.id);
        planBlocks(s, run, i, 'raise_core_posture', step.blocks.map((spec, j) => ({ spec, entry: j })), hosts, step.expiry, now, ops);
        break;
      }
      case 'notify':
        planNotify(s, run, step, i, t, now, ops);
        break;
      case 'throttle':
        planThrottle(s, run, step, i, selectHosts(step.hosts, fleet, inAlert).map((h) => h.id), now, ops);
        break;
    }
  });
}

function onResolved(s: EngineState, t: AlertTransition, now: number, ops: Op[], touched: Set<PlaybookRun>): void {
  const target = t.alert.resolvedReason === 'merged' ? t.alert.mergedInto : null;
  for (const run of activeRunsOf(s, t.alert.id)) {
    touched.add(run);
    planNotifyResolved(s, run, t, now, ops);
    if (target) {
      // the incident goes on under another id: the run follows it, or hands its lifts over
      const key = `${run.playbook}\0${target}`;
      const there = s.runs.get(s.latest.get(key) ?? '');
      if (there?.status === 'active' && there !== run) {
        for (const a of run.actions) if (a.liftOnResolve && !a.lift) there.inherited.push([run.id, a.seq]);
        there.inherited.push(...run.inherited);
        touch(s, there);
        finish(s, run, now, `alert merged into ${target}; its alert-tied actions are lifted when run ${there.id} finishes`, ops, false);
      } else {
        run.alertId = target;
        run.alertIds.push(target);
        s.latest.set(key, run.id);
        run.updatedAtMs = now;
        touch(s, run);
        audit(s, `playbook:${run.playbook}`, 'playbook.run.follow', target, { runId: run.id, from: t.alert.id });
      }
      continue;
    }
    finish(s, run, now, `alert resolved (${t.alert.resolvedReason ?? 'resolved'})`, ops, true);
  }
}

function finish(s: EngineState, run: PlaybookRun, now: number, reason: string, ops: Op[], lift: boolean): void {
  if (lift) {
    const refs: Array<[PlaybookRun, RunAction]> = run.actions.filter((a) => a.liftOnResolve && !a.lift).map((a) => [run, a]);
    for (const [rid, seq] of run.inherited) {
      const r = s.runs.get(rid);
      const a = r?.actions[seq];
      if (r && a && !a.lift) refs.push([r, a]);
    }
    for (const [r, a] of refs) planLift(s, r, a, now, 'the alert resolved', ops);
  }
  for (const a of run.actions) {
    if (a.status === 'held') {
      a.status = 'cancelled';
      a.reason = `${a.reason} — cancelled: the run finished before an operator approved`;
      touch(s, run, a);
    }
  }
  // An isolation this run will still lift outlives it (a timed one until its expiry, an
  // alert-tied one handed to the run its alert merged into): its host stays indexed,
  // so no other run isolates it again and then has it released under it by this one.
  for (const [host, rid] of s.isolatedBy) {
    if (rid === run.id && !run.actions.some((a) => a.hostId === host && releasePending(a))) s.isolatedBy.delete(host);
  }
  run.status = 'finished';
  run.finishedAtMs = now;
  run.finishReason = reason;
  run.updatedAtMs = now;
  touch(s, run);
  audit(s, `playbook:${run.playbook}`, 'playbook.run.finish', run.alertIds[0]!, { runId: run.id, reason, counts: countStatuses(run) });
}

function prune(s: EngineState): void {
  let finished = 0;
  for (const r of s.runs.values()) if (r.status === 'finished') finished++;
  if (finished <= s.maxFinished) return;
  for (const [id, r] of s.runs) {
    if (finished <= s.maxFinished) break;
    if (r.status !== 'finished') continue;
    // a finished run whose alert-tied actions another run will lift must stay, and so
    // must one with an action still to expire (its record is what lifts it after a restart)
    const needed = [...s.runs.values()].some((o) => o.status === 'active' && o.inherited.some(([rid]) => rid === id))
      || r.actions.some((a) => a.expiresAtMs !== null && !a.lift && (a.status === 'issued' || a.status === 'issuing'));
    if (needed) continue;
    s.runs.delete(id);
    s.journal.deleted.push(id);
    finished--;
  }
}
