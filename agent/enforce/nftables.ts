// nftables backend: one `inet firebreak` table, replaced as a whole by one
// `nft -f -` transaction. Removing the table removes every Firebreak rule and
// nothing else.
import { createHash } from 'node:crypto';
import type { ApplyResult, ControllerEndpoint, EnforcementState, FirewallBackend } from './backend.ts';
import { renderNftScript, TABLE } from './nft-render.ts';
import { runTool } from './run.ts';

export interface NftablesOptions {
  /** path or name of the nft binary */
  nft?: string;
  /** run nft inside this network namespace (ip netns exec): tests and benches */
  netns?: string;
  timeoutMs?: number;
}

/**
 * Keys that change without the rules changing: kernel handles, tool version,
 * counters, and the elements the throttle's dynamic sets gain from traffic.
 */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => !(v && typeof v === 'object' && 'metainfo' in v)).map(normalize);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    const dynamicSet = 'name' in value && 'type' in value && Array.isArray((value as { flags?: unknown }).flags);
    for (const [k, v] of Object.entries(value)) {
      if (k === 'handle') continue;
      if (k === 'elem' && dynamicSet) continue;
      out[k] = k === 'counter' ? {} : normalize(v);
    }
    return out;
  }
  return value;
}

export function hashNftJson(json: string): string {
  return createHash('sha256').update(JSON.stringify(normalize(JSON.parse(json)))).digest('hex');
}

export class NftablesBackend implements FirewallBackend {
  readonly kind = 'NFTABLES' as const;
  private readonly nft: string;
  private readonly netns: string | undefined;
  private readonly timeoutMs: number;

  constructor(opts: NftablesOptions = {}) {
    this.nft = opts.nft ?? 'nft';
    this.netns = opts.netns;
    this.timeoutMs = opts.timeoutMs ?? 5000;
  }

  private run(args: string[], input?: string) {
    const [cmd, argv] = this.netns ? ['ip', ['netns', 'exec', this.netns, this.nft, ...args]] : [this.nft, args];
    return runTool(cmd, argv, { input, timeoutMs: this.timeoutMs });
  }

  async apply(state: EnforcementState, controller: ControllerEndpoint): Promise<ApplyResult> {
    const rules = renderNftScript(state, controller);
    const res = await this.run(['-f', '-'], rules.join('\n') + '\n');
    if (res.code !== 0) {
      // nft -f is one transaction: on failure the kernel keeps the previous ruleset.
      throw new Error(`nft refused the Firebreak ruleset (exit ${res.code}); the previous rules stay in place: ${res.stderr.trim()}`);
    }
    const rulesetHash = await this.currentHash();
    if (!rulesetHash) throw new Error(`nft applied the ruleset but table ${TABLE} is not there: another process may be removing it`);
    return { rules, rulesetHash };
  }

  async currentHash(): Promise<string | undefined> {
    const res = await this.run(['-j', 'list', 'table', ...TABLE.split(' ')]);
    if (res.code !== 0) {
      if (/No such file or directory|does not exist/i.test(res.stderr)) return undefined;
      throw new Error(`nft could not list table ${TABLE} (exit ${res.code}): ${res.stderr.trim()}`);
    }
    return hashNftJson(res.stdout);
  }

  async clear(): Promise<void> {
    // Declaring the table first makes the delete succeed when it is already gone.
    const res = await this.run(['-f', '-'], `table ${TABLE}\ndelete table ${TABLE}\n`);
    if (res.code !== 0) throw new Error(`nft could not delete table ${TABLE} (exit ${res.code}): ${res.stderr.trim()}`);
  }
}
