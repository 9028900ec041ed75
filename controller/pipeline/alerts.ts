// Alerts stage: the life of master alerts (fleet) and host lines (one lone host, one
// signature): open, update, escalate, resolve after a quiet period, acknowledge, and
// the flapping mark. What operators read of an alert (root cause, patient zero, the
// 10 s spread timeline, doubling time, propagating vs simultaneous, severity) is derived
// from the counted record in alert-view.ts, cached here per record version. The
// correlator decides which events belong to which alert and mutates the records through
// the helpers below.
//
// Propagating vs simultaneous and patient zero come from the incident's spread graph
// (spread.ts, over the contacts the hosts reported) wherever the hosts trace contacts:
// a chain of contacts (A reached B before B's onset, B reached C before C's) is a spread;
// no contact among the affected hosts is a roll-out from elsewhere or a scheduled job.
// Onset timing (classify) decides only where no contact data exists: timing alone cannot
// tell a 24-host worm that saturates within a minute from a jittered roll-out.
//
// Transitions are queued and drained by the pipeline. Updates are coalesced: an alert
// emits 'updated' at most once per updateIntervalMs (5 s) when its hosts, signatures or
// flapping mark changed, and once per countUpdateIntervalMs (60 s) when only its counts
// did, so a worm's 10,000 events make a handful of transitions, not 10,000.
import {
  addEvidence, classify, classifyByGraph, doublingTime, incidentSpread, NO_SPREAD, type EvidenceCounts,
} from './alert-derive.ts';
import { alertDetail, alertSummary, deriveAlert, type Derived } from './alert-view.ts';
import type { ContactBook } from './contacts.ts';
import { SPREAD_DEFAULTS, type SpreadOptions, type SpreadResult } from './spread.ts';
import {
  isGenericRank,
  severityRank,
  StageError,
  type AlertDetail,
  type AlertScope,
  type AlertSummary,
  type AlertTransition,
  type Classification,
  type HostView,
  type ResolvedReason,
  type Severity,
  type SignatureView,
  type TransitionType,
} from './stage-types.ts';

export interface AlertsOptions {
  /** An alert with no new event for this long resolves. Default 5 min. */
  quietMs?: number;
  /** At most one 'updated' transition per alert per interval when hosts, signatures or flapping changed. Default 5 s. */
  updateIntervalMs?: number;
  /** When only counts (events, last seen) changed, at most one 'updated' per this interval. Default 60 s. */
  countUpdateIntervalMs?: number;
  /** Resolved this many times within flapWindowMs = flapping: marked, not re-alerted. Default 4 in 20 min. */
  flapCount?: number;
  flapWindowMs?: number;
  /** Host counts whose crossing emits 'escalated' even when severity stays. Default 10, 100, 1000. */
  hostThresholds?: number[];
  /** A propagating incident doubling at least this fast is critical. Default 2 min. */
  fastDoublingMs?: number;
  /** Host count from which a propagating incident is critical whatever its pace. Default 50. */
  manyHosts?: number;
  /** 80% of hosts starting within this span = simultaneous (a scheduled job). Default 10 s. */
  simultaneousMs?: number;
  /** Non-accelerating arrivals with 80% of hosts within this span = simultaneous too (a jittered job). Default 60 s. */
  scheduledJobMs?: number;
  /** Timeline bucket. Default 10 s; widened so a timeline has at most maxBuckets (default 720). */
  bucketMs?: number;
  maxBuckets?: number;
  /** Resolved alerts are forgotten after this long. Default 24 h. */
  retentionMs?: number;
  /** How contacts become a spread tree (see spread.ts). */
  spread?: SpreadOptions;
}

type Required_ = Required<AlertsOptions>;

export const ALERT_DEFAULTS: Required_ = {
  quietMs: 5 * 60_000,
  updateIntervalMs: 5_000,
  countUpdateIntervalMs: 60_000,
  flapCount: 4,
  flapWindowMs: 20 * 60_000,
  hostThresholds: [10, 100, 1000],
  fastDoublingMs: 2 * 60_000,
  manyHosts: 50,
  simultaneousMs: 10_000,
  scheduledJobMs: 60_000,
  bucketMs: 10_000,
  maxBuckets: 720,
  retentionMs: 24 * 3600_000,
  spread: SPREAD_DEFAULTS,
};

