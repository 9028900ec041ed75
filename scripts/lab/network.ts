// The worm lab's hosts: a TestNetwork (scripts/netns/netns.ts: one namespace
// per host, veths to a bridge in a namespace of its own, 10.77.0.0/24, nothing
// in the machine's own namespace) where every lab host also gets a PID
// namespace of its own, so its /proc shows only its processes:
//
//   ip netns exec <ns> unshare --pid --fork --mount-proc --kill-child \
//     sh -c 'mount tmpfs on /tmp and /srv; exec node hostd.mjs'
//
// hostd is PID 1 there: when it exits (stdin closed because the lab went
// away, its lifetime ran out, or the lab kills it) the kernel ends every
// process of that host. spawnIn() starts more processes in a host (the agent)
// with nsenter into the same network, mount and PID namespaces.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTool } from '../../agent/enforce/run.ts';
import { TestNetwork, waitForLine } from '../netns/netns.ts';

const HOSTD = fileURLToPath(new URL('./host/hostd.mjs', import.meta.url));
const MIRROR = fileURLToPath(new URL('./host/mirror.mjs', import.meta.url));
/** Where a running lab notes its namespace prefix, so a later run removes what a killed one left. */
const MARKERS = '/run/firebreak-lab';

const INIT = [
  'mount -t tmpfs -o mode=1777,size=64m lab-tmp /tmp',
  'mount -t tmpfs -o mode=0755,size=64m lab-srv /srv',
  'exec "$1" "$2" "$3"',
].join(' && ');

export interface LabHost {
  name: string;
  v4: string;
  /** hostd's pid as this (the machine's) PID namespace sees it: PID 1 of the host's. */
  initPid: number;
  proc: ChildProcess;
  send(cmd: Record<string, unknown>): void;
}

export interface HostdConfig {
  host: string;
  addrToHost: Record<string, string>;
  truthFile: string;
  lifetimeMs: number;
  services: Record<string, { port: number; p: number; greeting?: string }>;
}

export class LabNetwork {
  readonly hosts = new Map<string, LabHost>();
  private readonly procs = new Set<ChildProcess>();
  private destroyed = false;

  private constructor(readonly net: TestNetwork) {}

  /** `ctl` (controller) and `mirror` (package mirror, no agent) first, then the hosts. */
  static async create(hostNames: string[], workDir?: string): Promise<LabNetwork> {
    await removeStale();
    const net = await TestNetwork.create(['ctl', 'mirror', ...hostNames]);
    mkdirSync(MARKERS, { recursive: true });
    writeFileSync(join(MARKERS, `${process.pid}-${net.prefix}`), `${net.prefix}\n${workDir ?? ''}\n`);
    return new LabNetwork(net);
  }

  v4(name: string): string {
    return this.net.host(name).v4;
  }

  nsOf(name: string): string {
    return this.net.host(name).ns;
  }

