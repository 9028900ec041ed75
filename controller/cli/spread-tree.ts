// The spread tree of an alert as text: generation by generation, each host with its onset
// and the contact that reached it (`firebreak alert <id>`).
import type { SpreadView } from '../pipeline/stage-types.ts';
import { iso } from './format.ts';

/** Seconds after the root's onset, so an operator reads the pace at a glance. */
const rel = (ms: number, t0: number) => `${ms >= t0 ? '+' : '-'}${(Math.abs(ms - t0) / 1000).toFixed(1)}s`;

export function renderSpreadTree(s: SpreadView, maxLines = 60): string[] {
  const lines: string[] = [];
  const port = s.port ? `${s.port.protocol}/${s.port.port}` : '-';
  const bin = [s.binary.exe, s.binary.sha256 ? `sha256 ${s.binary.sha256.slice(0, 16)}…` : null].filter(Boolean).join(', ') || '-';
  lines.push(`SPREAD TREE (contact tracing: ${s.tracedHosts} of ${s.nodes.length} hosts trace contacts)`);
  if (s.edges.length === 0) {
    lines.push(s.tracedHosts === 0
      ? '  no host of this alert reports contacts: classified by onset timing only'
      : '  no affected host contacted another before its onset (a roll-out from elsewhere or a job started on each host looks like this)');
    return lines;
  }
  lines.push(`  spreading on ${port}, binary ${bin}, ${s.generations} generation${s.generations === 1 ? '' : 's'} deep, patient zero ${s.root ?? '-'}`);
  const edgeTo = new Map(s.edges.map((e) => [e.to, e]));
  const inTree = s.nodes.filter((n) => n.generation !== null);
  const t0 = s.nodes.find((n) => n.hostId === s.root)?.onsetMs ?? inTree[0]?.onsetMs ?? 0;
  const byGen = new Map<number, typeof inTree>();
  for (const n of inTree) {
    const g = byGen.get(n.generation!) ?? [];
    g.push(n);
    byGen.set(n.generation!, g);
  }
  let shown = 0;
  for (const g of [...byGen.keys()].sort((a, b) => a - b)) {
    if (shown >= maxLines) break;
    lines.push(`  generation ${g}`);
    for (const n of byGen.get(g)!.sort((a, b) => a.onsetMs - b.onsetMs)) {
      if (shown++ >= maxLines) break;
      const e = edgeTo.get(n.hostId);
      const how = e
        ? `<- ${e.from} on ${e.protocol}/${e.port} at ${rel(e.atMs, t0)}${e.corroborated ? ' (seen from both ends)' : ''}`
        : 'root';
      lines.push(`    ${n.hostId.padEnd(16)} onset ${rel(n.onsetMs, t0).padStart(8)}  ${how}`);
    }
  }
  if (inTree.length > shown) lines.push(`  … and ${inTree.length - shown} more in the tree (-o json for all)`);
  const outside = s.nodes.filter((n) => n.generation === null);
  if (outside.length > 0) {
    lines.push(`  not in the tree (no contact from an affected host seen): ${outside.slice(0, 12).map((n) => n.hostId).join(', ')}${outside.length > 12 ? ` … ${outside.length - 12} more` : ''}`);
  }
  lines.push(`  times are after patient zero's onset, ${iso(t0)}`);
  return lines;
}