/** What an alert keeps of each signature is what operators see of it. */
export type SigStat = SignatureView;

/** A host of an alert: its view, less `active` (derived), plus what derives it. */
export interface HostStat extends Omit<HostView, 'active'> {
  /** Signatures of the alert seen on this host (a handful). */
  sigs: string[];
  /** Onset of each of sigs on this host (same order): a signature's own spread graph uses them. */
  sigOnsets?: number[];
  /** How many of them are currently open (not cleared). */
  openSigs: number;
}


/** The mutable record behind an alert: the summary's own fields, plus what derives the rest. */
export interface AlertRecord extends Pick<AlertSummary,
  'id' | 'scope' | 'status' | 'severity' | 'flapping' | 'openedAtMs' | 'firstSeenMs' | 'lastSeenMs' | 'resolvedAtMs'
  | 'resolvedReason' | 'mergedInto' | 'acknowledgedAtMs' | 'acknowledgedBy' | 'eventCount' | 'occurrences' | 'suppressedEvents'> {
  lastActivityMs: number;
  signatures: Map<string, SigStat>;
  hosts: Map<string, HostStat>;
  coreHosts: number;
  openHosts: number;
  evidence: EvidenceCounts;
  /** Times this alert resolved within the flap window. */
  resolves: number[];
  /** How many of hostThresholds the host count has crossed. */
  thresholdIdx: number;
  lastEmitMs: number;
  /** What the last transition showed, to tell real changes from count-only ones. */
  emitted: { hosts: number; signatures: number; flapping: boolean; classification?: Classification; graphHosts?: number };
  newHosts: string[];
  /** Bumped on every change; derived values are cached per version. */
  version: number;
}

export class AlertError extends StageError {
  override name = 'AlertError';
}

// The pure derivations (evidence counting, doubling time, classification, the incident's
// spread) live in alert-derive.ts; these re-exports keep the stage's one import path.
export { addEvidence, classify, classifyByGraph, doublingTime, evidenceKeys, type EvidenceCounts } from './alert-derive.ts';

export class AlertBook {
  readonly opts: Required_;
  /** Hosts in the fleet, for the growth-phase cut of the doubling fit (set by the pipeline). */
  fleetSize = 0;
  /** Who contacted whom (set by the pipeline); without it every classification is by onset timing. */
  contacts: ContactBook | null = null;
  /** The latest time the book was told (tick), for "does this host trace contacts". */
  private nowMs = 0;
  private seenContactsVersion = -1;
  private readonly alerts = new Map<string, AlertRecord>();
  private readonly active = new Set<AlertRecord>();
  private readonly dirty = new Set<AlertRecord>();
  private readonly cache = new WeakMap<AlertRecord, Derived>();
  private out: AlertTransition[] = [];
  private nextId = 1;
  /**
   * Told the next free id each time an alert takes one, so the controller stores the
   * high-water mark as the alert opens: an id is never given twice, even across a crash.
   */
  onAllocate: ((nextId: number) => void) | null = null;

  constructor(opts: AlertsOptions = {}) {
    this.opts = { ...ALERT_DEFAULTS, ...opts };
  }

  // ------------------------------------------------------------ lifecycle

  private createRecord(scope: AlertScope, now: number): AlertRecord {
    const a: AlertRecord = {
      id: `${scope === 'fleet' ? 'F' : 'H'}${this.allocateId()}`,
      scope,
      status: 'open',
      severity: 'info',
      flapping: false,
      openedAtMs: now,
      firstSeenMs: now,
      lastSeenMs: now,
      lastActivityMs: now,
      resolvedAtMs: null,
      resolvedReason: null,
      mergedInto: null,
      acknowledgedAtMs: null,
      acknowledgedBy: null,
      eventCount: 0,
      occurrences: 0,
      suppressedEvents: 0,
      signatures: new Map(),
      hosts: new Map(),
      coreHosts: 0,
      openHosts: 0,
      evidence: { exe: new Map(), sha256: new Map(), remotePorts: new Map() },
      resolves: [],
      thresholdIdx: 0,
      lastEmitMs: now,
      emitted: { hosts: 0, signatures: 0, flapping: false, classification: 'unknown', graphHosts: 0 },
      newHosts: [],
      version: 0,
    };
    this.alerts.set(a.id, a);
    this.active.add(a);
    return a;
  }

