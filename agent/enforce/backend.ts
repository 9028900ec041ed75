// A firewall backend renders the agent's enforcement state into kernel rules.
// Every apply replaces Firebreak's rules as a whole, atomically.
import type { Backend__Output, EnforcementState__Output } from '../../proto/wire.ts';

export type EnforcementState = EnforcementState__Output;

/**
 * Where the controllers are, so isolation never cuts the agent's link to any of
 * them (an isolated host must still be able to fail over to another controller).
 */
export interface ControllerEndpoint {
  /** every controller's resolved addresses (IPv4 and/or IPv6), each with its agent port */
  targets: ControllerTarget[];
  /** resolvers to keep open when a controller is named by host name */
  dnsServers: string[];
}

export interface ControllerTarget {
  address: string;
  port: number;
}

/** An endpoint of one port for every address (one controller, or several on the same port). */
export function endpointOf(addresses: readonly string[], port: number, dnsServers: string[] = []): ControllerEndpoint {
  return { targets: addresses.map((address) => ({ address, port })), dnsServers };
}

/** The targets grouped by port, ports in first-seen order: what the renderers write one rule set for. */
export function targetsByPort(controller: ControllerEndpoint): Map<number, string[]> {
  const m = new Map<number, string[]>();
  for (const t of controller.targets) {
    const list = m.get(t.port) ?? [];
    if (!list.includes(t.address)) list.push(t.address);
    m.set(t.port, list);
  }
  return m;
}

export interface ApplyResult {
  /** the rules as the backend rendered them (nft script lines, or what dry-run would apply) */
  rules: string[];
  /** hash of the applied ruleset; compared on every heartbeat to notice drift */
  rulesetHash: string;
}

export interface FirewallBackend {
  readonly kind: Backend__Output;
  apply(state: EnforcementState, controller: ControllerEndpoint): Promise<ApplyResult>;
  /** Hash of what is in the kernel now, or undefined when nothing of ours is there. */
  currentHash(): Promise<string | undefined>;
  /** Remove every Firebreak rule and nothing else. */
  clear(): Promise<void>;
}
