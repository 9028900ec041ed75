// Contacts stage: who contacted whom, host to host, and when (contact tracing).
//
// Agents report first-seen connections in both directions (MetricsSample.contacts). This
// stage maps their remote addresses to enrolled hosts (from each host's inventory) and
// keeps, per target host, the recent contacts it received from other hosts, seen from
// either end: A's outbound to B's address, or B's inbound from A's address, on a port.
// The spread graph (spread.ts) reads it to find which affected host reached which.
//
// Assume the agent lies: an address claimed by two hosts maps to neither (a host cannot
// make a bystander look like its parent by claiming its address), loopback and unspecified
// addresses map to nothing, and contact times are corrected by the reporting host's clock
// offset and clamped to the controller's arrival time (no contact from the future).
// Bounded: per target host at most MAX_PER_TARGET senders, each with a few times per side.
import type { Contact__Output } from '../../proto/wire.ts';

export interface ContactsOptions {
  /** Contacts older than this are forgotten. Default 15 min (past correlate's recent horizon). */
  retentionMs?: number;
}

export const CONTACTS_DEFAULTS: Required<ContactsOptions> = { retentionMs: 15 * 60_000 };

const MAX_PER_TARGET = 512;
const TIMES_PER_SIDE = 4;
const MAX_PER_SAMPLE = 256;

/** Contacts from one host to another on one port: first-seen times from each end (controller clock). */
export interface ContactLink {
  from: string;
  protocol: 'tcp' | 'udp';
  port: number;
  /** Reported by `from` (outbound), newest last. */
  outAt: number[];
  /** Reported by the target (inbound), newest last. */
  inAt: number[];
}

export interface ContactsStats {
  /** Contacts between two enrolled hosts, kept. */
  mapped: number;
  /** Contacts whose remote address is no enrolled host (or is ambiguous). */
  unmapped: number;
  refused: number;
}

function normalAddress(a: string): string | null {
  let s = a.trim().toLowerCase();
  if (s.startsWith('::ffff:') && s.includes('.')) s = s.slice(7);
  if (s === '' || s.length > 64 || !/^[0-9a-f.:]+$/.test(s)) return null;
  if (s.startsWith('127.') || s === '::1' || s === '0.0.0.0' || s === '::' || s.startsWith('fe80')) return null;
  return s;
}

function pushTime(times: number[], t: number): void {
  if (times.includes(t)) return;
  times.push(t);
  times.sort((x, y) => x - y);
  if (times.length > TIMES_PER_SIDE) times.shift();
}

export class ContactBook {
  readonly opts: Required<ContactsOptions>;
  /** Address → the hosts that claim it (one = it maps to that host; more = to none). */
  private readonly claimants = new Map<string, Set<string>>();
  /** Host id → its claimed addresses. */
  private readonly addressesOf = new Map<string, string[]>();
  /** Target host → "from\0proto/port" → link. */
  private readonly into = new Map<string, Map<string, ContactLink>>();
  /** Hosts whose agents trace contacts, with when they last said so. */
  private readonly tracked = new Map<string, number>();
  /** Bumped when a contact between two hosts is added: derived graphs are cached per version. */
  version = 0;
  private counters: ContactsStats = { mapped: 0, unmapped: 0, refused: 0 };

  constructor(opts: ContactsOptions = {}) {
    this.opts = { ...CONTACTS_DEFAULTS, ...opts };
  }

  /** A host's addresses, from its inventory. Replaces what it claimed before. */
  setHostAddresses(hostId: string, addresses: readonly string[]): void {
    const next = [...new Set(addresses.map(normalAddress).filter((a): a is string => a !== null))].slice(0, 64);
    const prev = this.addressesOf.get(hostId) ?? [];
    if (prev.length === next.length && prev.every((a, i) => a === next[i])) return;
    this.addressesOf.set(hostId, next);
    // Only this host's addresses change: a connect storm of n hosts stays O(n).
    for (const a of prev) {
      const set = this.claimants.get(a);
      set?.delete(hostId);
      if (set?.size === 0) this.claimants.delete(a);
    }
    for (const a of next) {
      let set = this.claimants.get(a);
      if (!set) this.claimants.set(a, (set = new Set()));
      set.add(hostId);
    }
  }

