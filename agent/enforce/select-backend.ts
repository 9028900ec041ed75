// Picks the firewall backend at agent start: nftables when root with nft,
// else iptables, else dry-run (which the agent announces in its Hello). A
// config value forces one; forcing a tool that is missing is an error rather
// than a silent dry-run, because the operator asked for real enforcement.
import type { FirewallBackend } from './backend.ts';
import { DryRunBackend } from './dry-run.ts';
import { IptablesBackend } from './iptables.ts';
import { NftablesBackend } from './nftables.ts';
import { runTool, toolWorks } from './run.ts';

export type BackendChoice = 'auto' | 'nftables' | 'iptables' | 'dry-run';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'nftables', 'iptables', 'dry-run'];

export interface SelectedBackend {
  backend: FirewallBackend;
  /** why this one, for the log and the operator */
  reason: string;
}

export interface Probes {
  isRoot(): boolean;
  /** nft is installed and can talk to the kernel's nftables */
  nftWorks(): Promise<boolean>;
  /** iptables-restore and ip6tables-restore are installed */
  iptablesWorks(): Promise<boolean>;
}

export const systemProbes: Probes = {
  isRoot: () => process.getuid?.() === 0,
  nftWorks: async () => {
    try {
      return (await runTool('nft', ['list', 'tables'], { timeoutMs: 3000 })).code === 0;
    } catch {
      return false;
    }
  },
  iptablesWorks: async () => (await toolWorks('iptables-restore')) && (await toolWorks('ip6tables-restore')),
};

export async function selectBackend(choice: BackendChoice = 'auto', probes: Probes = systemProbes): Promise<SelectedBackend> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new Error(`firewall backend '${String(choice)}' is unknown: use one of ${BACKEND_CHOICES.join(', ')}`);
  }
  if (choice === 'dry-run') return { backend: new DryRunBackend(), reason: 'dry-run forced by configuration: no rule reaches the kernel' };
  const root = probes.isRoot();
  if (choice === 'nftables') {
    if (!root) throw new Error('firewall backend nftables is configured but the agent is not root: run it as root or set backend to dry-run');
    if (!(await probes.nftWorks())) throw new Error('firewall backend nftables is configured but nft does not work here: apt-get install -y nftables');
    return { backend: new NftablesBackend(), reason: 'nftables forced by configuration' };
  }
  if (choice === 'iptables') {
    if (!root) throw new Error('firewall backend iptables is configured but the agent is not root: run it as root or set backend to dry-run');
    if (!(await probes.iptablesWorks())) throw new Error('firewall backend iptables is configured but iptables-restore/ip6tables-restore are missing: apt-get install -y iptables');
    return { backend: new IptablesBackend(), reason: 'iptables forced by configuration' };
  }
  if (!root) return { backend: new DryRunBackend(), reason: 'dry-run: the agent is not root, so it cannot change the firewall' };
  if (await probes.nftWorks()) return { backend: new NftablesBackend(), reason: 'nftables: root and nft found' };
  if (await probes.iptablesWorks()) return { backend: new IptablesBackend(), reason: 'iptables: root, no working nft, iptables-restore found' };
  return { backend: new DryRunBackend(), reason: 'dry-run: neither nft nor iptables-restore works here (apt-get install -y nftables)' };
}
