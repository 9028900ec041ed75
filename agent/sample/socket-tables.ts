// The socket tables (/proc/net/tcp, tcp6, udp, udp6): connection figures,
// listeners and outbound remotes, read only when they can have changed, plus a
// fast poll between samples that catches where a burst of attempts goes.
//
// What each connection mode sees:
// - the table read at every sample (/proc/net/tcp, tcp6) sees sockets alive at
//   that instant, and TIME_WAIT for 60 s after a connection we closed;
// - the kernel's own counters (/proc/net/snmp ActiveOpens, AttemptFails) count
//   every outbound attempt and every failed one, however short, but not where to;
// - the fast poll reads those counters every pollMs (0.06 ms a read) and reads the
//   socket tables only when a burst of new attempts is under way, to learn
//   where they go. A refused attempt to a closed port lasts microseconds: its
//   count is seen, its address only by luck.
// Reading the socket tables is the costliest read (the kernel walks its whole
// hash table: 8 ms empty, 16 ms at 4,000 sockets on this machine), so samples
// read them on a burst of new outbound attempts, on any new attempt once
// tableMinGapMs passed, and every tableMaxAgeMs while the kernel's socket
// counters moved (every tableMaxIdleMs when they did not); in between the last
// read's connection figures stand (the kernel counters are always fresh).
// Each table read also hands its connections, both directions, to the contact
// tracker (contacts.ts); a sample that does not read the tables adds none.
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Endpoint__Output, ProcessInfo__Output, PortCount__Output } from '../../proto/wire.ts';
import type { ContactTracker } from './contacts.ts';
import { TCP_STATES, hexAddr, isLoopbackHex, parseNetSockets, parseSnmpTcp, sockstatKey, type SocketRow, type TcpCounters } from './procfs.ts';
import type { ProcReader } from './proc-reader.ts';
import type { Sample } from './sampler.ts';

/** The processes ownersOfRemotePort walks (the process table provides them). */
export interface ProcessLookup {
  /** Pids of the user-space processes known now. */
  candidates(): Iterable<number>;
  /** One of them as the wire describes it; undefined once it is gone. */
  describe(pid: number): ProcessInfo__Output | undefined;
}

/** The socket tables' part of the sampler's SampleContext (see proc-sampler.ts). */
export interface SocketContext {
  remotes: Endpoint__Output[];
  newRemotePorts: Map<number, number>;
  ownersOfRemotePort(port: number, limit?: number): ProcessInfo__Output[];
}

export interface SocketTablesOptions {
  reader: ProcReader;
  processes: ProcessLookup;
  now: () => number;
  burstOpens: number;
  tableMinGapMs: number;
  tableMaxAgeMs: number;
  tableMaxIdleMs: number;
  /** 0 disables the fast poll. */
  pollMs: number;
  pollTableGapMs: number;
  /** Where each table read's connections go for contact tracing (contacts.ts); none: not traced. */
  contacts?: ContactTracker;
}

const MAX_REMOTE_KEYS = 8192;
const MAX_REMOTE_SAMPLE = 256;
const MAX_INODES_PER_PORT = 64;
const MAX_LISTENING = 256;

type TableSummary = Pick<Sample, 'connCount' | 'connEstablished' | 'connOutbound' | 'distinctRemoteAddrs'
  | 'distinctRemotePorts' | 'remotePortCounts' | 'listening'>;

export class SocketTables {
  private readonly reader: ProcReader;
  private readonly processes: ProcessLookup;
  private readonly now: () => number;
  private readonly burstOpens: number;
  private readonly tableMinGapMs: number;
  private readonly tableMaxAgeMs: number;
  private readonly tableMaxIdleMs: number;
  private shedding = false;
  private ctx: SocketContext = { remotes: [], newRemotePorts: new Map(), ownersOfRemotePort: () => [] };
  private listenPorts = new Set<number>();
  private lastRemoteKeys = new Set<string>();
  private tableAt = 0;
  /** The kernel's socket counters at the last table read (see sockstatKey, plus accepted connections). */
  private tableCountsKey = '';
  private tableOpensAt = 0;
  private tableSummary: TableSummary | undefined;
  private readonly contacts: ContactTracker | undefined;
  /** The first table read only teaches the tracker: connections open before the agent are not news. */
  private contactsPrimed = false;
  /** Socket-table reads made by samples: for the benchmark. */
  tableReads = 0;

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

