// Correlate stage: folds the fleet's anomaly events into incidents.
//
// - Per signature, the hosts showing it, by ONSET (on the controller's clock), not by
//   arrival: a host belongs to the signature's window from its episode's onset until
//   recentMs (10 min) after its last event, whether or not the episode has cleared since.
//   A one-shot signature (a new binary, a first-ever port, a new listener) clears a sample
//   later; a worm's first hosts must still count when the third arrives, and events
//   replayed after an outage (onset and clear together) must open the alert they would
//   have opened live. When enough distinct hosts have onsets within windowMs (60 s) of
//   the newest, and that newest onset is recent, the signature opens a master alert
//   (scope 'fleet'): min_hosts (default 3) for specific signatures; for generic ones (cpu,
//   memory, disk, process count: busy hosts raise them independently) also a share of the
//   fleet (default 5%).
// - Signatures that occur on the same hosts in the same window join that incident:
//   conn.fanout/tcp:25 + cpu.spike + proc.new/sha256:… on the same hosts is one alert
//   with three signatures. "Anchor" signatures bring their hosts into the incident;
//   a generic signature joining an incident with a specific anchor only adds events of
//   hosts already in it, so a noisy host's cpu spike does not count as infected.
// - Events nobody else shares stay with their host: after a grace period (default 5 s,
//   so hosts a master alert adopts right away never raise a line of their own) one host
//   line per host and signature, repeats counted.
// - cleared=true closes the host's episode of that signature. A host stays active in an
//   incident while any of its sustained signatures is open; one-shot signatures keep it
//   active (their clearing says nothing about the infection), so such an incident
//   resolves when it goes quiet.
//
// Work per event is O(1) amortized (maps keyed by signature and host); windows expire
// and co-occurrence is checked in tick(now), which the caller runs about once a second.
// The alert records are the alert book's: the correlator holds alert ids and tells the
// book what joined what (alerts.ts, "the correlator's API").
import type { AnomalyKind__Output } from '../../proto/wire.ts';
import { AlertBook, evidenceKeys } from './alerts.ts';
import { isCoreHost, isGenericRank, isOneShotKind, signatureRank, type PipelineEvent } from './stage-types.ts';

export interface CorrelateOptions {
  /** Onsets of a signature's hosts within this span of the newest count together. Default 60 s. */
  windowMs?: number;
  /**
   * A host stays in a signature's window this long after its last event, and a signature
   * opens an alert only while its newest onset is this recent (replays older than this
   * are stored, but open nothing: the spread is history). Default 10 min.
   */
  recentMs?: number;
  /** Distinct hosts that make a signature fleet-wide. Default 3. */
  minHosts?: number;
  /** Share of the fleet a generic signature needs on top of minHosts. Default 0.05. */
  minFleetShare?: number;
  /** Hosts in the fleet; update with setFleetSize() as hosts enrol. 0 = unknown. */
  fleetSize?: number;
  /** Co-occurrence: the share of a signature's hosts that must be in an incident to join it. Default 0.5. */
  overlapShare?: number;
  /** A lone host's anomaly becomes a host line after this long unless an incident adopts it. Default 5 s. */
  hostGraceMs?: number;
  /** How often tick() forgets stale episodes and alerts. Default 60 s. */
  pruneEveryMs?: number;
  /**
   * A new process's start time (from the agent's /proc) is its onset when it lies at most
   * this long before the sample that reported it: the spread graph then compares contacts
   * against when the worm really started, not when the next sample noticed. Default 30 s.
   */
  processStartLookbackMs?: number;
}

export const CORRELATE_DEFAULTS: Required<CorrelateOptions> = {
  windowMs: 60_000,
  recentMs: 10 * 60_000,
  minHosts: 3,
  minFleetShare: 0.05,
  fleetSize: 0,
  overlapShare: 0.5,
  hostGraceMs: 5_000,
  pruneEveryMs: 60_000,
  processStartLookbackMs: 30_000,
};

