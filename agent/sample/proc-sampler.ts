// The real sampler: reads /proc directly and spawns nothing, so its cost stays
// a few milliseconds per sample even on a host with thousands of processes and
// sockets (systeminformation spawns ps and ss: 100+ ms of CPU per call).
//
// What each connection mode sees:
// - the table read at every sample (/proc/net/tcp, tcp6) sees sockets alive at
//   that instant, and TIME_WAIT for 60 s after a connection we closed;
// - the kernel's own counters (/proc/net/snmp ActiveOpens, AttemptFails) count
//   every outbound attempt and every failed one, however short, but not where to;
// - the fast poll reads those counters every pollMs (0.06 ms) and reads the
//   socket tables only when a burst of new attempts is under way, to learn
//   where they go. A refused attempt to a closed port lasts microseconds: its
//   count is seen, its address only by luck.
// Reading the socket tables is the costliest read (the kernel walks its whole
// hash table: 8 ms empty, 16 ms at 4,000 sockets on this machine), so samples
// read them on a burst of new outbound attempts, on any new attempt once
// tableMinGapMs passed, and every tableMaxAgeMs while the kernel's socket
// counters moved (every tableMaxIdleMs when they did not); in between the last
// read's connection figures stand (the kernel counters are always fresh).
//
// Processes: /proc/<pid>/stat is read every sample for the processes that used
// CPU at their last read and for new ones; the idle rest one sample in
// idleEvery, or all at once when the host's busy cores jump.
import { closeSync, openSync, readFileSync, readSync, readdirSync, readlinkSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Endpoint__Output, ProcessInfo__Output, PortCount__Output, DiskUsage__Output } from '../../proto/wire.ts';
import { ExeHasher } from './exe-hash.ts';
import {
  PF_KTHREAD, TCP_STATES, hexAddr, parseDiskstats, parseMeminfo, parseMounts, parseNetSockets, parsePasswd,
  parsePidStat, parseProcStat, parseSnmpTcp, parseStatusUid, sockstatKey,
  type CpuTimes, type DiskCounters, type SocketRow, type TcpCounters,
} from './procfs.ts';
import { emptySample, type Sample, type Sampler } from './sampler.ts';

export interface ProcSamplerOptions {
  /** Where /proc is; tests point it at a fixture tree. Default '/proc'. */
  procRoot?: string;
  /** uid → user names. Default '/etc/passwd'. */
  passwdPath?: string;
  /** USER_HZ; 100 on every Linux architecture Node runs on. */
  clockTicks?: number;
  pageSize?: number;
  /** Fast connection poll period; 0 disables it. Default 1000 ms. */
  pollMs?: number;
  /** New outbound attempts (within one poll, or since the last table read) that make it read the socket tables at once. Default 20. */
  burstOpens?: number;
  /** After fewer new attempts, the tables are read again once this long passed since the last read. Default 15 s. */
  tableMinGapMs?: number;
  /**
   * The socket tables are read at least this often while the kernel's socket
   * counters moved since the last read. Default 60 s.
   */
  tableMaxAgeMs?: number;
  /** ... and at least this often even when they did not. Default 10 min. */
  tableMaxIdleMs?: number;
  /** The fast poll reads the socket tables at most this often during a burst. Default 5 s. */
  pollTableGapMs?: number;
  /** /proc/<pid>/stat descriptors kept open between samples (one per process). Default 4096; 0 disables. */
  maxKeptFds?: number;
  /**
   * A process that used no CPU since its last read is read again only every this
   * many samples (spread over them by pid), unless the host's CPU jumps: on a host
   * of mostly sleeping processes this skips most /proc/<pid>/stat reads. Default 6; 1 reads all.
   */
  idleEvery?: number;
  /** A rise of this many busy cores since the last sample makes it read every process. Default 0.5. */
  fullScanOnCoresRise?: number;
  /** Top processes by CPU in each sample. Default 5. */
  topN?: number;
  /** New processes reported per sample at most (the rest are counted only). Default 50. */
  maxNewProcesses?: number;
  /** How long a sample waits for new executables' hashes before holding them to the next. Default 500 ms. */
  hashWaitMs?: number;
  exeHasher?: ExeHasher;
  /** Disk usage of a mount; injectable for fixture tests. Default fs.statfs. */
  statfs?: (mount: string) => Promise<{ totalBytes: number; usedBytes: number } | undefined>;
  now?: () => number;
  logger?: Logger;
}

