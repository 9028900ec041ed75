// A synthetic Sampler for the fleet simulator: it returns what a host's real
// ProcSampler would, from a per-host profile of normal behaviour plus noise,
// with the scenario's effects (a worm, a backup job, a spike) layered on top.
// The agent's real detector sees these samples exactly as it would see /proc.
//
// Contacts are traced by the agent's own ContactTracker (agent/sample/contacts.ts):
// the scenario and the background traffic tell the sampler of each connection
// this host makes (OUT) or receives (IN); at each sample they go through the
// tracker in time order, stamped on this host's clock, so a sample lists those
// first seen since the previous one (a (direction, remote, port) not seen for
// 10 minutes), at most 64 per direction, the rest counted as dropped.
// contacts_tracked is always true: every simulated agent traces.
import { ContactTracker } from '../../agent/sample/contacts.ts';
import type { Contact__Output, Endpoint__Output, PortCount__Output, ProcessInfo__Output } from '../../proto/wire.ts';
import { emptySample, type Sample, type Sampler } from '../../agent/sample/sampler.ts';
import { clamp, int, normal, pick, uniform, type Rand } from './rng.ts';

const MB = 1024 * 1024;
const GB = 1024 * MB;

/** A process an effect runs: shown once in newProcesses when it starts, then in topProcesses while active. */
export interface EffectProcess {
  name: string;
  exe: string;
  sha256: string;
  user?: string;
  /** percent of one core */
  cpuPct: number;
  /** how many processes of it start (a worm forking senders) */
  count?: number;
}

/** Outbound connections to many distinct peers on one port (mass mail, a scan). */
export interface EffectFanout {
  port: number;
  /** distinct remote addresses per interval */
  addrsPerInterval: number;
  /** distinct remote addresses per second instead (scaled by the sample's interval, like a real scan) */
  addrsPerS?: number;
  /** share of the attempts that fail (closed ports, nobody there) even when nothing blocks them */
  failedShare?: number;
  /** set by the scenario from the enforcement evaluator: the host's own firewall drops these, so attempts fail */
  blocked?: boolean;
  /**
   * Where the fan-out goes, one address per destination; these are outside the
   * fleet (the scenario connects to fleet peers itself, so their IN side is seen).
   * Every destination is a first-seen OUT contact. Default: public mail servers.
   */
  remote?: (r: Rand) => string;
}

/** What a scenario lays over a host's normal behaviour; fields add to (or raise) the normal values. */
export interface Effect {
  /** host CPU, percent of all cores, while active (the higher of this and normal) */
  cpuPct?: number;
  memUsedPct?: number;
  /** bytes per second added */
  diskReadBps?: number;
  diskWriteBps?: number;
  process?: EffectProcess;
  fanout?: EffectFanout;
  /** the effect ends at this time (ms); absent = until removed */
  untilMs?: number;
}

interface ActiveEffect extends Effect {
  announced: boolean;
  /** when the effect began, on this host's clock */
  startedAtMs: number;
}

export interface HostProfile {
  cores: number;
  memTotalBytes: number;
  cpuMean: number;
  cpuSd: number;
  memPct: number;
  diskReadBps: number;
  diskWriteBps: number;
  processes: number;
  remoteAddrs: number;
  /** normal remote service ports, with a weight each */
  ports: { port: number; weight: number }[];
  listening: number[];
  diskTotalBytes: number;
  diskUsedBytes: number;
  /** executables this host runs routinely (learned during warm-up) */
  routine: ProcessInfo__Output[];
}

/** Executables every simulated host already knows, with stable fake hashes. */
const ROUTINE = ['/usr/sbin/cron', '/usr/bin/bash', '/usr/bin/python3', '/usr/sbin/logrotate', '/usr/bin/gzip', '/usr/bin/find', '/usr/bin/curl', '/usr/bin/restic']
  .map((exe, i) => ({ exe, sha256: fakeHash(`routine:${i}:${exe}`) }));

