// CIDR parsing and matching shared by the controller (to refuse bad input
// before anything is queued) and the agent (to refuse it again before any
// rule changes, and to evaluate flows).
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  family: 4 | 6;
  /** network address as a bigint, host bits cleared */
  network: bigint;
  prefix: number;
  /** canonical text, e.g. "10.0.0.0/8" */
  text: string;
}

export function ipToBigInt(ip: string): { family: 4 | 6; value: bigint } | undefined {
  if (isIPv4(ip)) {
    const v = ip.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
    return { family: 4, value: v };
  }
  if (isIPv6(ip)) {
    let text = ip.split('%')[0]!;
    // an embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4) {
      const n = ipToBigInt(v4[1]!)!.value;
      text = text.slice(0, -v4[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
    }
    const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    const value = groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
    return { family: 6, value };
  }
  return undefined;
}

function bigIntToIp(family: 4 | 6, v: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  // compress the longest run of zero groups, as RFC 5952 asks
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** Parses "10.0.0.0/8", "2001:db8::/32" or a bare address (a /32 or /128). Throws with the reason. */
export function parseCidr(input: string): Cidr {
  const [addr, prefixText, extra] = input.trim().split('/');
  if (extra !== undefined || !addr) throw new Error(`bad CIDR '${input}': expected ADDRESS or ADDRESS/PREFIX`);
  const ip = ipToBigInt(addr);
  if (!ip) throw new Error(`bad CIDR '${input}': '${addr}' is not an IPv4 or IPv6 address`);
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
      throw new Error(`bad CIDR '${input}': prefix must be 0-${max}`);
    }
    prefix = Number(prefixText);
  }
  const bits = BigInt(max - prefix);
  const network = (ip.value >> bits) << bits;
  return { family: ip.family, network, prefix, text: `${bigIntToIp(ip.family, network)}/${prefix}` };
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const parsed = ipToBigInt(ip);
  if (!parsed || parsed.family !== cidr.family) return false;
  const bits = BigInt((cidr.family === 4 ? 32 : 128) - cidr.prefix);
  return parsed.value >> bits === cidr.network >> bits;
}

/** Ranges that `internet` excludes: private, loopback, link-local, CGNAT, ULA, multicast. */
export const NON_INTERNET_CIDRS: readonly Cidr[] = [
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '169.254.0.0/16', '100.64.0.0/10',
  '0.0.0.0/8', '224.0.0.0/4', '::1/128', 'fe80::/10', 'fc00::/7', 'ff00::/8', '::/128',
].map(parseCidr);

export function isInternetAddress(ip: string): boolean {
  return !NON_INTERNET_CIDRS.some((c) => cidrContains(c, ip));
}