  private allocateId(): number {
    const id = this.nextId++;
    this.onAllocate?.(this.nextId);
    return id;
  }

  /** Ids below `next` were given before (the stored high-water mark): never again. */
  reserveIdsBelow(next: number): void {
    if (next > this.nextId) this.nextId = next;
  }

  /**
   * A stored acknowledgement put back after a restart: applied quietly (it was announced
   * when made) unless the alert resolved after it (a reopened alert is unacknowledged).
   */
  restoreAck(id: string, by: string, atMs: number): boolean {
    const a = this.alerts.get(id);
    if (!a || a.status !== 'open' || a.resolves.some((t) => t > atMs)) return false;
    a.status = 'acknowledged';
    a.acknowledgedAtMs = atMs;
    a.acknowledgedBy = by;
    a.version++;
    return true;
  }

  private announceRecord(a: AlertRecord, now: number): void {
    const d = this.evaluate(a);
    a.severity = d.severity;
    a.thresholdIdx = this.thresholdsCrossed(a.hosts.size);
    if (!a.flapping) this.emit('opened', a, now, null);
    else a.newHosts = [];
    a.lastEmitMs = now;
    this.dirty.delete(a);
  }

  private reopenRecord(a: AlertRecord, now: number): void {
    a.status = 'open';
    a.resolvedAtMs = null;
    a.resolvedReason = null;
    a.acknowledgedAtMs = null;
    a.acknowledgedBy = null;
    a.lastActivityMs = now;
    a.version++;
    this.active.add(a);
  }

  private live(a: AlertRecord | undefined): a is AlertRecord {
    return a !== undefined && a.status !== 'resolved';
  }

  private touchRecord(a: AlertRecord, now: number, activity = true): void {
    a.version++;
    if (activity) a.lastActivityMs = now;
    if (a.lastSeenMs < now) a.lastSeenMs = now;
    this.dirty.add(a);
  }

  private hostJoined(a: AlertRecord, hostId: string, core: boolean, now: number): void {
    a.newHosts.push(hostId);
    const crossed = this.thresholdsCrossed(a.hosts.size) > a.thresholdIdx;
    if (crossed || core) this.checkEscalation(a, now);
  }

  private resolveRecord(a: AlertRecord, now: number, reason: ResolvedReason, mergedInto: string | null = null): void {
    if (a.status === 'resolved') return;
    const wasFlapping = a.flapping;
    a.status = 'resolved';
    a.resolvedAtMs = now;
    a.resolvedReason = reason;
    a.mergedInto = mergedInto;
    a.resolves = a.resolves.filter((t) => t > now - this.opts.flapWindowMs);
    a.resolves.push(now);
    if (reason !== 'merged' && a.resolves.length >= this.opts.flapCount) a.flapping = true;
    a.version++;
    this.active.delete(a);
    this.dirty.delete(a);
    if (!wasFlapping) this.emit('resolved', a, now, null);
    a.lastEmitMs = now;
  }

  acknowledge(id: string, by: string, now: number): AlertSummary {
    const a = this.alerts.get(id);
    if (!a) throw new AlertError(`no alert ${JSON.stringify(id)}: list them with 'firebreak alerts'`, 'not-found');
    if (a.status === 'resolved') throw new AlertError(`alert ${id} is already resolved; nothing to acknowledge`);
    if (a.status !== 'acknowledged') {
      a.status = 'acknowledged';
      a.acknowledgedAtMs = now;
      a.acknowledgedBy = by;
      a.version++;
      this.emit('acknowledged', a, now, null);
      a.lastEmitMs = now;
      this.dirty.delete(a);
    }
    return this.summaryOf(a);
  }

