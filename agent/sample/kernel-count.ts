// Kernel counting of new outbound connections. A /proc/net/tcp snapshot every
// few seconds misses a connection attempt that lives a millisecond (a scan of
// closed ports, a mail worm's short SMTP sessions). Where the agent is root
// with nftables, a table of Firebreak's own (`inet firebreak_count`, separate
// from the enforcement table, accept-only) lets the kernel remember every
// outbound SYN's destination address and port in a dynamic set whose elements
// expire after one interval; reading the set once per interval gives the
// distinct destinations of that interval, however short-lived. Those
// destinations are also the detectors' evidence and their source of new
// remote ports, so the sampler's fast poll of the socket tables (which only
// hunts for such short connections) is left off in this mode.
import type { Endpoint__Output } from '../../proto/wire.ts';
import type { SampleContext } from './proc-sampler.ts';
import type { Sample, Sampler } from './sampler.ts';
import { runTool } from '../enforce/run.ts';

export const COUNT_TABLE = 'inet firebreak_count';

export function renderCountTable(windowS: number): string {
  const set = (name: string, type: string) =>
    `  set ${name} { type ${type} . inet_service; flags dynamic, timeout; timeout ${windowS}s; size 65536; }`;
  return [
    `table ${COUNT_TABLE}`,
    `delete table ${COUNT_TABLE}`,
    `table ${COUNT_TABLE} {`,
    set('out4', 'ipv4_addr'),
    set('out6', 'ipv6_addr'),
    '  chain output {',
    // counts only: no verdict but accept, so enforcement (its own table) decides alone
    '    type filter hook output priority filter - 20; policy accept;',
    '    meta nfproto ipv4 tcp flags & (syn | ack) == syn update @out4 { ip daddr . tcp dport }',
    '    meta nfproto ipv6 tcp flags & (syn | ack) == syn update @out6 { ip6 daddr . tcp dport }',
    '  }',
    '}',
  ].join('\n') + '\n';
}

export interface KernelCounts {
  /** distinct (address, port) destinations of outbound SYNs in the window */
  destinations: number;
  distinctAddrs: number;
  /** destinations per remote port, most first */
  perPort: { port: number; count: number }[];
  /** a bounded sample of the destinations (MAX_ENDPOINTS), for evidence */
  endpoints: Endpoint__Output[];
}

/** Destinations kept as endpoints per read (the counts cover them all). */
export const MAX_ENDPOINTS = 256;

/** Parses `nft -j list table inet firebreak_count`. */
export function parseCountTable(json: string): KernelCounts {
  const doc = JSON.parse(json) as { nftables?: Record<string, unknown>[] };
  const addrs = new Set<string>();
  const ports = new Map<number, number>();
  const endpoints: Endpoint__Output[] = [];
  let destinations = 0;
  for (const item of doc.nftables ?? []) {
    const set = item.set as { name?: string; elem?: unknown[] } | undefined;
    if (!set || !set.elem) continue;
    for (const el of set.elem) {
      // an element is {"elem": {"val": {"concat": [addr, port]}, "expires": n}} or a bare {"concat": [...]}
      const e = el as { elem?: { val?: { concat?: unknown[] } }; concat?: unknown[] };
      const concat = e.elem?.val?.concat ?? e.concat;
      if (!Array.isArray(concat) || concat.length !== 2) continue;
      destinations++;
      addrs.add(String(concat[0]));
      const port = Number(concat[1]);
      ports.set(port, (ports.get(port) ?? 0) + 1);
      if (endpoints.length < MAX_ENDPOINTS) endpoints.push({ address: String(concat[0]), port, protocol: 'tcp', state: 'SYN_SENT' });
    }
  }
  const perPort = [...ports].map(([port, count]) => ({ port, count })).sort((a, b) => b.count - a.count || a.port - b.port);
  return { destinations, distinctAddrs: addrs.size, perPort, endpoints };
}

export class KernelConnCounter {
  constructor(private readonly windowS: number, private readonly nft = 'nft') {}

  async install(): Promise<void> {
    const r = await runTool(this.nft, ['-f', '-'], { input: renderCountTable(this.windowS), timeoutMs: 5000 });
    if (r.code !== 0) throw new Error(`cannot install the kernel connection counter: ${r.stderr.trim()}`);
  }

  async read(): Promise<KernelCounts> {
    const r = await runTool(this.nft, ['-j', 'list', 'table', ...COUNT_TABLE.split(' ')], { timeoutMs: 5000 });
    if (r.code !== 0) throw new Error(`cannot read the kernel connection counter: ${r.stderr.trim()}`);
    return parseCountTable(r.stdout);
  }

  async remove(): Promise<void> {
    await runTool(this.nft, ['delete', 'table', ...COUNT_TABLE.split(' ')], { timeoutMs: 5000 });
  }
}

/**
 * Wraps a sampler: each sample's fan-out figures become at least what the
 * kernel counted, so a burst between two table reads is still seen, and the
 * sample's context (the detectors' new remote ports and evidence) gains the
 * destinations the kernel saw.
 */
export class KernelCountingSampler implements Sampler {
  constructor(
    private readonly inner: Sampler & { context(): SampleContext },
    private readonly counter: KernelConnCounter,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Reads of the kernel's set (an nft run each): for the benchmark. */
  reads = 0;
  private last: KernelCounts | undefined;

  /** The inner sampler's context of the last sample, with the kernel's destinations merged in. */
  context(): SampleContext {
    const ctx = this.inner.context();
    const k = this.last;
    if (!k) return ctx;
    const seen = new Set(ctx.remotes.map((e) => `${e.address}|${e.port}`));
    const remotes = [...ctx.remotes, ...k.endpoints.filter((e) => !seen.has(`${e.address}|${e.port}`))];
    const newRemotePorts = new Map(ctx.newRemotePorts);
    for (const p of k.perPort) newRemotePorts.set(p.port, Math.max(newRemotePorts.get(p.port) ?? 0, p.count));
    return { ...ctx, remotes, newRemotePorts };
  }

  async sample(): Promise<Sample> {
    this.last = undefined;
    const s = await this.inner.sample();
    // No outbound attempt since the last sample (the kernel's ActiveOpens stood
    // still): the set gained nothing, and reading it (an nft run, ~3.5 ms of CPU) is skipped.
    if (s.intervalS > 0 && s.newOutboundAttempts === 0) return s;
    this.reads++;
    let k: KernelCounts;
    try {
      k = await this.counter.read();
    } catch (err) {
      this.onError(err as Error);
      return s;
    }
    this.last = k;
    s.distinctRemoteAddrs = Math.max(s.distinctRemoteAddrs, k.distinctAddrs);
    s.distinctRemotePorts = Math.max(s.distinctRemotePorts, k.perPort.length);
    const merged = new Map(s.remotePortCounts.filter((p) => p.protocol === 'tcp').map((p) => [p.port, p.count]));
    for (const p of k.perPort) merged.set(p.port, Math.max(merged.get(p.port) ?? 0, p.count));
    s.remotePortCounts = [
      ...s.remotePortCounts.filter((p) => p.protocol !== 'tcp'),
      ...[...merged].map(([port, count]) => ({ protocol: 'tcp', port, count })),
    ].sort((a, b) => b.count - a.count).slice(0, 64);
    return s;
  }

  close(): void {
    this.inner.close?.();
    void this.counter.remove();
  }
}
