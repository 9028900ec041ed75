// Kernel counting of new outbound connections. A /proc/net/tcp snapshot every
// few seconds misses a connection attempt that lives a millisecond (a scan of
// closed ports, a mail worm's short SMTP sessions). Where the agent is root
// with nftables, a table of Firebreak's own (`inet firebreak_count`, separate
// from the enforcement table, accept-only) lets the kernel remember every
// outbound SYN's destination address and port in a dynamic set whose elements
// expire after one interval; reading the set once per interval gives the
// distinct destinations of that interval, however short-lived. Those
// destinations are also the detectors' evidence and their source of new
// remote ports, so the sampler's fast poll of the socket tables (which only
// hunts for such short connections) is left off in this mode.
//
// The same table traces contacts (contacts.ts): an input chain remembers every
// inbound SYN's source address and the local port it came to (sets in4/in6),
// and both directions' elements, read in the same `nft -j list table` call,
// feed the sampler's contact tracker with the time each was first seen.
import type { Contact__Output, Endpoint__Output } from '../../proto/wire.ts';
import { ContactTracker, boundContacts, type ContactDirection } from './contacts.ts';
import type { TcpCounters } from './procfs.ts';
import type { SampleContext } from './proc-sampler.ts';
import type { Sample, Sampler } from './sampler.ts';
import { runTool } from '../enforce/run.ts';

export const COUNT_TABLE = 'inet firebreak_count';

/**
 * How long an inbound SYN stays in in4/in6: only contacts read those sets, so
 * they keep elements longer than one interval and the sampler reads them at
 * least every half of it even when no counter hints at inbound traffic (a SYN
 * that enforcement drops moves no TCP counter).
 */
export function inboundWindowS(windowS: number): number {
  return Math.max(2 * windowS, 60);
}

export function renderCountTable(windowS: number): string {
  const set = (name: string, type: string, timeoutS: number) =>
    `  set ${name} { type ${type} . inet_service; flags dynamic, timeout; timeout ${timeoutS}s; size 65536; }`;
  const inS = inboundWindowS(windowS);
  return [
    `table ${COUNT_TABLE}`,
    `delete table ${COUNT_TABLE}`,
    `table ${COUNT_TABLE} {`,
    set('out4', 'ipv4_addr', windowS),
    set('out6', 'ipv6_addr', windowS),
    set('in4', 'ipv4_addr', inS),
    set('in6', 'ipv6_addr', inS),
    '  chain output {',
    // counts only: no verdict but accept, so enforcement (its own table) decides alone
    '    type filter hook output priority filter - 20; policy accept;',
    '    meta nfproto ipv4 tcp flags & (syn | ack) == syn update @out4 { ip daddr . tcp dport }',
    '    meta nfproto ipv6 tcp flags & (syn | ack) == syn update @out6 { ip6 daddr . tcp dport }',
    '  }',
    '  chain input {',
    // Accept-only like output. Priority filter - 20 runs before enforcement's chains
    // (filter - 10, nft-render.ts), so an attempt that containment then drops is still
    // traced: the attempt is what shows where a worm tried to spread. `add`, not
    // `update`: an element keeps the time of its first SYN, which gives first_seen.
    // Loopback is no contact, and left out so it cannot fill the sets.
    '    type filter hook input priority filter - 20; policy accept;',
    '    iif != "lo" meta nfproto ipv4 tcp flags & (syn | ack) == syn update @in4 { ip saddr . tcp dport }',
    '    iif != "lo" meta nfproto ipv6 tcp flags & (syn | ack) == syn update @in6 { ip6 saddr . tcp dport }',
    '  }',
    '}',
  ].join('\n') + '\n';
}

/** One element of the count sets, as a contact. */
export interface KernelContact {
  direction: ContactDirection;
  address: string;
  /** OUT: the destination port; IN: the local port contacted */
  port: number;
  /**
   * When the element was last refreshed (every set `update`s on each SYN, so
   * a peer that comes back is seen again: the connection that carried a worm
   * is often such a repeat), from its remaining timeout: read time - (timeout -
   * expires). nft gives whole seconds, so within about half a second.
   */
  firstSeenMs: number;
}

export interface KernelCounts {
  /** distinct (address, port) destinations of outbound SYNs in the window */
  destinations: number;
  distinctAddrs: number;
  /** destinations per remote port, most first */
  perPort: { port: number; count: number }[];
  /** a bounded sample of the destinations (MAX_ENDPOINTS), for evidence */
  endpoints: Endpoint__Output[];
  /** every element of the four sets (outbound and inbound), for contact tracing */
  contacts: KernelContact[];
  /** when the table was listed (agent clock) */
  readAtMs: number;
}

