// The store sits under every controller stage behind this one asynchronous
// interface: SQLite is the embedded default; PostgreSQL can stand behind the
// same interface for several controllers sharing one fleet, so nothing here
// may assume a synchronous or in-process database.
import type {
  AgentHealth__Output,
  AnomalyEvent__Output,
  Backend__Output,
  Command__Output,
  CommandStatus__Output,
  CommandView__Output,
  EnforcementState__Output,
  EventView__Output,
  HostInventory__Output,
  Host__Output,
  MetricsSample__Output,
  StorageHealth__Output,
} from '../../proto/wire.ts';

export interface HelloRecord {
  hostId: string;
  bootId: string;
  inventory: HostInventory__Output;
  backend: Backend__Output;
  nowMs: number;
}

export interface ReportRecord {
  hostId: string;
  bootId: string;
  seq: number;
  sample: MetricsSample__Output | null;
  events: AnomalyEvent__Output[];
  receivedAtMs: number;
}

export interface IngestOutcome {
  /** the (host, boot, seq) was stored before: nothing was written */
  duplicate: boolean;
  /** row ids of the events written, in report order */
  eventIds: number[];
}

export interface HostPatch {
  lastSeenMs?: number;
  enforcement?: EnforcementState__Output;
  health?: AgentHealth__Output;
  clockOffsetMs?: number;
}

export interface EventFilter {
  hostId?: string;
  sinceMs?: number;
  signaturePrefix?: string;
  limit: number;
}

export interface CommandFilter {
  hostId?: string;
  /** only commands issued at or after this time */
  sinceMs?: number;
  limit: number;
}

export interface CommandUpdate {
  status: CommandStatus__Output;
  message?: string;
  rules?: string[];
  state?: EnforcementState__Output | null;
  atMs: number;
}

import type { TrustStore } from './trust-store.ts';

/**
 * One pass of the playbook engine's changes (controller/playbooks/journal.ts), written
 * in one transaction before any command of the pass is issued. Bodies are the engine's
 * own JSON: the store keeps rows, not meaning.
 */
export interface RunJournal {
  runs: Array<{ id: string; playbook: string; status: string; startedAtMs: number; updatedAtMs: number; body: string }>;
  actions: Array<{ runId: string; seq: number; body: string }>;
  /** automatic isolations counted against the blast radius, one row each */
  isolations: Array<{ playbook: string; atMs: number }>;
  deletedRuns: string[];
  counters: Array<[string, number]>;
}

export interface StoredRuns {
  runs: Array<{ body: string; actions: string[] }>;
  isolations: Array<{ playbook: string; atMs: number }>;
}

export interface StoredAck { alertId: string; by: string; atMs: number }
export interface StoredOverride { name: string; enabled: boolean; by: string; atMs: number }

export interface Store {
  readonly trust: TrustStore;
  /** Registers or refreshes a host on Hello; returns the highest report seq stored for this boot. */
  recordHello(h: HelloRecord): Promise<{ lastSeq: number }>;
  setOnline(hostId: string, online: boolean, atMs: number): Promise<void>;
  /** Marks every host offline (controller start: no stream survives a restart). */
  markAllOffline(atMs: number): Promise<void>;
  patchHost(hostId: string, patch: HostPatch): Promise<void>;
  /**
   * Stores a report at most once per (host, boot, seq), atomically. Reports handed over
   * before earlier ones are stored must be stored in the order handed over: the gateway
   * hands over a stream's next report without waiting for the last one's commit, and a
   * later seq stored first would make the earlier one a duplicate (lost). For the same reason,
   * when a report is refused (rejected), reports handed over before the refusal was reported
   * should not be stored after it: reject them too (the gateway hands over nothing after it).
   */
  ingestReport(r: ReportRecord): Promise<IngestOutcome>;
  hostExists(hostId: string): Promise<boolean>;
  getHost(hostId: string): Promise<Host__Output | undefined>;
  listHosts(): Promise<Host__Output[]>;
  listEvents(f: EventFilter): Promise<EventView__Output[]>;

  insertCommand(c: Command__Output, atMs: number): Promise<void>;
  /** Many commands in one transaction (a fleet-wide action); a store without it gets insertCommand per command. */
  insertCommands?(cs: readonly Command__Output[], atMs: number): Promise<void>;
  /** QUEUED → SENT for many commands in one transaction (those no longer queued are left as they are). */
  markCommandsSent?(ids: readonly string[], atMs: number): Promise<void>;
  getCommand(id: string): Promise<CommandView__Output | undefined>;
  listCommands(f: CommandFilter): Promise<CommandView__Output[]>;
  /** Commands for a host still to deliver (queued or sent, not expired), oldest first. */
  pendingCommands(hostId: string, nowMs: number): Promise<Command__Output[]>;
  /** Moves a command to a new status only from one of `from`; false when it was elsewhere. */
  updateCommand(id: string, from: CommandStatus__Output[], u: CommandUpdate): Promise<boolean>;
  /** Marks queued or sent commands past their expiry as expired; returns their ids. */
  expireCommands(nowMs: number): Promise<string[]>;

  // Controller state written as it changes (acks, silences, overrides, runs), one row per record.
  /** Raises a named high-water mark (alert ids, run seq); never lowers it. */
  raiseCounter(name: string, value: number): Promise<void>;
  getCounter(name: string): Promise<number | undefined>;
  putAck(a: StoredAck): Promise<void>;
  /** Acks made after `madeAfterMs`; older ones are deleted (the correlation snapshot holds them by then). */
  listAcks(madeAfterMs: number): Promise<StoredAck[]>;
  putSilence(id: string, body: string, endsAtMs: number, atMs: number): Promise<void>;
  /** Silences (their JSON) that ended after `endedAfterMs`; older ones are deleted. */
  listSilences(endedAfterMs: number): Promise<string[]>;
  putPlaybookOverride(o: StoredOverride): Promise<void>;
  listPlaybookOverrides(): Promise<StoredOverride[]>;
  writeRunJournal(j: RunJournal): Promise<void>;
  /** Every stored run with its actions (seq order), and the isolations counted since `isolationsSinceMs` (older ones are deleted). */
  loadRuns(isolationsSinceMs: number): Promise<StoredRuns>;

  /** Snapshots of in-memory stages (correlation windows), so a restart resumes them. */
  getState(key: string): Promise<string | undefined>;
  putState(key: string, value: string, atMs: number): Promise<void>;

  /** Whether the store takes writes (full disk, damaged file) and how big it is; cheap, for `firebreak hosts`. */
  storageHealth(): Promise<StorageHealth__Output>;
  /** One small batch of retention: deletes the oldest events that a prune rule allows; see PruneRequest. */
  pruneEvents(p: PruneRequest): Promise<PruneOutcome>;

  close(): Promise<void>;
}

/**
 * Events received before `ageCutoffMs` go; while the store holds more than
 * `maxBytes`, events received before `sizeCutoffMs` go too. The caller keeps
 * both cutoffs before the open incident window, so neither reaches its events.
 */
export interface PruneRequest {
  ageCutoffMs: number;
  sizeCutoffMs: number;
  maxBytes: number;
  /** at most this many events in this call (one short transaction) */
  batch: number;
}

export interface PruneOutcome {
  deleted: number;
  /** which rule deleted them; null when nothing was due */
  rule: 'age' | 'size' | null;
  /** the store's bytes in use after the batch */
  usedBytes: number;
  /** how long the batch held the database */
  ms: number;
}
