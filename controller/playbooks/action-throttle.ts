// The throttle action: Williamson's virus throttle on a selector of hosts (new
// destinations at `rate` a second, recently used ones free), lifted when the alert
// resolves (the default `expiry: alert`) or by the agent at a timed expiry.
//
// A host has one throttle, not one per run: a host another run still throttles is
// skipped (as an isolation by another run is), so one run's lift never undoes
// another's throttle. Throttles do not count against the blast radius: they slow
// new destinations and cut nothing.
import type { ThrottleParams__Output } from '../../proto/wire.ts';
import { handledSet, reasonText, record, type EngineState, type Op } from './engine-state.ts';
import { issueOp } from './execution.ts';
import type { PlaybookRun, RunAction } from './records.ts';
import { formatDuration, type ThrottleStep } from './schema.ts';

/** A throttle the run still holds on a host: issued (or on its way), not lifted, not past its expiry. */
export function holdsThrottle(a: RunAction, now: number): boolean {
  return a.kind === 'throttle' && (a.status === 'issued' || a.status === 'issuing') && !a.lift && (a.expiresAtMs === null || a.expiresAtMs > now);
}

/** hostId → the active run holding a throttle on it (runs finished with a timed throttle still hold it). */
function throttleOwners(s: EngineState, now: number): Map<string, string> {
  const owners = new Map<string, string>();
  for (const r of s.runs.values()) {
    for (const a of r.actions) if (a.hostId && holdsThrottle(a, now)) owners.set(a.hostId, r.id);
  }
  return owners;
}

export function planThrottle(s: EngineState, run: PlaybookRun, step: ThrottleStep, i: number, hosts: string[], now: number, ops: Op[]): void {
  const handled = handledSet(s, run, i);
  const fresh = hosts.filter((h) => !handled.has(h));
  if (fresh.length === 0) return;
  const owners = throttleOwners(s, now);
  const expiry = step.expiry;
  const throttle: ThrottleParams__Output = {
    newPerSecond: step.rate,
    burst: step.burst,
    workingSetS: Math.ceil(step.working_set / 1000),
    expiresAtMs: typeof expiry === 'number' ? now + expiry : 0,
  };
  const what = `${throttle.newPerSecond} new destination(s)/s, burst ${throttle.burst}, working set ${formatDuration(step.working_set)}`;
  for (const hostId of fresh) {
    handled.add(hostId);
    const extra: Partial<RunAction> = { throttle, expiresAtMs: throttle.expiresAtMs || null, liftOnResolve: expiry === 'alert' };
    const other = owners.get(hostId);
    if (other && other !== run.id) {
      record(s, run, i, 'throttle', hostId, 'skipped', `already throttled by run ${other}`, now);
      continue;
    }
    if (run.mode === 'dry-run') {
      record(s, run, i, 'throttle', hostId, 'dry-run', `would throttle: ${what}`, now, extra);
      continue;
    }
    const a = record(s, run, i, 'throttle', hostId, 'issuing', `throttled: ${what}`, now, extra);
    ops.push(issueOp(s, run, a, { hostId, action: 'THROTTLE', throttle, params: 'throttle', reason: reasonText(run), ttlS: 0 }));
  }
}
