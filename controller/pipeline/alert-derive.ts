// What an alert book derives from its counted state, as pure functions: bounded evidence
// counters, the doubling-time fit, propagating vs simultaneous (from onset timing or from
// the spread graph), and an incident's spread tree across its signatures. No records, no
// clock, no I/O: alerts.ts keeps the records and calls these.
import type { AnomalyEvent__Output } from '../../proto/wire.ts';
import type { ContactBook } from './contacts.ts';
import { buildSpread, type SpreadOptions, type SpreadResult } from './spread.ts';
import { isGenericRank, type Classification, type CountedValue, type SignatureView } from './stage-types.ts';

/** Bounded counters of evidence values; keys beyond the cap are ignored. */
export interface EvidenceCounts {
  exe: Map<string, number>;
  sha256: Map<string, number>;
  remotePorts: Map<string, number>;
}

const EVIDENCE_CAP = 256;

function bump(m: Map<string, number>, key: string, n: number): void {
  const v = m.get(key);
  if (v !== undefined) m.set(key, v + n);
  else if (m.size < EVIDENCE_CAP) m.set(key, n);
}

/** Distinct evidence keys of one event (bounded: the first few processes and remotes). */
export function evidenceKeys(signature: string, ev: AnomalyEvent__Output): string[] {
  const keys = new Set<string>();
  const port = /\b(tcp|udp):(\d{1,5})\b/.exec(signature);
  if (port) keys.add(`p:${port[1]}/${port[2]}`);
  const e = ev.evidence;
  if (e) {
    for (const p of e.processes.slice(0, 5)) {
      if (p.exe) keys.add(`x:${p.exe}`);
      if (p.sha256) keys.add(`h:${p.sha256}`);
    }
    for (const r of e.remotes.slice(0, 8)) if (r.port) keys.add(`p:${(r.protocol || 'tcp').toLowerCase()}/${r.port}`);
  }
  return [...keys];
}

export function addEvidence(counts: EvidenceCounts, keys: Iterable<string>, n = 1): void {
  for (const k of keys) {
    const v = k.slice(2);
    if (k.startsWith('x:')) bump(counts.exe, v, n);
    else if (k.startsWith('h:')) bump(counts.sha256, v, n);
    else bump(counts.remotePorts, v, n);
  }
}

export function top(m: Map<string, number>, n = 5): CountedValue[] {
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n).map(([value, count]) => ({ value, count }));
}

/** Least-squares slope of log2(cumulative hosts) against onset time; 1/slope = doubling time. */
export function doublingTime(sortedOnsets: number[], fleetSize: number): number | null {
  // The growth phase: once half the fleet is reached, saturation bends the curve.
  const m = fleetSize > 0 ? Math.min(sortedOnsets.length, Math.max(4, Math.floor(fleetSize / 2))) : sortedOnsets.length;
  if (m < 3) return null;
  const t0 = sortedOnsets[0]!;
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (let k = 1; k <= m; k++) {
    const x = (sortedOnsets[k - 1]! - t0) / 1000;
    const y = Math.log2(k);
    sx += x; sy += y; sxx += x * x; sxy += x * y;
  }
  const varX = sxx - (sx * sx) / m;
  if (varX <= 1e-9) return null;
  const slope = (sxy - (sx * sy) / m) / varX;
  return slope > 0 ? Math.round(1000 / slope) : null;
}

/**
 * Propagating vs simultaneous, from the hosts' corrected onsets (sorted):
 * - fewer than 4 hosts: unknown;
 * - 80% of hosts started within simultaneousMs: simultaneous (a scheduled job);
 * - accelerating arrivals (the first half of the hosts took at least 1.5 times as long
 *   to appear as the second half, as in exponential growth): propagating;
 * - steady arrivals with 80% of hosts inside scheduledJobMs: simultaneous (a job started
 *   "in the same minute" with jitter, a roll-out);
 * - steady arrivals over a longer span: propagating (a slow worm, host by host).
 */
export function classify(sortedOnsets: number[], simultaneousMs: number, scheduledJobMs: number): Classification {
  const n = sortedOnsets.length;
  if (n < 4) return 'unknown';
  const k = Math.ceil(0.8 * n);
  let tight = Infinity;
  for (let i = 0; i + k - 1 < n; i++) tight = Math.min(tight, sortedOnsets[i + k - 1]! - sortedOnsets[i]!);
  if (tight <= simultaneousMs) return 'simultaneous';
  const mid = Math.floor(n / 2);
  const head = sortedOnsets[mid]! - sortedOnsets[0]!;
  const tail = sortedOnsets[n - 1]! - sortedOnsets[mid]!;
  if (head >= 1.5 * tail) return 'propagating';
  return tight <= scheduledJobMs ? 'simultaneous' : 'propagating';
}

