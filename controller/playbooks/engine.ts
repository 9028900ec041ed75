// The playbook engine: turns master-alert transitions into containment, through ports
// the controller injects (issue a command, append to the audit log, post a webhook).
//
// One run per (playbook, alert). A run starts on the first transition that matches the
// playbook's `when` (outside its cooldown) and acts on everything the alert holds then;
// later `updated`/`escalated` transitions act only on what is new (hosts that joined,
// hosts newly selected), so a growing worm is met host by host within a transition.
// `resolved` lifts what was tied to the alert (core posture, `expiry: alert`) and
// finishes the run. Planning is synchronous (state changes before the first await), so
// two transitions in quick succession never act twice on one host.
//
// Guards, in the order they are asked for each isolation: never-isolate tag → spared;
// a simultaneous alert without an explicit `classification: simultaneous` → skipped;
// already isolated by another active run → skipped; dry-run → recorded only; the
// blast radius (global and per playbook, see guards.ts) → held until approve().
// Blocks never include the controller's own port (see spareControllerPort).
//
// Wiring (controller side), in short:
//   const engine = new PlaybookEngine({ ports: { issue, audit, notify }, controller: { port, addresses }, env: process.env, log });
//   new PlaybookSource({ dir, onLoad: (r) => engine.setPlaybooks(r), log }).start();
//   pipeline.setActHook((t) => void engine.onTransition(t, fleetView, Date.now()));
//   setInterval(() => void engine.tick(Date.now()), 1000);
//
// The class is the public face; the work lives beside it, one job a file:
//   run-lifecycle.ts   start, re-plan, follow, finish and prune runs
//   action-isolate.ts  isolate steps, their guards and the blast radius
//   action-block.ts    block and raise_core_posture steps
//   action-notify.ts   notify steps (webhooks)
//   action-throttle.ts throttle steps (the virus throttle on a host selector)
//   lifts.ts           releases/unblocks on resolve and at expiry (tick)
//   approvals.ts       approve() of what a guard held
//   execution.ts       running the ops through the ports, auditing each pass
//   persistence.ts     toJSON / restore
//   journal.ts         runs, actions and blast-radius counts written to the store as they change
//   engine-state.ts    the state they share and the helpers that change it
import { StageError, type AlertSummary, type AlertTransition } from '../pipeline/stage-types.ts';
import { countOperatorIsolations, ManualError, previewManual, startManual, type ManualPlan } from './manual.ts';
import { planApproval } from './approvals.ts';
import { audit, countStatuses, isEnabled, newEngineState, type EngineState } from './engine-state.ts';
import { execute } from './execution.ts';
import { blastLimit } from './guards.ts';
import { planExpiries } from './lifts.ts';
import type { LoadResult, PlaybookIssue } from './loader.ts';
import type { FleetView } from './match.ts';
import { commitJournal, journalAll, snapshotFromRows } from './journal.ts';
import { restoreState, snapshotState } from './persistence.ts';
import type { StoredRuns } from '../store/store.ts';
import { planResume, planTransition } from './run-lifecycle.ts';

import type { EngineSnapshot, PlaybookEngineOptions, PlaybookRun, PlaybookStatus, RunSummary } from './records.ts';
export type { ManualPlan } from './manual.ts';
export type {
  ActionKind, ActionLift, ActionStatus, EngineSnapshot, PlaybookEngineOptions, PlaybookPorts, PlaybookRun, PlaybookStatus, RunAction, RunSummary,
} from './records.ts';
export { countStatuses } from './engine-state.ts';

export class PlaybookError extends StageError {
  override name = 'PlaybookError';
}

export class PlaybookEngine {
  private readonly s: EngineState;

  constructor(opts: PlaybookEngineOptions) {
    this.s = newEngineState(opts);
  }

  // ------------------------------------------------------------ playbooks

  /** Replaces the playbook set (PlaybookSource's onLoad). Running runs keep their definition. */
  setPlaybooks(result: LoadResult): void {
    this.s.playbooks = new Map(result.playbooks.map((p) => [p.playbook.name, p]));
    this.s.loadErrors = [...result.errors];
  }

