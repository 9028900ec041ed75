// Step one of an agent's start: the saved enforcement goes back into the kernel
// before anything that can fail (config validation, enrollment, the controller's
// name, certificates, the network). A host isolated before a reboot is isolated
// again even when the rest of the start fails. It reads only what it must, and
// tolerantly: the backend choice and the controller's name from the flags or
// the raw agent.json (a broken file is reported by the config step after this);
// the controller's addresses from the saved state itself, so no DNS is needed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ControllerEndpoint } from './backend.ts';
import { Enforcer } from './enforcer.ts';
import { parseEndpointText, readStateFile } from './state-file.ts';
import { selectBackend, type BackendChoice, type SelectedBackend } from './select-backend.ts';

export const stateFileIn = (dataDir: string): string => join(dataDir, 'enforcement.json');

export interface BootOptions {
  dataDir: string;
  /** --backend, when given; else agent.json's, else auto */
  backend?: BackendChoice;
  /** -c HOST:PORT, when given; else agent.json's (only to know whether it is a name that needs DNS) */
  controller?: string;
  log: Logger;
}

export interface Booted extends SelectedBackend {
  /** started: the saved state is applied (or, unreadable, the kernel left as it was) */
  enforcer: Enforcer;
}

/** A host name (not an address) that needs the resolvers reachable through isolation. */
export function isNamedHost(host: string): boolean {
  return host !== '' && !/^[\d.]+$/.test(host) && !host.includes(':');
}

export function readResolvers(): string[] {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8').split('\n')
      .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1]).filter((s): s is string => Boolean(s));
  } catch {
    return [];
  }
}

/** agent.json without validation; {} when it is missing or broken. */
function rawConfig(dataDir: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(readFileSync(join(dataDir, 'agent.json'), 'utf8'));
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Picks the backend and re-applies the saved enforcement. Throws only when the
 * configured backend cannot work here (the message says what to do).
 */
export async function reapplySavedEnforcement(o: BootOptions): Promise<Booted> {
  const raw = rawConfig(o.dataDir);
  const choice = o.backend ?? (typeof raw.backend === 'string' ? (raw.backend as BackendChoice) : 'auto');
  const controller = o.controller ?? (typeof raw.controller === 'string' ? raw.controller : '');
  const selected = await selectBackend(choice);
  const stateFile = stateFileIn(o.dataDir);
  const saved = readStateFile(stateFile);
  // the addresses the state was applied with: the controller stays reachable through the isolation
  const endpoint: ControllerEndpoint = saved.kind === 'ok' ? parseEndpointText(saved.state.controllerEndpoint) : { targets: [], dnsServers: [] };
  // one entry per controller ("a:7443,b:7443"); the config step validates them later
  const hosts = controller.split(',').map((e) => /^\[?([^\]]+?)\]?:\d+$/.exec(e.trim())?.[1] ?? '');
  if (hosts.some(isNamedHost)) endpoint.dnsServers = readResolvers();
  const enforcer = new Enforcer({ backend: selected.backend, stateFile, controller: () => endpoint, log: o.log.child({ part: 'enforce' }) });
  await enforcer.start();
  return { ...selected, enforcer };
}
