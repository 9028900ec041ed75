// The real sampler: reads /proc directly and spawns nothing, so its cost stays
// a few milliseconds per sample even on a host with thousands of processes and
// sockets (systeminformation spawns ps and ss: 100+ ms of CPU per call).
//
// It takes the host metrics (CPU, memory, disk I/O and usage, the kernel's TCP
// counters) itself and composes the process table (process-table.ts) and the
// socket tables with their fast poll (socket-tables.ts), over one reader.
// What each connection mode sees, and when the socket tables are read: see socket-tables.ts.
import { statfsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Contact__Output, Endpoint__Output, ProcessInfo__Output, DiskUsage__Output } from '../../proto/wire.ts';
import { ContactTracker, MAX_CONTACTS_PER_DIRECTION, CONTACT_WINDOW_MS, type ContactDirection } from './contacts.ts';
import { ExeHasher } from './exe-hash.ts';
import {
  parseDiskstats, parseMeminfo, parseMounts, parseProcStat, parseSnmpTcp,
  type CpuTimes, type DiskCounters, type TcpCounters,
} from './procfs.ts';
import { ProcReader } from './proc-reader.ts';
import { ProcessTable } from './process-table.ts';
import { emptySample, type Sample, type Sampler } from './sampler.ts';
import { SocketTables } from './socket-tables.ts';

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
  /**
   * Contact tracing (contacts.ts): a contact absent this long is reported again
   * when it returns. Default 10 min, and always longer than tableMaxIdleMs (a
   * long-lived connection must not look new at each idle table read).
   */
  contactWindowMs?: number;
  /** Contacts remembered at most. Default 4096. */
  maxRememberedContacts?: number;
  /** Contacts listed per direction per sample (the rest counted as dropped). Default 64. */
  maxContactsPerDirection?: number;
  /** Disk usage of a mount; injectable for fixture tests. Default fs.statfs. */
  statfs?: (mount: string) => Promise<{ totalBytes: number; usedBytes: number } | undefined>;
  /** The agent's pid, whose descendants are never new processes. Default: /proc/self, else process.pid. */
  selfPid?: number;
  now?: () => number;
  logger?: Logger;
}

/** What a sample knows beyond the wire message: for the detectors' learning and evidence. */
export interface SampleContext {
  /** On the first sample only: the processes already running, for the detectors to learn. */
  existingProcesses: ProcessInfo__Output[];
  /** A bounded sample of outbound remote endpoints seen during the interval, first contacts first. */
  remotes: Endpoint__Output[];
  /**
   * For the new processes identified by the script they run (newProcesses shows
   * the script): the interpreter itself, by pid, so a new interpreter binary is still seen.
   */
  interpreters?: Map<number, ProcessInfo__Output>;
  /** Outbound endpoints not in the previous sample's table, per remote port: where the new traffic goes. */
  newRemotePorts: Map<number, number>;
  /** Processes owning outbound sockets to a remote port (walks /proc/<pid>/fd: for evidence only). */
  ownersOfRemotePort(port: number, limit?: number): ProcessInfo__Output[];
}

export class ProcSampler implements Sampler {
  readonly procRoot: string;
  private readonly clk: number;
  private readonly now: () => number;
  private readonly statfs: (mount: string) => Promise<{ totalBytes: number; usedBytes: number } | undefined>;
  private readonly logger: Logger | undefined;
  private readonly reader: ProcReader;
  private readonly processes: ProcessTable;
  private readonly sockets: SocketTables;
  /** First-seen contacts of the socket tables; the kernel counting sampler feeds the same one. */
  readonly contacts: ContactTracker;

  private first = true;
  private lastAt = 0;
  private lastCpu: CpuTimes | undefined;
  private lastDisk: DiskCounters | undefined;
  private lastTcp: TcpCounters | undefined;
  private readonly idleEvery: number;
  private readonly fullScanOnCoresRise: number;
  private lastBusyCores = 0;
  private ctx: SampleContext;
  private mounts: { list: string[]; at: number } | undefined;

  constructor(opts: ProcSamplerOptions = {}) {
    this.procRoot = opts.procRoot ?? '/proc';
    this.clk = opts.clockTicks ?? 100;
    this.idleEvery = Math.max(1, Math.floor(opts.idleEvery ?? 6));
    this.fullScanOnCoresRise = opts.fullScanOnCoresRise ?? 0.5;
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger;
    this.statfs = opts.statfs ?? defaultStatfs;
    this.reader = new ProcReader(this.procRoot);
    this.processes = new ProcessTable({
      reader: this.reader,
      passwdPath: opts.passwdPath ?? '/etc/passwd',
      clockTicks: this.clk,
      pageSize: opts.pageSize ?? 4096,
      topN: opts.topN ?? 5,
      maxNewProcesses: opts.maxNewProcesses ?? 50,
      hashWaitMs: opts.hashWaitMs ?? 500,
      maxKeptFds: opts.maxKeptFds ?? 4096,
      idleEvery: this.idleEvery,
      hasher: opts.exeHasher ?? new ExeHasher(),
      now: this.now,
      selfPid: opts.selfPid,
    });
    this.ctx = { existingProcesses: [], interpreters: new Map(), remotes: [], newRemotePorts: new Map(), ownersOfRemotePort: () => [] };
    const tableMaxAgeMs = opts.tableMaxAgeMs ?? 60_000;
    const tableMaxIdleMs = Math.max(tableMaxAgeMs, opts.tableMaxIdleMs ?? 600_000);
    this.contacts = new ContactTracker({
      windowMs: Math.max(opts.contactWindowMs ?? CONTACT_WINDOW_MS, tableMaxIdleMs + 120_000),
      maxRemembered: opts.maxRememberedContacts,
      maxPerDirection: opts.maxContactsPerDirection ?? MAX_CONTACTS_PER_DIRECTION,
    });
    this.sockets = new SocketTables({
      reader: this.reader,
      processes: this.processes,
      now: this.now,
      burstOpens: opts.burstOpens ?? 20,
      tableMinGapMs: opts.tableMinGapMs ?? 15_000,
      tableMaxAgeMs,
      tableMaxIdleMs,
      pollMs: opts.pollMs ?? 1000,
      pollTableGapMs: opts.pollTableGapMs ?? 5000,
      contacts: this.contacts,
    });
  }