/** Propagating vs simultaneous from the spread graph, where enough of the hosts trace contacts. */
/**
 * Propagating vs simultaneous from a spread graph, where enough of the hosts trace contacts
 * (null: too few do, let onset timing decide). A spread explains most of its hosts: at
 * least half of the traced hosts but the root were reached by an affected host before
 * their onset, in a chain at least two edges deep. A busy fleet's own first-seen contacts
 * (hosts reaching a shared server that is itself in a fleet-wide backup) make a few
 * edges by chance, never most of them; under a quarter explained is simultaneous.
 */
export function classifyByGraph(spread: SpreadResult, hosts: number): Classification | null {
  if (spread.tracedHosts < 3 || spread.tracedHosts * 2 < hosts) return null;
  const explained = spread.edges.length / Math.max(1, spread.tracedHosts - 1);
  if (spread.generations >= 2 && explained >= 0.5) return 'propagating';
  if (hosts >= 4 && explained < 0.25) return 'simultaneous';
  // one host reaching several (depth 1) is a worm's first generation or a push roll-out: wait for more
  return 'unknown';
}

export const NO_SPREAD: SpreadResult = { tracedHosts: 0, root: null, port: null, binary: { sha256: null, exe: null }, generations: 0, nodes: [], edges: [], graphHosts: [] };


/** A host of an incident as the spread derivation reads it. */
export interface SpreadHost {
  hostId: string;
  onsetMs: number;
  sigs: readonly string[];
  /** Onset of each of sigs (same order); absent = the host's onset. */
  sigOnsets?: readonly number[];
}

/** Hosts of the tree that show the signature. */
export function covered(hosts: ReadonlyMap<string, SpreadHost>, signature: string, inTree: ReadonlySet<string>): number {
  let n = 0;
  for (const h of inTree) if (hosts.get(h)?.sigs.includes(signature)) n++;
  return n;
}

/**
 * The incident's spread graph and what it says. Each specific anchor signature's hosts are
 * traced on their own: a worm's binary spreading among some hosts of a roll-out merged
 * into the same incident is propagating there, whatever the roll-out's hosts did. Generic
 * signatures (cpu, disk) never make an incident propagating by the graph: their hosts are
 * busy and talk to each other for their own reasons. Without a spreading signature, the
 * graph over all hosts is shown and can only say simultaneous (or leave it to timing).
 */
export function incidentSpread(
  hosts: readonly SpreadHost[], signatures: Iterable<SignatureView>, contacts: ContactBook, now: number, opts: SpreadOptions,
): { spread: SpreadResult; graphClass: Classification | null } {
  let best: SpreadResult | undefined;
  let bestRank = -1;
  for (const s of signatures) {
    if (!s.anchor || isGenericRank(s.rank)) continue;
    const members: Array<{ hostId: string; onsetMs: number }> = [];
    for (const h of hosts) {
      const i = h.sigs.indexOf(s.signature);
      // the signature's own onset on the host: a roll-out binary an hour earlier is not when the worm came
      if (i >= 0) members.push({ hostId: h.hostId, onsetMs: h.sigOnsets?.[i] ?? h.onsetMs });
    }
    if (members.length < 3) continue;
    const sp = buildSpread(members, contacts, now, opts);
    // the largest tree; on a tie the most specific signature (a new binary's onset is the process's start time)
    if (classifyByGraph(sp, members.length) === 'propagating'
      && (!best || sp.graphHosts.length > best.graphHosts.length || (sp.graphHosts.length === best.graphHosts.length && s.rank > bestRank))) {
      best = sp;
      bestRank = s.rank;
    }
  }
  if (best) {
    // show every host of the incident in the tree's node list, those outside it untraced
    const nodes = new Set(best.nodes.map((n) => n.hostId));
    const extra = hosts.filter((h) => !nodes.has(h.hostId)).map((h) => ({ hostId: h.hostId, onsetMs: h.onsetMs, parent: null, generation: null }));
    return { spread: { ...best, nodes: [...best.nodes, ...extra].sort((x, y) => x.onsetMs - y.onsetMs) }, graphClass: 'propagating' };
  }
  const all = buildSpread(hosts.map((h) => ({ hostId: h.hostId, onsetMs: h.onsetMs })), contacts, now, opts);
  const c = classifyByGraph(all, hosts.length);
  return { spread: all, graphClass: c === 'propagating' ? 'unknown' : c };
}