/** Destinations kept as endpoints per read (the counts cover them all). */
export const MAX_ENDPOINTS = 256;

/** Parses `nft -j list table inet firebreak_count`; readAtMs: when it was listed (agent clock). */
export function parseCountTable(json: string, readAtMs = Date.now()): KernelCounts {
  const doc = JSON.parse(json) as { nftables?: Record<string, unknown>[] };
  const addrs = new Set<string>();
  const ports = new Map<number, number>();
  const endpoints: Endpoint__Output[] = [];
  const contacts: KernelContact[] = [];
  let destinations = 0;
  for (const item of doc.nftables ?? []) {
    const set = item.set as { name?: string; elem?: unknown[]; timeout?: number } | undefined;
    if (!set || !set.elem) continue;
    const inbound = set.name === 'in4' || set.name === 'in6';
    if (!inbound && set.name !== 'out4' && set.name !== 'out6') continue;
    for (const el of set.elem) {
      // an element is {"elem": {"val": {"concat": [addr, port]}, "expires": n}} or a bare {"concat": [...]}
      const e = el as { elem?: { val?: { concat?: unknown[] }; expires?: number; timeout?: number }; concat?: unknown[] };
      const concat = e.elem?.val?.concat ?? e.concat;
      if (!Array.isArray(concat) || concat.length !== 2) continue;
      // whole seconds, rounded down: the element is up to 1 s younger than timeout - expires says
      const timeout = e.elem?.timeout ?? set.timeout;
      const expires = e.elem?.expires;
      const ageMs = timeout !== undefined && expires !== undefined ? Math.max(0, (timeout - expires - 0.5) * 1000) : 0;
      contacts.push({ direction: inbound ? 'IN' : 'OUT', address: String(concat[0]), port: Number(concat[1]), firstSeenMs: readAtMs - ageMs });
      if (inbound) continue;
      destinations++;
      addrs.add(String(concat[0]));
      const port = Number(concat[1]);
      ports.set(port, (ports.get(port) ?? 0) + 1);
      if (endpoints.length < MAX_ENDPOINTS) endpoints.push({ address: String(concat[0]), port, protocol: 'tcp', state: 'SYN_SENT' });
    }
  }
  const perPort = [...ports].map(([port, count]) => ({ port, count })).sort((a, b) => b.count - a.count || a.port - b.port);
  return { destinations, distinctAddrs: addrs.size, perPort, endpoints, contacts, readAtMs };
}

export class KernelConnCounter {
  constructor(readonly windowS: number, private readonly nft = 'nft') {}

  async install(): Promise<void> {
    const r = await runTool(this.nft, ['-f', '-'], { input: renderCountTable(this.windowS), timeoutMs: 5000 });
    if (r.code !== 0) throw new Error(`cannot install the kernel connection counter: ${r.stderr.trim()}`);
  }

  async read(): Promise<KernelCounts> {
    const at = Date.now();
    const r = await runTool(this.nft, ['-j', 'list', 'table', ...COUNT_TABLE.split(' ')], { timeoutMs: 5000 });
    if (r.code !== 0) throw new Error(`cannot read the kernel connection counter: ${r.stderr.trim()}`);
    return parseCountTable(r.stdout, at);
  }

  async remove(): Promise<void> {
    await runTool(this.nft, ['delete', 'table', ...COUNT_TABLE.split(' ')], { timeoutMs: 5000 });
  }
}

/**
 * Wraps a sampler: each sample's fan-out figures become at least what the
 * kernel counted, so a burst between two table reads is still seen, and the
 * sample's context (the detectors' new remote ports and evidence) gains the
 * destinations the kernel saw.
 */
/** What KernelCountingSampler needs of the counter (tests pass a fake). */
export type CountReader = Pick<KernelConnCounter, 'read' | 'remove' | 'windowS'>;

/** What KernelCountingSampler needs of the sampler it wraps (ProcSampler gives it all). */
export type CountedSampler = Sampler & {
  context(): SampleContext;
  /** the tracker the socket tables feed: the kernel's contacts join it, so none is reported twice */
  contacts?: ContactTracker;
  /** the kernel's TCP counters at the last sample: they hint at new inbound SYNs */
  tcpCounters?(): TcpCounters | undefined;
};

/**
 * Wraps a sampler: each sample's fan-out figures become at least what the
 * kernel counted, so a burst between two table reads is still seen, and the
 * sample's context (the detectors' new remote ports and evidence) gains the
 * destinations the kernel saw. The sets' elements, both directions, are also
 * the sample's first-seen contacts.
 */
