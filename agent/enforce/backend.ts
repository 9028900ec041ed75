// A firewall backend renders the agent's enforcement state into kernel rules.
// Every apply replaces Firebreak's rules as a whole, atomically.
import type { Backend__Output, EnforcementState__Output } from '../../proto/wire.ts';

export type EnforcementState = EnforcementState__Output;

/** Where the controller is, so isolation never cuts the agent's own link. */
export interface ControllerEndpoint {
  /** resolved addresses (IPv4 and/or IPv6) */
  addresses: string[];
  port: number;
  /** resolvers to keep open when the controller is named by host name */
  dnsServers: string[];
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
