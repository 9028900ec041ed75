// The spread graph of an incident: which affected host reached which, before its onset.
//
// GrIDS (UC Davis) reports a worm when the graph of hosts and connections grows
// tree-shaped; Xie et al., "Worm Origin Identification Using Random Moonwalks" (IEEE S&P
// 2005), walk the flow graph back to the origin and the first causal flows. Here the graph
// is small (an incident's hosts) and the contacts are few (first-seen only), so the walk
// is direct: a member B's parent is the member A that contacted B shortly before B's onset,
// after A itself was affected. Anything can make a spike at once; only a spreading thing
// makes a chain A -> B -> C of contacts that each precede the next onset. That is the
// evidence classification uses first; onset timing only where no host traces contacts.
//
// Pure: members and contacts in, a tree out. O(members + links into members).
import type { ContactBook } from './contacts.ts';
import type { SpreadEdge, SpreadNode, SpreadView } from './stage-types.ts';

export interface SpreadOptions {
  /**
   * How far a contact may lie after the target's onset, or before the sender's, and still
   * count: detection runs once per sample interval and clocks are corrected only so well.
   * Default 10 s (two 5 s samples).
   */
  slackMs: number;
}

export const SPREAD_DEFAULTS: SpreadOptions = { slackMs: 10_000 };

export interface SpreadMember {
  hostId: string;
  onsetMs: number;
}

export interface SpreadResult extends SpreadView {
  /** Hosts with an edge in or out. */
  graphHosts: string[];
}

/** A contact that could have carried the spread: an edge of the tree if chosen. */
type Candidate = SpreadEdge;

