// Builds throw-away test networks out of network namespaces, so tests can
// apply real firewall rules and send real traffic without touching the
// machine's own namespace:
//
//   const net = await TestNetwork.create(['ctrl', 'h1', 'h2', 'h3']);
//   await net.listen('h2', { tcp: [80], udp: [9000] });
//   const [r] = await net.probe('h1', [{ protocol: 'tcp', address: net.host('h2').v4, port: 80 }]);
//   await net.destroy();
//
// Every host is a namespace fbtest-<pid>-<n>-<name> with one veth (eth0) to a
// bridge that lives in a namespace of its own; addresses are 10.77.0.0/24 and
// fd77::/64 (private, ULA), used only inside these namespaces.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runTool, type RunResult } from '../../agent/enforce/run.ts';
import type { ProbeOutcome, ProbeSpec } from './traffic.ts';

export const NEEDS = 'needs root and iproute2 + nftables: apt-get install -y nftables iproute2';
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TRAFFIC = fileURLToPath(new URL('./traffic.ts', import.meta.url));
export const APPLY_STATE = fileURLToPath(new URL('./apply-state.ts', import.meta.url));

/** Throws NEEDS (with what exactly failed) unless root, `ip netns` and nft work. */
export async function requireNetnsTools(): Promise<void> {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('not root');
  const tryRun = async (cmd: string, args: string[]) => {
    try {
      return (await runTool(cmd, args, { timeoutMs: 5000 })).code === 0;
    } catch {
      return false;
    }
  };
  if (!(await tryRun('ip', ['netns', 'list']))) missing.push('`ip netns` does not work');
  if (!(await tryRun('nft', ['--version']))) missing.push('nft not found');
  if (missing.length) throw new Error(`${NEEDS} (${missing.join('; ')})`);
}

export interface NetHost {
  name: string;
  ns: string;
  v4: string;
  v6: string;
}

let networks = 0;