/** One host's run of one signature: from its onset until cleared. */
export interface Episode {
  hostId: string;
  signature: string;
  kind: AnomalyKind__Output;
  rank: number;
  core: boolean;
  clockOffsetMs: number;
  /** On the controller's clock: observed time minus the host's clock offset. */
  onsetMs: number;
  /** The latest event's observed time (the clear's too), on the controller's clock. */
  lastObsMs: number;
  firstSeenMs: number;
  lastSeenMs: number;
  open: boolean;
  /** Events not yet counted in an alert, with their repeat counts and evidence. */
  pending: number;
  pendingOcc: number;
  pendingEvidence: Map<string, number>;
  /** The master alert that holds this episode, and the host line it had or has. */
  alertId: string | null;
  hostAlertId: string | null;
  queued: boolean;
}

/** A host's place in a signature's window: its episode's onset and last observed event. */
interface WindowEntry {
  onset: number;
  last: number;
}

interface SigWindow {
  kind: AnomalyKind__Output;
  rank: number;
  hosts: Map<string, WindowEntry>;
}

export interface CorrelateStats {
  events: number;
  muted: number;
  cleared: number;
  episodes: number;
  signatures: number;
}

const key = (hostId: string, signature: string): string => `${hostId}\u0000${signature}`;

export class Correlator {
  readonly opts: Required<CorrelateOptions>;
  private readonly windows = new Map<string, SigWindow>();
  private readonly episodes = new Map<string, Episode>();
  /** Signature → the master alert it belongs to (active, or resolved recently enough to reopen). */
  private readonly sigAlert = new Map<string, string>();
  /** Host → active master alerts it is a member of (stale ids are skipped and pruned). */
  private readonly hostFleetAlerts = new Map<string, Set<string>>();
  private queue: Array<{ key: string; at: number }> = [];
  private queueHead = 0;
  private lastPruneMs = 0;
  private counters = { events: 0, muted: 0, cleared: 0 };

  constructor(
    readonly book: AlertBook,
    opts: CorrelateOptions = {},
  ) {
    this.opts = { ...CORRELATE_DEFAULTS, ...opts };
    this.book.fleetSize = this.opts.fleetSize;
  }

  setFleetSize(n: number): void {
    this.opts.fleetSize = n;
    this.book.fleetSize = n;
  }

  /** Hosts a signature needs in the window to open a master alert. */
  threshold(rank: number): number {
    const { minHosts, minFleetShare, fleetSize } = this.opts;
    if (isGenericRank(rank)) return Math.max(minHosts, Math.ceil(minFleetShare * fleetSize));
    // A fleet smaller than min_hosts: the whole fleet (but never a single host) will do.
    return fleetSize > 0 ? Math.min(minHosts, Math.max(2, fleetSize)) : minHosts;
  }