/** What a sample knows beyond the wire message: for the detectors' learning and evidence. */
export interface SampleContext {
  /** On the first sample only: the processes already running, for the detectors to learn. */
  existingProcesses: ProcessInfo__Output[];
  /** A bounded sample of outbound remote endpoints seen during the interval, first contacts first. */
  remotes: Endpoint__Output[];
  /** Outbound endpoints not in the previous sample's table, per remote port: where the new traffic goes. */
  newRemotePorts: Map<number, number>;
  /** Processes owning outbound sockets to a remote port (walks /proc/<pid>/fd: for evidence only). */
  ownersOfRemotePort(port: number, limit?: number): ProcessInfo__Output[];
}

interface ProcEntry {
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

// Indexes into ProcSampler.pidFields.
const PS_PPID = 0;
const PS_FLAGS = 1;
const PS_TICKS = 2;
const PS_START = 3;
const PS_RSS = 4;
// Field numbers of proc(5) /proc/<pid>/stat: ppid 4, flags 9, utime 14, stime 15, starttime 22, rss 24.
const FIELD_SLOT: Record<number, number> = { 4: PS_PPID, 9: PS_FLAGS, 14: PS_TICKS, 15: PS_TICKS, 22: PS_START, 24: PS_RSS };

const MAX_REMOTE_KEYS = 8192;
const MAX_REMOTE_SAMPLE = 256;
const MAX_INODES_PER_PORT = 64;
const MAX_LISTENING = 256;

export class ProcSampler implements Sampler {
  readonly procRoot: string;
  private readonly clk: number;
  private readonly pageSize: number;
  private readonly topN: number;
  private readonly maxNew: number;
  private readonly hashWaitMs: number;
  private readonly burstOpens: number;
  private readonly hasher: ExeHasher;
  private readonly now: () => number;
  private readonly statfs: (mount: string) => Promise<{ totalBytes: number; usedBytes: number } | undefined>;
  private readonly users = new Map<number, string>();
  private readonly logger: Logger | undefined;

  private first = true;
  private lastAt = 0;
  private lastCpu: CpuTimes | undefined;
  private lastDisk: DiskCounters | undefined;
  private lastTcp: TcpCounters | undefined;
  private btimeMs = 0;
  private procs = new Map<number, ProcEntry>();
  private generation = 0;
  private shedding = false;
  private keptFds = 0;
  private lastFd: number | undefined;
  private readonly maxKeptFds: number;
  private readonly idleEvery: number;
  private readonly fullScanOnCoresRise: number;
  private lastBusyCores = 0;
  /** /proc/<pid>/stat reads made by samples: for the benchmark. */
  pidReads = 0;
  /** Fields of the last /proc/<pid>/stat read (see PS_*), reused to allocate nothing per process. */
  private readonly pidFields = new Float64Array(6);
  private commStart = 0;
  private commEnd = 0;
  /** New processes whose hash was not ready: reported with the next sample. */
  private held: ProcEntry[] = [];
  private listenPorts = new Set<number>();
  private ctx: SampleContext;
  private inodesByRemotePort = new Map<number, number[]>();
  private lastRemoteKeys = new Set<string>();
  private buf = Buffer.allocUnsafe(64 * 1024);
  private readonly tableMinGapMs: number;
  private readonly tableMaxAgeMs: number;
  private readonly tableMaxIdleMs: number;
  private tableAt = 0;
  /** The kernel's socket counters at the last table read (see sockstatKey, plus accepted connections). */
  private tableCountsKey = '';
  private tableOpensAt = 0;
  private tableSummary: Pick<Sample, 'connCount' | 'connEstablished' | 'connOutbound' | 'distinctRemoteAddrs'
    | 'distinctRemotePorts' | 'remotePortCounts' | 'listening'> | undefined;
  /** Socket-table reads made by samples: for the benchmark. */
  tableReads = 0;
  private mounts: { list: string[]; at: number } | undefined;

