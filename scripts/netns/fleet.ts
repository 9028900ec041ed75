// A small fleet inside a TestNetwork: a real controller process in one
// namespace and real agent processes (nftables backend) in others, for the
// process-level netns tests and the containment benchmark.
//
//   const net = await TestNetwork.create(['ctl', 'h1', 'h2']);
//   const ctl = await startNsController(net, 'ctl', dir);
//   const a1 = await startNsAgent(net, 'h1', ctl, agentDir);
//   const hosts = await cliJson<Host__Output[]>(ctl, ['hosts']);   // the CLI runs in ctl's namespace
//
// Processes are started by test/helpers/procs.ts (stopAll() ends them); the
// operator port listens on 127.0.0.1 inside the controller's namespace only.
import type { ControllerEndpoint } from '../../agent/enforce/backend.ts';
import { startAgent, startController, type ControllerProc, type Proc } from '../../test/helpers/procs.ts';
import type { TestNetwork } from './netns.ts';

/** Command prefix that runs node inside a host's namespace. */
export const nsPrefix = (net: TestNetwork, host: string): string[] => ['ip', 'netns', 'exec', net.host(host).ns, process.execPath];

/** Starts the controller inside `host`'s namespace, listening for agents on its IPv4 address. */
export function startNsController(net: TestNetwork, host: string, dataDir: string, extra: string[] = []): Promise<ControllerProc> {
  return startController(dataDir, extra, { prefix: nsPrefix(net, host), host: net.host(host).v4 });
}

/**
 * Starts an agent with the real nftables backend inside `host`'s namespace,
 * reporting every second. `controller` overrides the address it dials
 * (default: the controller's agent address).
 */
export function startNsAgent(
  net: TestNetwork, host: string, ctl: ControllerProc, dataDir: string,
  opts: { extra?: string[]; controller?: string; waitConnected?: boolean } = {},
): Promise<Proc> {
  const target = { ...ctl, agentAddress: opts.controller ?? ctl.agentAddress };
  return startAgent(host, target, dataDir, ['--backend', 'nftables', '--interval', '1s', ...(opts.extra ?? [])], {
    prefix: nsPrefix(net, host), waitConnected: opts.waitConnected,
  });
}

/** The controller endpoint an agent reports in its enforcement state ("10.77.0.1:7443,[fd77::1]:7443"). */
export function parseControllerEndpoint(text: string): ControllerEndpoint {
  const targets: ControllerEndpoint['targets'] = [];
  for (const part of text.split(',').filter(Boolean)) {
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(part.trim());
    if (!m) throw new Error(`unreadable controller endpoint '${part}' in an enforcement state`);
    targets.push({ address: m[1]!, port: Number(m[2]) });
  }
  return { targets, dnsServers: [] };
}