/** Builds the incident's spread tree. `now` decides which hosts count as tracing contacts. */
export function buildSpread(members: readonly SpreadMember[], book: ContactBook, now: number, opts: SpreadOptions = SPREAD_DEFAULTS): SpreadResult {
  const slack = opts.slackMs;
  // Checked against the clocks: a host whose times disagree with its peers' about the same
  // contacts (a skew the clock-offset estimate missed, or an agent that backdates what it
  // reports to look like patient zero) has its onset and contact times moved onto theirs.
  const { skew, vouched } = peerSkews(members, book, slack);
  const onset = new Map(members.map((m) => [m.hostId, m.onsetMs - (skew.get(m.hostId) ?? 0)]));
  let tracedHosts = 0;
  for (const m of members) if (book.isTracked(m.hostId, now)) tracedHosts++;

  // Every contact that could have carried the spread: A (affected by then) reached B no
  // later than shortly after B's onset.
  const candidates = new Map<string, Candidate[]>();
  const targetsPerPort = new Map<string, Set<string>>();
  for (const b of members) {
    const tb = onset.get(b.hostId)!;
    for (const link of book.linksInto(b.hostId)) {
      const ta = onset.get(link.from);
      if (ta === undefined || link.from === b.hostId || ta > tb + slack) continue;
      const ok = (t: number) => t >= ta - slack && t <= tb + slack;
      const sa = skew.get(link.from) ?? 0;
      const sb = skew.get(b.hostId) ?? 0;
      const outs = link.outAt.map((t) => t - sa).filter(ok);
      const ins = link.inAt.map((t) => t - sb).filter(ok);
      if (outs.length === 0 && ins.length === 0) continue;
      const times = [...outs, ...ins];
      const list = candidates.get(b.hostId) ?? [];
      list.push({ from: link.from, to: b.hostId, protocol: link.protocol, port: link.port, atMs: pickTime(times, tb), corroborated: outs.length > 0 && ins.length > 0 });
      candidates.set(b.hostId, list);
      const pk = `${link.protocol}/${link.port}`;
      let set = targetsPerPort.get(pk);
      if (!set) targetsPerPort.set(pk, (set = new Set()));
      set.add(b.hostId);
    }
  }

  // The spreading port: the one that reached the most members.
  let dominant: string | null = null;
  let best = 0;
  for (const [pk, set] of targetsPerPort) {
    if (set.size > best || (set.size === best && dominant !== null && pk < dominant)) {
      dominant = pk;
      best = set.size;
    }
  }

  // One parent per host: on the spreading port if it can, the contact nearest before the onset.
  const parent = new Map<string, Candidate>();
  for (const [to, list] of candidates) {
    const onPort = dominant ? list.filter((c) => `${c.protocol}/${c.port}` === dominant) : [];
    const pool = onPort.length > 0 ? onPort : list;
    const tb = onset.get(to)!;
    pool.sort((x, y) => timeScore(x.atMs, tb) - timeScore(y.atMs, tb) || Number(y.corroborated) - Number(x.corroborated)
      || onset.get(x.from)! - onset.get(y.from)! || (x.from < y.from ? -1 : 1));
    parent.set(to, pool[0]!);
  }
  breakCycles(parent, onset);
  adoptEarlyRoots(parent, onset, book, skew, vouched, slack);

  // Generations: depth from each tree's root.
  const depth = new Map<string, number>();
  const depthOf = (h: string): number => {
    const known = depth.get(h);
    if (known !== undefined) return known;
    const chain: string[] = [];
    let cur: string | undefined = h;
    while (cur !== undefined && !depth.has(cur)) {
      chain.push(cur);
      cur = parent.get(cur)?.from;
    }
    let d = cur !== undefined ? depth.get(cur)! : -1;
    for (let i = chain.length - 1; i >= 0; i--) depth.set(chain[i]!, ++d);
    return depth.get(h)!;
  };
  const hasChild = new Set<string>();
  for (const e of parent.values()) hasChild.add(e.from);
  const inGraph = (h: string) => parent.has(h) || hasChild.has(h);

  // The root of the largest tree is patient zero; ties go to the earlier onset.
  const treeSize = new Map<string, number>();
  const rootOf = (h: string): string => {
    let cur = h;
    for (let e = parent.get(cur); e; e = parent.get(cur)) cur = e.from;
    return cur;
  };
  let generations = 0;
  for (const m of members) {
    if (!inGraph(m.hostId)) continue;
    const r = rootOf(m.hostId);
    treeSize.set(r, (treeSize.get(r) ?? 0) + 1);
    generations = Math.max(generations, depthOf(m.hostId));
  }
  let root: string | null = null;
  for (const [r, n] of treeSize) {
    const cur = root === null ? 0 : treeSize.get(root)!;
    if (n > cur || (n === cur && (onset.get(r)! < onset.get(root!)! || (onset.get(r) === onset.get(root!) && r < root!)))) root = r;
  }

  const edges: SpreadEdge[] = [...parent.values()]
    .map((c) => ({ from: c.from, to: c.to, protocol: c.protocol, port: c.port, atMs: c.atMs, corroborated: c.corroborated }))
    .sort((x, y) => x.atMs - y.atMs || (x.to < y.to ? -1 : 1));
  const nodes: SpreadNode[] = [...members]
    .map((m) => ({ hostId: m.hostId, onsetMs: onset.get(m.hostId)! }))
    .sort((x, y) => x.onsetMs - y.onsetMs || (x.hostId < y.hostId ? -1 : 1))
    .map((m) => ({ hostId: m.hostId, onsetMs: m.onsetMs, parent: parent.get(m.hostId)?.from ?? null, generation: inGraph(m.hostId) ? depthOf(m.hostId) : null }));
  // The port of the tree's edges (not of every candidate): what the worm spreads on.
  const portCount = new Map<string, { protocol: 'tcp' | 'udp'; port: number; n: number }>();
  for (const e of edges) {
    const k = `${e.protocol}/${e.port}`;
    const v = portCount.get(k) ?? { protocol: e.protocol, port: e.port, n: 0 };
    v.n++;
    portCount.set(k, v);
  }
  let port: SpreadView['port'] = null;
  let pn = 0;
  for (const v of portCount.values()) if (v.n > pn) { port = { protocol: v.protocol, port: v.port }; pn = v.n; }

  return {
    tracedHosts, root, port, binary: { sha256: null, exe: null }, generations, nodes, edges,
    graphHosts: nodes.filter((n) => n.generation !== null).map((n) => n.hostId),
  };
}

/**
 * Each member's clock error against its peers. A contact both ends reported is one event
 * on two clocks: the sender's first-seen time minus the receiver's is their clocks'
 * difference. Hosts whose contacts agree within the slack share a clock (a group); in
 * each set of hosts linked by such contacts the largest group is the reference, since a
 * clock many peers agree on is the honest one and one liar agrees with nobody. Every other
 * group is put on the reference's clock by the median of its contacts' differences with
 * hosts already placed, breadth first from the reference. So a host that backdates everything it
 * reports is found from one contact with a host whose clock another peer corroborates,
 * which is all a contained worm leaves (three or four hosts). A tie between groups (two
 * hosts, one contact) says nothing about which one lies: both keep 0. Hosts without a
 * contact seen from both ends get 0 (the controller's clock-offset estimate stands).
 * Vouched: the hosts whose clock a peer's record of a shared contact agrees with.
 */