  /** Feeds one stored event. muted = a silence matched: counted, but opens and escalates nothing. */
  ingest(e: PipelineEvent, now: number, muted = false): void {
    this.counters.events++;
    const ev = e.event;
    const sig = ev.signature;
    const k = key(e.hostId, sig);
    let ep = this.episodes.get(k);
    // Times on the controller's clock; an agent that sent no time (or no offset is known) falls back on arrival.
    const offset = Number.isFinite(e.clockOffsetMs) ? e.clockOffsetMs : 0;
    const observed = ev.observedAtMs > 0 && Number.isFinite(ev.observedAtMs) ? Math.min(now, ev.observedAtMs - offset) : now;
    if (ev.cleared) {
      this.counters.cleared++;
      if (ep) {
        ep.lastObsMs = Math.max(ep.lastObsMs, observed);
        const entry = this.windows.get(sig)?.hosts.get(e.hostId);
        if (entry) entry.last = Math.max(entry.last, observed);
        this.clear(ep, now);
      }
      return;
    }
    if (muted) {
      this.counters.muted++;
      // Keeps an existing alert from resolving while it still happens, but adds nothing to it.
      for (const id of [ep?.alertId, ep?.hostAlertId, this.sigAlert.get(sig)]) if (this.book.countMuted(id, e.hostId, now)) break;
      return;
    }

    const onset = ev.kind === 'PROCESS_NEW' ? this.processStart(ev, offset, observed) : observed;
    if (!ep) {
      const rank = signatureRank(ev.kind, sig);
      ep = {
        hostId: e.hostId, signature: sig, kind: ev.kind, rank, core: false, clockOffsetMs: 0,
        onsetMs: onset, lastObsMs: onset, firstSeenMs: now, lastSeenMs: now, open: true,
        pending: 0, pendingOcc: 0, pendingEvidence: new Map(), alertId: null, hostAlertId: null, queued: false,
      };
      this.episodes.set(k, ep);
    } else if (!ep.open) {
      ep.open = true;
      ep.onsetMs = onset;
      ep.firstSeenMs = now;
      if (ep.alertId && this.book.isActive(ep.alertId) && this.book.hasHost(ep.alertId, ep.hostId)) {
        // a one-shot signature never closed the host in the alert (see clear)
        if (!isOneShotKind(ep.kind)) this.book.openSig(ep.alertId, ep.hostId);
      } else ep.alertId = null;
    }
    ep.lastObsMs = Math.max(ep.lastObsMs, observed);
    ep.core = isCoreHost(e.hostTags);
    ep.clockOffsetMs = offset;
    ep.lastSeenMs = now;
    ep.pending++;
    ep.pendingOcc += Math.max(1, ev.count);
    for (const ek of evidenceKeys(sig, ev)) {
      const v = ep.pendingEvidence.get(ek);
      if (v !== undefined) ep.pendingEvidence.set(ek, v + 1);
      else if (ep.pendingEvidence.size < 16) ep.pendingEvidence.set(ek, 1);
    }

    let w = this.windows.get(sig);
    if (!w) {
      w = { kind: ev.kind, rank: ep.rank, hosts: new Map() };
      this.windows.set(sig, w);
    }
    const entry = w.hosts.get(e.hostId);
    if (entry && entry.onset === ep.onsetMs) entry.last = Math.max(entry.last, observed);
    else w.hosts.set(e.hostId, { onset: ep.onsetMs, last: ep.lastObsMs });

    // 1. Already part of a live incident.
    if (ep.alertId && this.book.isActive(ep.alertId)) {
      this.drain(ep.alertId, ep, now);
      return;
    }
    ep.alertId = null;
    // 2. The signature belongs to a live incident: join it (anchor) or add to a member's count.
    const said = this.sigAlert.get(sig);
    if (said && this.book.isActive(said)) {
      if (this.book.hasHost(said, e.hostId)) {
        this.adopt(said, ep, now);
        return;
      }
      if (this.book.isAnchor(said, sig)) {
        this.join(said, e.hostId, now, true);
        return;
      }
    } else {
      // 3. The signature just became fleet-wide: open or merge.
      const need = this.threshold(w.rank);
      if (w.hosts.size >= need && this.fleetWide(w, need, now)) {
        const b = this.openOrMerge(sig, w, now);
        if (ep.alertId === b) return;
      }
    }
    // 4. A lone host (for now).
    this.local(ep, now);
  }

  /**
   * Periodic work: expire windows, join co-occurring signatures to live incidents,
   * promote lone-host episodes to host lines, prune. Call about once a second.
   */
  tick(now: number): void {
    const liveFleet = this.book.activeFleetIds().length > 0;
    for (const [sig, w] of this.windows) {
      this.expire(w, now);
      if (w.hosts.size === 0) {
        this.windows.delete(sig);
        continue;
      }
      if (!liveFleet || w.hosts.size < 2) continue;
      const said = this.sigAlert.get(sig);
      if (said && this.book.isActive(said)) continue;
      const best = this.bestIncident(sig, w);
      if (best) this.attach(best, sig, w, now, false);
    }
    this.promote(now);
    if (now - this.lastPruneMs >= this.opts.pruneEveryMs) {
      this.lastPruneMs = now;
      this.prune(now);
    }
  }

  stats(): CorrelateStats {
    return { ...this.counters, episodes: this.episodes.size, signatures: this.windows.size };
  }

