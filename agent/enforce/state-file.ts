// The enforcement state as the agent keeps it on disk (enforcement.json): its
// empty form, the controller endpoint as text, and a reader that never throws
// and says what is wrong with a file it cannot use (the kernel is then left
// alone: see enforcer.ts). Writing is the enforcer's (atomic, durable).
import { readFileSync } from 'node:fs';
import type { ControllerEndpoint, EnforcementState } from './backend.ts';

export function emptyState(backend: EnforcementState['backend']): EnforcementState {
  return { isolated: false, allowlist: [], blocks: [], backend, rulesetHash: '', controllerEndpoint: '', throttle: null, stateLost: '' };
}

/**
 * "10.0.0.5:7443,[fd00::5]:7443,10.0.0.6:8443": the controller endpoint as a state
 * records it, one address:port per target (a state saved with one controller
 * reads back the same way, so old files still load).
 */
export function endpointText(controller: ControllerEndpoint): string {
  return controller.targets.map((t) => (t.address.includes(':') ? `[${t.address}]` : t.address) + `:${t.port}`).join(',');
}

/** The targets of endpointText(); DNS servers are not recorded there. */
export function parseEndpointText(text: string): ControllerEndpoint {
  const targets: ControllerEndpoint['targets'] = [];
  for (const part of text.split(',').filter(Boolean)) {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(part.trim());
    if (!m) continue;
    targets.push({ address: m[1]!, port: Number(m[2]) });
  }
  return { targets, dnsServers: [] };
}

/** What the state file held at start. */
export type SavedState =
  | { kind: 'none' }
  | { kind: 'ok'; state: EnforcementState }
  /** the file exists but cannot be read or is not a state: the kernel is left alone */
  | { kind: 'lost'; reason: string };

/** Reads a state file without throwing; `lost` says what is wrong with it. */
export function readStateFile(file: string): SavedState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'lost', reason: `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { kind: 'lost', reason: text.length === 0 ? 'it is empty' : `it is not valid JSON (${(err as Error).message}; ${text.length} bytes)` };
  }
  const st = parsed as Partial<EnforcementState> | null;
  if (!st || typeof st !== 'object' || typeof st.isolated !== 'boolean' || !Array.isArray(st.blocks) || !Array.isArray(st.allowlist)) {
    return { kind: 'lost', reason: 'it is not an enforcement state (isolated, allowlist or blocks missing)' };
  }
  return { kind: 'ok', state: { ...emptyState(st.backend ?? 'DRY_RUN'), ...st, throttle: st.throttle ?? null, stateLost: '' } };
}
