// The playbook engine's records: the ports it acts through, its options, and
// what it keeps of each run and action (what `firebreak runs` and `run` show).
import type { Logger } from 'pino';
import type { IssueCommandRequest__Output, PortBlock__Output, ThrottleParams__Output } from '../../proto/wire.ts';
import type { Classification, Severity, TransitionType } from '../pipeline/stage-types.ts';
import type { AmSent } from './alertmanager.ts';
import type { BlastRadius, ControllerLink } from './guards.ts';
import type { PlaybookIssue } from './loader.ts';
import type { AlertPort } from './match.ts';
import type { NotifyRequestOptions, NotifyResult } from './notify.ts';
import type { Playbook } from './schema.ts';
import type { RunJournal } from '../store/store.ts';

// ------------------------------------------------------------- ports

/** What the engine needs from the controller. Each is a component boundary. */
export interface PlaybookPorts {
  /** Commands.issue(request, issuer), answering the command's id. */
  issue(hostId: string, request: IssueCommandRequest__Output, issuer: string): Promise<{ commandId: string }>;
  /** AuditLog.record / append. May be sync or async; failures are logged, never raised. */
  audit(actor: string, action: string, target: string, detail: unknown): unknown;
  /** A webhook delivery with bounded retries (webhookNotifier() from notify.ts). */
  notify(url: string, body: unknown, opts?: NotifyRequestOptions): Promise<NotifyResult>;
  /**
   * Writes what changed (runs, actions, counted isolations) to the store: called before a
   * pass issues any command and again when its commands answered. Without it the engine
   * keeps its state in memory only (tests, the simulator).
   */
  persist?(j: RunJournal): Promise<void>;
}

export interface PlaybookEngineOptions {
  ports: PlaybookPorts;
  log?: Logger;
  /** Global blast radius; default 5% of the fleet or 20 hosts, whichever is smaller, per 10 min. */
  blastRadius?: Partial<BlastRadius>;
  /** The controller's agent port (and addresses): never blocked by a playbook. */
  controller?: ControllerLink;
  /** For `${VAR}` in notify URLs; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Commands in flight at once. Default 16. */
  concurrency?: number;
  /** Finished runs kept in memory (and in toJSON). Default 1000. */
  maxFinishedRuns?: number;
}

// ------------------------------------------------------------- records

export type RunMode = 'enforce' | 'dry-run' | 'manual';

export type ActionKind = 'isolate' | 'block' | 'raise_core_posture' | 'notify' | 'throttle';
/**
 * issuing: sent to the port, no answer yet; issued: the command was queued (or the webhook
 * answered 2xx); held: waits for approve(); spared: a never-isolate host; dry-run: what
 * enforce mode would have done; skipped: a guard or missing input stopped it (reason says
 * which); failed: the port refused (reason says why); cancelled: held, then the alert resolved.
 */
export type ActionStatus = 'issuing' | 'issued' | 'held' | 'spared' | 'dry-run' | 'skipped' | 'failed' | 'cancelled';

export interface ActionLift {
  atMs: number;
  /** issued: a release/unblock command went out; expired: the agent lifts the block itself at its expiry. */
  status: 'issuing' | 'issued' | 'failed' | 'expired' | 'dry-run';
  commandId: string | null;
  reason: string;
}

export interface RunAction {
  seq: number;
  /** Index of the step in the playbook's `do`. */
  step: number;
  kind: ActionKind;
  /** null for notify and for step-wide skips. */
  hostId: string | null;
  status: ActionStatus;
  reason: string;
  atMs: number;
  commandId: string | null;
  /** The block as sent (block and core-posture steps). */
  block: PortBlock__Output | null;
  /** The throttle as sent (throttle steps); absent in runs recorded before throttles existed. */
  throttle?: ThrottleParams__Output | null;
  /** Lifted at this time (isolate: by a release command; blocks and throttles: by the agent). */
  expiresAtMs: number | null;
  /** Lifted when the alert resolves. */
  liftOnResolve: boolean;
  lift: ActionLift | null;
  approvedBy: string | null;
  notify: { url: string; attempts: number; httpStatus: number | null; delaysMs: number[] } | null;
  /** format: alertmanager: the alert as posted (its labels resolve it later); absent otherwise. */
  alertmanager?: AmSent | null;
}

export interface PlaybookRun {
  id: string;
  playbook: string;
  file: string;
  /** manual: an operator applied the playbook to the alert by hand (`firebreak contain`); it acts like enforce. */
  mode: RunMode;
  /** The operator who started a manual run (absent for runs a transition started). */
  startedBy?: string | null;
  /** The alert driving the run now (changes only when the alert is merged into another). */
  alertId: string;
  /** Every alert the run followed, first = the one that caused it. */
  alertIds: string[];
  trigger: TransitionType;
  status: 'active' | 'finished';
  startedAtMs: number;
  updatedAtMs: number;
  finishedAtMs: number | null;
  finishReason: string | null;
  alert: { rootCause: string; classification: Classification; severity: Severity; hostCount: number; matched: string[] };
  /** `$port`, resolved when the run started. */
  port: AlertPort | null;
  approvedBy: string | null;
  approvedAtMs: number | null;
  /** Matching transitions ignored because a run of this playbook for the alert started within the cooldown. */
  cooldownSkips: number;
  actions: RunAction[];
  /** The playbook as it was when the run started: later edits do not change a running run. */
  definition: Playbook;
  /** step index → hosts (or '*' markers) already acted on. */
  handled: Record<string, string[]>;
  /** Alert-tied actions of runs merged into this one: [runId, seq]. */
  inherited: Array<[string, number]>;
  /** Dry-run isolations counted against the blast radius, to show what would have been held. */
  dryIsolations: number;
}

export interface RunSummary {
  id: string;
  playbook: string;
  mode: RunMode;
  startedBy: string | null;
  alertId: string;
  status: 'active' | 'finished';
  startedAtMs: number;
  finishedAtMs: number | null;
  rootCause: string;
  counts: Partial<Record<ActionStatus, number>>;
  /** Why the first held action is held, when any is. */
  heldReason: string | null;
  approvedBy: string | null;
}

export interface PlaybookStatus {
  name: string;
  file: string;
  description: string;
  /** Effective: the file's `enabled` unless an operator override says otherwise. */
  enabled: boolean;
  enabledInFile: boolean;
  override: boolean | null;
  mode: 'enforce' | 'dry-run';
  activeRuns: number;
  loadedAtMs: number;
  /** The file on disk is refused; this is the last good version, still running. */
  staleErrors: PlaybookIssue[] | null;
}

export interface EngineSnapshot {
  version: 1;
  seq: number;
  runs: PlaybookRun[];
  overrides: Record<string, boolean>;
  isolations: { global: number[]; byPlaybook: Record<string, number[]> };
}

