// Guards: what keeps a playbook from isolating the company for a benign fleet-wide
// spike, and from cutting the controller's own link.
import { cidrContains, isInternetAddress, parseCidr } from '../../proto/cidr.ts';
import type { PortRange } from './schema.ts';

/**
 * The blast radius: automatic isolations allowed in a sliding window.
 *
 * Default: 5% of the fleet or 20 hosts in 10 minutes, whichever is smaller, but never
 * fewer than a floor of 8 hosts (or half the fleet, if that is smaller):
 *   limit = min(20, max(min(8, ceil(fleet / 2)), ceil(5% × fleet size))).
 * The ceilings keep a large fleet from losing hundreds of hosts (5% of 5,000 = 250) before
 * a person looks. The floor is for small fleets: in 24 hosts 5% is one isolation per 10
 * minutes, while a worm doubling every 10 s has 4-8 hosts by the time its spread graph is
 * clear; one isolation and then a queue for approval is no containment at all. Isolation
 * needs a propagating incident (a chain of contacts between affected hosts, see
 * pipeline/spread.ts) or a playbook that asks for simultaneous ones by name, so a benign
 * fleet-wide spike does not reach this guard; 8 hosts is what a mistake can cost before a
 * person looks. Half the fleet caps the floor for a fleet of a few hosts. Per playbook the
 * same rule applies with its own numbers (guards.max_isolations / max_isolations_percent /
 * window, defaulting to the global ones); an isolation needs room in both.
 */
export interface BlastRadius {
  /** Share of the fleet, 0-1. Default 0.05. */
  fraction: number;
  /** Absolute ceiling. Default 20. */
  maxHosts: number;
  /** Sliding window. Default 10 minutes. */
  windowMs: number;
  /** Small-fleet floor: at least this many (at most half the fleet), within maxHosts. Default 8. */
  minHosts?: number;
}

export const DEFAULT_BLAST_RADIUS: BlastRadius = { fraction: 0.05, maxHosts: 20, windowMs: 600_000, minHosts: 8 };

export function blastLimit(r: BlastRadius, fleetSize: number): number {
  const floor = Math.max(1, Math.min(r.minHosts ?? DEFAULT_BLAST_RADIUS.minHosts!, Math.ceil(fleetSize / 2)));
  return Math.min(r.maxHosts, Math.max(floor, Math.ceil(r.fraction * fleetSize)));
}

export function describeLimit(r: BlastRadius, fleetSize: number): string {
  const mins = Math.round(r.windowMs / 60_000);
  const floor = r.minHosts ?? DEFAULT_BLAST_RADIUS.minHosts!;
  return `${blastLimit(r, fleetSize)} = min(${+(r.fraction * 100).toFixed(2)}% of ${fleetSize} hosts (at least ${floor}, or half the fleet), ${r.maxHosts}) per ${mins ? `${mins} min` : `${r.windowMs} ms`}`;
}

/** Times of automatic isolations, pruned to the window. */
export class SlidingCount {
  constructor(private times: number[] = []) {}

  count(now: number, windowMs: number): number {
    this.prune(now, windowMs);
    return this.times.length;
  }

  add(now: number): void {
    this.times.push(now);
  }

  /** Takes back one entry made at `at` (an isolation planned again after a crash is counted once). */
  remove(at: number): void {
    const i = this.times.lastIndexOf(at);
    if (i >= 0) this.times.splice(i, 1);
  }

  private prune(now: number, windowMs: number): void {
    const from = now - windowMs;
    let i = 0;
    while (i < this.times.length && this.times[i]! <= from) i++;
    if (i > 0) this.times = this.times.slice(i);
  }

  toJSON(): number[] {
    return [...this.times];
  }
}

// ------------------------------------------------------------- the controller's link

/** Where agents reach the controller: the port a block must never cut. */
export interface ControllerLink {
  port: number;
  /** Addresses agents dial; empty = unknown, so any scope is assumed to contain them. */
  addresses?: readonly string[];
}

export interface PlannedScope {
  protocol: 'tcp' | 'udp';
  direction: 'in' | 'out' | 'both';
  remote: { internet: boolean; cidrs: readonly string[] } | undefined;
}

function scopeReaches(scope: PlannedScope, addresses: readonly string[]): boolean {
  const r = scope.remote;
  if (!r || (!r.internet && r.cidrs.length === 0)) return true;
  if (addresses.length === 0) return true;
  return addresses.some((a) => (r.internet && isInternetAddress(a)) || r.cidrs.some((c) => cidrContains(parseCidr(c), a)));
}

/**
 * Removes the controller's port from a planned block when the block could drop the
 * agents' outbound link to it (agents dial out over TCP). Returns the ports left
 * (possibly none) and whether anything was removed.
 */
export function spareControllerPort(ports: readonly PortRange[], scope: PlannedScope, link: ControllerLink | undefined): { ports: PortRange[]; removed: boolean } {
  if (!link || scope.protocol !== 'tcp' || scope.direction === 'in' || !scopeReaches(scope, link.addresses ?? [])) {
    return { ports: [...ports], removed: false };
  }
  const out: PortRange[] = [];
  let removed = false;
  for (const r of ports) {
    if (link.port < r.from || link.port > r.to) {
      out.push(r);
      continue;
    }
    removed = true;
    if (r.from < link.port) out.push({ from: r.from, to: link.port - 1 });
    if (link.port < r.to) out.push({ from: link.port + 1, to: r.to });
  }
  return { ports: out, removed };
}
