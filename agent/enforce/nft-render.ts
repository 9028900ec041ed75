// Renders enforcement state as one nft script that replaces Firebreak's own
// table as a whole: `nft -f` runs the script as one transaction, so the kernel
// goes from the old ruleset to the new one with nothing in between, and
// deleting the table removes every Firebreak rule and nothing else.
//
// The rules implement the semantics written down in evaluate.ts (blocks first,
// then isolation's exceptions, then drop; stateless, no established-accept);
// test/netns proves the kernel agrees with evaluateFlow on real traffic.
//
// The throttle (when not isolated) is the one stateful part: a chain `throttle`
// jumped to by every NEW outbound tcp/udp connection after the blocks. Its
// exemptions return first (loopback, controller, DNS, allowlist); a destination
// in the dynamic set of recent destinations refreshes its timeout and returns;
// past one shared `limit` (one token bucket for both families) the packet is
// dropped; otherwise the destination joins the set. Replacing the table empties
// the sets and refills the bucket (ThrottleTracker.reset() in the evaluator).
import { NON_INTERNET_CIDRS, parseCidr } from '../../proto/cidr.ts';
import type { AllowEntry__Output, PortBlock__Output, PortRange__Output } from '../../proto/wire.ts';
import { targetsByPort, type ControllerEndpoint, type EnforcementState } from './backend.ts';
import { effectiveThrottle, NFT_WORKING_SET_SIZE } from './throttle.ts';

export const TABLE = 'inet firebreak';

// Priority filter - 10: after conntrack (-200) and DNAT (-100), so rules see the
// real endpoints (a Docker published port is already translated to the
// container's address when it reaches forward); before the usual filter chains
// at priority 0 (iptables-nft, firewalld, Docker), so our drops act first. A drop
// in any base chain is final whatever the priority; an accept here is not, which
// is fine: we only need our drops to hold.
export const HOOK_PRIORITY = 'filter - 10';

type Family = 'ip' | 'ip6';

const family = (addr: string): Family => (parseCidr(addr).family === 4 ? 'ip' : 'ip6');