  /** Lone-host episodes of one host (for `firebreak host`), newest first. */
  episodesOf(hostId: string): Array<Omit<Episode, 'pendingEvidence'>> {
    const out: Array<Omit<Episode, 'pendingEvidence'>> = [];
    for (const ep of this.episodes.values()) {
      if (ep.hostId === hostId) {
        const { pendingEvidence: _drop, ...rest } = ep;
        out.push(rest);
      }
    }
    return out.sort((x, y) => y.lastSeenMs - x.lastSeenMs);
  }

  // ------------------------------------------------------------ incidents

  /** The earliest start of the event's new processes, when it is shortly before the sample (else the sample's time). */
  private processStart(ev: PipelineEvent['event'], offset: number, observed: number): number {
    let start = observed;
    for (const p of ev.evidence?.processes ?? []) {
      const t = Number(p.startedAtMs) - offset;
      if (p.startedAtMs > 0 && t < start && t >= observed - this.opts.processStartLookbackMs) start = t;
    }
    return start;
  }

  /** Forgets hosts whose last event in the window is older than recentMs. */
  private expire(w: SigWindow, now: number): void {
    const cutoff = now - this.opts.recentMs;
    for (const [h, e] of w.hosts) if (e.last <= cutoff) w.hosts.delete(h);
  }

  /**
   * Enough hosts with onsets within windowMs of the newest onset (a host whose episode
   * was still going then counts too), and that newest onset recent: replayed events open
   * an alert as live ones would, but a spread that is history opens nothing.
   */
  private fleetWide(w: SigWindow, need: number, now: number): boolean {
    let newest = -Infinity;
    for (const e of w.hosts.values()) if (e.onset > newest) newest = e.onset;
    if (newest < now - this.opts.recentMs) return false;
    const from = newest - this.opts.windowMs;
    let n = 0;
    for (const e of w.hosts.values()) if (e.last >= from && e.onset <= newest && ++n >= need) return true;
    return false;
  }

  /** Hosts of a window an opening incident takes in: every recent one, or for a generic signature those of the last windowMs. */
  private windowMembers(w: SigWindow): string[] {
    if (!isGenericRank(w.rank)) return [...w.hosts.keys()];
    let newest = -Infinity;
    for (const e of w.hosts.values()) if (e.onset > newest) newest = e.onset;
    const from = newest - this.opts.windowMs;
    return [...w.hosts].filter(([, e]) => e.last >= from).map(([h]) => h);
  }

  /** The live incident whose hosts most overlap this signature's, if it may join it. */
  private bestIncident(sig: string, w: SigWindow): string | undefined {
    const overlap = new Map<string, number>();
    for (const h of w.hosts.keys()) {
      const ids = this.hostFleetAlerts.get(h);
      if (!ids) continue;
      for (const id of ids) if (this.book.isActive(id)) overlap.set(id, (overlap.get(id) ?? 0) + 1);
    }
    const generic = isGenericRank(w.rank);
    const share = this.opts.overlapShare;
    let best: string | undefined;
    let bestN = 0;
    for (const [a, n] of overlap) {
      if (n < 2 || n <= bestN || this.book.hasSignature(a, sig)) continue;
      // A specific signature never hides inside an incident of resource symptoms only.
      if (!generic && !this.book.hasSpecificAnchor(a)) continue;
      const needed = generic ? share * Math.min(w.hosts.size, this.book.hostCount(a)) : share * w.hosts.size;
      if (n >= needed) {
        best = a;
        bestN = n;
      }
    }
    return best;
  }

  private openOrMerge(sig: string, w: SigWindow, now: number): string {
    const merged = this.bestIncident(sig, w);
    if (merged) {
      this.attach(merged, sig, w, now, false);
      return merged;
    }
    const prev = this.sigAlert.get(sig);
    let a: string;
    if (prev && this.book.canReopen(prev, now)) {
      a = prev;
      this.book.reopen(a, now);
    } else {
      a = this.book.create('fleet', now);
    }
    this.attach(a, sig, w, now, true, true);
    this.book.announce(a, now);
    return a;
  }

