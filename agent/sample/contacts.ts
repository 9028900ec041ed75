// Contact tracing: the connections, in either direction, between this host and
// an address it had not exchanged a connection with on that port recently. The
// controller maps the addresses to hosts and builds each incident's spread
// graph from them (A's OUT to B on P, or B's IN from A on P, shortly before B's
// onset), so a sample carries only the contacts first seen since the previous
// one, bounded; a long-lived connection or a peer that keeps coming back is
// reported once, and again only after it was absent for the memory window.
// The one exception is recent(): when this host's anomaly starts, the agent
// re-sends the peers that reached it just before, with their latest times,
// because the connection that carried a worm is often a repeat of one that did
// not (a scanner that came back), and the graph needs the time nearest the onset.
//
// Sources feed the one tracker (so a contact seen by two is reported once): the
// socket tables when a sample reads them (socket-tables.ts) and the kernel's
// count sets in kernel counting mode (kernel-count.ts).
import type { Contact__Output } from '../../proto/wire.ts';

export type ContactDirection = 'IN' | 'OUT';

export interface ContactTrackerOptions {
  /** A contact absent this long is first seen again when it returns. Default 10 min. */
  windowMs?: number;
  /** Contacts remembered at most (least recently seen forgotten first). Default 4096. */
  maxRemembered?: number;
  /** Contacts listed per direction per sample; the rest are counted as dropped. Default 64. */
  maxPerDirection?: number;
}

export const CONTACT_WINDOW_MS = 600_000;
export const MAX_REMEMBERED_CONTACTS = 4096;
export const MAX_CONTACTS_PER_DIRECTION = 64;

/** Loopback and unspecified addresses: a host talking to itself is no spread. */
export function isLocalOnlyAddress(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === '0.0.0.0' || address === '::'
    || address.startsWith('::ffff:127.');
}

/** Keeps at most max contacts per direction, in order; says how many were left out. */
export function boundContacts(list: readonly Contact__Output[], max: number): { contacts: Contact__Output[]; over: number } {
  const n = { IN: 0, OUT: 0 } as Record<string, number>;
  const contacts: Contact__Output[] = [];
  let over = 0;
  for (const c of list) {
    const k = n[c.direction] ?? 0;
    if (k < max) {
      contacts.push(c);
      n[c.direction] = k + 1;
    } else over++;
  }
  return { contacts, over };
}

export class ContactTracker {
  readonly windowMs: number;
  private readonly maxRemembered: number;
  readonly maxPerDirection: number;
  /**
   * key → when last seen (monotonic, for the order) and the latest connection
   * time a source gave (for recent()); Map order is least recently seen first
   * (a sighting moves a key to the end).
   */
  private readonly seen = new Map<string, { t: number; lastMs: number }>();
  private pending: Contact__Output[] = [];
  private pendingIn = 0;
  private dropped = 0;
  private latest = 0;

  constructor(opts: ContactTrackerOptions = {}) {
    this.windowMs = opts.windowMs ?? CONTACT_WINDOW_MS;
    this.maxRemembered = Math.max(1, opts.maxRemembered ?? MAX_REMEMBERED_CONTACTS);
    this.maxPerDirection = Math.max(0, opts.maxPerDirection ?? MAX_CONTACTS_PER_DIRECTION);
  }

  /** Contacts remembered now. */
  get remembered(): number {
    return this.seen.size;
  }

  /**
   * One sighting of a contact at `at` (agent clock). Returns true when it is
   * first seen: then it goes to the next take() with firstSeenMs, unless report
   * is false (a source's first look, whose connections predate the agent and
   * are remembered but not news).
   */
  see(direction: ContactDirection, protocol: string, address: string, port: number, at: number,
    firstSeenMs = at, report = true): boolean {
    if (isLocalOnlyAddress(address)) return false;
    // Sightings are stamped monotonic so the Map stays ordered by time for expiry.
    const now = Math.max(at, this.latest);
    this.latest = now;
    const key = `${direction}|${protocol}|${address}|${port}`;
    const entry = this.seen.get(key);
    const last = entry?.t;
    if (entry) {
      // re-inserted to move it to the end; the same object, so a busy host's every-sample sightings allocate nothing
      this.seen.delete(key);
      entry.t = now;
      entry.lastMs = Math.min(firstSeenMs, at);
      this.seen.set(key, entry);
    } else this.seen.set(key, { t: now, lastMs: Math.min(firstSeenMs, at) });
    if (last !== undefined && now - last <= this.windowMs) return false;
    this.forget(now);
    if (!report) return true;
    // bounded as they come: a scan of thousands of addresses costs a count, not a list
    const listed = direction === 'IN' ? this.pendingIn : this.pending.length - this.pendingIn;
    if (listed >= this.maxPerDirection) {
      this.dropped++;
      return true;
    }
    if (direction === 'IN') this.pendingIn++;
    this.pending.push({ direction, protocol, remoteAddress: address, port, firstSeenMs: Math.min(firstSeenMs, at) });
    return true;
  }

  /** The contacts first seen since the last take, at most maxPerDirection per direction, and how many more there were. */
  take(): { contacts: Contact__Output[]; dropped: number } {
    const out = { contacts: this.pending, dropped: this.dropped };
    this.pending = [];
    this.pendingIn = 0;
    this.dropped = 0;
    return out;
  }

  /**
   * The contacts in one direction last seen at or after sinceMs, newest first,
   * at most max, each stamped with its latest connection time: what reached
   * this host just before an anomaly started, first-seen or not. O(remembered),
   * so callers ask at an onset, not every sample.
   */
  recent(direction: ContactDirection, sinceMs: number, max: number): Contact__Output[] {
    const out: Contact__Output[] = [];
    for (const [key, v] of this.seen) {
      if (v.t < sinceMs) continue;
      const [dir, protocol, address, port] = key.split('|') as [string, string, string, string];
      if (dir === direction) out.push({ direction, protocol, remoteAddress: address, port: Number(port), firstSeenMs: v.lastMs });
    }
    return out.reverse().slice(0, Math.max(0, max));
  }

  /** Expired contacts, then the least recently seen past the cap: only ever from the front. */
  private forget(now: number): void {
    for (const [key, { t }] of this.seen) {
      if (this.seen.size <= this.maxRemembered && now - t <= this.windowMs) break;
      this.seen.delete(key);
    }
  }
}
