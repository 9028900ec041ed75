// Shared benchmark helpers: CPU and RSS of a process and all its descendants
// from /proc, argument parsing and JSON output.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

const CLK = 100; // USER_HZ

interface Stat {
  ppid: number;
  /** utime + stime + cutime + cstime: own and waited-for children's CPU, ticks. */
  ticks: number;
  rssPages: number;
}

function readStat(pid: number): Stat | undefined {
  try {
    const t = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]), rssPages: Number(f[21]) };
  } catch {
    return undefined;
  }
}

/** pid and every live descendant. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    const pid = Number(d);
    if (!Number.isInteger(pid)) continue;
    const st = readStat(pid);
    if (!st) continue;
    const list = children.get(st.ppid) ?? [];
    list.push(pid);
    children.set(st.ppid, list);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

export interface TreeUsage {
  /** CPU seconds of the tree, including children that have exited and were waited for. */
  cpuS: number;
  rssBytes: number;
}

/** CPU and RSS of a process tree; exited children count through their parent's cutime/cstime. */
export function treeUsage(root: number): TreeUsage & { perPid: Map<number, number> } {
  const perPid = new Map<number, number>();
  let ticks = 0;
  let rss = 0;
  for (const pid of processTree(root)) {
    const st = readStat(pid);
    if (!st) continue;
    perPid.set(pid, st.ticks);
    ticks += st.ticks;
    rss += st.rssPages * 4096;
  }
  return { cpuS: ticks / CLK, rssBytes: rss, perPid };
}

/** Follows a process tree over a window: CPU % of one core and RSS mean/max. */
export class UsageMeter {
  private startCpu = 0;
  private startAt = 0;
  private lastCpu = 0;
  private lastAt = 0;
  private rss: number[] = [];

  constructor(readonly name: string, readonly pid: number) {}

  /** Exited children count through their parent's cutime/cstime once waited for (Node waits for its own). */
  private read(): number {
    const u = treeUsage(this.pid);
    this.rss.push(u.rssBytes);
    return u.cpuS;
  }

  start(now = Date.now()): void {
    this.startCpu = this.read();
    this.startAt = now;
    this.rss = [];
  }

  tick(now = Date.now()): void {
    this.lastCpu = this.read();
    this.lastAt = now;
  }

  result(): { cpu_pct_of_core: number; rss_mb: number; rss_max_mb: number; window_s: number } {
    const window = (this.lastAt - this.startAt) / 1000;
    const cpu = window > 0 ? ((this.lastCpu - this.startCpu) / window) * 100 : 0;
    const mean = this.rss.length > 0 ? this.rss.reduce((a, b) => a + b, 0) / this.rss.length : 0;
    return {
      cpu_pct_of_core: round(cpu, 3),
      rss_mb: round(mean / 1048576, 1),
      rss_max_mb: round(Math.max(0, ...this.rss) / 1048576, 1),
      window_s: round(window, 1),
    };
  }
}

export function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** --name value / --flag arguments. */
export function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) out.set(a.slice(2), argv[++i]!);
    else out.set(a.slice(2), 'true');
  }
  return out;
}

export function writeJson(file: string, data: unknown): void {
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