function peerSkews(members: readonly SpreadMember[], book: ContactBook, slack: number): { skew: Map<string, number>; vouched: Set<string> } {
  const ids = new Set(members.map((m) => m.hostId));
  // [sender, receiver, sender's clock minus receiver's]
  const pairs: Array<[string, string, number]> = [];
  for (const b of members) {
    for (const link of book.linksInto(b.hostId)) {
      if (!ids.has(link.from) || link.from === b.hostId || link.outAt.length === 0 || link.inAt.length === 0) continue;
      // pair the first-seen times nearest each other: the same connection from both ends
      let best = Infinity;
      for (const o of link.outAt) for (const i of link.inAt) if (Math.abs(o - i) < Math.abs(best)) best = o - i;
      pairs.push([link.from, b.hostId, best]);
    }
  }
  const out = new Map<string, number>();
  const vouched = new Set<string>();
  if (pairs.length === 0) return { skew: out, vouched };
  // union-find twice: clock groups (agreeing contacts), components (any contact)
  const find = (uf: Map<string, string>, h: string): string => {
    let r = h;
    while (uf.get(r) !== undefined && uf.get(r) !== r) r = uf.get(r)!;
    uf.set(h, r);
    return r;
  };
  const join = (uf: Map<string, string>, a: string, b: string) => {
    const ra = find(uf, a), rb = find(uf, b);
    if (ra !== rb) uf.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  };
  const group = new Map<string, string>();
  const comp = new Map<string, string>();
  for (const [a, b, d] of pairs) {
    for (const h of [a, b]) { if (!group.has(h)) group.set(h, h); if (!comp.has(h)) comp.set(h, h); }
    join(comp, a, b);
    if (Math.abs(d) <= slack) join(group, a, b);
  }
  const groupHosts = groupBy(group.keys(), (h) => find(group, h));
  for (const hs of groupHosts.values()) if (hs.length > 1) for (const h of hs) vouched.add(h);
  const byComp = groupBy(groupHosts.keys(), (g) => find(comp, g));
  for (const groups of byComp.values()) {
    if (groups.length < 2) continue;
    groups.sort((x, y) => groupHosts.get(y)!.length - groupHosts.get(x)!.length || (x < y ? -1 : 1));
    if (groupHosts.get(groups[0]!)!.length === groupHosts.get(groups[1]!)!.length) continue;
    const offset = new Map<string, number>([[groups[0]!, 0]]);
    // breadth first: each group next to placed ones at the median offset its contacts with them imply
    for (let layer = 0; layer < groups.length; layer++) {
      const implied = new Map<string, number[]>();
      for (const [a, b, d] of pairs) {
        const ga = find(group, a), gb = find(group, b);
        const oa = offset.get(ga), ob = offset.get(gb);
        if (oa !== undefined && ob === undefined) (implied.get(gb) ?? implied.set(gb, []).get(gb)!).push(oa - d);
        else if (ob !== undefined && oa === undefined) (implied.get(ga) ?? implied.set(ga, []).get(ga)!).push(ob + d);
      }
      if (implied.size === 0) break;
      for (const [g, l] of implied) offset.set(g, l.sort((x, y) => x - y)[Math.floor(l.length / 2)]!);
    }
    for (const g of groups) {
      const o = offset.get(g);
      if (o !== undefined && o !== 0) for (const h of groupHosts.get(g)!) out.set(h, o);
    }
  }
  return { skew: out, vouched };
}

/**
 * A root that claims an onset earlier than anyone's yet spread nothing until an affected
 * host reached it is not patient zero: its claimed onset is not borne out by anything it
 * did. Such a root is hung under the host that reached it first, unless that host is in
 * its own subtree. The true patient zero reaches its first victim before anyone reaches it.
 *
 * Each ordering is read on one clock where it can be, since the root's clock is what is in
 * doubt. What the root spread is timed by its victims (their inbound first-seen times);
 * the contact into the root either by the sender (its outbound time: after the sender's
 * onset, before the root's first victim) or by the root itself (its inbound time: before
 * its own onset, which a root backdating everything it reports shifts alike). In the
 * latter case the sender must have been affected before the root's first victim was
 * reached and after the onset the root claims: a worm cannot infect before it was itself
 * reached, so the root's earlier claim rests on its clock alone.
 */