  /** Starts a host's PID namespace with hostd as its PID 1; resolves once its services listen. */
  async startHost(cfg: HostdConfig): Promise<LabHost> {
    const ns = this.net.host(cfg.host).ns;
    const proc = spawn('ip', ['netns', 'exec', ns, 'unshare', '--pid', '--fork', '--mount-proc', '--kill-child',
      'sh', '-c', INIT, 'lab-init', process.execPath, HOSTD, JSON.stringify(cfg)], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.track(proc);
    proc.stdin!.on('error', () => undefined);
    await waitForLine(proc, (l) => l === 'ready', 20_000, `hostd in ${cfg.host}`);
    const initPid = findNsInit(proc.pid!);
    if (!initPid) throw new Error(`hostd in ${cfg.host}: cannot find PID 1 of its PID namespace under pid ${proc.pid}`);
    // Safety: whatever is started in this host (the agent changes the firewall) must never land in our own namespaces.
    for (const kind of ['net', 'pid', 'mnt']) {
      if (readlinkSync(`/proc/${initPid}/ns/${kind}`) === readlinkSync(`/proc/self/ns/${kind}`)) {
        throw new Error(`hostd in ${cfg.host} (pid ${initPid}) shares this process's ${kind} namespace: refusing to use it`);
      }
    }
    const host: LabHost = {
      name: cfg.host, v4: this.v4(cfg.host), initPid, proc,
      send: (cmd) => { if (proc.stdin?.writable) proc.stdin.write(`${JSON.stringify(cmd)}\n`); },
    };
    this.hosts.set(cfg.host, host);
    return host;
  }

  /** The package mirror: plain namespace, no agent, HTTP on port 80. */
  async startMirror(file: string, lifetimeMs: number): Promise<ChildProcess> {
    const proc = spawn('ip', ['netns', 'exec', this.nsOf('mirror'), process.execPath, MIRROR, JSON.stringify({ file, port: 80, lifetimeMs })],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    this.track(proc);
    proc.stdin!.on('error', () => undefined);
    await waitForLine(proc, (l) => l === 'ready', 20_000, 'mirror');
    return proc;
  }

  /** Runs a program inside a lab host: its network, mount (/tmp, /srv, /proc) and PID namespaces. */
  spawnIn(name: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no running lab host '${name}'`);
    const proc = spawn('nsenter', ['-t', String(host.initPid), '-n', '-m', '-p', '--', cmd, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    this.track(proc);
    return proc;
  }

  /** Runs a command in a lab host and waits (bounded). */
  execIn(name: string, cmd: string, args: string[], timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no running lab host '${name}'`);
    return runTool('nsenter', ['-t', String(host.initPid), '-n', '-m', '-p', '--', cmd, ...args], { timeoutMs });
  }

  private track(proc: ChildProcess): void {
    this.procs.add(proc);
    proc.on('exit', () => this.procs.delete(proc));
    proc.on('error', () => this.procs.delete(proc));
  }

  /** Ends every host (PID 1 first: the kernel takes the rest), every process, then the namespaces. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const h of this.hosts.values()) {
      try { process.kill(h.initPid, 'SIGKILL'); } catch { /* already gone */ }
    }
    for (const p of this.procs) p.kill('SIGKILL');
    const deadline = Date.now() + 5000;
    while (this.procs.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await this.net.destroy();
    rmSync(join(MARKERS, `${process.pid}-${this.net.prefix}`), { force: true });
  }
}

/** The descendant of `root` that is PID 1 of a PID namespace (NSpid ends in 1). */
function findNsInit(root: number): number | undefined {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch { /* exited */ }
  }
  const queue = [root];
  for (let i = 0; i < queue.length && i < 100; i++) {
    const pid = queue[i]!;
    try {
      const nspid = /^NSpid:\s*(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.trim().split(/\s+/) ?? [];
      if (nspid.length >= 2 && nspid[nspid.length - 1] === '1') return pid;
    } catch { /* exited */ }
    queue.push(...(children.get(pid) ?? []));
  }
  return undefined;
}

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Removes the namespaces of lab runs that died without cleaning up (only those this lab made, by marker). */
async function removeStale(): Promise<void> {
  let markers: string[] = [];
  try { markers = readdirSync(MARKERS); } catch { return; }
  const stale = markers.filter((m) => !alive(Number(m.split('-')[0])));
  if (stale.length === 0) return;
  const list = (await runTool('ip', ['netns', 'list'], { timeoutMs: 5000 })).stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
  for (const m of stale) {
    const [prefix = '', workDir = ''] = readFileSync(join(MARKERS, m), 'utf8').split('\n');
    if (!/^fbtest-\d+-\d+$/.test(prefix)) continue;
    for (const ns of list.filter((n) => n.startsWith(`${prefix}-`))) await runTool('ip', ['netns', 'del', ns], { timeoutMs: 10_000 });
    if (/^\/var\/tmp\/fb-lab-[A-Za-z0-9]+$/.test(workDir)) rmSync(workDir, { recursive: true, force: true });
    rmSync(join(MARKERS, m), { force: true });
  }
}
