// Guards: what keeps a playbook from isolating the company for a benign fleet-wide
// spike, and from cutting the controller's own link.
import { cidrContains, isInternetAddress, parseCidr } from '../../proto/cidr.ts';
import type { PortRange } from './schema.ts';

/**
 * The blast radius: automatic isolations allowed in a sliding window.
 *
 * Default: at most 5% of the fleet or 20 hosts in 10 minutes, WHICHEVER IS SMALLER
 * (limit = min(20, max(1, ceil(5% × fleet size)))). Both numbers are ceilings: 5% keeps a
 * small fleet from losing a fifth of itself to a mistake (20 of 100 hosts), 20 keeps a
 * large one from losing hundreds (5% of 5,000 = 250) before a person looks. At least one
 * host may always be isolated. Per playbook the same rule applies with its own numbers
 * (guards.max_isolations / max_isolations_percent / window, defaulting to the global ones);
 * an isolation needs room in both.
 */
export interface BlastRadius {
  /** Share of the fleet, 0-1. Default 0.05. */
  fraction: number;
  /** Absolute ceiling. Default 20. */
  maxHosts: number;
  /** Sliding window. Default 10 minutes. */
  windowMs: number;
}

export const DEFAULT_BLAST_RADIUS: BlastRadius = { fraction: 0.05, maxHosts: 20, windowMs: 600_000 };

export function blastLimit(r: BlastRadius, fleetSize: number): number {
  return Math.min(r.maxHosts, Math.max(1, Math.ceil(r.fraction * fleetSize)));
}

export function describeLimit(r: BlastRadius, fleetSize: number): string {
  const mins = Math.round(r.windowMs / 60_000);
  return `${blastLimit(r, fleetSize)} = min(${+(r.fraction * 100).toFixed(2)}% of ${fleetSize} hosts, ${r.maxHosts}) per ${mins ? `${mins} min` : `${r.windowMs} ms`}`;
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
