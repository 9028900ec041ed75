// The one answer to "would this flow pass?" for an enforcement state. The
// backends render the same state to kernel rules; test/netns proves the kernel
// agrees with this function on real traffic, and the simulator uses it as is.
//
// The model is per packet, like the rules: a flow passes when its first packet
// AND the reply pass. Rules are stateless (no "established, accept"), so the
// reply is checked on its own, exactly as the kernel does.
//
// Semantics (the renderers implement the same, see nft-render.ts):
// - A port block drops packets whose destination port is in its ports, with
//   its protocol, whose remote address is in its scope (no scope = anywhere).
//   OUT blocks act on output, IN blocks on input, BOTH on both. In forward
//   (containers, routed traffic) OUT blocks match the destination address,
//   IN blocks the source address. Expired blocks are ignored.
// - Blocks come first: a block drops even what isolation would let through
//   (hence the refusal to block the controller's port unless forced).
// - Isolation drops every tcp/udp packet except: loopback; to/from the
//   controller's addresses on its tcp port; to/from the DNS resolvers on
//   port 53 (udp and tcp); the allowlist. An allow entry matches the remote
//   address, its protocol (unspecified = both) and its port range on EITHER
//   end of the packet (so "10.0.0.9 tcp 22" admits ssh in from it and ssh out
//   to it). In forward, only the allowlist passes, matching either address.
// - The throttle (state.throttle, unexpired, host not isolated) acts on the
//   first packet of a NEW outbound tcp/udp connection only (output chain, ct
//   state new), after the blocks: exempt are loopback, the controller's
//   addresses on its tcp port, DNS (udp/tcp 53) to the resolvers, and what the
//   allowlist admits; a destination in the host's working set passes; another
//   needs a token (ThrottleTracker, throttle.ts). Inbound connections, replies
//   and forwarded traffic are never throttled. Under isolation the throttle has
//   nothing left to do (everything isolation lets out is exempt), so it is not
//   rendered and not evaluated there.
import { cidrContains, isInternetAddress, parseCidr } from '../../proto/cidr.ts';
import type { PortBlock__Output, PortRange__Output } from '../../proto/wire.ts';
import type { ControllerEndpoint, EnforcementState } from './backend.ts';
import type { ThrottleTracker } from './throttle.ts';

export interface Flow {
  /** in: the remote opens a connection to us; out: we open one; forward: routed through us */
  direction: 'in' | 'out' | 'forward';
  protocol: 'tcp' | 'udp';
  /** our port (for out/forward: the source port of the opener) */
  localPort: number;
  /** the other end (for forward: the destination the opener talks to) */
  remoteAddress: string;
  remotePort: number;
  /** 'lo' for loopback traffic; anything else (or absent) is a real interface */
  iface?: string;
  /** forward only: the opener's address (a container); absent = matches no scoped rule */
  localAddress?: string;
}

export interface FlowVerdict {
  pass: boolean;
  /** which rule decided, for logs and test failure messages */
  reason: string;
}

type Chain = 'input' | 'output' | 'forward';

interface Packet {
  chain: Chain;
  protocol: 'tcp' | 'udp';
  saddr: string | undefined;
  daddr: string | undefined;
  sport: number;
  dport: number;
  loopback: boolean;
}

const inRange = (p: number, r: PortRange__Output): boolean => p >= r.from && p <= (r.to === 0 ? r.from : r.to);
const inCidr = (cidr: string, addr: string | undefined): boolean => addr !== undefined && cidrContains(parseCidr(cidr), addr);
const sameAddr = (a: string, b: string | undefined): boolean => b !== undefined && inCidr(a, b);

/** Does the address fall in the block's remote scope? (No scope = anywhere.) */
function inScope(b: PortBlock__Output, addr: string | undefined): boolean {
  if (b.remoteCidrs.length === 0 && !b.remoteInternet) return true;
  if (addr === undefined) return false;
  return b.remoteCidrs.some((c) => inCidr(c, addr)) || (b.remoteInternet && isInternetAddress(addr));
}

function blockDrops(b: PortBlock__Output, p: Packet): boolean {
  if (b.protocol.toLowerCase() !== p.protocol) return false;
  if (!b.ports.some((r) => inRange(p.dport, r))) return false;
  const out = b.direction === 'OUT' || b.direction === 'BOTH';
  const inn = b.direction === 'IN' || b.direction === 'BOTH';
  if (p.chain === 'output') return out && inScope(b, p.daddr);
  if (p.chain === 'input') return inn && inScope(b, p.saddr);
  return (out && inScope(b, p.daddr)) || (inn && inScope(b, p.saddr));
}

/** The throttle in force at `nowMs`, if any: present, unexpired, and the host not isolated. */
export function activeThrottle(state: EnforcementState, nowMs: number): EnforcementState['throttle'] {
  const t = state.throttle;
  if (!t || state.isolated) return null;
  const exp = Number(t.expiresAtMs ?? 0);
  return exp === 0 || exp > nowMs ? t : null;
}

