// What operators read of an alert, derived from its counted record: patient zero, the
// root cause, propagating vs simultaneous, doubling time, the spread timeline and
// severity (deriveAlert), and the summary and detail views built from them. Pure
// functions of the record and its spread: the alert book caches the result per
// record version, and nothing here changes a record.
import { classify, covered, doublingTime, top } from './alert-derive.ts';
import type { AlertRecord, AlertsOptions, HostStat, SigStat } from './alerts.ts';
import type { SpreadResult } from './spread.ts';
import {
  isGenericRank,
  type AlertDetail,
  type AlertSummary,
  type Classification,
  type HostView,
  type Severity,
  type SignatureView,
  type TimelineBucket,
} from './stage-types.ts';

/** The derived part of an alert, cached by the book per record and contacts version. */
export interface Derived {
  version: number;
  contactsVersion: number;
  spread: SpreadResult;
  severity: Severity;
  classification: Classification;
  doublingTimeMs: number | null;
  bucketMs: number;
  timeline: TimelineBucket[];
  patientZero: { hostId: string; onsetMs: number } | null;
  rootCause: string;
}

type DeriveOptions = Pick<Required<AlertsOptions>, 'simultaneousMs' | 'scheduledJobMs' | 'bucketMs' | 'maxBuckets' | 'manyHosts' | 'fastDoublingMs'>;

/** Derives an alert from its record and its incident's spread (graphClass: the graph's verdict, null without contacts). */
export function deriveAlert(
  a: AlertRecord, spread: SpreadResult, graphClass: Classification | null, o: DeriveOptions, fleetSize: number, contactsVersion: number,
): Derived {
  const onsets: number[] = [];
  let pz: HostStat | undefined;
  for (const h of a.hosts.values()) {
    onsets.push(h.onsetMs);
    if (!pz || h.onsetMs < pz.onsetMs || (h.onsetMs === pz.onsetMs && h.hostId < pz.hostId)) pz = h;
  }
  // Patient zero is the root of the spread tree (a host that lies about its clock has no
  // edge to the others); the earliest onset where nothing spread.
  if (spread.root !== null && graphClass === 'propagating') pz = a.hosts.get(spread.root) ?? pz;
  else if (spread.nodes.length > 0) {
    // no tree yet: the earliest onset, on the clock its peers' contacts put each host on
    const first = spread.nodes.reduce((x, y) => (y.onsetMs < x.onsetMs ? y : x));
    pz = a.hosts.get(first.hostId) ?? pz;
  }
  onsets.sort((x, y) => x - y);
  // The root cause names the most specific signature; when a signature's hosts spread, the
  // one that covers the tree best (a worm masked by a roll-out is named, not the roll-out).
  const inTree = new Set(spread.graphHosts);
  const cover = (s: SigStat) => (graphClass === 'propagating' && !isGenericRank(s.rank) ? covered(a.hosts, s.signature, inTree) : 0);
  let root: SigStat | undefined;
  let rootCover = 0;
  let rootShare = 0;
  for (const s of a.signatures.values()) {
    const c = cover(s);
    // then the share of its hosts in the tree: a worm's binary is on the tree, a roll-out's on far more
    const share = c / Math.max(1, s.hosts);
    if (!root || c > rootCover || (c === rootCover && (share > rootShare || (share === rootShare && (s.rank > root.rank
      || (s.rank === root.rank && (s.hosts > root.hosts || (s.hosts === root.hosts && s.firstSeenMs < root.firstSeenMs)))))))) {
      root = s;
      rootCover = c;
      rootShare = share;
    }
  }
  const specific = root !== undefined && !isGenericRank(root.rank);
  const classification: Classification = a.scope !== 'fleet' ? 'unknown' : graphClass ?? classify(onsets, o.simultaneousMs, o.scheduledJobMs);
  const doublingTimeMs = a.scope === 'fleet' ? doublingTime(onsets, fleetSize) : null;

  // Timeline on wall-clock-aligned buckets, widened when the incident is long.
  let bucketMs = o.bucketMs;
  const timeline: TimelineBucket[] = [];
  if (onsets.length > 0) {
    const first = onsets[0]!, last = onsets[onsets.length - 1]!;
    while ((last - first) / bucketMs + 1 > o.maxBuckets) bucketMs *= 2;
    const start = Math.floor(first / bucketMs) * bucketMs;
    let i = 0, total = 0;
    for (let b = start; b <= last; b += bucketMs) {
      let n = 0;
      while (i < onsets.length && onsets[i]! < b + bucketMs) { n++; i++; }
      total += n;
      timeline.push({ startMs: b, newHosts: n, totalHosts: total });
    }
  }

  const hosts = a.hosts.size;
  const core = a.coreHosts > 0;
  let severity: Severity;
  if (a.scope === 'host') severity = core ? 'warning' : 'info';
  else if (classification === 'simultaneous') {
    // A scheduled job or roll-out: shown, never critical, so no playbook isolates the fleet for it.
    severity = specific || core || hosts >= o.manyHosts ? 'warning' : 'info';
  } else if (classification === 'propagating') {
    const fast = doublingTimeMs !== null && doublingTimeMs <= o.fastDoublingMs;
    // Only a specific cause (a new binary, a fan-out, a new port) makes a spread critical. Generic
    // effects (cpu, memory, disk) alone stay a warning however they spread: a backup starting
    // through a minute can look accelerating for a while by chance, severity never drops while
    // an alert is open, and nothing in a generic signature gives containment a target.
    if (specific) severity = fast || hosts >= o.manyHosts || core ? 'critical' : 'warning';
    else severity = 'warning';
  } else {
    severity = specific ? (core ? 'critical' : 'warning') : core || hosts >= o.manyHosts ? 'warning' : 'info';
  }
  const d: Derived = {
    version: a.version,
    contactsVersion,
    spread,
    severity,
    classification,
    doublingTimeMs,
    bucketMs,
    timeline,
    patientZero: pz ? { hostId: pz.hostId, onsetMs: pz.onsetMs } : null,
    rootCause: root?.signature ?? '',
  };
  return d;
}

