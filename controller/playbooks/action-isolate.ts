// The isolate action: which hosts of the alert a step isolates, the guards asked for
// each (in this order: never-isolate tag, simultaneous alert, already isolated by
// another run, dry-run, blast radius), and the ISOLATE command itself.
import type { IssueCommandRequest__Output } from '../../proto/wire.ts';
import type { AlertSummary } from '../pipeline/stage-types.ts';
import { handledSet, reasonText, record, touch, type EngineState, type Op } from './engine-state.ts';
import { issueOp } from './execution.ts';
import { blastLimit, describeLimit, SlidingCount, type BlastRadius } from './guards.ts';
import { isNeverIsolate, isolateTargets, NEVER_ISOLATE_TAG, type AlertHost, type FleetView } from './match.ts';
import type { PlaybookRun, RunAction } from './records.ts';
import { formatDuration, type Playbook, type PlaybookStep } from './schema.ts';

export function planIsolate(
  s: EngineState, run: PlaybookRun, step: Extract<PlaybookStep, { kind: 'isolate' }>, i: number, alert: AlertSummary,
  members: AlertHost[], fleet: FleetView, now: number, ops: Op[],
): void {
  const handled = handledSet(s, run, i);
  touch(s, run); // dryIsolations and the step's markers live in the run's row
  if (alert.classification === 'simultaneous' && run.definition.when.classification !== 'simultaneous') {
    // a backup or a roll-out looks like this: isolation needs the playbook to ask for it by name
    if (!handled.has('*simultaneous')) {
      handled.add('*simultaneous');
      record(s, run, i, 'isolate', null, 'skipped', 'the alert is simultaneous (many hosts at once, like a backup or a roll-out): a playbook isolates for it only with when.classification: simultaneous', now);
    }
    return;
  }
  const pb = run.definition;
  for (const hostId of isolateTargets(members, step.showing, run.alert.matched, alert.spread.graphHosts)) {
    if (handled.has(hostId)) continue;
    handled.add(hostId);
    const expiry = step.expiry;
    const extra: Partial<RunAction> = {
      expiresAtMs: typeof expiry === 'number' ? now + expiry : null,
      liftOnResolve: expiry === 'alert',
    };
    if (isNeverIsolate(fleet.host(hostId))) {
      record(s, run, i, 'isolate', hostId, 'spared', `the host is tagged ${NEVER_ISOLATE_TAG}: playbooks never isolate it`, now);
      continue;
    }
    const other = s.isolatedBy.get(hostId);
    if (other && other !== run.id) {
      record(s, run, i, 'isolate', hostId, 'skipped', `already isolated by run ${other}`, now);
      continue;
    }
    const guard = run.approvedBy ? null : blastGuard(s, pb, fleet.size(), now, run.mode === 'dry-run' ? run.dryIsolations : 0);
    if (run.mode === 'dry-run') {
      run.dryIsolations++;
      record(s, run, i, 'isolate', hostId, 'dry-run', guard ? `would be held: ${guard}` : 'would isolate', now, extra);
      continue;
    }
    if (guard) {
      record(s, run, i, 'isolate', hostId, 'held', guard, now, extra);
      continue;
    }
    if (!run.approvedBy) countIsolation(s, pb.name, now);
    const a = record(s, run, i, 'isolate', hostId, 'issuing', run.approvedBy ? `isolated (${run.approvedBy} approved this run)` : 'isolated', now, extra);
    a.approvedBy = run.approvedBy;
    ops.push(isolateOp(s, run, a, step.allow ?? []));
  }
}

/** Why the blast radius holds one more automatic isolation, or null when there is room. */
function blastGuard(s: EngineState, pb: Playbook, fleetSize: number, now: number, extra: number): string | null {
  const g = s.globalWindow.count(now, s.radius.windowMs) + extra;
  const gl = blastLimit(s.radius, fleetSize);
  if (g >= gl) {
    // the global window counts operators' fleet isolations too (countOperatorIsolations): the message must not blame playbooks alone
    return `blast radius: ${g} isolations (by playbooks, and by operators with a host selector) in the last ${formatDuration(s.radius.windowMs)}, the global limit is ${describeLimit(s.radius, fleetSize)}; approve with 'firebreak approve <run>'`;
  }
  const pr: BlastRadius = {
    fraction: pb.guards.max_isolations_percent !== undefined ? pb.guards.max_isolations_percent / 100 : s.radius.fraction,
    maxHosts: pb.guards.max_isolations ?? s.radius.maxHosts,
    windowMs: pb.guards.window ?? s.radius.windowMs,
  };
  const p = (s.byPlaybook.get(pb.name)?.count(now, pr.windowMs) ?? 0) + extra;
  // max_isolations: 0 means every isolation waits for a person
  const pl = pr.maxHosts === 0 ? 0 : blastLimit(pr, fleetSize);
  if (p >= pl) {
    return `blast radius: ${p} automatic isolations by playbook ${pb.name} in the last ${formatDuration(pr.windowMs)}, its limit is ${pl === 0 ? '0 (max_isolations: 0)' : describeLimit(pr, fleetSize)}; approve with 'firebreak approve <run>'`;
  }
  return null;
}

function countIsolation(s: EngineState, playbook: string, now: number): void {
  s.journal.isolations.push({ playbook, atMs: now });
  s.globalWindow.add(now);
  let w = s.byPlaybook.get(playbook);
  if (!w) s.byPlaybook.set(playbook, (w = new SlidingCount()));
  w.add(now);
}

/** The ISOLATE command for an action; the host counts as isolated by the run until the command is refused. */
export function isolateOp(s: EngineState, run: PlaybookRun, a: RunAction, allow: string[]): Op {
  const hostId = a.hostId!;
  s.isolatedBy.set(hostId, run.id);
  const req: IssueCommandRequest__Output = {
    hostId,
    action: 'ISOLATE',
    isolate: { allowlist: allow.map((cidr) => ({ cidr, protocol: 'PROTOCOL_UNSPECIFIED', ports: null })) },
    params: 'isolate',
    reason: reasonText(run),
    ttlS: 0,
  };
  return issueOp(s, run, a, req, () => {
    if (s.isolatedBy.get(hostId) === run.id) s.isolatedBy.delete(hostId);
  });
}
