// The simulated network: a connection attempt from a fleet host to an address,
// judged by the real enforcement evaluator against both ends' current state,
// and seen by contact tracing as a real agent would see it: the sender's agent
// sees its own attempt (OUT) whatever happens to it; the receiver's agent sees
// it (IN) when it got past the sender's firewall, even if its own then drops it.
// Nothing is ever sent anywhere; addresses are the model's.
import { evaluateFlow } from '../../agent/enforce/evaluate.ts';
import type { ControllerEndpoint } from '../../agent/enforce/backend.ts';
import type { SimHost } from './fleet.ts';
import type { Rand } from './rng.ts';

/** The roll-out's package mirror: outside the fleet's 10.200.0.0/16, so no host of it. */
export const MIRROR_ADDRESS = '10.210.0.10';
export const MIRROR_PORT = 443;

export interface NetContext {
  byAddress: ReadonlyMap<string, SimHost>;
  controller: ControllerEndpoint;
}

/** ok: made; out: dropped by the sender's firewall; in: dropped by the receiver's. */
export type Verdict = 'ok' | 'out' | 'in';

const ephemeral = (h: SimHost) => 40000 + (h.index % 20000);

/**
 * Would a new connection from `from` to toIp:port get out? With `record`, the
 * connection is made: it goes through (and counts in) the host's throttle
 * tracker, once per connection in time order; without, it is judged alone.
 */
export function outPasses(ctx: NetContext, from: SimHost, toIp: string, port: number, now: number, record = false): boolean {
  const state = from.agent?.enforcer.state();
  if (!state) return true;
  return evaluateFlow(state, ctx.controller, { direction: 'out', protocol: 'tcp', localPort: ephemeral(from), remoteAddress: toIp, remotePort: port }, now,
    record ? from.throttle : undefined).pass;
}

export function inPasses(ctx: NetContext, to: SimHost, fromIp: string, fromIndex: number, port: number, now: number): boolean {
  const state = to.agent?.enforcer.state();
  if (!state) return true;
  return evaluateFlow(state, ctx.controller, { direction: 'in', protocol: 'tcp', localPort: port, remoteAddress: fromIp, remotePort: 40000 + (fromIndex % 20000) }, now).pass;
}

export interface ConnectOptions {
  /** count it in the sender's connection metrics (a worm's or a scan's connections; routine traffic is in the profile) */
  metrics?: boolean;
  /** connections made to this destination in the attempt (an SMTP session per message) */
  attempts?: number;
  /** the destination refuses or never answers even when nothing drops it (closed port) */
  refused?: boolean;
}

/**
 * One connection attempt from a fleet host to toIp:port at `now` (true time).
 * Records the contacts on both ends' samplers and returns the verdict.
 */
export function connect(ctx: NetContext, from: SimHost, toIp: string, port: number, now: number, o: ConnectOptions = {}): Verdict {
  const out = outPasses(ctx, from, toIp, port, now, true);
  const to = ctx.byAddress.get(toIp);
  let verdict: Verdict = out ? 'ok' : 'out';
  if (out && to) {
    to.sampler.inbound(from.ip, port, now);
    if (!inPasses(ctx, to, from.ip, from.index, port, now)) verdict = 'in';
  }
  from.sampler.outbound(toIp, port, now, o.metrics ? { attempts: o.attempts ?? 1, failed: verdict !== 'ok' || o.refused === true } : undefined);
  return verdict;
}

/** A private address outside the fleet's /16 (what a scanner of 10/8 mostly hits: nobody). */
export function privateNonFleet(r: Rand): string {
  let second = Math.floor(r() * 256);
  if (second === 200 || second === 210) second = 201;
  return `10.${second}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
}