  list(): PlaybookStatus[] {
    const active = new Map<string, number>();
    for (const r of this.s.runs.values()) if (r.status === 'active') active.set(r.playbook, (active.get(r.playbook) ?? 0) + 1);
    return [...this.s.playbooks.values()].map((p) => ({
      name: p.playbook.name,
      file: p.file,
      description: p.playbook.description,
      enabled: isEnabled(this.s, p.playbook),
      enabledInFile: p.playbook.enabled,
      override: this.s.overrides.get(p.playbook.name) ?? null,
      mode: p.playbook.mode,
      activeRuns: active.get(p.playbook.name) ?? 0,
      loadedAtMs: p.loadedAtMs,
      staleErrors: p.stale,
    }));
  }

  /** Files refused at the last load (file, line, reason). */
  errors(): PlaybookIssue[] {
    return [...this.s.loadErrors];
  }

  /** Operator override, kept across reloads (and in toJSON) until changed again. */
  enable(name: string, by = 'operator'): PlaybookStatus {
    return this.setEnabled(name, true, by);
  }

  disable(name: string, by = 'operator'): PlaybookStatus {
    return this.setEnabled(name, false, by);
  }

  private setEnabled(name: string, on: boolean, by: string): PlaybookStatus {
    if (!this.s.playbooks.has(name)) {
      throw new PlaybookError(`unknown playbook '${name}' (list them with 'firebreak playbooks list')`, 'not-found');
    }
    this.s.overrides.set(name, on);
    audit(this.s, by, on ? 'playbook.enable' : 'playbook.disable', name, { playbook: name });
    return this.list().find((p) => p.name === name)!;
  }

  // ------------------------------------------------------------ transitions, expiry, approval

  /**
   * Acts on one alert transition. Plans synchronously, then executes through the ports;
   * the promise resolves with the runs it touched once every port call has answered.
   */
  onTransition(t: AlertTransition, fleet: FleetView, now: number): Promise<PlaybookRun[]> {
    const { ops, touched } = planTransition(this.s, t, fleet, now);
    return execute(this.s, ops).then(() => [...touched]);
  }

  /** After a restore: active runs finish what a crash interrupted (see planResume). */
  resume(fleet: FleetView, alertOf: (id: string) => AlertSummary | undefined, now: number): Promise<void> {
    return execute(this.s, planResume(this.s, fleet, alertOf, now));
  }

  /**
   * Periodic work (about once a second): isolations whose expiry passed are released;
   * blocks whose expiry passed are marked lifted (the agent removes them itself).
   */
  tick(now: number): Promise<void> {
    return execute(this.s, planExpiries(this.s, now));
  }

  /** Executes the actions a guard held on a run, as `by`; later isolations of the run skip the blast radius. */
  approve(runId: string, by: string, now: number): Promise<PlaybookRun> {
    const run = this.s.runs.get(runId);
    if (!run) throw new PlaybookError(`unknown run '${runId}' (list them with 'firebreak runs')`, 'not-found');
    const held = run.actions.filter((a) => a.status === 'held');
    if (held.length === 0) {
      throw new PlaybookError(`run ${runId} holds nothing to approve (${run.status === 'finished' ? 'it finished' : 'no guard held an action'}); see 'firebreak run ${runId}'`);
    }
    const ops = planApproval(this.s, run, held, by, now);
    return execute(this.s, ops).then(() => structuredClone(run));
  }

  // ------------------------------------------------------------ by an operator's hand (manual.ts)

  /** What `playbook` (or the first whose `when` matches) would do for the alert now; changes nothing. */
  previewManual(alert: AlertSummary, fleet: FleetView, playbook: string | null, by: string, now: number): ManualPlan {
    return this.manual(() => previewManual(this.s, alert, fleet, playbook, by, now));
  }

  /** Starts a manual run when the plan still has the previewed digest; resolves once its commands were issued. */
  startManual(alert: AlertSummary, fleet: FleetView, playbook: string | null, by: string, now: number, digest: string): Promise<{ run: PlaybookRun; note: string | null }> {
    const { run, ops, note } = this.manual(() => startManual(this.s, alert, fleet, playbook, by, now, digest));
    return execute(this.s, ops).then(() => ({ run: structuredClone(run), note }));
  }