  /**
   * Periodic work: quiet and all-cleared alerts resolve, dirty alerts escalate or emit a
   * coalesced update, flapping marks lapse. Cost: O(active alerts).
   */
  tick(now: number): void {
    this.nowMs = Math.max(this.nowMs, now);
    // New contacts can change an incident's tree and classification with no event of its own.
    if (this.contacts && this.contacts.version !== this.seenContactsVersion) {
      this.seenContactsVersion = this.contacts.version;
      for (const a of this.active) {
        if (a.scope !== 'fleet') continue;
        const d = this.evaluate(a);
        if (d.classification !== (a.emitted.classification ?? 'unknown') || d.spread.graphHosts.length !== (a.emitted.graphHosts ?? 0)) this.dirty.add(a);
      }
    }
    for (const a of [...this.active]) {
      if (now - a.lastActivityMs >= this.opts.quietMs) this.resolveRecord(a, now, 'quiet');
      else if (a.scope === 'fleet' && a.hosts.size > 0 && a.openHosts === 0) this.resolveRecord(a, now, 'cleared');
    }
    for (const a of [...this.dirty]) {
      const e = a.emitted;
      const d = this.evaluate(a);
      const changed = e.hosts !== a.hosts.size || e.signatures !== a.signatures.size || e.flapping !== a.flapping
        || d.classification !== (e.classification ?? 'unknown') || d.spread.graphHosts.length !== (e.graphHosts ?? 0);
      const interval = changed ? this.opts.updateIntervalMs : this.opts.countUpdateIntervalMs;
      if (!this.checkEscalation(a, now) && now - a.lastEmitMs >= interval) {
        this.emit('updated', a, now, null);
        a.lastEmitMs = now;
        this.dirty.delete(a);
      }
    }
    for (const a of this.active) {
      if (a.flapping && a.resolves.filter((t) => t > now - this.opts.flapWindowMs).length < this.opts.flapCount) {
        a.flapping = false;
        this.touchRecord(a, now, false);
      }
    }
  }

  /** Forgets resolved alerts past retention; returns their ids so the correlator can drop references. */
  prune(now: number): string[] {
    const gone: string[] = [];
    for (const [id, a] of this.alerts) {
      if (a.status === 'resolved' && a.resolvedAtMs !== null && a.resolvedAtMs + this.opts.retentionMs < now) {
        this.alerts.delete(id);
        gone.push(id);
      }
    }
    return gone;
  }

  drain(): AlertTransition[] {
    const t = this.out;
    this.out = [];
    return t;
  }


  // ------------------------------------------------------------ the correlator's API
  // The correlator decides which hosts, signatures and events belong to which alert; the
  // book alone keeps the records. Everything here takes alert ids.

  isActive(id: string | null | undefined): boolean {
    return id !== null && id !== undefined && this.live(this.alerts.get(id));
  }

  /** Ids of the active master alerts. */
  activeFleetIds(): string[] {
    const out: string[] = [];
    for (const a of this.active) if (a.scope === 'fleet') out.push(a.id);
    return out;
  }

  hostIds(id: string): string[] {
    return [...(this.alerts.get(id)?.hosts.keys() ?? [])];
  }

  hasHost(id: string, hostId: string): boolean {
    return this.alerts.get(id)?.hosts.has(hostId) ?? false;
  }

  hostCount(id: string): number {
    return this.alerts.get(id)?.hosts.size ?? 0;
  }

  hasSignature(id: string, signature: string): boolean {
    return this.alerts.get(id)?.signatures.has(signature) ?? false;
  }

  signaturesOf(id: string): string[] {
    return [...(this.alerts.get(id)?.signatures.keys() ?? [])];
  }

  isAnchor(id: string, signature: string): boolean {
    return this.alerts.get(id)?.signatures.get(signature)?.anchor ?? false;
  }

