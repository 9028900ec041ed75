// The incident's spread tree, generation by generation from patient zero (left)
// to the latest hosts (right): an edge A→B when A contacted B before B's onset.
// A small SVG drawn here (a few dozen nodes at most on one screen); the same
// tree is also listed as text, for screen readers and for copying.
import type { SpreadEdge, SpreadNode } from './types.ts';

const COL = 150;
const ROW = 34;
const PAD = 16;
const NODE_W = 118;
const NODE_H = 24;
/** Drawn per generation; a worm on a large fleet has hundreds of hosts in one generation: the rest is counted. */
const MAX_DRAWN = 20;
/** Named per generation in the text list. */
const MAX_LISTED = 60;

export function SpreadTree({ nodes, edges, root }: { nodes: readonly SpreadNode[]; edges: readonly SpreadEdge[]; root: string | null }) {
  const traced = nodes.filter((n) => n.generation !== null);
  const untraced = nodes.filter((n) => n.generation === null);
  const generations: SpreadNode[][] = [];
  for (const n of [...traced].sort((a, b) => a.onsetMs - b.onsetMs)) (generations[n.generation!] ??= []).push(n);
  const pos = new Map<string, { x: number; y: number }>();
  generations.forEach((g, gi) => g.slice(0, MAX_DRAWN).forEach((n, i) => pos.set(n.hostId, { x: PAD + gi * COL, y: PAD + i * ROW })));
  const rows = Math.max(1, ...generations.map((g) => Math.min(MAX_DRAWN + 1, g?.length ?? 0)));
  const width = PAD * 2 + Math.max(1, generations.length - 1) * COL + NODE_W;
  const height = PAD * 2 + (rows - 1) * ROW + NODE_H;

  return (
    <div class="spread" data-testid="spread-tree">
      {traced.length > 0 ? (
        <svg viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img"
          aria-label={`spread tree: ${generations.length} generations from ${root ?? 'an unknown root'}`}>
          <defs>
            <marker id="arrow" viewBox="0 0 8 8" refX="8" refY="4" markerWidth="7" markerHeight="7" orient="auto">
              <path d="M0,0 L8,4 L0,8 z" class="arrowhead" />
            </marker>
          </defs>
          {edges.map((e) => {
            const a = pos.get(e.from);
            const b = pos.get(e.to);
            if (!a || !b) return null;
            return (
              <line key={`${e.from}>${e.to}`} class={e.corroborated ? 'edge' : 'edge one-sided'} marker-end="url(#arrow)"
                x1={a.x + NODE_W} y1={a.y + NODE_H / 2} x2={b.x} y2={b.y + NODE_H / 2}>
                <title>{`${e.from} → ${e.to} on ${e.protocol}/${e.port}${e.corroborated ? '' : ' (seen from one end only)'}`}</title>
              </line>
            );
          })}
          {generations.map((g, gi) => g.length > MAX_DRAWN && (
            <text key={`more-${gi}`} class="more" x={PAD + gi * COL + 8} y={PAD + MAX_DRAWN * ROW + 16}>+{g.length - MAX_DRAWN} more</text>
          ))}
          {[...pos].map(([id, p]) => {
            const zero = id === root;
            const n = traced.find((x) => x.hostId === id)!;
            return (
              <a key={id} href={`#/hosts/${encodeURIComponent(id)}`}>
                <g class={zero ? 'node zero' : 'node'} data-testid={`tree-node-${id}`} data-generation={n.generation}>
                  <rect x={p.x} y={p.y} width={NODE_W} height={NODE_H} rx="4" />
                  <text x={p.x + 8} y={p.y + 16}>{zero ? `★ ${id}` : id}</text>
                  <title>{`${id}: generation ${n.generation}, onset ${new Date(n.onsetMs).toISOString()}${zero ? ', patient zero' : ''}`}</title>
                </g>
              </a>
            );
          })}
        </svg>
      ) : <p>No contacts traced between these hosts: the order below is by onset time only.</p>}
      <ol class="generations" data-testid="spread-generations">
        {generations.map((g, gi) => (
          <li key={gi}>
            <span class="gen">generation {gi}</span>{' '}
            {g.slice(0, MAX_LISTED).map((n, i) => (
              <span key={n.hostId}>
                {i > 0 && ', '}
                <a href={`#/hosts/${encodeURIComponent(n.hostId)}`}>{n.hostId}</a>
                {n.parent && <span class="muted"> (from {n.parent})</span>}
                {n.hostId === root && <strong class="zero-label" data-testid="patient-zero"> patient zero</strong>}
              </span>
            ))}
            {g.length > MAX_LISTED && <span class="muted"> and {g.length - MAX_LISTED} more</span>}
          </li>
        ))}
      </ol>
      {untraced.length > 0 && (
        <p class="muted">Not in the tree (no contact traced in or out): {untraced.map((n) => n.hostId).join(', ')}</p>
      )}
    </div>
  );
}