  /** Counts an operator's isolations by selector in the blast-radius window (stored before the commands go out). */
  countOperatorIsolations(by: string, n: number, now: number): Promise<void> {
    countOperatorIsolations(this.s, by, n, now);
    return commitJournal(this.s);
  }

  private manual<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ManualError) throw new PlaybookError(err.message, err.kind);
      throw err;
    }
  }

  // ------------------------------------------------------------ views

  listRuns(filter: { playbook?: string; alertId?: string; status?: 'active' | 'finished'; limit?: number } = {}): RunSummary[] {
    const out: RunSummary[] = [];
    for (const r of this.s.runs.values()) {
      if (filter.playbook && r.playbook !== filter.playbook) continue;
      if (filter.alertId && !r.alertIds.includes(filter.alertId)) continue;
      if (filter.status && r.status !== filter.status) continue;
      out.push({
        id: r.id,
        playbook: r.playbook,
        mode: r.mode,
        startedBy: r.startedBy ?? null,
        alertId: r.alertIds[0]!,
        status: r.status,
        startedAtMs: r.startedAtMs,
        finishedAtMs: r.finishedAtMs,
        rootCause: r.alert.rootCause,
        counts: countStatuses(r),
        heldReason: r.actions.find((a) => a.status === 'held')?.reason ?? null,
        approvedBy: r.approvedBy,
      });
    }
    out.sort((a, b) => Number(a.status === 'finished') - Number(b.status === 'finished') || b.startedAtMs - a.startedAtMs);
    return filter.limit ? out.slice(0, filter.limit) : out;
  }

  /** A copy: what `firebreak run <id>` shows. */
  getRun(id: string): PlaybookRun | undefined {
    const r = this.s.runs.get(id);
    return r ? structuredClone(r) : undefined;
  }

  /** Automatic isolations counted in the current window, and the limit, for status pages. */
  blastRadius(fleetSize: number, now: number): { used: number; limit: number; windowMs: number } {
    const { globalWindow, radius } = this.s;
    return { used: globalWindow.count(now, radius.windowMs), limit: blastLimit(radius, fleetSize), windowMs: radius.windowMs };
  }

  // ------------------------------------------------------------ persistence

  /** Plain JSON: persist it as text; restore with PlaybookEngine.restore. */
  toJSON(): EngineSnapshot {
    return snapshotState(this.s);
  }

  /** An engine resumed from the store's rows (runs, actions, counted isolations, the run seq, operator overrides). */
  static fromRows(stored: StoredRuns, seq: number, overrides: Record<string, boolean>, opts: PlaybookEngineOptions): PlaybookEngine {
    return PlaybookEngine.restore(snapshotFromRows(stored, seq, overrides), opts);
  }

  /** Writes every run as rows (moving an old snapshot into the store once). */
  journalAll(): Promise<void> {
    journalAll(this.s);
    return commitJournal(this.s);
  }

  /** Writes what changed since the last write (restore's own corrections, for one). */
  flushJournal(): Promise<void> {
    return commitJournal(this.s);
  }

  /** Puts an operator override back as it was (null: none), when storing the change failed. */
  restoreOverride(name: string, on: boolean | null): void {
    if (on === null) this.s.overrides.delete(name);
    else this.s.overrides.set(name, on);
  }

  /** The operator override of a playbook, or null. */
  override(name: string): boolean | null {
    return this.s.overrides.get(name) ?? null;
  }

  static restore(snapshot: unknown, opts: PlaybookEngineOptions): PlaybookEngine {
    const s = snapshot as EngineSnapshot | null;
    if (!s || s.version !== 1 || !Array.isArray(s.runs)) {
      throw new PlaybookError('playbook engine snapshot is missing or of an unknown version; start the engine empty (runs are history, alerts start new runs)');
    }
    const e = new PlaybookEngine(opts);
    restoreState(e.s, s);
    return e;
  }
}