  /** Whether a specific (not generic) signature brought hosts into this alert. */
  hasSpecificAnchor(id: string): boolean {
    const a = this.alerts.get(id);
    if (!a) return false;
    for (const s of a.signatures.values()) if (s.anchor && !isGenericRank(s.rank)) return true;
    return false;
  }

  /** A resolved alert that may come back under its id: not merged away, resolved within the flap window. */
  canReopen(id: string, now: number): boolean {
    const a = this.alerts.get(id);
    return a !== undefined && a.status === 'resolved' && a.resolvedReason !== 'merged' && now - (a.resolvedAtMs ?? 0) < this.opts.flapWindowMs;
  }

  /** Resolved long enough ago that its signature may open a new alert (or forgotten). */
  isStale(id: string, now: number): boolean {
    const a = this.alerts.get(id);
    return !a || (a.status === 'resolved' && now - (a.resolvedAtMs ?? 0) > this.opts.flapWindowMs);
  }

  /** A new alert, open but not yet announced; call announce() once it holds its first hosts. */
  create(scope: AlertScope, now: number): string {
    return this.createRecord(scope, now).id;
  }

  /** Emits 'opened' for a fresh alert (or nothing when it is flapping). */
  announce(id: string, now: number): void {
    const a = this.alerts.get(id);
    if (a) this.announceRecord(a, now);
  }

  /** Re-opens a resolved alert (the same incident came back within the flap window). */
  reopen(id: string, now: number): void {
    const a = this.alerts.get(id);
    if (a) this.reopenRecord(a, now);
  }

  resolve(id: string, now: number, reason: ResolvedReason, mergedInto: string | null = null): void {
    const a = this.alerts.get(id);
    if (a) this.resolveRecord(a, now, reason, mergedInto);
  }

  /** Marks a change: folded into the next coalesced 'updated'. activity=false does not hold off the quiet resolve. */
  touch(id: string, now: number, activity = true): void {
    const a = this.alerts.get(id);
    if (a) this.touchRecord(a, now, activity);
  }

  /** Adds a signature (or makes it an anchor). */
  addSignature(id: string, sig: { signature: string; kind: SigStat['kind']; rank: number; anchor: boolean; firstSeenMs: number }, now: number): void {
    const a = this.alerts.get(id);
    if (!a) return;
    const s = a.signatures.get(sig.signature);
    if (!s) {
      a.signatures.set(sig.signature, { ...sig, events: 0, hosts: 0, firstSeenMs: sig.firstSeenMs, lastSeenMs: now });
      a.version++;
    } else if (sig.anchor && !s.anchor) {
      s.anchor = true;
      a.version++;
    }
  }

  /** Makes a host a member (onset set by its anchor episodes; see adopt). False when it already was. */
  addHost(id: string, h: { hostId: string; core: boolean; clockOffsetMs: number; firstSeenMs: number; lastSeenMs: number }): boolean {
    const a = this.alerts.get(id);
    if (!a || a.hosts.has(h.hostId)) return false;
    a.hosts.set(h.hostId, { ...h, onsetMs: Infinity, events: 0, sigs: [], sigOnsets: [], openSigs: 0 });
    if (h.core) a.coreHosts++;
    a.version++;
    return true;
  }

  /**
   * A host's joining is complete: its onset falls back on first seen when no anchor set it,
   * and either it is announced now (escalating at once past a host threshold or on the first
   * core host) or it is listed in the alert's next transition.
   */
  hostJoinedDone(id: string, hostId: string, announce: boolean, now: number): void {
    const a = this.alerts.get(id);
    const hs = a?.hosts.get(hostId);
    if (!a || !hs) return;
    if (hs.onsetMs === Infinity) hs.onsetMs = hs.firstSeenMs;
    // Only the first core host changes severity; later ones need no re-evaluation.
    if (announce) this.hostJoined(a, hostId, hs.core && a.coreHosts === 1, now);
    else a.newHosts.push(hostId);
  }

