// The block and raise_core_posture actions: a port block per host, resolved from the
// step's spec ($port, protocol, scope) and never cutting the controller's own port
// (spareControllerPort in guards.ts).
import type { PortBlock__Output } from '../../proto/wire.ts';
import { handledSet, reasonText, record, type EngineState, type Op } from './engine-state.ts';
import { issueOp } from './execution.ts';
import { spareControllerPort } from './guards.ts';
import type { PlaybookRun, RunAction } from './records.ts';
import type { BlockSetEntry, PortRange } from './schema.ts';

export function planBlocks(
  s: EngineState, run: PlaybookRun, i: number, kind: 'block' | 'raise_core_posture', entries: Array<{ spec: BlockSetEntry; entry: number | null }>,
  hosts: string[], expiry: number | 'alert' | undefined, now: number, ops: Op[],
): void {
  const handled = handledSet(s, run, i);
  const blocks: PortBlock__Output[] = [];
  for (const { spec, entry } of entries) {
    const marker = `*skip${entry ?? ''}`;
    const b = resolveBlock(s, run, spec, `fb-${run.id}-s${i}${entry === null ? '' : `b${entry}`}`, expiry, now);
    if (typeof b === 'string') {
      if (!handled.has(marker)) {
        handled.add(marker);
        record(s, run, i, kind, null, 'skipped', b, now);
      }
      continue;
    }
    blocks.push(b);
  }
  if (blocks.length === 0) return;
  for (const hostId of hosts) {
    if (handled.has(hostId)) continue;
    handled.add(hostId);
    for (const block of blocks) {
      const extra: Partial<RunAction> = {
        block,
        expiresAtMs: block.expiresAtMs || null,
        liftOnResolve: expiry === 'alert',
      };
      const what = `${block.direction.toLowerCase()} ${block.protocol.toLowerCase()} ${block.ports.map((r) => (r.from === r.to ? r.from : `${r.from}-${r.to}`)).join(',')}`;
      if (run.mode === 'dry-run') {
        record(s, run, i, kind, hostId, 'dry-run', `would block ${what}`, now, extra);
        continue;
      }
      const a = record(s, run, i, kind, hostId, 'issuing', `blocked ${what}`, now, extra);
      ops.push(issueOp(s, run, a, {
        hostId, action: 'BLOCK', block: { block, force: false }, params: 'block', reason: reasonText(run), ttlS: 0,
      }));
    }
  }
}

/** The wire block for a spec, or why it cannot be sent. */
function resolveBlock(s: EngineState, run: PlaybookRun, spec: BlockSetEntry, id: string, expiry: number | 'alert' | undefined, now: number): PortBlock__Output | string {
  const usesPort = spec.ports.includes('$port');
  if (usesPort && !run.port) {
    return "the block uses $port but the alert names no port (no tcp:N/udp:N signature or remote port in its evidence)";
  }
  const ranges = mergeRanges(spec.ports.map((p) => (p === '$port' ? { from: run.port!.port, to: run.port!.port } : p)));
  const protocol = spec.protocol ?? (usesPort ? run.port!.protocol : 'tcp');
  const spared = spareControllerPort(ranges, { protocol, direction: spec.direction, remote: spec.remote }, s.opts.controller);
  if (spared.ports.length === 0) {
    return `not planned: the block would cut the agents' link to the controller (tcp/${s.opts.controller!.port})`;
  }
  return {
    id,
    direction: spec.direction.toUpperCase() as 'IN' | 'OUT' | 'BOTH',
    protocol: protocol.toUpperCase() as 'TCP' | 'UDP',
    ports: spared.ports,
    remoteCidrs: spec.remote?.cidrs ?? [],
    remoteInternet: spec.remote?.internet ?? false,
    expiresAtMs: typeof expiry === 'number' ? now + expiry : 0,
  };
}

/** Sorted, overlapping or adjacent ranges joined ($port often repeats a listed port). */
function mergeRanges(ranges: PortRange[]): PortRange[] {
  const out: PortRange[] = [];
  for (const r of [...ranges].sort((a, b) => a.from - b.from)) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}
