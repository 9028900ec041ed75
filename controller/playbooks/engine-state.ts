// The playbook engine's working state, shared by its parts (run lifecycle, actions,
// lifts, approvals, persistence), and the small helpers they all use to change it:
// recording an action, remembering what a step already handled, auditing.
import type { Logger } from 'pino';
import { DEFAULT_BLAST_RADIUS, SlidingCount, type BlastRadius } from './guards.ts';
import type { LoadedPlaybook, PlaybookIssue } from './loader.ts';
import type { ActionKind, ActionStatus, PlaybookEngineOptions, PlaybookPorts, PlaybookRun, RunAction } from './records.ts';
import type { Playbook } from './schema.ts';

/** One port call planned by a pass, run later by execute() (execution.ts). */
export interface Op {
  run: PlaybookRun;
  action: RunAction;
  go: () => Promise<void>;
}

/** A record made while planning (an action, or the lift of one), audited after the ops ran. */
export interface Planned {
  run: PlaybookRun;
  action: RunAction;
  lift: boolean;
}

export interface EngineState {
  readonly ports: PlaybookPorts;
  readonly log: Logger | undefined;
  readonly radius: BlastRadius;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly concurrency: number;
  readonly maxFinished: number;
  /** As given: the controller link is read from it when a block is planned. */
  readonly opts: PlaybookEngineOptions;

  playbooks: Map<string, LoadedPlaybook>;
  loadErrors: PlaybookIssue[];
  overrides: Map<string, boolean>;
  runs: Map<string, PlaybookRun>;
  /** `${playbook}\0${alertId}` → the newest run of that pair. */
  latest: Map<string, string>;
  /** hostId → the active run that isolated it. */
  isolatedBy: Map<string, string>;
  globalWindow: SlidingCount;
  byPlaybook: Map<string, SlidingCount>;
  seq: number;
  /** Actions with an expiry not yet lifted: tick() looks only at these. */
  expiring: Set<[PlaybookRun, RunAction]>;
  /** Records of the planning pass in progress (planning is synchronous, so one list will do). */
  planned: Planned[];
  handledCache: WeakMap<string[], Set<string>>;
  /** What changed since the last write through the persist port (journal.ts). */
  journal: Journal;
}

/** Changes not yet written: runs whose header changed, changed actions, counted isolations, pruned runs. */
export interface Journal {
  runs: Set<PlaybookRun>;
  actions: Map<RunAction, PlaybookRun>;
  isolations: Array<{ playbook: string; atMs: number }>;
  deleted: string[];
}

export const emptyJournal = (): Journal => ({ runs: new Set(), actions: new Map(), isolations: [], deleted: [] });

/** Marks a run (and one of its actions) changed: the next journal write carries it. */
export function touch(s: EngineState, run: PlaybookRun, a?: RunAction): void {
  s.journal.runs.add(run);
  if (a) s.journal.actions.set(a, run);
}

export function newEngineState(opts: PlaybookEngineOptions): EngineState {
  return {
    ports: opts.ports,
    log: opts.log,
    radius: { ...DEFAULT_BLAST_RADIUS, ...opts.blastRadius },
    env: opts.env ?? process.env,
    concurrency: Math.max(1, opts.concurrency ?? 16),
    maxFinished: opts.maxFinishedRuns ?? 1000,
    opts,
    playbooks: new Map(),
    loadErrors: [],
    overrides: new Map(),
    runs: new Map(),
    latest: new Map(),
    isolatedBy: new Map(),
    globalWindow: new SlidingCount(),
    byPlaybook: new Map(),
    seq: 0,
    expiring: new Set(),
    planned: [],
    handledCache: new WeakMap(),
    journal: emptyJournal(),
  };
}

export const clip = (s: string, n = 512) => s.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, n);

export function reasonText(run: PlaybookRun): string {
  return clip(`playbook ${run.playbook} run ${run.id}: alert ${run.alertIds[0]} ${run.alert.rootCause}`);
}

/** The operator's override if there is one, else the file's `enabled`. */
export function isEnabled(s: EngineState, pb: Playbook): boolean {
  return s.overrides.get(pb.name) ?? pb.enabled;
}

export function activeRunsOf(s: EngineState, alertId: string): PlaybookRun[] {
  const out: PlaybookRun[] = [];
  for (const r of s.runs.values()) if (r.status === 'active' && r.alertId === alertId) out.push(r);
  return out;
}

export function handledSet(s: EngineState, run: PlaybookRun, step: number): { has(k: string): boolean; add(k: string): void } {
  const list = (run.handled[step] ??= []);
  // a Set per call would be O(n) to build; the lists are scanned through a cached Set
  let set = s.handledCache.get(list);
  if (!set) {
    set = new Set(list);
    s.handledCache.set(list, set);
  }
  const hs = set;
  return { has: (k) => hs.has(k), add: (k) => { if (!hs.has(k)) { hs.add(k); list.push(k); } } };
}

export function record(
  s: EngineState, run: PlaybookRun, step: number, kind: ActionKind, hostId: string | null, status: ActionStatus, reason: string, now: number,
  extra: Partial<RunAction> = {},
): RunAction {
  const a: RunAction = {
    seq: run.actions.length,
    step,
    kind,
    hostId,
    status,
    reason,
    atMs: now,
    commandId: null,
    block: null,
    expiresAtMs: null,
    liftOnResolve: false,
    lift: null,
    approvedBy: null,
    notify: null,
    ...extra,
  };
  run.actions.push(a);
  run.updatedAtMs = now;
  s.planned.push({ run, action: a, lift: false });
  touch(s, run, a);
  if (a.expiresAtMs !== null) s.expiring.add([run, a]);
  return a;
}

export function audit(s: EngineState, actor: string, action: string, target: string, detail: unknown): void {
  try {
    const r = s.ports.audit(actor, action, target, detail);
    if (r && typeof (r as Promise<unknown>).catch === 'function') {
      (r as Promise<unknown>).catch((err) => s.log?.error({ err, action, target }, 'audit append failed for a playbook action'));
    }
  } catch (err) {
    s.log?.error({ err, action, target }, 'audit append failed for a playbook action');
  }
}

export function countStatuses(run: PlaybookRun): Partial<Record<ActionStatus, number>> {
  const out: Partial<Record<ActionStatus, number>> = {};
  for (const a of run.actions) out[a.status] = (out[a.status] ?? 0) + 1;
  return out;
}

/**
 * An isolation the run will still release itself: at its expiry, or when the
 * alert it is tied to resolves. One without expiry lasts until an operator
 * releases it; nothing of the run lifts it.
 */
export function releasePending(a: RunAction): boolean {
  return a.kind === 'isolate' && (a.status === 'issued' || a.status === 'issuing') && !a.lift && (a.expiresAtMs !== null || a.liftOnResolve);
}