  /**
   * Moves one host's episode of a signature into the alert: the signature now counts on
   * the host, and an anchor's onset and first-seen time become the host's when earlier
   * (a noisy host's cpu spike of an hour ago is not when it was infected). holdsOpen = the
   * episode keeps the host active. False when the host or signature is not in the alert.
   */
  adopt(id: string, ep: { hostId: string; signature: string; onsetMs: number; firstSeenMs: number; holdsOpen: boolean }): boolean {
    const a = this.alerts.get(id);
    const s = a?.signatures.get(ep.signature);
    const hs = a?.hosts.get(ep.hostId);
    if (!a || !s || !hs) return false;
    if (!hs.sigs.includes(ep.signature)) {
      hs.sigs.push(ep.signature);
      (hs.sigOnsets ??= []).length = hs.sigs.length - 1;
      hs.sigOnsets.push(ep.onsetMs);
      s.hosts++;
    }
    if (s.anchor) {
      if (ep.onsetMs < hs.onsetMs) hs.onsetMs = ep.onsetMs;
      if (ep.firstSeenMs < hs.firstSeenMs) hs.firstSeenMs = ep.firstSeenMs;
      if (ep.firstSeenMs < a.firstSeenMs) a.firstSeenMs = ep.firstSeenMs;
    }
    if (ep.firstSeenMs < s.firstSeenMs) s.firstSeenMs = ep.firstSeenMs;
    if (ep.holdsOpen) this.openSig(id, ep.hostId);
    a.version++;
    return true;
  }

  /** One more of the host's signatures is open (the host is active). */
  openSig(id: string, hostId: string): void {
    const a = this.alerts.get(id);
    const hs = a?.hosts.get(hostId);
    if (a && hs && hs.openSigs++ === 0) a.openHosts++;
  }

  /** One of the host's signatures cleared; a master alert whose hosts all cleared resolves at the next tick. */
  closeSig(id: string, hostId: string, now: number): void {
    const a = this.alerts.get(id);
    const hs = a?.hosts.get(hostId);
    if (!this.live(a) || !hs || hs.openSigs === 0) return;
    if (--hs.openSigs === 0) a.openHosts--;
    this.touchRecord(a, now, false);
  }

  /** Counts events of one host and signature into the alert, with their evidence keys. */
  countEvents(id: string, hostId: string, signature: string, events: number, occurrences: number, evidence: Iterable<[string, number]>, now: number): void {
    const a = this.alerts.get(id);
    if (!a) return;
    if (events > 0) {
      a.eventCount += events;
      a.occurrences += occurrences;
      const s = a.signatures.get(signature);
      if (s) {
        s.events += events;
        s.lastSeenMs = now;
      }
      const hs = a.hosts.get(hostId);
      if (hs) {
        hs.events += events;
        hs.lastSeenMs = now;
      }
      for (const [k, n] of evidence) addEvidence(a.evidence, [k], n);
    }
    this.touchRecord(a, now);
  }

  /** A host line's events become the master alert's (its host joined it); the line resolves as merged. */
  mergeLine(lineId: string, intoId: string, hostId: string, signature: string, now: number): void {
    const line = this.alerts.get(lineId);
    const a = this.alerts.get(intoId);
    if (!this.live(line) || !a) return;
    a.eventCount += line.eventCount;
    a.occurrences += line.occurrences;
    const s = a.signatures.get(signature);
    if (s) s.events += line.eventCount;
    const hs = a.hosts.get(hostId);
    if (hs) hs.events += line.eventCount;
    for (const [m, into] of [[line.evidence.exe, 'x:'], [line.evidence.sha256, 'h:'], [line.evidence.remotePorts, 'p:']] as const) {
      for (const [v, n] of m) addEvidence(a.evidence, [into + v], n);
    }
    a.version++;
    this.resolveRecord(line, now, 'merged', intoId);
  }

  /** A silenced event for a host of this active alert: counted as suppressed, keeps it from resolving. False otherwise. */
  countMuted(id: string | null | undefined, hostId: string, now: number): boolean {
    const a = id ? this.alerts.get(id) : undefined;
    if (!this.live(a) || !a.hosts.has(hostId)) return false;
    a.suppressedEvents++;
    this.touchRecord(a, now);
    return true;
  }