  hostOf(address: string): string | undefined {
    const a = normalAddress(address);
    const set = a ? this.claimants.get(a) : undefined;
    // an address two hosts claim belongs to neither
    return set?.size === 1 ? set.values().next().value : undefined;
  }

  /** Whether a host's agent traces contacts (it said so within the retention). */
  isTracked(hostId: string, now: number): boolean {
    const t = this.tracked.get(hostId);
    return t !== undefined && now - t <= this.opts.retentionMs;
  }

  /**
   * One sample's contacts from hostId. clockOffsetMs is the host's clock minus the
   * controller's; now is the controller's arrival time.
   */
  add(hostId: string, contacts: readonly Contact__Output[], tracked: boolean, clockOffsetMs: number, now: number): void {
    if (tracked) this.tracked.set(hostId, now);
    const offset = Number.isFinite(clockOffsetMs) ? clockOffsetMs : 0;
    let added = false;
    for (const c of contacts.slice(0, MAX_PER_SAMPLE)) {
      const protocol = c.protocol.toLowerCase();
      if ((protocol !== 'tcp' && protocol !== 'udp') || !(c.port >= 1 && c.port <= 65535)) {
        this.counters.refused++;
        continue;
      }
      const other = this.hostOf(c.remoteAddress);
      if (!other || other === hostId) {
        this.counters.unmapped++;
        continue;
      }
      const seen = c.firstSeenMs > 0 && Number.isFinite(c.firstSeenMs) ? Math.min(now, c.firstSeenMs - offset) : now;
      if (now - seen > this.opts.retentionMs) continue;
      const out = c.direction === 'OUT';
      if (!out && c.direction !== 'IN') {
        this.counters.refused++;
        continue;
      }
      const [from, to] = out ? [hostId, other] : [other, hostId];
      let links = this.into.get(to);
      if (!links) this.into.set(to, (links = new Map()));
      const k = `${from}\u0000${protocol}/${c.port}`;
      let link = links.get(k);
      if (!link) {
        if (links.size >= MAX_PER_TARGET) {
          this.counters.refused++;
          continue;
        }
        link = { from, protocol, port: c.port, outAt: [], inAt: [] };
        links.set(k, link);
      }
      pushTime(out ? link.outAt : link.inAt, seen);
      this.counters.mapped++;
      added = true;
    }
    if (added) this.version++;
  }

  /** Contacts other hosts made to hostId (recent ones). */
  linksInto(hostId: string): Iterable<ContactLink> {
    return this.into.get(hostId)?.values() ?? [];
  }

  /** Forgets contacts past the retention. Call now and then (tick). */
  prune(now: number): void {
    const cutoff = now - this.opts.retentionMs;
    for (const [to, links] of this.into) {
      for (const [k, l] of links) {
        l.outAt = l.outAt.filter((t) => t > cutoff);
        l.inAt = l.inAt.filter((t) => t > cutoff);
        if (l.outAt.length === 0 && l.inAt.length === 0) links.delete(k);
      }
      if (links.size === 0) this.into.delete(to);
    }
    for (const [h, t] of this.tracked) if (t <= cutoff) this.tracked.delete(h);
  }

  stats(): ContactsStats {
    return { ...this.counters };
  }

  toJSON(): ContactsSnapshot {
    return {
      version: 1,
      addresses: [...this.addressesOf],
      links: [...this.into].map(([to, links]) => [to, [...links.values()].map((l) => ({ ...l, outAt: [...l.outAt], inAt: [...l.inAt] }))]),
      tracked: [...this.tracked],
    };
  }

  static restore(s: ContactsSnapshot | undefined, opts: ContactsOptions = {}): ContactBook {
    const b = new ContactBook(opts);
    if (!s || s.version !== 1) return b;
    for (const [h, addrs] of s.addresses) b.setHostAddresses(h, addrs);
    for (const [to, links] of s.links) {
      b.into.set(to, new Map(links.map((l) => [`${l.from}\u0000${l.protocol}/${l.port}`, { ...l, outAt: [...l.outAt], inAt: [...l.inAt] }])));
    }
    for (const [h, t] of s.tracked) b.tracked.set(h, t);
    return b;
  }
}

export interface ContactsSnapshot {
  version: 1;
  addresses: Array<[string, string[]]>;
  links: Array<[string, ContactLink[]]>;
  tracked: Array<[string, number]>;
}