function adoptEarlyRoots(parent: Map<string, SpreadEdge>, onset: ReadonlyMap<string, number>, book: ContactBook, skew: ReadonlyMap<string, number>,
  vouched: ReadonlySet<string>, slack: number): void {
  const firstOut = new Map<string, number>();
  for (const e of parent.values()) {
    // the victim's own record of the contact, on its clock, where it has one
    let t = e.atMs;
    for (const l of book.linksInto(e.to)) {
      if (l.from !== e.from || l.port !== e.port || l.protocol !== e.protocol) continue;
      for (const i of l.inAt) if (i - (skew.get(e.to) ?? 0) >= e.atMs - slack) t = Math.min(t, i - (skew.get(e.to) ?? 0));
    }
    firstOut.set(e.from, Math.min(firstOut.get(e.from) ?? Infinity, t));
  }
  for (const [root, out] of firstOut) {
    if (parent.has(root)) continue;
    const inSubtree = (h: string): boolean => {
      for (let cur: string | undefined = h, n = 0; cur !== undefined && n <= parent.size; cur = parent.get(cur)?.from, n++) if (cur === root) return true;
      return false;
    };
    const tr = onset.get(root)!;
    let best: SpreadEdge | undefined;
    const consider = (from: string, link: { protocol: 'tcp' | 'udp'; port: number; outAt: number[]; inAt: number[] }, t: number) => {
      if (!best || t < best.atMs) best = { from, to: root, protocol: link.protocol, port: link.port, atMs: t, corroborated: link.outAt.length > 0 && link.inAt.length > 0 };
    };
    for (const link of book.linksInto(root)) {
      const ta = onset.get(link.from);
      if (ta === undefined || link.from === root || inSubtree(link.from)) continue;
      const sa = skew.get(link.from) ?? 0;
      const sr = skew.get(root) ?? 0;
      for (const t of [...link.outAt.map((x) => x - sa), ...link.inAt.map((x) => x - sr)]) {
        // the contact came after the root's claimed onset: its events alone were backdated
        if (t >= ta - slack && t <= out + slack && t > tr + slack) consider(link.from, link, t);
      }
      // on the root's own clock it was reached just before its onset, by a host affected
      // after that claimed onset but before the root's first victim: its clock is the odd one,
      // unless a peer's record of a contact vouches for it (then a benign contact came by chance)
      if (!vouched.has(root) && ta > tr + slack && ta <= out + slack && link.inAt.some((x) => x - sr <= tr + slack && x - sr >= tr - slack)) {
        consider(link.from, link, Math.min(out, ta));
      }
    }
    if (best) parent.set(root, best);
  }
}

/**
 * How far after the onset a contact's time may lie and still be the one that carried it:
 * the kernel's sets give whole seconds (±0.5 s) and the clock correction adds a few hundred
 * ms, so the infecting connection is often stamped just after the process it started.
 */
const STAMP_PRECISION_MS = 1_500;
/**
 * Time after the onset counts this many times time before it: within the stamps' precision
 * a contact just after the onset beats one from long before, but not one just before.
 */
const AFTER_WEIGHT = 4;

/**
 * Lower is better: how far a contact's time is from explaining the onset. Before the onset: the gap. Just after, within the stamps' precision: the gap, weighted.
 * Later: after everything else, earliest first.
 */
function timeScore(t: number, onsetMs: number): number {
  if (t <= onsetMs) return onsetMs - t;
  if (t <= onsetMs + STAMP_PRECISION_MS) return (t - onsetMs) * AFTER_WEIGHT;
  return 1e12 + (t - onsetMs);
}

/** The time that best explains the onset: the lowest timeScore. */
function pickTime(times: number[], onsetMs: number): number {
  let best = times[0]!;
  for (const t of times) if (timeScore(t, onsetMs) < timeScore(best, onsetMs)) best = t;
  return best;
}

/**
 * Onsets within the slack may put a parent after its child, and two hosts may each look
 * like the other's parent: cut each cycle at the edge into its earliest host.
 */
function breakCycles(parent: Map<string, Candidate>, onset: ReadonlyMap<string, number>): void {
  const done = new Set<string>();
  for (const start of [...parent.keys()]) {
    const path: string[] = [];
    const onPath = new Set<string>();
    let cur: string | undefined = start;
    while (cur !== undefined && !done.has(cur) && !onPath.has(cur)) {
      path.push(cur);
      onPath.add(cur);
      cur = parent.get(cur)?.from;
    }
    if (cur !== undefined && onPath.has(cur)) {
      const cycle = path.slice(path.indexOf(cur));
      let first = cycle[0]!;
      for (const h of cycle) if (onset.get(h)! < onset.get(first)! || (onset.get(h) === onset.get(first) && h < first)) first = h;
      parent.delete(first);
    }
    for (const h of path) done.add(h);
  }
}

/** Items by key, in the order met. */
function groupBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const l = out.get(k);
    if (l) l.push(it);
    else out.set(k, [it]);
  }
  return out;
}