async function must(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const res = await runTool(cmd, args, opts);
  if (res.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${res.code}): ${res.stderr.trim()}`);
  return res;
}

export class TestNetwork {
  readonly prefix: string;
  readonly bridgeNs: string;
  private readonly hosts = new Map<string, NetHost>();
  private readonly children = new Set<ChildProcess>();
  private readonly namespaces: string[] = [];

  private constructor() {
    this.prefix = `fbtest-${process.pid}-${++networks}`;
    this.bridgeNs = `${this.prefix}-br`;
  }

  /** Creates the namespaces, the bridge and one veth per host, with IPv4 and IPv6 addresses. */
  static async create(names: string[]): Promise<TestNetwork> {
    await requireNetnsTools();
    if (names.length > 200) throw new Error('at most 200 hosts per test network');
    const net = new TestNetwork();
    try {
      await net.addNs(net.bridgeNs);
      await must('ip', ['-n', net.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
      await must('ip', ['-n', net.bridgeNs, 'link', 'set', 'br0', 'up']);
      for (const [i, name] of names.entries()) {
        if (!/^[a-z0-9]{1,10}$/.test(name)) throw new Error(`host name '${name}' must be 1-10 lowercase letters or digits`);
        const host: NetHost = { name, ns: `${net.prefix}-${name}`, v4: `10.77.0.${i + 1}`, v6: `fd77::${i + 1}` };
        await net.addNs(host.ns);
        const peer = `p-${name}`;
        // created inside the bridge namespace and moved straight into the host's: nothing
        // ever appears in the machine's own namespace
        await must('ip', ['-n', net.bridgeNs, 'link', 'add', peer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.ns]);
        await must('ip', ['-n', net.bridgeNs, 'link', 'set', peer, 'master', 'br0', 'up']);
        await must('ip', ['-n', host.ns, 'addr', 'add', `${host.v4}/24`, 'dev', 'eth0']);
        // nodad: the address is usable at once instead of after duplicate detection
        await must('ip', ['-n', host.ns, 'addr', 'add', `${host.v6}/64`, 'dev', 'eth0', 'nodad']);
        await must('ip', ['-n', host.ns, 'link', 'set', 'eth0', 'up']);
        net.hosts.set(name, host);
      }
    } catch (err) {
      await net.destroy();
      throw err;
    }
    return net;
  }

  private async addNs(ns: string): Promise<void> {
    await must('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  host(name: string): NetHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host '${name}' in test network ${this.prefix}`);
    return h;
  }

  /** Runs a command inside a host's namespace and waits for it. */
  exec(name: string, cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
    return runTool('ip', ['netns', 'exec', this.host(name).ns, cmd, ...args], { timeoutMs: 15_000, ...opts });
  }

  /** Like exec, but throws with stderr on a non-zero exit. */
  async mustExec(name: string, cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
    const res = await this.exec(name, cmd, args, opts);
    if (res.code !== 0) throw new Error(`in ${name}: ${cmd} ${args.join(' ')} failed (exit ${res.code}): ${res.stderr.trim()}`);
    return res.stdout;
  }

  /** Starts a long-running process in a host's namespace; destroy() kills it. */
  spawn(name: string, cmd: string, args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', this.host(name).ns, cmd, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return child;
  }

  /** Runs a TypeScript file with node + tsx inside a host's namespace. */
  node(name: string, script: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
    return runTool('ip', ['netns', 'exec', this.host(name).ns, process.execPath, '--import', 'tsx', script, ...args], { timeoutMs: 20_000, ...opts });
  }

  /** Starts echo listeners in a host (all addresses, both families) and waits until they are bound. */
  async listen(name: string, ports: { tcp?: number[]; udp?: number[] }): Promise<ChildProcess> {
    const child = this.spawn(name, process.execPath, ['--import', 'tsx', TRAFFIC, 'listen', '--tcp', (ports.tcp ?? []).join(','), '--udp', (ports.udp ?? []).join(',')]);
    await waitForLine(child, (l) => l === 'ready', 15_000, `listener in ${name}`);
    return child;
  }

  /** Tries the flows from a host, all at once; one node process per call. */
  async probe(from: string, specs: ProbeSpec[]): Promise<ProbeOutcome[]> {
    if (specs.length === 0) return [];
    const res = await this.node(from, TRAFFIC, ['probe', JSON.stringify(specs)]);
    if (res.code !== 0) throw new Error(`probe from ${from} failed (exit ${res.code}): ${res.stderr.trim()}`);
    return JSON.parse(res.stdout.trim()) as ProbeOutcome[];
  }

  /** Opens a TCP session from a host that pings every 100 ms; `dead` resolves when it stops answering. */
  async session(from: string, address: string, port: number): Promise<{ dead: Promise<string>; child: ChildProcess }> {
    const child = this.spawn(from, process.execPath, ['--import', 'tsx', TRAFFIC, 'session', address, String(port)]);
    await waitForLine(child, (l) => l === 'connected', 15_000, `session from ${from} to ${address}:${port}`);
    const dead = waitForLine(child, (l) => l.startsWith('dead'), 60_000, 'session end');
    dead.catch(() => undefined);
    return { dead, child };
  }

  /** Applies an enforcement state with the real nftables (or iptables) backend inside a host's namespace. */
  async applyState(name: string, state: unknown, controller: unknown, backend: 'nftables' | 'iptables' = 'nftables'): Promise<{ rulesetHash: string }> {
    const res = await this.exec(name, 'env', [`FIREBREAK_BACKEND=${backend}`, process.execPath, '--import', 'tsx', APPLY_STATE,
      'apply', JSON.stringify({ state, controller })], { timeoutMs: 20_000 });
    if (res.code !== 0) throw new Error(`apply-state in ${name} failed (exit ${res.code}): ${res.stderr.trim()}`);
    return JSON.parse(res.stdout) as { rulesetHash: string };
  }

  /** Removes every Firebreak rule of one backend inside a host's namespace. */
  async clearState(name: string, backend: 'nftables' | 'iptables'): Promise<void> {
    const res = await this.exec(name, 'env', [`FIREBREAK_BACKEND=${backend}`, process.execPath, '--import', 'tsx', APPLY_STATE, 'clear'], { timeoutMs: 20_000 });
    if (res.code !== 0) throw new Error(`clear in ${name} failed (exit ${res.code}): ${res.stderr.trim()}`);
  }

  /** Kills every process started here and deletes every namespace (with its veths and rules). */
  async destroy(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    this.children.clear();
    for (const ns of this.namespaces.splice(0).reverse()) {
      await runTool('ip', ['netns', 'del', ns], { timeoutMs: 10_000 }).catch(() => undefined);
    }
  }
}

/** Resolves with the first stdout line that matches; rejects on exit or timeout. */
export function waitForLine(child: ChildProcess, match: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const timer = setTimeout(() => finish(new Error(`${what}: no matching output within ${timeoutMs} ms; stderr: ${err.trim()}`)), timeoutMs);
    const onData = (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      const hit = lines.find((l) => match(l.trim()));
      if (hit !== undefined) finish(undefined, hit.trim());
    };
    const onErr = (d: Buffer) => (err += d.toString());
    const onExit = (code: number | null) => finish(new Error(`${what}: exited (${code}) before the expected output; stderr: ${err.trim()}`));
    function finish(e: Error | undefined, line?: string) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
      if (e) reject(e);
      else resolve(line!);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onErr);
    child.on('exit', onExit);
  });
}