  constructor(opts: SocketTablesOptions) {
    this.reader = opts.reader;
    this.processes = opts.processes;
    this.now = opts.now;
    this.burstOpens = opts.burstOpens;
    this.tableMinGapMs = opts.tableMinGapMs;
    this.tableMaxAgeMs = opts.tableMaxAgeMs;
    this.tableMaxIdleMs = opts.tableMaxIdleMs;
    this.pollTableGapMs = opts.pollTableGapMs;
    this.pollMs = opts.pollMs;
    this.contacts = opts.contacts;
    if (this.pollMs > 0) {
      this.pollTimer = setInterval(() => this.poll(), this.pollMs);
      this.pollTimer.unref();
    }
  }

  /** Tables at most once a minute in samples (bursts still read them), none in the fast poll. */
  setShedding(on: boolean): void {
    this.shedding = on;
  }

  close(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  /**
   * Fills s's connection figures, from a fresh table read or from the last one,
   * and returns the context of the read. tcp: the kernel's counters read for
   * this sample; lastAt: when the previous sample was taken (0 before the first).
   */
  sample(s: Sample, at: number, tcp: TcpCounters | undefined, lastAt: number): SocketContext {
    // Sockets. Reading the tables costs the kernel ~2 µs per socket plus a walk
    // of its whole hash table (8 ms empty, 16 ms at 4,000 sockets here), so a sample reads
    // them at once after a burst of new outbound attempts (burstOpens), after
    // any new attempt once tableMinGapMs passed since the last read (a
    // connection we closed stays visible in TIME_WAIT for 60 s), every
    // tableMaxAgeMs while the kernel's socket counters moved, and every
    // tableMaxIdleMs regardless; otherwise the last read's figures stand.
    const opensSince = tcp ? tcp.activeOpens - this.tableOpensAt : Number.POSITIVE_INFINITY;
    const age = at - this.tableAt;
    // A host that always connects a lot (a mail relay, a test runner) has a higher
    // bar for a burst: four times its usual attempts per sample, learned here.
    const burstBar = Math.max(this.burstOpens, 4 * this.opensEwma);
    if (lastAt > 0) this.opensEwma += 0.1 * (s.newOutboundAttempts - this.opensEwma);
    const minGap = this.shedding ? Math.max(this.tableMinGapMs, 60_000) : this.tableMinGapMs;
    // When no socket was opened, accepted, closed or bound since the last read
    // (the counters in /proc/net/sockstat and snmp stand still, 20 µs to read),
    // the tables hold the same sockets: the periodic read waits (tableMaxIdleMs).
    const st6 = this.reader.tryRead('net/sockstat6');
    const countsKey = `${this.reader.tryRead('net/sockstat') ?? ''}|${st6 ?? ''}`;
    const key = `${sockstatKey(countsKey)}a${tcp?.activeOpens ?? -1}p${tcp?.passiveOpens ?? -1}`;
    const quiet = key === this.tableCountsKey && !key.startsWith('a');
    if (this.tableSummary === undefined || opensSince >= burstBar || (opensSince > 0 && age >= minGap)
      || (age >= this.tableMaxAgeMs && !quiet) || age >= this.tableMaxIdleMs || this.pollRemotes.size > 0) {
      this.scanSockets(s, at, st6);
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
      this.ctx = { ...this.ctx, newRemotePorts: new Map() };
    }
    return this.ctx;
  }

  /** Time between the last two samples, once a sample is done. */
  noteInterval(ms: number): void {
    this.intervalGuessMs = ms;
  }

  /** sockstat6: /proc/net/sockstat6 when the caller has just read it. */
  private readSockets(sockstat6?: string): { rows: SocketRow[] } {
    const rows: SocketRow[] = [];
    // Each table read walks the kernel's whole TCP hash table (about 8 ms here,
    // however few sockets there are): skip tcp6 when the host has no IPv6 TCP socket.
    const st6 = sockstat6 ?? this.reader.tryRead('net/sockstat6');
    const files = st6 !== undefined && /TCP6: inuse 0\b/.test(st6) ? ['net/tcp'] : ['net/tcp', 'net/tcp6'];
    for (const f of files) {
      const text = this.reader.tryRead(f);
      if (text === undefined) continue;
      for (const r of parseNetSockets(text)) rows.push(r);
    }
    return { rows };
  }

  private scanSockets(s: Sample, at: number, sockstat6?: string): void {
    const { rows } = this.readSockets(sockstat6);
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
    const counted = new Set<string>();
    const older: SocketRow[] = [];
    const tracker = this.contacts;
    const report = this.contactsPrimed;
    for (const r of rows) {
      if (r.st === '0A') continue;
      conn++;
      if (r.st === '01') est++;
      if (listenPorts.has(r.localPort)) {
        // inbound: a client of one of our listeners. Its contact is the port it came
        // to here. Every state counts, SYN_RECV too: the kernel counting mode sees
        // inbound attempts as well, and a completed one may be gone by the next read.
        if (tracker && !isLoopbackHex(r.remoteAddr)) tracker.see('IN', 'tcp', hexAddr(r.remoteAddr), r.localPort, at, at, report);
        continue;
      }
      out++;
      if (tracker && !isLoopbackHex(r.remoteAddr)) tracker.see('OUT', 'tcp', hexAddr(r.remoteAddr), r.remotePort, at, at, report);
      const k = `${r.remoteAddr}:${r.remotePort}`;
      if (seen.size < MAX_REMOTE_KEYS) seen.add(k);
      if (this.lastRemoteKeys.has(k)) {
        older.push(r);
        continue;
      }
      // once per distinct new endpoint, however many sockets go there
      if (!counted.has(k)) {
        counted.add(k);
        newPorts.set(r.remotePort, (newPorts.get(r.remotePort) ?? 0) + 1);
      }
      addRemote(k, r.remoteAddr, r.remotePort, r.st);
      if (r.inode > 0) {
        const list = inodes.get(r.remotePort) ?? [];
        if (list.length < MAX_INODES_PER_PORT) list.push(r.inode);
        inodes.set(r.remotePort, list);
      }
    }
    for (const r of older) addRemote(`${r.remoteAddr}:${r.remotePort}`, r.remoteAddr, r.remotePort, r.st);
    this.lastRemoteKeys = seen;
    // Endpoints the fast poll saw (gone by now or not) are outbound contacts of the interval.
    if (tracker) for (const e of this.pollRemotes.values()) tracker.see('OUT', 'tcp', e.address, e.port, at, at, report);
    this.contactsPrimed = true;
    // Endpoints the fast poll saw that are gone by now (counted once per distinct endpoint).
    for (const [k, e] of this.pollRemotes) {
      if (remotes.has(k) || seen.has(k) || counted.has(k)) continue;
      newPorts.set(e.port, (newPorts.get(e.port) ?? 0) + 1);
      remoteAddrs.add(k.slice(0, k.lastIndexOf(':')));
      portCounts.set(e.port, (portCounts.get(e.port) ?? 0) + 1);
      if (remotes.size < MAX_REMOTE_SAMPLE) remotes.set(k, e);
    }
    this.pollRemotes.clear();

    s.connCount = conn;
    s.connEstablished = est;
    s.connOutbound = out;
    s.distinctRemoteAddrs = remoteAddrs.size;
    s.distinctRemotePorts = portCounts.size;
    s.remotePortCounts = [...portCounts].sort((a, b) => b[1] - a[1]).slice(0, 32)
      .map(([port, count]): PortCount__Output => ({ protocol: 'tcp', port, count }));

    // UDP: unconnected sockets with a port are the listeners.
    for (const f of ['net/udp', 'net/udp6']) {
      const text = this.reader.tryRead(f);
      if (text === undefined) continue;
      for (const r of parseNetSockets(text)) {
        if (r.remotePort !== 0 || listening.size >= MAX_LISTENING) continue;
        const address = hexAddr(r.localAddr);
        listening.set(`udp|${address}|${r.localPort}`, { address, port: r.localPort, protocol: 'udp', state: 'UNCONN' });
      }
    }
    s.listening = [...listening.values()];

    this.ctx = {
      remotes: [...remotes.values()],
      newRemotePorts: newPorts,
      ownersOfRemotePort: (port, limit = 10) => this.ownersOf(inodes.get(port) ?? [], limit),
    };
  }

  /** Cheap between samples: two counters; the socket tables only during a burst of attempts. */
  private poll(): void {
    this.polls++;
    const snmp = this.reader.tryRead('net/snmp');
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
    for (const pid of this.processes.candidates()) {
      if (found.length >= limit || Date.now() > deadline) break;
      let fds: string[];
      try {
        fds = readdirSync(join(this.reader.root, String(pid), 'fd'));
      } catch {
        continue;
      }
      for (const fd of fds) {
        let target: string;
        try {
          target = readlinkSync(join(this.reader.root, String(pid), 'fd', fd));
        } catch {
          continue;
        }
        if (want.has(target)) {
          const info = this.processes.describe(pid);
          if (info) found.push(info);
          break;
        }
      }
    }
    return found;
  }
}
