// Driver run INSIDE a namespace (ip netns exec NS node --import tsx apply-state.ts ...):
// applies an enforcement state with the real NftablesBackend of that namespace,
// as the agent would, and prints the result as JSON.
//   apply '<json {state, controller}>'   -> {"rulesetHash": "...", "rules": n}
//   hash                                 -> {"rulesetHash": "..." | null}
//   clear                                -> {"cleared": true}
// FIREBREAK_BACKEND=iptables selects the iptables fallback instead of nftables.
import { IptablesBackend } from '../../agent/enforce/iptables.ts';
import { NftablesBackend } from '../../agent/enforce/nftables.ts';
import type { ControllerEndpoint, EnforcementState } from '../../agent/enforce/backend.ts';

const backend = process.env.FIREBREAK_BACKEND === 'iptables' ? new IptablesBackend() : new NftablesBackend();
const [mode, arg] = process.argv.slice(2);
try {
  if (mode === 'apply') {
    const { state, controller } = JSON.parse(arg ?? '{}') as { state: EnforcementState; controller: ControllerEndpoint };
    const r = await backend.apply(state, controller);
    process.stdout.write(JSON.stringify({ rulesetHash: r.rulesetHash, rules: r.rules.length }) + '\n');
  } else if (mode === 'hash') {
    process.stdout.write(JSON.stringify({ rulesetHash: (await backend.currentHash()) ?? null }) + '\n');
  } else if (mode === 'clear') {
    await backend.clear();
    process.stdout.write(JSON.stringify({ cleared: true }) + '\n');
  } else {
    process.stderr.write("usage: apply-state.ts apply '<json {state, controller}>' | hash | clear\n");
    process.exit(2);
  }
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
