// iptables/ip6tables fallback, for hosts without nft. Firebreak's rules live in
// chains of its own (FIREBREAK-IN/OUT/FWD) jumped from INPUT/OUTPUT/FORWARD;
// `iptables-restore --noflush` replaces those chains' contents in one commit
// per family and leaves every other chain alone. The two families are two
// commits (iptables has no inet table): IPv4 first, then IPv6.
//
// Same semantics as nft-render.ts and evaluate.ts. One difference in form: an
// ACCEPT in a user chain would end the whole INPUT chain (skipping the admin's
// own rules), so isolation's exceptions RETURN instead and only drops are final.
//
// The throttle (FIREBREAK-THR, jumped to by NEW outbound tcp/udp after the
// blocks) uses `-m recent --rdest` for the working set and `-m limit` for the
// bucket. What agrees with nftables and the evaluator: the exemptions, the
// working set's timeout (refreshed by each new connection), a bucket of `burst`
// refilled at `new_per_second`, drops past it. What differs, and how the
// evaluator's ThrottleTracker options model it:
// - one bucket per family (iptables and ip6tables are separate tables), not one
//   for both: a host using both families gets twice the rate (bucketPerFamily);
// - xt_recent remembers XT_RECENT_SIZE (100) destinations per family by default
//   and forgets the oldest, where nft's set holds 65,535 (maxEntries, whenFull);
// - xt_recent's tables outlive a re-apply that keeps the throttle (the kernel
//   checks the new rules before it drops the old), so the working set survives
//   one; nftables replaces its table and starts empty. Both refill the bucket.
import { createHash } from 'node:crypto';
import { NON_INTERNET_CIDRS, parseCidr } from '../../proto/cidr.ts';
import type { AllowEntry__Output, PortBlock__Output, PortRange__Output } from '../../proto/wire.ts';
import { targetsByPort, type ApplyResult, type ControllerEndpoint, type EnforcementState, type FirewallBackend } from './backend.ts';
import { mergeRanges } from './nft-render.ts';
import { effectiveThrottle } from './throttle.ts';
import { runTool } from './run.ts';

export const CHAINS = { input: 'FIREBREAK-IN', output: 'FIREBREAK-OUT', forward: 'FIREBREAK-FWD' } as const;
const INET_SRC = 'FIREBREAK-INET-SRC';
const INET_DST = 'FIREBREAK-INET-DST';
const THROTTLE = 'FIREBREAK-THR';
/** xt_recent table names, one per family (as nft has one set per family). */
export const RECENT_TABLES = { 4: 'fb-throttle4', 6: 'fb-throttle6' } as const;
const JUMPS = [['INPUT', CHAINS.input], ['OUTPUT', CHAINS.output], ['FORWARD', CHAINS.forward]] as const;

type Fam = 4 | 6;

const famOf = (a: string): Fam => parseCidr(a).family;
const rangeText = (r: PortRange__Output): string => (r.from === r.to ? `${r.from}` : `${r.from}:${r.to}`);

/** multiport takes at most 15 ports, a range counting as two. */
function portGroups(ranges: readonly PortRange__Output[]): string[] {
  const groups: string[][] = [];
  let cur: string[] = [];
  let weight = 0;
  for (const r of mergeRanges(ranges)) {
    const w = r.from === r.to ? 1 : 2;
    if (weight + w > 15) {
      groups.push(cur);
      cur = [];
      weight = 0;
    }
    cur.push(rangeText(r));
    weight += w;
  }
  if (cur.length) groups.push(cur);
  return groups.map((g) => g.join(','));
}

function blockRules(b: PortBlock__Output, chain: string, dir: '-s' | '-d', fam: Fam): string[] {
  const proto = b.protocol.toLowerCase();
  const comment = `-m comment --comment "block ${b.id}"`;
  const scoped = b.remoteCidrs.length > 0 || b.remoteInternet;
  const out: string[] = [];
  for (const ports of portGroups(b.ports)) {
    const l4 = `-p ${proto} -m multiport --dports ${ports}`;
    if (!scoped) out.push(`-A ${chain} ${l4} ${comment} -j DROP`);
    for (const c of b.remoteCidrs) if (famOf(c) === fam) out.push(`-A ${chain} ${dir} ${parseCidr(c).text} ${l4} ${comment} -j DROP`);
    // "internet": a helper chain returns for the non-internet ranges and drops the rest
    if (b.remoteInternet) out.push(`-A ${chain} ${l4} ${comment} -j ${dir === '-s' ? INET_SRC : INET_DST}`);
  }
  return out;
}

