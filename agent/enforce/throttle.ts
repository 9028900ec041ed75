// The virus throttle's state, as the kernel keeps it, for the evaluator
// (evaluate.ts), the simulator and the tests (Williamson, "Throttling Viruses:
// Restricting propagation to defeat malicious mobile code", HP Labs 2002).
//
// A host may open connections to destinations it used recently (its working set)
// freely; a connection to a destination outside it needs a token from one bucket
// that holds `burst` tokens and refills at `newPerSecond`, and the destination
// then joins the working set. A destination leaves the set `workingSetS` seconds
// after the last NEW connection to it (packets of a connection already open do
// not refresh it: the kernel rules see only new connections).
//
// This mirrors what the backends render (nft-render.ts: a dynamic set with a
// timeout and one `limit` statement; iptables.ts: `-m recent` and `-m limit`):
// - the bucket starts full and every apply of the ruleset starts it afresh
//   (the table is replaced, sets and limit with it); call reset() to follow that;
// - nftables keeps one bucket for both families; the iptables fallback one per
//   family (iptables and ip6tables are separate tables): `bucketPerFamily`;
// - nftables' set holds at most 65,535 destinations and then remembers no new
//   ones (they still pass with a token); xt_recent holds 100 by default and
//   forgets the oldest: `maxEntries` and `whenFull`.
import { parseCidr } from '../../proto/cidr.ts';
import type { ThrottleParams__Output } from '../../proto/wire.ts';
import { THROTTLE_DEFAULTS } from '../../proto/validate.ts';

/** The nft set's size: one working set per family. */
export const NFT_WORKING_SET_SIZE = 65_535;
/** xt_recent's default table size (module parameter ip_list_tot). */
export const XT_RECENT_SIZE = 100;

export interface ThrottleTrackerOptions {
  /** one bucket per address family, as the iptables fallback has; default one for both (nftables) */
  bucketPerFamily?: boolean;
  /** destinations remembered per family; default NFT_WORKING_SET_SIZE */
  maxEntries?: number;
  /** a full working set: remember no new destination (nftables), or forget the oldest (xt_recent) */
  whenFull?: 'forget-new' | 'evict-oldest';
}

export interface ThrottleDecision {
  pass: boolean;
  reason: string;
  /** true when the destination was in the working set (no token needed) */
  known: boolean;
}

/** ThrottleParams with the defaults (0 = default) filled in. */
export function effectiveThrottle(p: ThrottleParams__Output): ThrottleParams__Output {
  return {
    newPerSecond: p.newPerSecond || THROTTLE_DEFAULTS.newPerSecond,
    burst: p.burst || THROTTLE_DEFAULTS.burst,
    workingSetS: p.workingSetS || THROTTLE_DEFAULTS.workingSetS,
    expiresAtMs: Number(p.expiresAtMs ?? 0),
  };
}

interface Bucket {
  tokens: number;
  atMs: number;
}

/** One host's working set and token bucket. Not thread-safe; one per simulated host. */
export class ThrottleTracker {
  /** per family: destination → time of the last new connection, least recently used first */
  private readonly lastUse = new Map<4 | 6, Map<string, number>>([[4, new Map()], [6, new Map()]]);
  private readonly buckets = new Map<string, Bucket>();
  private key = '';
  private readonly opts: Required<ThrottleTrackerOptions>;

  constructor(opts: ThrottleTrackerOptions = {}) {
    this.opts = { bucketPerFamily: false, maxEntries: NFT_WORKING_SET_SIZE, whenFull: 'forget-new', ...opts };
  }

  /** Empties the working set and refills the bucket, as a re-apply of the ruleset does. */
  reset(): void {
    for (const m of this.lastUse.values()) m.clear();
    this.buckets.clear();
  }

  /** Destinations in the working set at `nowMs`. */
  workingSet(nowMs: number, params: ThrottleParams__Output): string[] {
    const ttl = effectiveThrottle(params).workingSetS * 1000;
    return [...this.lastUse.values()].flatMap((m) => [...m].filter(([, t]) => nowMs - t < ttl).map(([a]) => a));
  }

  /**
   * Decides one NEW outbound connection to `address` at `nowMs` and records it:
   * a destination in the working set passes and is refreshed; another passes
   * only with a token, and then joins the set. Params that differ from the last
   * call's start the model afresh (a new ruleset).
   */
  admit(params: ThrottleParams__Output, address: string, nowMs: number): ThrottleDecision {
    const p = effectiveThrottle(params);
    const key = `${p.newPerSecond}/${p.burst}/${p.workingSetS}`;
    if (key !== this.key) {
      this.reset();
      this.key = key;
    }
    const cidr = parseCidr(address);
    const addr = cidr.text.replace(/\/(32|128)$/, '');
    const ttl = p.workingSetS * 1000;
    const set = this.lastUse.get(cidr.family)!;
    const seen = set.get(addr);
    if (seen !== undefined && nowMs - seen < ttl) {
      set.delete(addr); // re-insert: Map order = least recently used first
      set.set(addr, nowMs);
      return { pass: true, known: true, reason: `throttle: ${addr} is in the working set (used ${((nowMs - seen) / 1000).toFixed(1)} s ago)` };
    }
    const bucketKey = this.opts.bucketPerFamily ? `v${cidr.family}` : 'all';
    let b = this.buckets.get(bucketKey);
    if (!b) this.buckets.set(bucketKey, (b = { tokens: p.burst, atMs: nowMs }));
    b.tokens = Math.min(p.burst, b.tokens + (Math.max(0, nowMs - b.atMs) * p.newPerSecond) / 1000);
    b.atMs = nowMs;
    if (b.tokens < 1) {
      return { pass: false, known: false, reason: `throttle drops a new destination ${addr}: over ${p.newPerSecond}/s (burst ${p.burst})` };
    }
    b.tokens -= 1;
    this.remember(set, addr, nowMs, ttl);
    return { pass: true, known: false, reason: `throttle admits a new destination ${addr} (${Math.floor(b.tokens)} tokens left)` };
  }

  private remember(set: Map<string, number>, addr: string, nowMs: number, ttl: number): void {
    set.delete(addr);
    if (set.size >= this.opts.maxEntries) {
      // expired entries make room first, as the kernel's garbage collection does (eventually)
      for (const [a, t] of set) if (nowMs - t >= ttl) set.delete(a);
      if (set.size >= this.opts.maxEntries) {
        if (this.opts.whenFull === 'forget-new') return;
        set.delete(set.keys().next().value!);
      }
    }
    set.set(addr, nowMs);
  }
}
