// Lifting what a run did: isolations are released, blocks unblocked and throttles
// unthrottled when their alert resolves (`expiry: alert`), and at their expiry time
// (tick): isolations by a release command, blocks and throttles by the agent itself.
import type { IssueCommandRequest__Output } from '../../proto/wire.ts';
import { clip, reasonText, touch, type EngineState, type Op } from './engine-state.ts';
import type { ActionLift, PlaybookRun, RunAction } from './records.ts';

export function planLift(s: EngineState, run: PlaybookRun, a: RunAction, now: number, why: string, ops: Op[]): void {
  if (a.status === 'dry-run') {
    a.lift = { atMs: now, status: 'dry-run', commandId: null, reason: `would lift: ${why}` };
    s.planned.push({ run, action: a, lift: true });
    return;
  }
  if (a.status !== 'issued' && a.status !== 'issuing') return;
  const hostId = a.hostId!;
  const lift: ActionLift = { atMs: now, status: 'issuing', commandId: null, reason: why };
  a.lift = lift;
  s.planned.push({ run, action: a, lift: true });
  const reason = clip(`${reasonText(run)}: ${why}`);
  const req: IssueCommandRequest__Output = a.kind === 'isolate'
    ? { hostId, action: 'RELEASE', params: undefined, reason, ttlS: 0 }
    : a.kind === 'throttle'
      ? { hostId, action: 'UNTHROTTLE', params: undefined, reason, ttlS: 0 }
      : { hostId, action: 'UNBLOCK', unblock: { blockId: a.block!.id }, params: 'unblock', reason, ttlS: 0 };
  if (a.kind === 'isolate' && s.isolatedBy.get(hostId) === run.id) s.isolatedBy.delete(hostId);
  ops.push({
    run,
    action: a,
    go: async () => {
      try {
        const { commandId } = await s.ports.issue(hostId, req, `playbook:${run.playbook}`);
        lift.commandId = commandId;
        lift.status = 'issued';
      } catch (err) {
        lift.status = 'failed';
        lift.reason = clip(`${why}; the lift was refused: ${(err as Error).message}`);
        // The host is still isolated by this run: keep it in the index, so no other run isolates it again.
        if (a.kind === 'isolate' && !s.isolatedBy.has(hostId)) s.isolatedBy.set(hostId, run.id);
        s.log?.warn({ run: run.id, host: hostId, action: req.action, err: (err as Error).message }, 'playbook lift refused');
      }
    },
  });
}

/**
 * The lifts due at `now` (tick): isolations whose expiry passed are released;
 * blocks whose expiry passed are marked lifted (the agent removes them itself).
 */
export function planExpiries(s: EngineState, now: number): Op[] {
  const ops: Op[] = [];
  for (const entry of s.expiring) {
    const [run, a] = entry;
    if (a.lift || (a.status !== 'issued' && a.status !== 'dry-run' && a.status !== 'issuing' && a.status !== 'held')) {
      s.expiring.delete(entry);
      continue;
    }
    if (a.expiresAtMs! > now || a.status === 'issuing') continue;
    if (a.status === 'held') {
      // nobody approved it before it would have ended anyway
      a.status = 'cancelled';
      a.reason = `${a.reason} — cancelled: its expiry passed before an operator approved`;
      touch(s, run, a);
      s.expiring.delete(entry);
      continue;
    }
    s.expiring.delete(entry);
    if (a.kind === 'isolate') {
      planLift(s, run, a, now, `expiry ${new Date(a.expiresAtMs!).toISOString()} passed`, ops);
    } else {
      a.lift = { atMs: now, status: a.status === 'dry-run' ? 'dry-run' : 'expired', commandId: null, reason: `expired; the agent lifts the ${a.kind === 'throttle' ? 'throttle' : 'block'} itself` };
      s.planned.push({ run, action: a, lift: true });
    }
  }
  return ops;
}