  // Fast poll state: remote endpoints seen between samples.
  private pollTimer: NodeJS.Timeout | undefined;
  private pollLastOpens = -1;
  private pollRemotes = new Map<string, Endpoint__Output>();
  /** Socket-table reads the fast poll made (a burst was under way): for the benchmark. */
  pollTableReads = 0;
  private pollTableAt = 0;
  /** Usual new outbound attempts per sample (EWMA). */
  private opensEwma = 0;
  private readonly pollMs: number;
  /** Time between the last two samples: scales the usual rate to one poll. */
  private intervalGuessMs = 5000;
  private readonly pollTableGapMs: number;
  polls = 0;

  constructor(opts: ProcSamplerOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.clk = opts.clockTicks ?? 100;
    this.pageSize = opts.pageSize ?? 4096;
    this.topN = opts.topN ?? 5;
    this.maxNew = opts.maxNewProcesses ?? 50;
    this.hashWaitMs = opts.hashWaitMs ?? 500;
    this.burstOpens = opts.burstOpens ?? 20;
    this.tableMinGapMs = opts.tableMinGapMs ?? 15_000;
    this.pollTableGapMs = opts.pollTableGapMs ?? 5000;
    this.maxKeptFds = opts.maxKeptFds ?? 4096;
    this.idleEvery = Math.max(1, Math.floor(opts.idleEvery ?? 6));
    this.fullScanOnCoresRise = opts.fullScanOnCoresRise ?? 0.5;
    this.tableMaxAgeMs = opts.tableMaxAgeMs ?? 60_000;
    this.tableMaxIdleMs = Math.max(this.tableMaxAgeMs, opts.tableMaxIdleMs ?? 600_000);
    this.hasher = opts.exeHasher ?? new ExeHasher();
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger;
    this.statfs = opts.statfs ?? defaultStatfs;
    try {
      for (const [uid, name] of parsePasswd(readFileSync(opts.passwdPath ?? '/etc/passwd', 'utf8'))) this.users.set(uid, name);
    } catch {
      // Numeric uids then.
    }
    this.ctx = { existingProcesses: [], remotes: [], newRemotePorts: new Map(), ownersOfRemotePort: () => [] };
    const pollMs = opts.pollMs ?? 1000;
    this.pollMs = pollMs;
    if (pollMs > 0) {
      this.pollTimer = setInterval(() => this.poll(), pollMs);
      this.pollTimer.unref();
    }
  }

  /**
   * While the agent's watchdog sheds work: socket tables at most once a minute
   * (bursts still read them), no table reads by the fast poll, fewer top processes.
   */
  setShedding(on: boolean): void {
    this.shedding = on;
  }

  /** Context of the last sample (see SampleContext). */
  context(): SampleContext {
    return this.ctx;
  }

  close(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    for (const p of this.procs.values()) this.dropFd(p);
  }

  /**
   * open/read/close into one reused buffer: a third of readFileSync's cost
   * (no fstat, no allocation per file), which matters 500 times per sample.
   */
  private read(rel: string): string {
    const fd = openSync(`${this.procRoot}/${rel}`, 'r');
    try {
      let n = 0;
      for (;;) {
        const r = readSync(fd, this.buf, n, this.buf.length - n, null);
        if (r === 0) break;
        n += r;
        if (n === this.buf.length) {
          const bigger = Buffer.allocUnsafe(this.buf.length * 2);
          this.buf.copy(bigger, 0, 0, n);
          this.buf = bigger;
        }
      }
      return this.buf.toString('latin1', 0, n);
    } finally {
      closeSync(fd);
    }
  }