export function alertSummary(a: AlertRecord, d: Derived): AlertSummary {
  const sigs: SignatureView[] = [...a.signatures.values()]
    .map((s) => ({ ...s }))
    .sort((x, y) => y.rank - x.rank || y.hosts - x.hosts || x.firstSeenMs - y.firstSeenMs);
  return {
    id: a.id,
    scope: a.scope,
    status: a.status,
    severity: a.severity,
    classification: d.classification,
    flapping: a.flapping,
    rootCause: d.rootCause,
    signatures: sigs,
    patientZero: d.patientZero,
    hostCount: a.hosts.size,
    coreHostCount: a.coreHosts,
    firstSeenMs: a.firstSeenMs,
    lastSeenMs: a.lastSeenMs,
    openedAtMs: a.openedAtMs,
    resolvedAtMs: a.resolvedAtMs,
    resolvedReason: a.resolvedReason,
    mergedInto: a.mergedInto,
    acknowledgedAtMs: a.acknowledgedAtMs,
    acknowledgedBy: a.acknowledgedBy,
    eventCount: a.eventCount,
    occurrences: a.occurrences,
    suppressedEvents: a.suppressedEvents,
    doublingTimeMs: d.doublingTimeMs,
    spread: {
      root: d.spread.root, port: d.spread.port, edges: d.spread.edges.length, generations: d.spread.generations,
      // what playbooks isolate as "the graph": only a spread's (a few chance edges of a busy fleet are no target)
      graphHosts: d.classification === 'propagating' ? [...d.spread.graphHosts] : [], tracedHosts: d.spread.tracedHosts,
    },
    timelineBucketMs: d.bucketMs,
    timeline: d.timeline,
    evidence: { exe: top(a.evidence.exe), sha256: top(a.evidence.sha256), remotePorts: top(a.evidence.remotePorts) },
  };
}

export function alertDetail(a: AlertRecord, d: Derived): AlertDetail {
  const hosts: HostView[] = [...a.hosts.values()]
    .map((h) => ({
      hostId: h.hostId,
      core: h.core,
      onsetMs: h.onsetMs,
      clockOffsetMs: h.clockOffsetMs,
      firstSeenMs: h.firstSeenMs,
      lastSeenMs: h.lastSeenMs,
      events: h.events,
      active: h.openSigs > 0,
    }))
    .sort((x, y) => x.onsetMs - y.onsetMs || (x.hostId < y.hostId ? -1 : 1));
  const sp = d.spread;
  const topOf = (m: Map<string, number>) => top(m, 1)[0]?.value ?? null;
  return {
    ...alertSummary(a, d), hosts,
    spreadGraph: {
      tracedHosts: sp.tracedHosts, root: sp.root, port: sp.port, binary: { sha256: topOf(a.evidence.sha256), exe: topOf(a.evidence.exe) },
      generations: sp.generations, nodes: sp.nodes.map((n) => ({ ...n })), edges: sp.edges.map((e) => ({ ...e })),
    },
  };
}