function isolationAccepts(state: EnforcementState, controller: ControllerEndpoint, p: Packet): string | undefined {
  if (p.loopback && p.chain !== 'forward') return 'loopback';
  if (p.chain !== 'forward') {
    const [remote, remotePort] = p.chain === 'input' ? [p.saddr, p.sport] : [p.daddr, p.dport];
    if (p.protocol === 'tcp' && controller.targets.some((t) => t.port === remotePort && sameAddr(t.address, remote))) {
      return 'controller';
    }
    if (remotePort === 53 && controller.dnsServers.some((a) => sameAddr(a, remote))) return 'dns';
  }
  const remotes = p.chain === 'input' ? [p.saddr] : p.chain === 'output' ? [p.daddr] : [p.saddr, p.daddr];
  for (const e of state.allowlist) {
    if (e.protocol !== 'PROTOCOL_UNSPECIFIED' && e.protocol.toLowerCase() !== p.protocol) continue;
    if (e.ports && !inRange(p.sport, e.ports) && !inRange(p.dport, e.ports)) continue;
    if (remotes.some((a) => inCidr(e.cidr, a))) return `allowlist ${e.cidr}`;
  }
  return undefined;
}

/** The packets a flow needs to pass: the opener's first packet and the reply (loopback ones cross output then input). */
function packetsOf(flow: Flow): Packet[] {
  const lo = flow.iface === 'lo' && flow.direction !== 'forward';
  const base = { protocol: flow.protocol, loopback: lo };
  const request = { sport: flow.localPort, dport: flow.remotePort, daddr: flow.remoteAddress, saddr: flow.localAddress };
  const reply = { sport: flow.remotePort, dport: flow.localPort, saddr: flow.remoteAddress, daddr: flow.localAddress };
  if (flow.direction === 'forward') {
    return [{ ...base, chain: 'forward', ...request }, { ...base, chain: 'forward', ...reply }];
  }
  if (lo) {
    // On loopback both ends are local: every packet leaves through output and
    // comes back through input, with the same address on both sides.
    const a = flow.remoteAddress;
    const pk = (chain: Chain, sport: number, dport: number): Packet => ({ ...base, chain, sport, dport, saddr: a, daddr: a });
    const [opener, answer] = flow.direction === 'out'
      ? [[flow.localPort, flow.remotePort], [flow.remotePort, flow.localPort]] as const
      : [[flow.remotePort, flow.localPort], [flow.localPort, flow.remotePort]] as const;
    return [pk('output', ...opener), pk('input', ...opener), pk('output', ...answer), pk('input', ...answer)];
  }
  if (flow.direction === 'out') {
    return [
      { ...base, chain: 'output', sport: flow.localPort, dport: flow.remotePort, daddr: flow.remoteAddress, saddr: undefined },
      { ...base, chain: 'input', sport: flow.remotePort, dport: flow.localPort, saddr: flow.remoteAddress, daddr: undefined },
    ];
  }
  return [
    { ...base, chain: 'input', sport: flow.remotePort, dport: flow.localPort, saddr: flow.remoteAddress, daddr: undefined },
    { ...base, chain: 'output', sport: flow.localPort, dport: flow.remotePort, daddr: flow.remoteAddress, saddr: undefined },
  ];
}

/**
 * Would this flow pass under the state? `nowMs` decides which blocks (and
 * which throttle) have expired (injected, so callers and tests control time).
 *
 * The throttle is stateful (a rate, a working set), so the answer for a new
 * outbound connection depends on the host's history: pass the host's
 * ThrottleTracker and the call both decides and records the connection (call
 * it once per connection, in time order). Without a tracker the flow is judged
 * alone, as the first connection on a fresh ruleset: it passes the throttle
 * (the bucket starts full), which is what the existing callers (the enforcer's
 * own checks, the simulator, tests without a throttle) need.
 */
export function evaluateFlow(
  state: EnforcementState,
  controller: ControllerEndpoint,
  flow: Flow,
  nowMs: number,
  throttle?: ThrottleTracker,
): FlowVerdict {
  const blocks = state.blocks.filter((b) => b.expiresAtMs === 0 || b.expiresAtMs > nowMs);
  const throttleParams = activeThrottle(state, nowMs);
  const reasons: string[] = [];
  for (const [i, p] of packetsOf(flow).entries()) {
    const what = i === 0 ? 'request' : 'packet';
    const block = blocks.find((b) => blockDrops(b, p));
    if (block) return { pass: false, reason: `block ${block.id} drops ${p.chain} ${p.protocol} dport ${p.dport}` };
    if (throttleParams && i === 0 && flow.direction === 'out' && p.chain === 'output') {
      // exemptions are isolation's exceptions, so the two can never disagree about the controller
      const exempt = isolationAccepts(state, controller, p);
      if (exempt) reasons.push(`throttle exempt: ${exempt}`);
      else if (throttle) {
        const d = throttle.admit(throttleParams, p.daddr!, nowMs);
        if (!d.pass) return { pass: false, reason: d.reason };
        reasons.push(d.reason);
      } else reasons.push('throttle: judged alone (no tracker), the bucket is full');
    }
    if (state.isolated) {
      const why = isolationAccepts(state, controller, p);
      if (!why) return { pass: false, reason: `isolation drops ${p.chain} ${what} ${p.protocol} ${p.sport}->${p.dport}` };
      reasons.push(why);
    }
  }
  if (reasons.length === 0) return { pass: true, reason: 'no rule matches' };
  return { pass: true, reason: `${state.isolated ? 'isolated, allowed' : 'allowed'}: ${[...new Set(reasons)].join(', ')}` };
}