  /** Adds a signature to an incident; an anchor brings its window's hosts in as members. */
  private attach(a: string, sig: string, w: SigWindow, now: number, forceAnchor: boolean, opening = false): void {
    const anchor = forceAnchor || !isGenericRank(w.rank) || !this.book.hasSpecificAnchor(a);
    this.book.addSignature(a, { signature: sig, kind: w.kind, rank: w.rank, anchor, firstSeenMs: now }, now);
    this.sigAlert.set(sig, a);
    for (const h of this.windowMembers(w)) {
      if (this.book.hasHost(a, h)) {
        const ep = this.episodes.get(key(h, sig));
        if (ep && this.counts(ep, now)) this.adopt(a, ep, now);
      } else if (anchor) this.join(a, h, now, !opening);
    }
    this.book.touch(a, now);
  }

  /** Makes a host a member and adopts its recent episodes of the incident's signatures. */
  private join(a: string, hostId: string, now: number, announce: boolean): void {
    let joined = false;
    for (const sig of this.book.signaturesOf(a)) {
      const ep = this.episodes.get(key(hostId, sig));
      if (!ep || !this.counts(ep, now)) continue;
      if (!joined) {
        joined = true;
        this.book.addHost(a, { hostId, core: ep.core, clockOffsetMs: ep.clockOffsetMs, firstSeenMs: ep.firstSeenMs, lastSeenMs: ep.lastSeenMs });
        let ids = this.hostFleetAlerts.get(hostId);
        if (!ids) this.hostFleetAlerts.set(hostId, (ids = new Set()));
        ids.add(a);
      }
      this.adopt(a, ep, now);
    }
    if (joined) this.book.hostJoinedDone(a, hostId, announce, now);
  }

  /** Moves an episode (already of a member host) into the incident. */
  private adopt(a: string, ep: Episode, now: number): void {
    if (ep.alertId !== a) {
      // A one-shot signature keeps its host active however it cleared (see clear).
      const holdsOpen = ep.open || isOneShotKind(ep.kind);
      if (!this.book.adopt(a, { hostId: ep.hostId, signature: ep.signature, onsetMs: ep.onsetMs, firstSeenMs: ep.firstSeenMs, holdsOpen })) return;
      ep.alertId = a;
      // The host line's events are this incident's too: carried over, the line retires.
      if (ep.hostAlertId && this.book.isActive(ep.hostAlertId)) this.book.mergeLine(ep.hostAlertId, a, ep.hostId, ep.signature, now);
    }
    this.drain(a, ep, now);
  }

  /** An episode still counts for an incident while open, or while its last event is recent. */
  private counts(ep: Episode, now: number): boolean {
    return ep.open || ep.lastObsMs > now - this.opts.recentMs;
  }

  /** Counts an episode's pending events into an alert. */
  private drain(a: string, ep: Episode, now: number): void {
    this.book.countEvents(a, ep.hostId, ep.signature, ep.pending, ep.pendingOcc, ep.pendingEvidence, now);
    ep.pending = 0;
    ep.pendingOcc = 0;
    ep.pendingEvidence.clear();
  }

  // ------------------------------------------------------------ lone hosts

  private local(ep: Episode, now: number): void {
    if (ep.hostAlertId && this.book.isActive(ep.hostAlertId)) {
      this.drain(ep.hostAlertId, ep, now);
      return;
    }
    if (!ep.queued) {
      ep.queued = true;
      this.queue.push({ key: key(ep.hostId, ep.signature), at: now });
    }
  }