function allowRules(e: AllowEntry__Output, chain: string, dir: '-s' | '-d', fam: Fam): string[] {
  if (famOf(e.cidr) !== fam) return [];
  const cidr = parseCidr(e.cidr).text;
  const protos = e.protocol === 'PROTOCOL_UNSPECIFIED' ? (e.ports ? ['tcp', 'udp'] : ['']) : [e.protocol.toLowerCase()];
  const out: string[] = [];
  for (const p of protos) {
    if (!e.ports) out.push(`-A ${chain} ${dir} ${cidr}${p ? ` -p ${p}` : ''} -m comment --comment "allow" -j RETURN`);
    else {
      const ports = rangeText({ from: e.ports.from, to: e.ports.to === 0 ? e.ports.from : e.ports.to });
      for (const end of ['--sport', '--dport']) out.push(`-A ${chain} ${dir} ${cidr} -p ${p} ${end} ${ports} -m comment --comment "allow" -j RETURN`);
    }
  }
  return out;
}

/** FIREBREAK-THR's rules for one family; empty without a throttle or under isolation (see evaluate.ts). */
function throttleRules(state: EnforcementState, controller: ControllerEndpoint, fam: Fam): string[] {
  if (!state.throttle || state.isolated) return [];
  const t = effectiveThrottle(state.throttle);
  const recent = `-m recent --name ${RECENT_TABLES[fam]} --rdest`;
  const lines = [`-A ${THROTTLE} -o lo -m comment --comment "loopback" -j RETURN`];
  for (const [port, addresses] of targetsByPort(controller)) {
    for (const a of new Set(addresses.filter((x) => famOf(x) === fam).map((x) => parseCidr(x).text))) {
      lines.push(`-A ${THROTTLE} -d ${a} -p tcp --dport ${port} -m comment --comment "controller" -j RETURN`);
    }
  }
  for (const a of new Set(controller.dnsServers.filter((x) => famOf(x) === fam).map((x) => parseCidr(x).text))) {
    for (const p of ['udp', 'tcp']) lines.push(`-A ${THROTTLE} -d ${a} -p ${p} --dport 53 -m comment --comment "dns" -j RETURN`);
  }
  for (const e of state.allowlist) lines.push(...allowRules(e, THROTTLE, '-d', fam));
  lines.push(
    `-A ${THROTTLE} ${recent} --update --seconds ${t.workingSetS} -m comment --comment "working set" -j RETURN`,
    `-A ${THROTTLE} -m limit --limit ${t.newPerSecond}/sec --limit-burst ${t.burst} ${recent} --set -m comment --comment "new destination" -j RETURN`,
    `-A ${THROTTLE} -m comment --comment "throttled" -j DROP`,
  );
  for (const p of ['tcp', 'udp']) lines.push(`-A ${CHAINS.output} -p ${p} -m conntrack --ctstate NEW -m comment --comment "throttle" -j ${THROTTLE}`);
  return lines;
}

/** The iptables-restore input for one family (run with --noflush). */
export function renderIptables(state: EnforcementState, controller: ControllerEndpoint, fam: Fam): string[] {
  const chains = [CHAINS.input, CHAINS.output, CHAINS.forward, INET_SRC, INET_DST, THROTTLE];
  const lines = ['*filter', ...chains.map((c) => `:${c} - [0:0]`)];
  for (const [chain, dir] of [[INET_SRC, '-s'], [INET_DST, '-d']] as const) {
    for (const c of NON_INTERNET_CIDRS) if (c.family === fam) lines.push(`-A ${chain} ${dir} ${c.text} -j RETURN`);
    lines.push(`-A ${chain} -j DROP`);
  }
  for (const b of state.blocks) {
    const out = b.direction === 'OUT' || b.direction === 'BOTH';
    const inn = b.direction === 'IN' || b.direction === 'BOTH';
    if (inn) lines.push(...blockRules(b, CHAINS.input, '-s', fam));
    if (out) lines.push(...blockRules(b, CHAINS.output, '-d', fam));
    if (out) lines.push(...blockRules(b, CHAINS.forward, '-d', fam));
    if (inn) lines.push(...blockRules(b, CHAINS.forward, '-s', fam));
  }
  lines.push(...throttleRules(state, controller, fam));
  if (state.isolated) {
    const icmp = fam === 6 ? 'ipv6-icmp' : 'icmp';
    lines.push(`-A ${CHAINS.input} -i lo -j RETURN`, `-A ${CHAINS.output} -o lo -j RETURN`);
    // every controller: an isolated host must still be able to fail over to another
    for (const [port, addresses] of targetsByPort(controller)) {
      for (const a of new Set(addresses.filter((x) => famOf(x) === fam).map((x) => parseCidr(x).text))) {
        lines.push(`-A ${CHAINS.input} -s ${a} -p tcp --sport ${port} -m comment --comment "controller" -j RETURN`);
        lines.push(`-A ${CHAINS.output} -d ${a} -p tcp --dport ${port} -m comment --comment "controller" -j RETURN`);
      }
    }
    const dns = [...new Set(controller.dnsServers.filter((a) => famOf(a) === fam).map((a) => parseCidr(a).text))];
    for (const a of dns) {
      for (const p of ['udp', 'tcp']) {
        lines.push(`-A ${CHAINS.input} -s ${a} -p ${p} --sport 53 -m comment --comment "dns" -j RETURN`);
        lines.push(`-A ${CHAINS.output} -d ${a} -p ${p} --dport 53 -m comment --comment "dns" -j RETURN`);
      }
    }
    if (fam === 6) {
      for (const t of ['neighbour-solicitation', 'neighbour-advertisement', 'router-solicitation', 'router-advertisement', 'packet-too-big']) {
        lines.push(`-A ${CHAINS.input} -p ${icmp} --icmpv6-type ${t} -j RETURN`, `-A ${CHAINS.output} -p ${icmp} --icmpv6-type ${t} -j RETURN`);
      }
    }
    for (const e of state.allowlist) {
      lines.push(...allowRules(e, CHAINS.input, '-s', fam), ...allowRules(e, CHAINS.output, '-d', fam));
      lines.push(...allowRules(e, CHAINS.forward, '-s', fam), ...allowRules(e, CHAINS.forward, '-d', fam));
    }
    for (const c of [CHAINS.input, CHAINS.output, CHAINS.forward]) lines.push(`-A ${c} -m comment --comment "isolated" -j DROP`);
  }
  lines.push('COMMIT');
  return lines;
}