/** A deterministic 64-hex-character stand-in for a file hash. */
export function fakeHash(label: string): string {
  let out = '';
  let h = 0x811c9dc5;
  for (let round = 0; out.length < 64; round++) {
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
    h = Math.imul(h ^ round, 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, 64);
}

/** A plausible server: CPU, memory, disk and network levels that vary from host to host. */
export function randomProfile(r: Rand, role: string): HostProfile {
  const ports = [
    { port: 443, weight: 5 }, { port: 53, weight: 2 }, { port: 123, weight: 0.3 }, { port: 5432, weight: 1 }, { port: 22, weight: 0.2 },
  ];
  if (role === 'mail') ports.push({ port: 25, weight: 4 });
  const listening = [22, 9100, ...(role === 'mail' ? [25] : role === 'web' ? [443] : role === 'db' ? [5432] : [])];
  const diskTotalBytes = int(r, 50, 500) * GB;
  return {
    cores: pick(r, [2, 4, 8, 16]),
    memTotalBytes: pick(r, [8, 16, 32, 64]) * GB,
    cpuMean: uniform(r, 3, 30),
    cpuSd: uniform(r, 0.5, 3),
    memPct: uniform(r, 25, 70),
    diskReadBps: uniform(r, 0.2, 4) * MB,
    diskWriteBps: uniform(r, 0.2, 4) * MB,
    processes: int(r, 120, 400),
    remoteAddrs: int(r, 3, 25),
    ports,
    listening,
    diskTotalBytes,
    diskUsedBytes: diskTotalBytes * uniform(r, 0.2, 0.7),
    routine: ROUTINE.map((x, i) => ({ pid: 0, ppid: 1, name: x.exe.split('/').pop()!, exe: x.exe, user: 'root', startedAtMs: 0, cpuPct: 0, rssBytes: (2 + i) * MB, sha256: x.sha256 })),
  };
}

export interface SyntheticSamplerOptions {
  profile: HostProfile;
  random: Rand;
  /** this host's clock (default: the wall clock shifted by clockOffsetMs) */
  now?: () => number;
  /** the host's own address, for its remote endpoints' sake */
  address: string;
  /**
   * What this host's stamps (sample times, contacts' first seen) are off the
   * true time by: its clock skew, and for a rogue host what it backdates.
   * Read on every use, so a scenario may set it before the agents start.
   */
  clockOffsetMs?: () => number;
  /** randomness for generated contacts, apart from `random` so tracing does not reshuffle a seed's metrics */
  contactRandom?: Rand;
  /** new outside clients connecting in per second (a web server's visitors), as IN contacts */
  inboundClientsPerS?: number;
}

export { CONTACT_WINDOW_MS, MAX_CONTACTS_PER_DIRECTION } from '../../agent/sample/contacts.ts';
/** connections buffered between samples; past it they are only counted as dropped */
const MAX_PENDING = 8192;

export type ContactDirection = 'IN' | 'OUT';

/** A public-looking address (not private, not loopback, not the fleet's 10.200/16). */
export function publicAddress(r: Rand): string {
  const first = [23, 31, 45, 52, 64, 77, 91, 104, 142, 151, 185, 199, 203, 212][Math.floor(r() * 14)]!;
  return `${first}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`;
}

export class SyntheticSampler implements Sampler {
  readonly profile: HostProfile;
  private readonly r: Rand;
  private readonly now: () => number;
  private lastAt: number | undefined;
  private nextPid = 1000;
  private effects = new Map<string, ActiveEffect>();
  /** samples taken so far (warm-up included) */
  samples = 0;
  private readonly offset: () => number;
  private readonly cr: Rand;
  private readonly tracker = new ContactTracker();
  /** this interval's connections (true times), for the tracker at the next sample */
  private pending: Contact__Output[] = [];
  private pendingDropped = 0;
  /** this interval's scenario connections, for the connection metrics */
  private flow = { addrs: new Set<string>(), portAddrs: new Map<number, Set<string>>(), attempts: 0, failed: 0 };
  /** every contact this sampler listed, for tests (off unless set) */
  contactLog: Contact__Output[] | undefined;

  constructor(private readonly o: SyntheticSamplerOptions) {
    this.profile = o.profile;
    this.r = o.random;
    this.offset = o.clockOffsetMs ?? (() => 0);
    this.now = o.now ?? (() => Date.now() + this.offset());
    this.cr = o.contactRandom ?? o.random;
  }

  /** This host's clock now (what it would stamp). */
  clockNow(): number {
    return this.now();
  }

  /** This host's clock minus the true time. */
  offsetMs(): number {
    return this.offset();
  }

  /**
   * A connection this host made at atMs (true time) to address:port. It is a
   * contact when first seen; with `metrics` it also counts in this interval's
   * outbound connection figures (distinct remotes, attempts, failures), as a
   * worm's or a scan's connections do; routine traffic the profile already has.
   */
  outbound(address: string, port: number, atMs: number, metrics?: { attempts?: number; failed?: boolean }): void {
    this.see('OUT', address, port, atMs);
    if (!metrics) return;
    const f = this.flow;
    f.addrs.add(address);
    let set = f.portAddrs.get(port);
    if (!set) f.portAddrs.set(port, (set = new Set()));
    set.add(address);
    const n = metrics.attempts ?? 1;
    f.attempts += n;
    if (metrics.failed) f.failed += n;
  }

  /** A connection from address to this host's port, at atMs (true time). */
  inbound(address: string, port: number, atMs: number): void {
    this.see('IN', address, port, atMs);
  }

  private see(direction: ContactDirection, address: string, port: number, atMs: number): void {
    if (this.pending.length >= MAX_PENDING) { this.pendingDropped++; return; }
    this.pending.push({ direction, protocol: 'tcp', remoteAddress: address, port, firstSeenMs: Math.round(atMs + this.offset()) });
  }

  /**
   * This interval's connections and the generated ones through the agent's
   * tracker, in time order (as the agent would have seen them): the contacts
   * first seen since the last sample, bounded, and how many more there were.
   */
  private takeContacts(generated: Contact__Output[]): { contacts: Contact__Output[]; dropped: number } {
    const all = [...this.pending, ...generated].sort((a, b) => a.firstSeenMs - b.firstSeenMs);
    for (const c of all) this.tracker.see(c.direction as ContactDirection, c.protocol, c.remoteAddress, c.port, c.firstSeenMs);
    const taken = this.tracker.take();
    const dropped = taken.dropped + this.pendingDropped;
    this.pending = [];
    this.pendingDropped = 0;
    return { contacts: taken.contacts, dropped };
  }

  /** Starts (or replaces) a named effect. */
  setEffect(name: string, effect: Effect): void {
    // processes of the effect start now, on this host's clock (a real agent reads their start time from /proc)
    this.effects.set(name, { ...effect, announced: false, startedAtMs: this.now() });
  }

  /** The live effect of that name, to adjust in place (e.g. fanout.blocked). */
  effect(name: string): Effect | undefined {
    return this.effects.get(name);
  }

  clearEffect(name: string): void {
    this.effects.delete(name);
  }

  hasEffect(name: string): boolean {
    return this.effects.has(name);
  }

  recentContacts(direction: ContactDirection, sinceMs: number, max: number): Contact__Output[] {
    return this.tracker.recent(direction, sinceMs, max);
  }

  async sample(): Promise<Sample> {
    return this.sampleAt(this.now());
  }

  /** One sample as if taken at atMs (the warm-up feeds the detector with past times). */
  sampleAt(atMs: number): Sample {
    const p = this.profile;
    const r = this.r;
    const s = emptySample(atMs);
    const first = this.lastAt === undefined;
    s.intervalS = first ? 0 : Math.max(0.001, (atMs - this.lastAt!) / 1000);
    const fromMs = first ? atMs - 1000 : this.lastAt!;
    this.lastAt = atMs;
    const cr = this.cr;
    /** contacts made up at sample time (fan-out to outside addresses, outside clients), stamped within the interval */
    const generated: Contact__Output[] = [];
    const stamp = () => Math.round(fromMs + cr() * (atMs - fromMs));
    const perInterval = first ? 1 : s.intervalS;

    for (const [name, e] of this.effects) if (e.untilMs !== undefined && e.untilMs <= atMs) this.effects.delete(name);

    // normal behaviour: a level per host and a little noise per sample
    s.cpuPct = clamp(normal(r, p.cpuMean, p.cpuSd), 0.1, 100);
    s.memUsedPct = clamp(normal(r, p.memPct, 0.4), 1, 99);
    s.diskReadBps = Math.max(0, normal(r, p.diskReadBps, p.diskReadBps * 0.2));
    s.diskWriteBps = Math.max(0, normal(r, p.diskWriteBps, p.diskWriteBps * 0.2));
    s.processCount = Math.max(1, Math.round(normal(r, p.processes, 2)));
    let distinct = Math.max(1, Math.round(normal(r, p.remoteAddrs, 1.5)));
    const portCounts = new Map<number, number>();
    const totalW = p.ports.reduce((a, x) => a + x.weight, 0);
    for (let i = 0; i < distinct; i++) {
      let x = r() * totalW;
      const port = p.ports.find((q) => (x -= q.weight) < 0)?.port ?? p.ports[0]!.port;
      portCounts.set(port, (portCounts.get(port) ?? 0) + 1);
    }
    // During the first samples every routine port shows, as weeks of history would have.
    if (this.samples < 3) for (const q of p.ports) if (!portCounts.has(q.port)) portCounts.set(q.port, 1);
    let attempts = Math.round(distinct * uniform(r, 0.5, 1.5) * perInterval);
    let failed = r() < 0.1 ? 1 : 0;
    const top: ProcessInfo__Output[] = [
      proc('sshd', '/usr/sbin/sshd', 22, clamp(normal(r, 0.5, 0.3), 0, 100)),
      proc('systemd', '/usr/lib/systemd/systemd', 1, clamp(normal(r, 0.3, 0.2), 0, 100)),
      proc('service', '/usr/local/bin/service', 900, clamp(normal(r, (p.cpuMean * p.cores) / 2, p.cpuSd), 0, 100 * p.cores)),
    ];
    const fresh: ProcessInfo__Output[] = [];
    // What the host runs routinely: all of it at first (the detector learns it), then now and then one.
    if (this.samples === 0) for (const x of p.routine) fresh.push({ ...x, pid: this.nextPid++, startedAtMs: atMs });
    else if (r() < 0.2) fresh.push({ ...pick(r, p.routine), pid: this.nextPid++, startedAtMs: atMs });

    // scenario effects on top
    for (const e of this.effects.values()) {
      if (e.cpuPct !== undefined) s.cpuPct = Math.max(s.cpuPct, clamp(normal(r, e.cpuPct, 2), 0, 100));
      if (e.memUsedPct !== undefined) s.memUsedPct = Math.max(s.memUsedPct, clamp(normal(r, e.memUsedPct, 1), 0, 100));
      if (e.diskReadBps) s.diskReadBps += Math.max(0, normal(r, e.diskReadBps, e.diskReadBps * 0.05));
      if (e.diskWriteBps) s.diskWriteBps += Math.max(0, normal(r, e.diskWriteBps, e.diskWriteBps * 0.05));
      if (e.process) {
        const n = e.process.count ?? 1;
        const procs = Array.from({ length: n }, () => ({
          pid: this.nextPid++, ppid: 1, name: e.process!.name, exe: e.process!.exe, user: e.process!.user ?? 'nobody',
          startedAtMs: Math.min(atMs, e.startedAtMs ?? atMs), cpuPct: e.process!.cpuPct / n, rssBytes: 12 * MB, sha256: e.process!.sha256,
        }));
        if (!e.announced) fresh.push(...procs);
        top.push({ ...procs[0]!, cpuPct: e.process.cpuPct });
        s.processCount += n;
      }
      if (e.fanout) {
        const mean = e.fanout.addrsPerS !== undefined ? e.fanout.addrsPerS * perInterval : e.fanout.addrsPerInterval;
        const k = Math.max(0, Math.round(normal(r, mean, mean * 0.05)));
        distinct += k;
        portCounts.set(e.fanout.port, (portCounts.get(e.fanout.port) ?? 0) + k);
        attempts += k;
        if (e.fanout.blocked) failed += k;
        else if (e.fanout.failedShare) failed += Math.round(k * e.fanout.failedShare);
        // each destination is new: a first-seen OUT contact (bounded below like the agent's list)
        const where = e.fanout.remote ?? publicAddress;
        for (let i = 0; i < k; i++) generated.push({ direction: 'OUT', protocol: 'tcp', remoteAddress: where(cr), port: e.fanout.port, firstSeenMs: stamp() });
      }
      e.announced = true;
    }

    // the scenario's own connections this interval (a worm's, a scan's)
    const f = this.flow;
    if (f.addrs.size > 0 || f.attempts > 0) {
      distinct += f.addrs.size;
      for (const [port, set] of f.portAddrs) portCounts.set(port, (portCounts.get(port) ?? 0) + set.size);
      attempts += f.attempts;
      failed += f.failed;
      this.flow = { addrs: new Set(), portAddrs: new Map(), attempts: 0, failed: 0 };
    }
    // a web server's visitors: new outside addresses connecting in
    const clients = this.o.inboundClientsPerS ?? 0;
    if (clients > 0 && !first) {
      let n = Math.floor(clients * perInterval);
      if (cr() < clients * perInterval - n) n++;
      for (let i = 0; i < n; i++) generated.push({ direction: 'IN', protocol: 'tcp', remoteAddress: publicAddress(cr), port: 443, firstSeenMs: stamp() });
    }
    // (generated contacts are stamped between samples, so on this host's clock already)
    const taken = this.takeContacts(generated);
    s.contacts = taken.contacts;
    s.contactsDropped = taken.dropped;
    s.contactsTracked = true;
    this.contactLog?.push(...taken.contacts);

    s.cpuPct = clamp(s.cpuPct, 0, 100);
    s.memUsedBytes = Math.round((s.memUsedPct / 100) * p.memTotalBytes);
    s.memTotalBytes = p.memTotalBytes;
    s.diskReadIops = s.diskReadBps / (64 * 1024);
    s.diskWriteIops = s.diskWriteBps / (64 * 1024);
    p.diskUsedBytes = clamp(p.diskUsedBytes + normal(r, 0, 2 * MB) + s.diskWriteBps * perInterval * 0.01, 0, p.diskTotalBytes);
    s.disks = [{ mount: '/', totalBytes: p.diskTotalBytes, usedBytes: Math.round(p.diskUsedBytes) }];
    s.newProcesses = fresh;
    top.sort((a, b) => b.cpuPct - a.cpuPct);
    s.topProcesses = top.slice(0, 5);
    s.distinctRemoteAddrs = distinct;
    s.distinctRemotePorts = portCounts.size;
    const counts: PortCount__Output[] = [...portCounts].map(([port, count]) => ({ protocol: 'tcp', port, count }));
    counts.sort((a, b) => b.count - a.count || a.port - b.port);
    s.remotePortCounts = counts;
    s.connCount = distinct + int(r, 0, 5);
    s.connEstablished = Math.max(0, distinct - failed);
    s.connOutbound = distinct;
    s.newOutboundAttempts = attempts;
    s.failedOutboundAttempts = failed;
    s.listening = p.listening.map((port): Endpoint__Output => ({ address: '0.0.0.0', port, protocol: 'tcp', state: 'LISTEN' }));
    this.samples++;
    return s;
  }
}

function proc(name: string, exe: string, pid: number, cpuPct: number): ProcessInfo__Output {
  return { pid, ppid: 1, name, exe, user: 'root', startedAtMs: 0, cpuPct, rssBytes: 8 * MB, sha256: '' };
}
