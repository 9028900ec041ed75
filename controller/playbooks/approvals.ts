// Approving what a guard held: an operator's approve() isolates the held hosts of a
// run (unless another run isolated them meanwhile), and marks the run approved so its
// later isolations skip the blast radius.
import { audit, touch, type EngineState, type Op } from './engine-state.ts';
import { isolateOp } from './action-isolate.ts';
import type { PlaybookRun, RunAction } from './records.ts';

/** Plans the approval of `held` (the run's held actions, at least one) as `by`; returns the ops to execute. */
export function planApproval(s: EngineState, run: PlaybookRun, held: RunAction[], by: string, now: number): Op[] {
  run.approvedBy = by;
  run.approvedAtMs = now;
  const ops: Op[] = [];
  for (const a of held) {
    // An expiry runs from when the action takes effect: an isolation held for 40
    // minutes, then approved, still lasts its whole expiry.
    if (a.expiresAtMs !== null) a.expiresAtMs = now + (a.expiresAtMs - a.atMs);
    a.approvedBy = by;
    a.atMs = now;
    touch(s, run, a);
    if (a.kind !== 'isolate' || !a.hostId) continue;
    const other = s.isolatedBy.get(a.hostId);
    if (other && other !== run.id) {
      a.status = 'skipped';
      a.reason = `approved by ${by}, but already isolated by run ${other}`;
      continue;
    }
    a.status = 'issuing';
    a.reason = `isolated: approved by ${by} (was held: ${a.reason})`;
    const step = run.definition.do[a.step];
    ops.push(isolateOp(s, run, a, step?.kind === 'isolate' ? step.allow ?? [] : []));
  }
  run.updatedAtMs = now;
  audit(s, by, 'playbook.approve', run.alertIds[0]!, { runId: run.id, playbook: run.playbook, hosts: held.map((a) => a.hostId) });
  for (const op of ops) s.planned.push({ run, action: op.action, lift: false });
  return ops;
}