  private tryRead(rel: string): string | undefined {
    try {
      return this.read(rel);
    } catch {
      return undefined;
    }
  }

  async sample(): Promise<Sample> {
    const at = this.now();
    const s = emptySample(at);
    const dt = this.first ? 0 : Math.max(0.001, (at - this.lastAt) / 1000);
    s.intervalS = dt;

    // CPU and memory.
    const stat = parseProcStat(this.read('stat'));
    this.btimeMs = stat.btime * 1000;
    // A jump in busy cores means some process woke up: read every process then,
    // so the top processes name it (idle ones are otherwise skipped).
    let fullScan = this.first || this.idleEvery <= 1;
    if (this.lastCpu) {
      const dTotal = stat.cpu.total - this.lastCpu.total;
      const dBusy = stat.cpu.busy - this.lastCpu.busy;
      s.cpuPct = dTotal > 0 ? clampPct((dBusy / dTotal) * 100) : 0;
      const busyCores = dt > 0 ? dBusy / (dt * this.clk) : 0;
      if (busyCores - this.lastBusyCores >= this.fullScanOnCoresRise) fullScan = true;
      this.lastBusyCores = busyCores;
    }
    this.lastCpu = stat.cpu;
    const mem = parseMeminfo(this.read('meminfo'));
    s.memTotalBytes = mem.totalBytes;
    s.memUsedBytes = mem.usedBytes;
    s.memUsedPct = mem.totalBytes > 0 ? (mem.usedBytes / mem.totalBytes) * 100 : 0;

    // Disk I/O rates.
    const disk = parseDiskstats(this.tryRead('diskstats') ?? '');
    if (this.lastDisk && dt > 0) {
      s.diskReadBps = Math.max(0, disk.readBytes - this.lastDisk.readBytes) / dt;
      s.diskWriteBps = Math.max(0, disk.writeBytes - this.lastDisk.writeBytes) / dt;
      s.diskReadIops = Math.max(0, disk.readOps - this.lastDisk.readOps) / dt;
      s.diskWriteIops = Math.max(0, disk.writeOps - this.lastDisk.writeOps) / dt;
    }
    this.lastDisk = disk;

    // Processes.
    const newOnes = this.scanProcesses(at, dt, s, fullScan);

    // Outbound attempts, counted by the kernel.
    const snmp = this.tryRead('net/snmp');
    const tcp = snmp === undefined ? undefined : parseSnmpTcp(snmp);
    if (tcp && this.lastTcp) {
      s.newOutboundAttempts = Math.max(0, tcp.activeOpens - this.lastTcp.activeOpens);
      s.failedOutboundAttempts = Math.max(0, tcp.attemptFails - this.lastTcp.attemptFails);
    }
    if (tcp) this.lastTcp = tcp;

    // Sockets. Reading the tables costs the kernel ~3 µs per socket plus a walk
    // of its whole hash table (16 ms at 4,800 sockets here), so a sample reads
    // them at once after a burst of new outbound attempts (burstOpens), after
    // any new attempt once tableMinGapMs passed since the last read (a
    // connection we closed stays visible in TIME_WAIT for 60 s), and at least
    // every tableMaxAgeMs; otherwise the last read's figures stand.
    const opensSince = tcp ? tcp.activeOpens - this.tableOpensAt : Number.POSITIVE_INFINITY;
    const age = at - this.tableAt;
    // A host that always connects a lot (a mail relay, a test runner) has a higher
    // bar for a burst: four times its usual attempts per sample, learned here.
    const burstBar = Math.max(this.burstOpens, 4 * this.opensEwma);
    if (this.lastAt > 0) this.opensEwma += 0.1 * (s.newOutboundAttempts - this.opensEwma);
    const minGap = this.shedding ? Math.max(this.tableMinGapMs, 60_000) : this.tableMinGapMs;
    // When no socket was opened, accepted, closed or bound since the last read
    // (the counters in /proc/net/sockstat and snmp stand still, 20 µs to read),
    // the tables hold the same sockets: the periodic read waits (tableMaxIdleMs).
    const countsKey = `${this.tryRead('net/sockstat') ?? ''}|${this.tryRead('net/sockstat6') ?? ''}`;
    const key = `${sockstatKey(countsKey)}a${tcp?.activeOpens ?? -1}p${tcp?.passiveOpens ?? -1}`;
    const quiet = key === this.tableCountsKey && !key.startsWith('a');
    if (this.tableSummary === undefined || opensSince >= burstBar || (opensSince > 0 && age >= minGap)
      || (age >= this.tableMaxAgeMs && !quiet) || age >= this.tableMaxIdleMs || this.pollRemotes.size > 0) {
      this.scanSockets(s);
      this.tableReads++;
      this.tableAt = at;
      this.tableCountsKey = key;
      if (tcp) this.tableOpensAt = tcp.activeOpens;
      this.tableSummary = {
        connCount: s.connCount, connEstablished: s.connEstablished, connOutbound: s.connOutbound,
        distinctRemoteAddrs: s.distinctRemoteAddrs, distinctRemotePorts: s.distinctRemotePorts,
        remotePortCounts: s.remotePortCounts, listening: s.listening,
      };
    } else {
      Object.assign(s, this.tableSummary);
      this.ctx = { ...this.ctx, existingProcesses: [], newRemotePorts: new Map() };
    }

    // Disk usage and the hashes of new executables: the only awaited work.
    const [disks, ready] = await Promise.all([this.diskUsage(), this.describeNew(newOnes)]);
    s.disks = disks;
    s.newProcesses = ready.map((p) => this.info(p));

    if (this.first) this.ctx.existingProcesses = await this.describeExisting();
    this.first = false;
    if (this.lastAt > 0) this.intervalGuessMs = Math.max(1, at - this.lastAt);
    this.lastAt = at;
    return s;
  }

