// Renders enforcement state as one nft script that replaces Firebreak's own
// table as a whole (atomic: nft -f runs it as one transaction).
// Minimal first version; the containment work extends it (IPv6, forward, DNS).
import type { ControllerEndpoint, EnforcementState } from './backend.ts';

export const TABLE = 'inet firebreak';

export function renderNftScript(state: EnforcementState, controller: ControllerEndpoint): string[] {
  const lines = [`table ${TABLE}`, `delete table ${TABLE}`, `table ${TABLE} {`];
  const input: string[] = [];
  const output: string[] = [];
  for (const b of state.blocks) {
    const proto = b.protocol.toLowerCase();
    const ports = b.ports.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(', ');
    if (b.direction === 'OUT' || b.direction === 'BOTH') output.push(`    ${proto} dport { ${ports} } drop comment "block ${b.id}"`);
    if (b.direction === 'IN' || b.direction === 'BOTH') input.push(`    ${proto} dport { ${ports} } drop comment "block ${b.id}"`);
  }
  if (state.isolated) {
    for (const [chain, dir] of [[input, 'saddr'], [output, 'daddr']] as const) {
      const port = dir === 'saddr' ? 'sport' : 'dport';
      chain.push('    iif lo accept', '    oif lo accept');
      for (const a of controller.addresses) {
        const fam = a.includes(':') ? 'ip6' : 'ip';
        chain.push(`    ${fam} ${dir} ${a} tcp ${port} ${controller.port} accept comment "controller"`);
      }
      chain.push('    drop comment "isolated"');
    }
  }
  lines.push('  chain input {', '    type filter hook input priority filter; policy accept;', ...input, '  }');
  lines.push('  chain output {', '    type filter hook output priority filter; policy accept;', ...output, '  }');
  lines.push('}');
  return lines;
}
