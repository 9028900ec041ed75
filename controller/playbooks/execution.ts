// Running a pass's ops through the ports (bounded concurrency) and auditing the pass:
// one entry per run, step and outcome, not one per host.
import type { IssueCommandRequest__Output } from '../../proto/wire.ts';
import { audit, clip, touch, type EngineState, type Op, type Planned } from './engine-state.ts';
import { commitJournal } from './journal.ts';
import type { ActionKind, PlaybookRun, RunAction } from './records.ts';

const ISSUE_VERB: Record<ActionKind, string> = {
  isolate: 'playbook.isolate',
  block: 'playbook.block',
  raise_core_posture: 'playbook.core-posture',
  notify: 'playbook.notify',
  throttle: 'playbook.throttle',
};

/** An op issuing one command for an action: the action records the command's id, or why it was refused. */
export function issueOp(s: EngineState, run: PlaybookRun, a: RunAction, req: IssueCommandRequest__Output, onFail?: () => void): Op {
  return {
    run,
    action: a,
    go: async () => {
      try {
        const { commandId } = await s.ports.issue(req.hostId, req, `playbook:${run.playbook}`);
        a.commandId = commandId;
        a.status = 'issued';
      } catch (err) {
        a.status = 'failed';
        a.reason = clip(`the command was refused: ${(err as Error).message}`);
        onFail?.();
        s.log?.warn({ run: run.id, host: req.hostId, action: req.action, err: (err as Error).message }, 'playbook command refused');
      }
    },
  };
}

/**
 * Runs the ops (bounded concurrency), then audits them with the planning records of the
 * same pass. What the pass planned (actions, counted isolations, run changes) is written
 * to the store before the first command goes out, what the commands answered after the
 * last one: a kill -9 at any point leaves a run the restart can resume.
 */
export function execute(s: EngineState, ops: Op[]): Promise<void> {
  const planned = s.planned;
  s.planned = [];
  for (const p of planned) touch(s, p.run, p.action);
  const before = commitJournal(s);
  if (ops.length === 0) {
    auditBatch(s, planned);
    return before;
  }
  let next = 0;
  const worker = async () => {
    while (next < ops.length) {
      const op = ops[next++]!;
      await op.go();
      touch(s, op.run, op.action);
    }
  };
  return before
    .then(() => Promise.all(Array.from({ length: Math.min(s.concurrency, ops.length) }, worker)))
    .then(() => commitJournal(s))
    .then(() => auditBatch(s, planned));
}

/**
 * One audit entry per run, step and outcome of a batch (a worm on 5,000 hosts makes a
 * handful of entries, each listing its hosts), including the held/spared/dry-run/skipped
 * records made while planning, which had no op of their own.
 */
function auditBatch(s: EngineState, entries: Planned[]): void {
  const groups = new Map<string, { run: PlaybookRun; a: RunAction; lift: boolean; hosts: string[]; commands: string[]; reasons: Set<string> }>();
  for (const { run, action: a, lift } of entries) {
    const status = lift ? a.lift!.status : a.status;
    const key = `${run.id}|${a.step}|${lift}|${status}|${a.approvedBy ?? ''}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { run, a, lift, hosts: [], commands: [], reasons: new Set() }));
    if (a.hostId) g.hosts.push(a.hostId);
    const cmd = lift ? a.lift!.commandId : a.commandId;
    if (cmd) g.commands.push(cmd);
    if (g.reasons.size < 5) g.reasons.add(lift ? a.lift!.reason : a.reason);
  }
  for (const g of groups.values()) {
    const status = g.lift ? g.a.lift!.status : g.a.status;
    const actor = g.a.approvedBy && !g.lift ? g.a.approvedBy : `playbook:${g.run.playbook}`;
    audit(s, actor, g.lift ? 'playbook.lift' : ISSUE_VERB[g.a.kind], g.run.alertIds[0]!, {
      runId: g.run.id, playbook: g.run.playbook, alertId: g.run.alertId, step: g.a.step, kind: g.a.kind, status,
      hosts: g.hosts, commands: g.commands, reasons: [...g.reasons], block: g.lift ? null : g.a.block,
      ...(g.a.kind === 'throttle' && !g.lift ? { throttle: g.a.throttle ?? null } : {}),
    });
  }
}