/** Sorted, merged ranges: nft refuses overlapping elements in one set. */
export function mergeRanges(ranges: readonly PortRange__Output[]): PortRange__Output[] {
  const sorted = ranges.map((r) => ({ from: r.from, to: r.to === 0 ? r.from : r.to })).sort((a, b) => a.from - b.from);
  const out: PortRange__Output[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

const rangeText = (r: PortRange__Output): string => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`);
const portSet = (ranges: readonly PortRange__Output[]): string => {
  const m = mergeRanges(ranges);
  return m.length === 1 ? rangeText(m[0]!) : `{ ${m.map(rangeText).join(', ')} }`;
};

/** Canonical addresses grouped by family, without duplicates (a set refuses them). */
function byFamily(addrs: readonly string[]): Map<Family, string[]> {
  const m = new Map<Family, string[]>();
  for (const a of addrs) {
    const c = parseCidr(a);
    const text = c.text.replace(c.family === 4 ? /\/32$/ : /\/128$/, '');
    const list = m.get(family(a)) ?? [];
    if (!list.includes(text)) list.push(text);
    m.set(family(a), list);
  }
  return m;
}

const set = (items: string[]): string => (items.length === 1 ? items[0]! : `{ ${items.join(', ')} }`);

const NON_INTERNET: Record<Family, string> = {
  ip: `{ ${NON_INTERNET_CIDRS.filter((c) => c.family === 4).map((c) => c.text).join(', ')} }`,
  ip6: `{ ${NON_INTERNET_CIDRS.filter((c) => c.family === 6).map((c) => c.text).join(', ')} }`,
};

/** Address matches for a block's remote scope; [''] = anywhere (no address match). */
function scopeMatches(b: PortBlock__Output, dir: 'saddr' | 'daddr'): string[] {
  if (b.remoteCidrs.length === 0 && !b.remoteInternet) return [''];
  // One rule per CIDR rather than one set: CIDRs in a block may overlap, and a set refuses that.
  const out = b.remoteCidrs.map((c) => `${family(c)} ${dir} ${parseCidr(c).text} `);
  if (b.remoteInternet) out.push(`ip ${dir} != ${NON_INTERNET.ip} `, `ip6 ${dir} != ${NON_INTERNET.ip6} `);
  return [...new Set(out)];
}

function blockRules(b: PortBlock__Output, dir: 'saddr' | 'daddr'): string[] {
  const l4 = `${b.protocol.toLowerCase()} dport ${portSet(b.ports)}`;
  return scopeMatches(b, dir).map((addr) => `${addr}${l4} drop comment "block ${b.id}"`);
}

function allowRules(e: AllowEntry__Output, dirs: ('saddr' | 'daddr')[], verdict: 'accept' | 'return' = 'accept'): string[] {
  const fam = family(e.cidr);
  const cidr = parseCidr(e.cidr).text;
  const proto = e.protocol === 'PROTOCOL_UNSPECIFIED' ? undefined : e.protocol.toLowerCase();
  const l4: string[] = [];
  if (!e.ports) l4.push(proto ? `meta l4proto ${proto}` : '');
  else {
    const ports = rangeText({ from: e.ports.from, to: e.ports.to === 0 ? e.ports.from : e.ports.to });
    // a port on either end of the packet: the same entry admits the flow both ways
    for (const end of ['sport', 'dport']) l4.push(proto ? `${proto} ${end} ${ports}` : `meta l4proto { tcp, udp } th ${end} ${ports}`);
  }
  const out: string[] = [];
  for (const dir of dirs) for (const m of l4) out.push(`${fam} ${dir} ${cidr}${m ? ` ${m}` : ''} ${verdict} comment "allow"`);
  return out;
}

/** The dynamic sets of recent destinations (one per family) the throttle keeps. */
export const THROTTLE_SETS = { ip: 'throttle4', ip6: 'throttle6' } as const;

/** The throttle's sets and chain; empty when there is no throttle or the host is isolated (see evaluate.ts). */
export function renderThrottle(state: EnforcementState, controller: ControllerEndpoint): { sets: string[]; chain: string[] } {
  if (!state.throttle || state.isolated) return { sets: [], chain: [] };
  const t = effectiveThrottle(state.throttle);
  const sets = (['ip', 'ip6'] as const).map((fam) =>
    `  set ${THROTTLE_SETS[fam]} { type ${fam === 'ip' ? 'ipv4_addr' : 'ipv6_addr'}; size ${NFT_WORKING_SET_SIZE}; flags dynamic,timeout; timeout ${t.workingSetS}s; }`);
  const chain = ['oif "lo" return comment "loopback"'];
  for (const [port, addresses] of targetsByPort(controller)) {
    for (const [fam, addrs] of byFamily(addresses)) chain.push(`${fam} daddr ${set(addrs)} tcp dport ${port} return comment "controller"`);
  }
  for (const [fam, addrs] of byFamily(controller.dnsServers)) {
    for (const proto of ['udp', 'tcp']) chain.push(`${fam} daddr ${set(addrs)} ${proto} dport 53 return comment "dns"`);
  }
  for (const e of state.allowlist) chain.push(...allowRules(e, ['daddr'], 'return'));
  for (const fam of ['ip', 'ip6'] as const) {
    const s = THROTTLE_SETS[fam];
    chain.push(`${fam} daddr @${s} update @${s} { ${fam} daddr } return comment "working set"`);
  }
  chain.push(`limit rate over ${t.newPerSecond}/second burst ${t.burst} packets drop comment "throttled"`);
  for (const fam of ['ip', 'ip6'] as const) chain.push(`add @${THROTTLE_SETS[fam]} { ${fam} daddr } return comment "new destination"`);
  return { sets, chain };
}

export function renderNftScript(state: EnforcementState, controller: ControllerEndpoint): string[] {
  const input: string[] = [];
  const output: string[] = [];
  const forward: string[] = [];
  for (const b of state.blocks) {
    const out = b.direction === 'OUT' || b.direction === 'BOTH';
    const inn = b.direction === 'IN' || b.direction === 'BOTH';
    if (out) output.push(...blockRules(b, 'daddr'));
    if (inn) input.push(...blockRules(b, 'saddr'));
    // Routed traffic (containers): no local end, so match whichever end the scope is about.
    if (out) forward.push(...blockRules(b, 'daddr'));
    if (inn) forward.push(...blockRules(b, 'saddr'));
  }
  const throttle = renderThrottle(state, controller);
  if (throttle.chain.length) output.push('ct state new meta l4proto { tcp, udp } jump throttle comment "throttle"');
  if (state.isolated) {
    input.push('iif "lo" accept comment "loopback"');
    output.push('oif "lo" accept comment "loopback"');
    // every controller: an isolated host must still be able to fail over to another
    for (const [port, addresses] of targetsByPort(controller)) {
      for (const [fam, addrs] of byFamily(addresses)) {
        input.push(`${fam} saddr ${set(addrs)} tcp sport ${port} accept comment "controller"`);
        output.push(`${fam} daddr ${set(addrs)} tcp dport ${port} accept comment "controller"`);
      }
    }
    for (const [fam, addrs] of byFamily(controller.dnsServers)) {
      for (const proto of ['udp', 'tcp']) {
        input.push(`${fam} saddr ${set(addrs)} ${proto} sport 53 accept comment "dns"`);
        output.push(`${fam} daddr ${set(addrs)} ${proto} dport 53 accept comment "dns"`);
      }
    }
    // IPv6 needs neighbour discovery to reach anyone, the controller included
    // (IPv4's ARP is not seen by an inet table, so it needs nothing).
    const nd = 'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert, packet-too-big } accept comment "ipv6 neighbour discovery"';
    input.push(nd);
    output.push(nd);
    state.allowlist.forEach((e) => {
      input.push(...allowRules(e, ['saddr']));
      output.push(...allowRules(e, ['daddr']));
      forward.push(...allowRules(e, ['saddr', 'daddr']));
    });
    for (const chain of [input, output, forward]) chain.push('drop comment "isolated"');
  }
  const chain = (name: string, rules: string[]): string[] => [
    `  chain ${name} {`,
    `    type filter hook ${name} priority ${HOOK_PRIORITY}; policy accept;`,
    ...rules.map((r) => `    ${r}`),
    '  }',
  ];
  return [
    // Declaring the table first makes the delete succeed when it does not exist yet.
    `table ${TABLE}`,
    `delete table ${TABLE}`,
    `table ${TABLE} {`,
    ...throttle.sets,
    ...(throttle.chain.length ? ['  chain throttle {', ...throttle.chain.map((r) => `    ${r}`), '  }'] : []),
    ...chain('input', input),
    ...chain('output', output),
    ...chain('forward', forward),
    '}',
  ];
}