  /** /proc/<pid>/stat reads made by samples: for the benchmark. */
  get pidReads(): number {
    return this.processes.pidReads;
  }

  /** Socket-table reads made by samples: for the benchmark. */
  get tableReads(): number {
    return this.sockets.tableReads;
  }

  /** Socket-table reads the fast poll made (a burst was under way): for the benchmark. */
  get pollTableReads(): number {
    return this.sockets.pollTableReads;
  }

  /** Fast polls run. */
  get polls(): number {
    return this.sockets.polls;
  }

  /**
   * While the agent's watchdog sheds work: socket tables at most once a minute
   * (bursts still read them), no table reads by the fast poll, fewer top processes.
   */
  setShedding(on: boolean): void {
    this.sockets.setShedding(on);
    this.processes.setShedding(on);
  }

  /** The kernel's TCP counters at the last sample (undefined when /proc/net/snmp is unreadable). */
  tcpCounters(): TcpCounters | undefined {
    return this.lastTcp;
  }

  /** Context of the last sample (see SampleContext). */
  context(): SampleContext {
    return this.ctx;
  }

  recentContacts(direction: ContactDirection, sinceMs: number, max: number): Contact__Output[] {
    return this.contacts.recent(direction, sinceMs, max);
  }

  close(): void {
    this.sockets.close();
    this.processes.close();
  }

  async sample(): Promise<Sample> {
    const at = this.now();
    const s = emptySample(at);
    const dt = this.first ? 0 : Math.max(0.001, (at - this.lastAt) / 1000);
    s.intervalS = dt;

    // CPU and memory.
    const stat = parseProcStat(this.reader.read('stat'));
    this.processes.btimeMs = stat.btime * 1000;
    // A jump in busy cores means some process woke up: read every process then,
    // so the top processes name it (idle ones are otherwise skipped).
    let fullScan = this.first;
    if (this.lastCpu) {
      const dTotal = stat.cpu.total - this.lastCpu.total;
      const dBusy = stat.cpu.busy - this.lastCpu.busy;
      s.cpuPct = dTotal > 0 ? clampPct((dBusy / dTotal) * 100) : 0;
      const busyCores = dt > 0 ? dBusy / (dt * this.clk) : 0;
      if (busyCores - this.lastBusyCores >= this.fullScanOnCoresRise) fullScan = true;
      this.lastBusyCores = busyCores;
    }
    this.lastCpu = stat.cpu;
    const mem = parseMeminfo(this.reader.read('meminfo'));
    s.memTotalBytes = mem.totalBytes;
    s.memUsedBytes = mem.usedBytes;
    s.memUsedPct = mem.totalBytes > 0 ? (mem.usedBytes / mem.totalBytes) * 100 : 0;

    // Disk I/O rates.
    const disk = parseDiskstats(this.reader.tryRead('diskstats') ?? '');
    if (this.lastDisk && dt > 0) {
      s.diskReadBps = Math.max(0, disk.readBytes - this.lastDisk.readBytes) / dt;
      s.diskWriteBps = Math.max(0, disk.writeBytes - this.lastDisk.writeBytes) / dt;
      s.diskReadIops = Math.max(0, disk.readOps - this.lastDisk.readOps) / dt;
      s.diskWriteIops = Math.max(0, disk.writeOps - this.lastDisk.writeOps) / dt;
    }
    this.lastDisk = disk;

    // Processes.
    const newOnes = this.processes.scan(at, dt, s, fullScan, this.first);

    // Outbound attempts, counted by the kernel.
    const snmp = this.reader.tryRead('net/snmp');
    const tcp = snmp === undefined ? undefined : parseSnmpTcp(snmp);
    if (tcp && this.lastTcp) {
      s.newOutboundAttempts = Math.max(0, tcp.activeOpens - this.lastTcp.activeOpens);
      s.failedOutboundAttempts = Math.max(0, tcp.attemptFails - this.lastTcp.attemptFails);
    }
    if (tcp) this.lastTcp = tcp;

    // Sockets: from a fresh table read or the last one (socket-tables.ts decides).
    this.ctx = { existingProcesses: [], ...this.sockets.sample(s, at, tcp, this.lastAt) };
    // Contacts first seen by this sample's sources (none when the tables were not read).
    const contacts = this.contacts.take();
    s.contacts = contacts.contacts;
    s.contactsDropped = contacts.dropped;
    s.contactsTracked = true;

    // Disk usage and the hashes of new executables: the only awaited work.
    const [disks, ready] = await Promise.all([this.diskUsage(), this.processes.describeNew(newOnes)]);
    s.disks = disks;
    s.newProcesses = ready;
    this.ctx.interpreters = this.processes.interpreters;

    if (this.first) this.ctx.existingProcesses = await this.processes.describeExisting();
    this.first = false;
    if (this.lastAt > 0) this.sockets.noteInterval(Math.max(1, at - this.lastAt));
    this.lastAt = at;
    return s;
  }

  private async diskUsage(): Promise<DiskUsage__Output[]> {
    // Mounts rarely change: re-read the list once a minute.
    if (!this.mounts || this.now() - this.mounts.at > 60_000) {
      const text = this.reader.tryRead('mounts');
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