  private promote(now: number): void {
    const cutoff = now - this.opts.hostGraceMs;
    while (this.queueHead < this.queue.length && this.queue[this.queueHead]!.at <= cutoff) {
      const { key: k } = this.queue[this.queueHead++]!;
      const ep = this.episodes.get(k);
      if (!ep) continue;
      ep.queued = false;
      // A cleared one-shot episode still gets its line (a replayed onset and clear arrive together).
      if ((!ep.open && !isOneShotKind(ep.kind)) || ep.pending === 0 || this.book.isActive(ep.alertId)) continue;
      if (ep.hostAlertId && this.book.isActive(ep.hostAlertId)) {
        this.drain(ep.hostAlertId, ep, now);
        continue;
      }
      const line = this.book.openHostLine(ep.hostAlertId, ep, now);
      ep.hostAlertId = line;
      this.drain(line, ep, now);
      this.book.announce(line, now);
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  private clear(ep: Episode, now: number): void {
    if (!ep.open) return;
    ep.open = false;
    // A one-shot signature's clear says the binary was seen, not that the host is well again.
    if (ep.alertId && !isOneShotKind(ep.kind)) this.book.closeSig(ep.alertId, ep.hostId, now);
    if (ep.hostAlertId) this.book.clearHostLine(ep.hostAlertId, ep.hostId, now);
  }

  private prune(now: number): void {
    const horizon = this.book.opts.flapWindowMs + this.book.opts.quietMs;
    for (const [k, ep] of this.episodes) {
      if (now - ep.lastSeenMs > horizon && !ep.queued) {
        if (ep.open) this.clear(ep, now);
        this.episodes.delete(k);
      }
    }
    this.book.prune(now);
    for (const [sig, id] of this.sigAlert) if (this.book.isStale(id, now)) this.sigAlert.delete(sig);
    for (const [h, ids] of this.hostFleetAlerts) {
      for (const id of ids) if (!this.book.isActive(id)) ids.delete(id);
      if (ids.size === 0) this.hostFleetAlerts.delete(h);
    }
  }

  // ------------------------------------------------------------ snapshot

  toJSON(): CorrelateSnapshot {
    return {
      version: 2,
      windows: [...this.windows].map(([sig, w]) => ({ signature: sig, kind: w.kind, rank: w.rank, hosts: [...w.hosts].map(([h, e]) => [h, { ...e }]) })),
      episodes: [...this.episodes.values()].map((ep) => ({ ...ep, pendingEvidence: [...ep.pendingEvidence] })),
      sigAlert: [...this.sigAlert],
      queue: this.queue.slice(this.queueHead),
      lastPruneMs: this.lastPruneMs,
      counters: { ...this.counters },
      fleetSize: this.opts.fleetSize,
    };
  }

  /** Rebuilds a correlator over a restored AlertBook. */
  static restore(snapshot: CorrelateSnapshot, book: AlertBook, opts: CorrelateOptions = {}): Correlator {
    if ((snapshot?.version !== 1 && snapshot?.version !== 2) || !Array.isArray(snapshot.episodes)) {
      throw new Error('correlator snapshot has an unknown version; start from an empty pipeline state');
    }
    const c = new Correlator(book, { ...opts, fleetSize: opts.fleetSize ?? snapshot.fleetSize });
    // version 1 kept arrival times: take them as both onset and last event
    for (const w of snapshot.windows) {
      c.windows.set(w.signature, {
        kind: w.kind, rank: w.rank,
        hosts: new Map(w.hosts.map(([h, e]) => [h, typeof e === 'number' ? { onset: e, last: e } : { ...e }])),
      });
    }
    for (const ep of snapshot.episodes) {
      c.episodes.set(key(ep.hostId, ep.signature), { ...ep, lastObsMs: ep.lastObsMs ?? ep.onsetMs, pendingEvidence: new Map(ep.pendingEvidence) });
    }
    for (const [sig, id] of snapshot.sigAlert) c.sigAlert.set(sig, id);
    c.queue = snapshot.queue.map((q) => ({ ...q }));
    c.lastPruneMs = snapshot.lastPruneMs;
    c.counters = { ...snapshot.counters };
    // Memberships are derived from the live incidents.
    for (const a of book.activeFleetIds()) {
      for (const h of book.hostIds(a)) {
        let ids = c.hostFleetAlerts.get(h);
        if (!ids) c.hostFleetAlerts.set(h, (ids = new Set()));
        ids.add(a);
      }
    }
    return c;
  }
}

export interface CorrelateSnapshot {
  version: 1 | 2;
  windows: Array<{ signature: string; kind: AnomalyKind__Output; rank: number; hosts: Array<[string, WindowEntry | number]> }>;
  episodes: Array<Omit<Episode, 'pendingEvidence'> & { pendingEvidence: Array<[string, number]> }>;
  sigAlert: Array<[string, string]>;
  queue: Array<{ key: string; at: number }>;
  lastPruneMs: number;
  counters: { events: number; muted: number; cleared: number };
  fleetSize: number;
}