export class KernelCountingSampler implements Sampler {
  private readonly tracker: ContactTracker;
  /** Inbound sets are read at least this often (half their timeout), so no element expires unread. */
  private readonly inboundGapMs: number;
  private lastReadAt = 0;
  private lastInboundKey = '';

  constructor(
    private readonly inner: CountedSampler,
    private readonly counter: CountReader,
    private readonly onError: (err: Error) => void,
  ) {
    this.tracker = inner.contacts ?? new ContactTracker();
    this.inboundGapMs = (inboundWindowS(counter.windowS) * 1000) / 2;
  }

  /** Reads of the kernel's set (an nft run each): for the benchmark. */
  reads = 0;
  private last: KernelCounts | undefined;

  /** The inner sampler's context of the last sample, with the kernel's destinations merged in. */
  context(): SampleContext {
    const ctx = this.inner.context();
    const k = this.last;
    if (!k) return ctx;
    const seen = new Set(ctx.remotes.map((e) => `${e.address}|${e.port}`));
    const remotes = [...ctx.remotes, ...k.endpoints.filter((e) => !seen.has(`${e.address}|${e.port}`))];
    const newRemotePorts = new Map(ctx.newRemotePorts);
    for (const p of k.perPort) newRemotePorts.set(p.port, Math.max(newRemotePorts.get(p.port) ?? 0, p.count));
    return { ...ctx, remotes, newRemotePorts };
  }

  async sample(): Promise<Sample> {
    this.last = undefined;
    const s = await this.inner.sample();
    // No outbound attempt since the last sample (the kernel's ActiveOpens stood
    // still): the outbound sets gained nothing. Inbound SYNs move PassiveOpens
    // (accepted) or OutRsts (refused at a closed port); one that enforcement
    // drops moves no counter, hence the read at least every inboundGapMs. With
    // none of these, reading the sets (an nft run, ~3.5 ms of CPU) is skipped.
    const outbound = s.intervalS === 0 || s.newOutboundAttempts > 0;
    const tcp = this.inner.tcpCounters?.();
    const inboundKey = tcp ? `${tcp.passiveOpens}/${tcp.outRsts}` : '';
    const inbound = !tcp || inboundKey !== this.lastInboundKey || Date.now() - this.lastReadAt >= this.inboundGapMs;
    if (!outbound && !inbound) return s;
    this.reads++;
    let k: KernelCounts;
    try {
      k = await this.counter.read();
    } catch (err) {
      this.onError(err as Error);
      return s;
    }
    this.traceContacts(s, k);
    this.lastInboundKey = inboundKey;
    // The outbound figures only when outbound attempts were made: the elements
    // of a read for inbound's sake were counted by the sample that made them.
    if (!outbound) return s;
    this.last = k;
    s.distinctRemoteAddrs = Math.max(s.distinctRemoteAddrs, k.distinctAddrs);
    s.distinctRemotePorts = Math.max(s.distinctRemotePorts, k.perPort.length);
    const merged = new Map(s.remotePortCounts.filter((p) => p.protocol === 'tcp').map((p) => [p.port, p.count]));
    for (const p of k.perPort) merged.set(p.port, Math.max(merged.get(p.port) ?? 0, p.count));
    s.remotePortCounts = [
      ...s.remotePortCounts.filter((p) => p.protocol !== 'tcp'),
      ...[...merged].map(([port, count]) => ({ protocol: 'tcp', port, count })),
    ].sort((a, b) => b.count - a.count).slice(0, 64);
    return s;
  }

  /** The sets' elements into the tracker; the new ones join the sample's contacts from the tables, within the bound. */
  private traceContacts(s: Sample, k: KernelCounts): void {
    const prev = this.lastReadAt;
    for (const c of k.contacts) {
      // In the set at the previous read already (1.5 s for nft's whole seconds):
      // the tracker saw it then, even if a scan's many contacts pushed it out since.
      if (prev > 0 && c.firstSeenMs + 1500 <= prev) continue;
      this.tracker.see(c.direction, 'tcp', c.address, c.port, k.readAtMs, c.firstSeenMs);
    }
    this.lastReadAt = k.readAtMs;
    const t = this.tracker.take();
    const all = boundContacts([...s.contacts, ...t.contacts], this.tracker.maxPerDirection);
    s.contacts = all.contacts;
    s.contactsDropped += t.dropped + all.over;
    s.contactsTracked = true;
  }

  recentContacts(direction: ContactDirection, sinceMs: number, max: number): Contact__Output[] {
    return this.tracker.recent(direction, sinceMs, max);
  }

  close(): void {
    this.inner.close?.();
    void this.counter.remove();
  }
}