  /**
   * Opens (or re-opens) the line of one lone host and signature, announced. lineId = the
   * line this episode had before, if any. Returns the line's id.
   */
  openHostLine(
    lineId: string | null,
    ep: { hostId: string; signature: string; kind: SigStat['kind']; rank: number; core: boolean; onsetMs: number; clockOffsetMs: number; firstSeenMs: number },
    now: number,
  ): string {
    let line = lineId ? this.alerts.get(lineId) : undefined;
    if (line) this.reopenRecord(line, now);
    else {
      line = this.createRecord('host', now);
      line.signatures.set(ep.signature, {
        signature: ep.signature, kind: ep.kind, rank: ep.rank, anchor: true, events: 0, hosts: 1, firstSeenMs: ep.firstSeenMs, lastSeenMs: now,
      });
    }
    line.firstSeenMs = Math.min(line.firstSeenMs, ep.firstSeenMs);
    let hs = line.hosts.get(ep.hostId);
    if (!hs) {
      hs = { hostId: ep.hostId, core: ep.core, onsetMs: ep.onsetMs, clockOffsetMs: ep.clockOffsetMs, firstSeenMs: ep.firstSeenMs, lastSeenMs: now, events: 0, sigs: [ep.signature], sigOnsets: [ep.onsetMs], openSigs: 0 };
      line.hosts.set(ep.hostId, hs);
      if (hs.core) line.coreHosts++;
      line.newHosts.push(ep.hostId);
    }
    hs.openSigs = 1;
    line.openHosts = 1;
    line.version++;
    return line.id;
  }

  /** The lone host's episode cleared: its line resolves. */
  clearHostLine(lineId: string, hostId: string, now: number): void {
    const line = this.alerts.get(lineId);
    if (!this.live(line)) return;
    const hs = line.hosts.get(hostId);
    if (hs) hs.openSigs = 0;
    line.openHosts = 0;
    this.resolveRecord(line, now, 'cleared');
  }

  // ------------------------------------------------------------ reads

  /** Every alert's summary (the pipeline filters and sorts). */
  *summaries(): Generator<AlertSummary> {
    for (const a of this.alerts.values()) yield this.summaryOf(a);
  }

  summary(id: string): AlertSummary | undefined {
    const a = this.alerts.get(id);
    return a ? this.summaryOf(a) : undefined;
  }

  detail(id: string): AlertDetail | undefined {
    const a = this.alerts.get(id);
    return a ? this.detailOf(a) : undefined;
  }

  activeCount(): number {
    return this.active.size;
  }

  /** An alert's hosts and which of its signatures each shows (for playbooks). */
  alertHosts(id: string): Array<{ hostId: string; signatures: string[] }> {
    const a = this.alerts.get(id);
    return a ? [...a.hosts.values()].map((h) => ({ hostId: h.hostId, signatures: [...h.sigs] })) : [];
  }

  // ------------------------------------------------------------ derivation

  private thresholdsCrossed(hosts: number): number {
    let i = 0;
    while (i < this.opts.hostThresholds.length && hosts >= this.opts.hostThresholds[i]!) i++;
    return i;
  }

  /** Recomputes severity; emits 'escalated' when it rose or a host threshold was crossed. */
  private checkEscalation(a: AlertRecord, now: number): boolean {
    if (a.status === 'resolved') return false;
    const d = this.evaluate(a);
    const prev = a.severity;
    const rose = severityRank(d.severity) > severityRank(prev);
    const crossed = this.thresholdsCrossed(a.hosts.size);
    // Turning propagating is news containment must hear at once, whatever the severity did.
    const spreading = d.classification === 'propagating' && (a.emitted.classification ?? 'unknown') !== 'propagating';
    if (!rose && crossed <= a.thresholdIdx && !spreading) return false;
    if (rose) a.severity = d.severity;
    a.thresholdIdx = Math.max(a.thresholdIdx, crossed);
    this.emit('escalated', a, now, prev);
    a.lastEmitMs = now;
    this.dirty.delete(a);
    return true;
  }