export interface IptablesOptions {
  /** prefix for the binaries, e.g. '/usr/sbin/' */
  binDir?: string;
  timeoutMs?: number;
}

export class IptablesBackend implements FirewallBackend {
  readonly kind = 'IPTABLES' as const;
  private readonly bin: string;
  private readonly timeoutMs: number;

  constructor(opts: IptablesOptions = {}) {
    this.bin = opts.binDir ?? '';
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  private tool(fam: Fam, suffix = ''): string {
    return `${this.bin}${fam === 4 ? 'iptables' : 'ip6tables'}${suffix}`;
  }

  private async must(cmd: string, args: string[], input?: string): Promise<string> {
    const res = await runTool(cmd, args, { input, timeoutMs: this.timeoutMs });
    if (res.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${res.code}): ${res.stderr.trim()}`);
    return res.stdout;
  }

  async apply(state: EnforcementState, controller: ControllerEndpoint): Promise<ApplyResult> {
    const rules: string[] = [];
    for (const fam of [4, 6] as const) {
      const script = renderIptables(state, controller, fam);
      await this.must(this.tool(fam, '-restore'), ['--noflush'], script.join('\n') + '\n');
      // Jump once from each built-in chain, first, so our drops come before the admin's accepts.
      for (const [builtin, ours] of JUMPS) {
        const check = await runTool(this.tool(fam), ['-w', '-C', builtin, '-j', ours], { timeoutMs: this.timeoutMs });
        if (check.code !== 0) await this.must(this.tool(fam), ['-w', '-I', builtin, '1', '-j', ours]);
      }
      rules.push(`# ${this.tool(fam, '-restore')} --noflush`, ...script);
    }
    const rulesetHash = await this.currentHash();
    if (!rulesetHash) throw new Error('iptables applied the Firebreak chains but they are not there');
    return { rules, rulesetHash };
  }

  async currentHash(): Promise<string | undefined> {
    const ours: string[] = [];
    for (const fam of [4, 6] as const) {
      const saved = await this.must(this.tool(fam, '-save'), ['-t', 'filter']);
      for (const line of saved.split('\n')) {
        // counters change with traffic, not with the rules
        if (line.includes('FIREBREAK')) ours.push(`${fam} ${line.replace(/\[\d+:\d+\]/g, '')}`);
      }
    }
    if (!ours.some((l) => l.includes(`:${CHAINS.input}`))) return undefined;
    return createHash('sha256').update(ours.join('\n')).digest('hex');
  }

  async clear(): Promise<void> {
    for (const fam of [4, 6] as const) {
      for (const [builtin, ours] of JUMPS) {
        // bounded: a jump inserted twice by hand is removed too
        for (let i = 0; i < 8; i++) {
          const res = await runTool(this.tool(fam), ['-w', '-D', builtin, '-j', ours], { timeoutMs: this.timeoutMs });
          if (res.code !== 0) break;
        }
      }
      for (const c of [...Object.values(CHAINS), INET_SRC, INET_DST, THROTTLE]) {
        await runTool(this.tool(fam), ['-w', '-F', c], { timeoutMs: this.timeoutMs });
      }
      for (const c of [...Object.values(CHAINS), INET_SRC, INET_DST, THROTTLE]) {
        await runTool(this.tool(fam), ['-w', '-X', c], { timeoutMs: this.timeoutMs });
      }
    }
  }
}