  private scanProcesses(at: number, dt: number, s: Sample, fullScan: boolean): ProcEntry[] {
    const fresh: ProcEntry[] = [];
    let names: string[];
    try {
      names = readdirSync(this.procRoot);
    } catch (err) {
      throw new Error(`cannot list ${this.procRoot} (${(err as Error).message}); is /proc mounted?`);
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
      if (e !== undefined && e.idle && !fullScan && (pid + gen) % this.idleEvery !== 0) {
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
        if (!this.first && !e.kthread) fresh.push(e);
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

    // Oldest first, so a fork storm reports its first children; the rest are only counted.
    const held = this.held;
    this.held = [];
    return [...held, ...fresh.slice(0, Math.max(0, this.maxNew - held.length))];
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
        n = readSync(known.fd, this.buf, 0, 4096, 0);
      } catch {
        closeSync(known.fd);
        known.fd = undefined;
        this.keptFds--;
      }
    }
    if (n < 0) {
      let fd: number;
      try {
        fd = openSync(`${this.procRoot}/${name}/stat`, 'r');
      } catch {
        return undefined;
      }
      try {
        n = readSync(fd, this.buf, 0, 4096, 0);
      } catch {
        closeSync(fd);
        return undefined;
      }
      if (this.keptFds < this.maxKeptFds) {
        this.lastFd = fd;
        this.keptFds++;
      } else closeSync(fd);
    }
    const b = this.buf;
    let close = n - 1;
    while (close > 0 && b[close] !== 0x29) close--; // comm may hold ')': the last one ends it
    let open = 0;
    while (open < close && b[open] !== 0x28) open++;
    if (close <= open) return undefined;
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

  /** comm of the last readPidStat. */
  private commOf(): string {
    return this.buf.toString('utf8', this.commStart, this.commEnd);
  }

  /** exe and user: read once per process (two syscalls), for new and top processes only. */
  private identify(p: ProcEntry): void {
    if (p.exe !== undefined) return;
    try {
      p.exe = readlinkSync(join(this.procRoot, String(p.pid), 'exe'));
    } catch {
      p.exe = ''; // kernel thread, exited, or not ours to read
    }
    const uid = parseStatusUid(this.tryRead(`${p.pid}/status`) ?? '');
    p.user = uid === undefined ? '' : (this.users.get(uid) ?? String(uid));
  }

  private async describeNew(fresh: ProcEntry[]): Promise<ProcEntry[]> {
    if (fresh.length === 0) return [];
    for (const p of fresh) this.identify(p);
    const pending = fresh.filter((p) => p.sha256 === undefined && p.exe);
    const hashes = pending.map(async (p) => {
      p.sha256 = await this.hasher.hash(join(this.procRoot, String(p.pid), 'exe'));
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(hashes),
      new Promise<void>((r) => { timer = setTimeout(r, this.hashWaitMs); }),
    ]);
    if (timer) clearTimeout(timer);
    const ready: ProcEntry[] = [];
    for (const p of fresh) {
      // Held once at most: a hash still not done by the next sample goes out without it.
      if (p.sha256 === undefined && p.exe && !p.wasHeld) {
        p.wasHeld = true;
        this.held.push(p);
      } else ready.push(p);
    }
    return ready;
  }

  private async describeExisting(): Promise<ProcessInfo__Output[]> {
    const out: ProcessInfo__Output[] = [];
    const byExe = new Map<string, ProcEntry>();
    for (const p of this.procs.values()) {
      if (p.kthread) continue;
      this.identify(p);
      if (p.exe && !byExe.has(p.exe)) byExe.set(p.exe, p);
    }
    // One hash per distinct executable; bounded so a start on a huge host stays short.
    const deadline = this.now() + 5000;
    for (const p of byExe.values()) {
      if (this.now() > deadline) break;
      p.sha256 = await this.hasher.hash(join(this.procRoot, String(p.pid), 'exe'));
      out.push(this.info(p));
    }
    return out;
  }

  private info(p: ProcEntry): ProcessInfo__Output {
    return {
      pid: p.pid, ppid: p.ppid, name: p.comm, exe: p.exe ?? '', user: p.user ?? '',
      startedAtMs: Math.round(this.btimeMs + (p.startTicks / this.clk) * 1000),
      cpuPct: round2(p.cpuPct), rssBytes: p.rssPages * this.pageSize, sha256: p.sha256 ?? '',
    };
  }

  private readSockets(): { rows: SocketRow[] } {
    const rows: SocketRow[] = [];
    // Each table read walks the kernel's whole TCP hash table (about 4 ms here,
    // however few sockets there are): skip tcp6 when the host has no IPv6 TCP socket.
    const st6 = this.tryRead('net/sockstat6');
    const files = st6 !== undefined && /TCP6: inuse 0\b/.test(st6) ? ['net/tcp'] : ['net/tcp', 'net/tcp6'];
    for (const f of files) {
      const text = this.tryRead(f);
      if (text === undefined) continue;
      for (const r of parseNetSockets(text)) rows.push(r);
    }
    return { rows };
  }

  private scanSockets(s: Sample): void {
    const { rows } = this.readSockets();
    const listenPorts = new Set<number>();
    const listening = new Map<string, Endpoint__Output>();
    for (const r of rows) {
      if (r.st !== '0A') continue;
      listenPorts.add(r.localPort);
      const address = hexAddr(r.localAddr);
      const k = `tcp|${address}|${r.localPort}`;
      if (listening.size < MAX_LISTENING) listening.set(k, { address, port: r.localPort, protocol: 'tcp', state: 'LISTEN' });
    }
    this.listenPorts = listenPorts;

    const remoteAddrs = new Set<string>();
    const portCounts = new Map<number, number>();
    const remotes = new Map<string, Endpoint__Output>();
    const inodes = new Map<number, number[]>();
    let conn = 0;
    let est = 0;
    let out = 0;
    const addRemote = (k: string, addrHex: string, port: number, st: string): void => {
      remoteAddrs.add(addrHex);
      portCounts.set(port, (portCounts.get(port) ?? 0) + 1);
      if (remotes.size < MAX_REMOTE_SAMPLE && !remotes.has(k)) {
        remotes.set(k, { address: hexAddr(addrHex), port, protocol: 'tcp', state: TCP_STATES[st] ?? st });
      }
    };
    // First contacts go first in the bounded sample: on a busy host the old,
    // long-lived connections would otherwise fill it.
    const seen = new Set<string>();
    const newPorts = new Map<number, number>();
    const older: SocketRow[] = [];
    for (const r of rows) {
      if (r.st === '0A') continue;
      conn++;
      if (r.st === '01') est++;
      if (listenPorts.has(r.localPort)) continue; // inbound: a client of one of our listeners
      out++;
      const k = `${r.remoteAddr}:${r.remotePort}`;
      if (seen.size < MAX_REMOTE_KEYS) seen.add(k);
      if (this.lastRemoteKeys.has(k)) {
        older.push(r);
        continue;
      }
      if (!remotes.has(k)) newPorts.set(r.remotePort, (newPorts.get(r.remotePort) ?? 0) + 1);
      addRemote(k, r.remoteAddr, r.remotePort, r.st);
      if (r.inode > 0) {
        const list = inodes.get(r.remotePort) ?? [];
        if (list.length < MAX_INODES_PER_PORT) list.push(r.inode);
        inodes.set(r.remotePort, list);
      }
    }
    for (const r of older) addRemote(`${r.remoteAddr}:${r.remotePort}`, r.remoteAddr, r.remotePort, r.st);
    this.lastRemoteKeys = seen;
    // Endpoints the fast poll saw that are gone by now (counted once per distinct endpoint).
    for (const [k, e] of this.pollRemotes) {
      if (remotes.has(k) || seen.has(k)) continue;
      newPorts.set(e.port, (newPorts.get(e.port) ?? 0) + 1);
      remoteAddrs.add(k.slice(0, k.lastIndexOf(':')));
      portCounts.set(e.port, (portCounts.get(e.port) ?? 0) + 1);
      if (remotes.size < MAX_REMOTE_SAMPLE) remotes.set(k, e);
    }
    this.pollRemotes.clear();
    this.inodesByRemotePort = inodes;

    s.connCount = conn;
    s.connEstablished = est;
    s.connOutbound = out;
    s.distinctRemoteAddrs = remoteAddrs.size;
    s.distinctRemotePorts = portCounts.size;
    s.remotePortCounts = [...portCounts].sort((a, b) => b[1] - a[1]).slice(0, 32)
      .map(([port, count]): PortCount__Output => ({ protocol: 'tcp', port, count }));

    // UDP: unconnected sockets with a port are the listeners.
    for (const f of ['net/udp', 'net/udp6']) {
      const text = this.tryRead(f);
      if (text === undefined) continue;
      for (const r of parseNetSockets(text)) {
        if (r.remotePort !== 0 || listening.size >= MAX_LISTENING) continue;
        const address = hexAddr(r.localAddr);
        listening.set(`udp|${address}|${r.localPort}`, { address, port: r.localPort, protocol: 'udp', state: 'UNCONN' });
      }
    }
    s.listening = [...listening.values()];

    this.ctx = {
      existingProcesses: [],
      remotes: [...remotes.values()],
      newRemotePorts: newPorts,
      ownersOfRemotePort: (port, limit = 10) => this.ownersOf(inodes.get(port) ?? [], limit),
    };
  }

  /** Cheap between samples: two counters; the socket tables only during a burst of attempts. */
  private poll(): void {
    this.polls++;
    const snmp = this.tryRead('net/snmp');
    if (snmp === undefined) return;
    const opens = parseSnmpTcp(snmp).activeOpens;
    const bar = Math.max(this.burstOpens, (4 * this.opensEwma * this.pollMs) / Math.max(this.pollMs, this.intervalGuessMs));
    const burst = this.pollLastOpens >= 0 && opens - this.pollLastOpens >= bar;
    this.pollLastOpens = opens;
    if (!burst || this.shedding || this.pollRemotes.size >= MAX_REMOTE_KEYS) return;
    // One table read per interval is enough to name where a burst goes (its
    // accepted connections stay in TIME_WAIT, its unanswered SYNs for seconds),
    // and a table read on a busy host costs tens of milliseconds.
    const now = this.now();
    if (now - this.pollTableAt < this.pollTableGapMs) return;
    this.pollTableAt = now;
    this.pollTableReads++;
    const { rows } = this.readSockets();
    const listen = new Set(this.listenPorts);
    for (const r of rows) if (r.st === '0A') listen.add(r.localPort);
    for (const r of rows) {
      if (r.st === '0A' || listen.has(r.localPort)) continue;
      const k = `${r.remoteAddr}:${r.remotePort}`;
      if (this.pollRemotes.size >= MAX_REMOTE_KEYS) break;
      if (!this.pollRemotes.has(k)) {
        this.pollRemotes.set(k, { address: hexAddr(r.remoteAddr), port: r.remotePort, protocol: 'tcp', state: TCP_STATES[r.st] ?? r.st });
      }
    }
  }

  /** Walks /proc/<pid>/fd for the given socket inodes, within a time budget. */
  private ownersOf(inodes: number[], limit: number): ProcessInfo__Output[] {
    if (inodes.length === 0) return [];
    const want = new Set(inodes.map((i) => `socket:[${i}]`));
    const found: ProcessInfo__Output[] = [];
    const deadline = Date.now() + 100;
    for (const p of this.procs.values()) {
      if (found.length >= limit || Date.now() > deadline) break;
      if (p.kthread) continue;
      let fds: string[];
      try {
        fds = readdirSync(join(this.procRoot, String(p.pid), 'fd'));
      } catch {
        continue;
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = readlinkSync(join(this.procRoot, String(p.pid), 'fd', fd));
        } catch {
          continue;
        }
        if (want.has(target)) {
          this.identify(p);
          found.push(this.info(p));
          break;
        }
      }
    }
    return found;
  }

  private async diskUsage(): Promise<DiskUsage__Output[]> {
    // Mounts rarely change: re-read the list once a minute.
    if (!this.mounts || this.now() - this.mounts.at > 60_000) {
      const text = this.tryRead('mounts');
      this.mounts = { list: text === undefined ? [] : parseMounts(text).slice(0, 32).map((m) => m.mount), at: this.now() };
    }
    const mounts = this.mounts.list.map((mount) => ({ mount }));
    const res = await Promise.all(mounts.map(async (m) => {
      const u = await this.statfs(m.mount).catch(() => undefined);
      return u ? { mount: m.mount, totalBytes: u.totalBytes, usedBytes: u.usedBytes } : undefined;
    }));
    return res.filter((d): d is DiskUsage__Output => d !== undefined);
  }
}

// Synchronous: one statfs syscall is cheaper than a trip through the thread pool.
async function defaultStatfs(mount: string): Promise<{ totalBytes: number; usedBytes: number } | undefined> {
  const st = statfsSync(mount);
  return { totalBytes: st.blocks * st.bsize, usedBytes: (st.blocks - st.bfree) * st.bsize };
}

function clampPct(v: number, max = 100): number {
  return Math.min(max, Math.max(0, v));
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
