// The process table: which processes run, their CPU and memory, and who the new
// ones are (executable, user, hash).
//
// Processes: /proc/<pid>/stat is read every sample for the processes that used
// CPU at their last read and for new ones; the idle rest one sample in
// idleEvery, or all at once when the host's busy cores jump (the sampler then
// asks for a full scan).
//
// New processes: the agent's own descendants (nft from enforcement, the
// prepare child) are counted but never reported, or every containment would
// raise a proc.new of its own. A new process whose executable is an
// interpreter (node, python, perl, sh...) is identified by the script it runs
// (scripts.ts): the script's path and hash, its interpreter in `name`.
import { closeSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { ProcessInfo__Output } from '../../proto/wire.ts';
import type { ExeHasher } from './exe-hash.ts';
import { PF_KTHREAD, parsePasswd, parseStatusUid } from './procfs.ts';
import type { ProcReader } from './proc-reader.ts';
import { interpreterFamily, parseCmdline, scriptArgument } from './scripts.ts';
import type { Sample } from './sampler.ts';

export interface ProcessTableOptions {
  reader: ProcReader;
  /** uid → user names. */
  passwdPath: string;
  clockTicks: number;
  pageSize: number;
  topN: number;
  maxNewProcesses: number;
  hashWaitMs: number;
  maxKeptFds: number;
  idleEvery: number;
  hasher: ExeHasher;
  now: () => number;
  /**
   * The agent's pid as this /proc sees it: its descendants are never new
   * processes. Default: <root>/self (right inside a PID namespace), else process.pid.
   */
  selfPid?: number;
}

/** How far up the ppid chain a new process is traced to the agent (nft under sh under the agent is 2). */
const MAX_ANCESTRY = 8;

/** The script file an interpreter process runs. */
export interface ScriptRef {
  /** Absolute path as the process sees it (relative arguments resolved against its cwd). */
  path: string;
  /** Where the agent reads it: through /proc/<pid>/cwd or /proc/<pid>/root. */
  at: string;
  sha256?: string;
}

export interface ProcEntry {
  pid: number;
  ppid: number;
  comm: string;
  startTicks: number;
  cpuTicks: number;
  rssPages: number;
  kthread: boolean;
  cpuPct: number;
  exe?: string;
  user?: string;
  sha256?: string;
  /** For an interpreter: the script it runs, its identity (looked for once). */
  script?: ScriptRef;
  scriptChecked?: boolean;
  /** Held back one sample for its hash. */
  wasHeld?: boolean;
  /** Scan generation that last saw it. */
  gen: number;
  /** When its stat was last read (ms), and whether it used no CPU since the read before. */
  readAt: number;
  idle: boolean;
  /** Kept-open /proc/<pid>/stat. */
  fd?: number;
}

// Indexes into ProcessTable.pidFields.
const PS_PPID = 0;
const PS_FLAGS = 1;
const PS_TICKS = 2;
const PS_START = 3;
const PS_RSS = 4;
// Field numbers of proc(5) /proc/<pid>/stat: ppid 4, flags 9, utime 14, stime 15, starttime 22, rss 24.
const FIELD_SLOT: Record<number, number> = { 4: PS_PPID, 9: PS_FLAGS, 14: PS_TICKS, 15: PS_TICKS, 22: PS_START, 24: PS_RSS };

export class ProcessTable {
  private readonly reader: ProcReader;
  private readonly clk: number;
  private readonly pageSize: number;
  private readonly topN: number;
  private readonly maxNew: number;
  private readonly hashWaitMs: number;
  private readonly hasher: ExeHasher;
  private readonly now: () => number;
  private readonly users = new Map<number, string>();
  private readonly maxKeptFds: number;
  private readonly idleEvery: number;
  readonly selfPid: number;

  /** Boot time (ms since the epoch): process start ticks count from it. Set by the host metrics. */
  btimeMs = 0;
  private procs = new Map<number, ProcEntry>();
  private generation = 0;
  private shedding = false;
  private keptFds = 0;
  private lastFd: number | undefined;
  /** /proc/<pid>/stat reads made by samples: for the benchmark. */
  pidReads = 0;
  /** Fields of the last /proc/<pid>/stat read (see PS_*), reused to allocate nothing per process. */
  private readonly pidFields = new Float64Array(6);
  private commStart = 0;
  private commEnd = 0;
  /** New processes whose hash was not ready: reported with the next sample. */
  private held: ProcEntry[] = [];
  /**
   * The interpreters of the last describeNew's processes identified by their
   * script, by pid (exe and hash of the interpreter itself): so the detectors
   * can still tell a new interpreter binary from a known one.
   */
  interpreters = new Map<number, ProcessInfo__Output>();

  constructor(opts: ProcessTableOptions) {
    this.reader = opts.reader;
    this.clk = opts.clockTicks;
    this.pageSize = opts.pageSize;
    this.topN = opts.topN;
    this.maxNew = opts.maxNewProcesses;
    this.hashWaitMs = opts.hashWaitMs;
    this.maxKeptFds = opts.maxKeptFds;
    this.idleEvery = opts.idleEvery;
    this.hasher = opts.hasher;
    this.now = opts.now;
    this.selfPid = opts.selfPid ?? ownPid(this.reader.root);
    try {
      for (const [uid, name] of parsePasswd(readFileSync(opts.passwdPath, 'utf8'))) this.users.set(uid, name);
    } catch {
      // Numeric uids then.
    }
  }

  /** Fewer top processes while the agent sheds work. */
  setShedding(on: boolean): void {
    this.shedding = on;
  }

  close(): void {
    for (const p of this.procs.values()) this.dropFd(p);
  }

  /**
   * Reads the process table into s (processCount, topProcesses) and returns the
   * new processes to report (none on the first sample: those are the existing ones).
   */
  scan(at: number, dt: number, s: Sample, fullScan: boolean, first: boolean): ProcEntry[] {
    const root = this.reader.root;
    const all = fullScan || this.idleEvery <= 1;
    const fresh: ProcEntry[] = [];
    let names: string[];
    try {
      names = readdirSync(root);
    } catch (err) {
      throw new Error(`cannot list ${root} (${(err as Error).message}); is /proc mounted?`);
    }
    const gen = ++this.generation;
    let count = 0;
    for (const name of names) {
      const c = name.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const pid = Number(name);
      let e = this.procs.get(pid);
      // Idle at its last read: skipped, except on its turn (one sample in idleEvery, by pid).
      // A reused pid is noticed on that turn; an exit at once (it leaves /proc).
      if (e !== undefined && e.idle && !all && (pid + gen) % this.idleEvery !== 0) {
        e.gen = gen;
        e.cpuPct = 0;
        count++;
        continue;
      }
      this.lastFd = undefined;
      const f = this.readPidStat(name, e);
      this.pidReads++;
      if (f === undefined) continue; // exited between readdir and read
      count++;
      // Same pid, another start time: the pid was reused by a new process.
      const known = e !== undefined && e.startTicks === f[PS_START];
      if (!known) {
        if (e?.fd !== undefined) this.dropFd(e);
        e = {
          pid, ppid: f[PS_PPID]!, comm: this.commOf(), startTicks: f[PS_START]!, cpuTicks: 0, rssPages: 0,
          kthread: (f[PS_FLAGS]! & PF_KTHREAD) !== 0, cpuPct: 0, gen, readAt: at - dt * 1000, idle: false,
        };
        this.procs.set(pid, e);
        if (!first && !e.kthread) fresh.push(e);
      }
      const p = e!;
      if (this.lastFd !== undefined) {
        if (p.fd !== undefined) this.dropFd(p);
        p.fd = this.lastFd;
      }
      // A process born during the interval used its ticks within it; one skipped
      // for a few samples is averaged over the time since its last read.
      const dTicks = f[PS_TICKS]! - p.cpuTicks;
      const since = (at - p.readAt) / 1000;
      p.cpuPct = dt > 0 && since > 0 ? clampPct((dTicks / (since * this.clk)) * 100, 100 * 1024) : 0;
      p.idle = known && dTicks === 0;
      p.cpuTicks = f[PS_TICKS]!;
      p.readAt = at;
      p.rssPages = f[PS_RSS]!;
      p.gen = gen;
    }
    for (const [pid, p] of this.procs) {
      if (p.gen === gen) continue;
      if (p.fd !== undefined) this.dropFd(p);
      this.procs.delete(pid);
    }
    s.processCount = count;
    const next = this.procs;

    const top = [...next.values()].filter((p) => p.cpuPct > 0).sort((a, b) => b.cpuPct - a.cpuPct).slice(0, this.shedding ? Math.min(2, this.topN) : this.topN);
    for (const p of top) this.identify(p);
    s.topProcesses = top.map((p) => this.info(p));

    // The agent's own children are counted above, never reported.
    const others = fresh.filter((p) => !this.descendsFromSelf(p));
    // Oldest first, so a fork storm reports its first children; the rest are only counted.
    const held = this.held;
    this.held = [];
    return [...held, ...others.slice(0, Math.max(0, this.maxNew - held.length))];
  }

  /** Whether the agent is among p's ancestors (by the ppids this scan read, MAX_ANCESTRY deep). */
  private descendsFromSelf(p: ProcEntry): boolean {
    let ppid = p.ppid;
    for (let depth = 0; depth < MAX_ANCESTRY; depth++) {
      if (ppid === this.selfPid) return true;
      if (ppid <= 1) return false;
      const parent = this.procs.get(ppid);
      if (parent === undefined) return false;
      ppid = parent.ppid;
    }
    return false;
  }

  /**
   * Reads /proc/<pid>/stat and parses the few numeric fields it needs straight
   * from the bytes: on a host with thousands of processes this loop is most
   * of a sample's cost, so it creates no strings or arrays per process.
   */
  private readPidStat(name: string, known: ProcEntry | undefined): Float64Array | undefined {
    let n = -1;
    // A kept descriptor costs one pread instead of open+read+close. It stays
    // bound to the process it was opened for: once that exits, the read fails
    // (even if the pid was reused), and we open afresh.
    if (known?.fd !== undefined) {
      try {
        n = readSync(known.fd, this.reader.buf, 0, 4096, 0);
      } catch {
        try {
          closeSync(known.fd);
        } catch {
          // already closed
        }
        known.fd = undefined;
        this.keptFds--;
      }
    }
    if (n < 0) {
      let fd: number;
      try {
        fd = openSync(`${this.reader.root}/${name}/stat`, 'r');
      } catch {
        return undefined;
      }
      try {
        n = readSync(fd, this.reader.buf, 0, 4096, 0);
      } catch {
        closeSync(fd);
        return undefined;
      }
      if (this.keptFds < this.maxKeptFds) {
        this.lastFd = fd;
        this.keptFds++;
      } else closeSync(fd);
    }
    const b = this.reader.buf;
    let close = n - 1;
    while (close > 0 && b[close] !== 0x29) close--; // comm may hold ')': the last one ends it
    let open = 0;
    while (open < close && b[open] !== 0x28) open++;
    if (close <= open) {
      // Unparsable (empty, or no comm): the descriptor just opened is not kept.
      if (this.lastFd !== undefined) {
        closeSync(this.lastFd);
        this.lastFd = undefined;
        this.keptFds--;
      }
      return undefined;
    }
    this.commStart = open + 1;
    this.commEnd = close;
    const f = this.pidFields;
    f.fill(0);
    let field = 3;
    let v = 0;
    for (let i = close + 2; i < n && field <= 24; i++) {
      const ch = b[i]!;
      if (ch === 0x20 || ch === 0x0a) {
        const slot = FIELD_SLOT[field];
        if (slot !== undefined) f[slot] = f[slot]! + v;
        field++;
        v = 0;
      } else if (ch >= 0x30 && ch <= 0x39) v = v * 10 + (ch - 0x30);
    }
    return f;
  }

  private dropFd(p: ProcEntry): void {
    if (p.fd === undefined) return;
    try {
      closeSync(p.fd);
    } catch {
      // already closed
    }
    p.fd = undefined;
    this.keptFds--;
  }

  /** comm of the last readPidStat (still in the reader's buffer). */
  private commOf(): string {
    return this.reader.buf.toString('utf8', this.commStart, this.commEnd);
  }

  /** exe and user: read once per process (two syscalls), for new and top processes only. */
  private identify(p: ProcEntry): void {
    if (p.exe !== undefined) return;
    try {
      p.exe = readlinkSync(join(this.reader.root, String(p.pid), 'exe'));
    } catch {
      p.exe = ''; // kernel thread, exited, or not ours to read
    }
    const uid = parseStatusUid(this.reader.tryRead(`${p.pid}/status`) ?? '');
    p.user = uid === undefined ? '' : (this.users.get(uid) ?? String(uid));
  }

  /**
   * For an interpreter process: the script file it runs, from its cmdline (one
   * read, once per process). None for inline code (-c, -e), a module, stdin, or
   * an argument that is not a regular file (a pipe, /dev/stdin, a file gone).
   */
  private findScript(p: ProcEntry): void {
    if (p.scriptChecked) return;
    p.scriptChecked = true;
    if (!p.exe || interpreterFamily(p.exe) === undefined) return;
    const dir = `${this.reader.root}/${p.pid}`;
    let arg: string | undefined;
    try {
      arg = scriptArgument(p.exe, parseCmdline(readFileSync(`${dir}/cmdline`).toString('utf8')));
    } catch {
      return; // exited
    }
    if (arg === undefined) return;
    let ref: ScriptRef;
    if (arg.startsWith('/')) {
      // Through the process's root: the file it sees, also inside a container.
      const path = posix.normalize(arg);
      ref = { path, at: `${dir}/root${path}` };
    } else {
      // Not normalized: '..' must be walked by the kernel from the process's cwd.
      let cwd: string | undefined;
      try {
        cwd = readlinkSync(`${dir}/cwd`);
      } catch {
        cwd = undefined;
      }
      ref = { path: cwd === undefined ? arg : posix.resolve(cwd, arg), at: `${dir}/cwd/${arg}` };
    }
    try {
      if (!statSync(ref.at).isFile()) return;
    } catch {
      return;
    }
    p.script = ref;
  }

  /**
   * The new processes of a scan, identified and hashed (an interpreter's script
   * too): those whose hashes are not ready within hashWaitMs are held back to
   * the next sample.
   */
  async describeNew(fresh: ProcEntry[]): Promise<ProcessInfo__Output[]> {
    this.interpreters = new Map();
    if (fresh.length === 0) return [];
    const hashes: Promise<void>[] = [];
    for (const p of fresh) {
      this.identify(p);
      this.findScript(p);
      if (p.sha256 === undefined && p.exe) {
        hashes.push(this.hasher.hash(join(this.reader.root, String(p.pid), 'exe')).then((h) => { p.sha256 = h; }));
      }
      const script = p.script;
      if (script !== undefined && script.sha256 === undefined) {
        hashes.push(this.hasher.hash(script.at).then((h) => { script.sha256 = h; }));
      }
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(hashes),
      new Promise<void>((r) => { timer = setTimeout(r, this.hashWaitMs); }),
    ]);
    if (timer) clearTimeout(timer);
    const ready: ProcEntry[] = [];
    for (const p of fresh) {
      const unhashed = (p.sha256 === undefined && p.exe) || (p.script !== undefined && p.script.sha256 === undefined);
      // Held once at most: a hash still not done by the next sample goes out without it.
      if (unhashed && !p.wasHeld) {
        p.wasHeld = true;
        this.held.push(p);
      } else ready.push(p);
    }
    this.interpreters = new Map(ready.filter((p) => p.script !== undefined).map((p) => [p.pid, this.executableInfo(p)]));
    return ready.map((p) => this.info(p));
  }

  /**
   * The processes already running at the first sample, one per distinct
   * executable (as itself, the interpreter) and one per distinct script an
   * interpreter runs (as its script): for the detectors to learn both.
   */
  async describeExisting(): Promise<ProcessInfo__Output[]> {
    const out: ProcessInfo__Output[] = [];
    const byExe = new Map<string, ProcEntry>();
    const byScript = new Map<string, ProcEntry>();
    for (const p of this.procs.values()) {
      if (p.kthread) continue;
      this.identify(p);
      if (p.exe && !byExe.has(p.exe)) byExe.set(p.exe, p);
      this.findScript(p);
      if (p.script && !byScript.has(p.script.path)) byScript.set(p.script.path, p);
    }
    // One hash per distinct file; bounded so a start on a huge host stays short.
    const deadline = this.now() + 5000;
    for (const p of byExe.values()) {
      if (this.now() > deadline) break;
      p.sha256 = await this.hasher.hash(join(this.reader.root, String(p.pid), 'exe'));
      out.push(this.executableInfo(p));
    }
    for (const p of byScript.values()) {
      if (this.now() > deadline) break;
      p.script!.sha256 = await this.hasher.hash(p.script!.at);
      out.push(this.info(p));
    }
    return out;
  }


  /** Pids of the user-space processes of the last scan, for a walk of their descriptors. */
  *candidates(): IterableIterator<number> {
    for (const p of this.procs.values()) if (!p.kthread) yield p.pid;
  }

  /** A process of the last scan, identified; undefined once it left the table. */
  describe(pid: number): ProcessInfo__Output | undefined {
    const p = this.procs.get(pid);
    if (p === undefined) return undefined;
    this.identify(p);
    return this.info(p);
  }

  /** A process as reported: a script's process as its script (path, hash), its interpreter named. */
  private info(p: ProcEntry): ProcessInfo__Output {
    const i = this.executableInfo(p);
    if (p.script === undefined) return i;
    return { ...i, name: posix.basename(i.exe.replace(/ \(deleted\)$/, '')), exe: p.script.path, sha256: p.script.sha256 ?? '' };
  }

  /** A process as its executable, whatever it runs. */
  private executableInfo(p: ProcEntry): ProcessInfo__Output {
    return {
      pid: p.pid, ppid: p.ppid, name: p.comm, exe: p.exe ?? '', user: p.user ?? '',
      startedAtMs: Math.round(this.btimeMs + (p.startTicks / this.clk) * 1000),
      cpuPct: round2(p.cpuPct), rssBytes: p.rssPages * this.pageSize, sha256: p.sha256 ?? '',
    };
  }
}

/** The agent's pid in the PID namespace of the /proc at root (its 'self' link), else process.pid. */
function ownPid(root: string): number {
  try {
    const pid = Number(readlinkSync(`${root}/self`));
    if (Number.isInteger(pid) && pid > 0) return pid;
  } catch {
    // A fixture tree has no self.
  }
  return process.pid;
}

function clampPct(v: number, max = 100): number {
  return Math.min(max, Math.max(0, v));
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