  private evaluate(a: AlertRecord): Derived {
    const cached = this.cache.get(a);
    const cv = this.contacts?.version ?? 0;
    if (cached && cached.version === a.version && cached.contactsVersion === cv) return cached;
    const { spread, graphClass } = this.spreadOf(a);
    const d = deriveAlert(a, spread, graphClass, this.opts, this.fleetSize, cv);
    this.cache.set(a, d);
    return d;
  }

  private summaryOf(a: AlertRecord): AlertSummary {
    return alertSummary(a, this.evaluate(a));
  }

  private detailOf(a: AlertRecord): AlertDetail {
    return alertDetail(a, this.evaluate(a));
  }

  private spreadOf(a: AlertRecord): { spread: SpreadResult; graphClass: Classification | null } {
    if (a.scope !== 'fleet' || !this.contacts) return { spread: NO_SPREAD, graphClass: null };
    return incidentSpread([...a.hosts.values()], a.signatures.values(), this.contacts, Math.max(this.nowMs, a.lastSeenMs), this.opts.spread);
  }

  private emit(type: TransitionType, a: AlertRecord, now: number, previousSeverity: Severity | null): void {
    const alert = this.summaryOf(a);
    this.out.push({ type, atMs: now, alert, newHosts: a.newHosts, previousSeverity });
    a.newHosts = [];
    a.emitted = { hosts: a.hosts.size, signatures: a.signatures.size, flapping: a.flapping, classification: alert.classification, graphHosts: alert.spread.graphHosts.length };
  }

  // ------------------------------------------------------------ snapshot

  toJSON(): AlertsSnapshot {
    return {
      version: 1,
      nextId: this.nextId,
      dirty: [...this.dirty].map((a) => a.id),
      alerts: [...this.alerts.values()].map((a) => ({
        ...a,
        signatures: [...a.signatures.values()].map((s) => ({ ...s })),
        hosts: [...a.hosts.values()].map((h) => ({ ...h, sigs: [...h.sigs], sigOnsets: [...(h.sigOnsets ?? [])] })),
        evidence: { exe: [...a.evidence.exe], sha256: [...a.evidence.sha256], remotePorts: [...a.evidence.remotePorts] },
        resolves: [...a.resolves],
        emitted: { ...a.emitted },
        newHosts: [...a.newHosts],
      })),
    };
  }

  static restore(snapshot: AlertsSnapshot, opts: AlertsOptions = {}): AlertBook {
    if (snapshot?.version !== 1 || !Array.isArray(snapshot.alerts)) {
      throw new AlertError('alerts snapshot has an unknown version; start from an empty pipeline state');
    }
    const book = new AlertBook(opts);
    book.nextId = snapshot.nextId;
    for (const s of snapshot.alerts) {
      const a: AlertRecord = {
        ...s,
        signatures: new Map(s.signatures.map((x) => [x.signature, { ...x }])),
        hosts: new Map(s.hosts.map((h) => [h.hostId, { ...h, sigs: [...h.sigs], sigOnsets: [...(h.sigOnsets ?? [])] }])),
        evidence: { exe: new Map(s.evidence.exe), sha256: new Map(s.evidence.sha256), remotePorts: new Map(s.evidence.remotePorts) },
        resolves: [...s.resolves],
        emitted: { ...s.emitted },
        newHosts: [...s.newHosts],
      };
      book.alerts.set(a.id, a);
      if (a.status !== 'resolved') book.active.add(a);
    }
    for (const id of snapshot.dirty) {
      const a = book.alerts.get(id);
      if (a) book.dirty.add(a);
    }
    return book;
  }
}

/** JSON form of an AlertBook (Maps become arrays). */
export interface AlertsSnapshot {
  version: 1;
  nextId: number;
  /** Alerts with changes not yet announced by a coalesced 'updated'. */
  dirty: string[];
  alerts: Array<
    Omit<AlertRecord, 'signatures' | 'hosts' | 'evidence'> & {
      signatures: SigStat[];
      hosts: HostStat[];
      evidence: { exe: Array<[string, number]>; sha256: Array<[string, number]>; remotePorts: Array<[string, number]> };
    }
  >;
}
