// Dry-run backend: applies nothing to the kernel, records what it would apply.
// Chosen when the agent is not root or finds no firewall tool; the agent says
// so in its Hello so operators see it.
import { createHash } from 'node:crypto';
import type { ApplyResult, ControllerEndpoint, EnforcementState, FirewallBackend } from './backend.ts';
import { renderNftScript } from './nft-render.ts';

export class DryRunBackend implements FirewallBackend {
  readonly kind = 'DRY_RUN' as const;
  /** every ruleset this backend was asked to apply, newest last */
  readonly history: string[][] = [];
  private hash: string | undefined;

  async apply(state: EnforcementState, controller: ControllerEndpoint): Promise<ApplyResult> {
    const rules = renderNftScript(state, controller);
    this.history.push(rules);
    this.hash = createHash('sha256').update(rules.join('\n')).digest('hex');
    return { rules, rulesetHash: this.hash };
  }

  async currentHash(): Promise<string | undefined> {
    return this.hash;
  }

  async clear(): Promise<void> {
    this.hash = undefined;
  }
}
