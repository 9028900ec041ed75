// The agent's detectors: per-host baselines for the host metrics, memory of
// executables, remote ports and listeners seen, a TRW scan walk, and a
// coalescer so one long anomaly is one event (plus repeats with a count, and a
// clear), not an event every interval. State survives restarts in
// <dataDir>/baselines.json.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Endpoint__Output, ProcessInfo__Output } from '../../proto/wire.ts';
import type { Sample } from '../sample/sampler.ts';
import { MetricDetector, type BaselineState, type Verdict } from './baseline.ts';
// types only: the running agent never loads zod (its config is validated at start, in a child)
import type { DetectorConfig, MetricConfig } from './config.ts';
import type { Anomaly, Detector } from './detector.ts';

/** What the sampler knows beyond the wire sample (ProcSampler.context() provides it). */
export interface ObserveContext {
  existingProcesses?: ProcessInfo__Output[];
  /** Interpreters of the new processes identified by their script (by pid). */
  interpreters?: Map<number, ProcessInfo__Output>;
  remotes?: Endpoint__Output[];
  newRemotePorts?: Map<number, number>;
  ownersOfRemotePort?(port: number, limit?: number): ProcessInfo__Output[];
}

export interface DetectorEngineOptions {
  /** Where baselines.json lives; without it nothing persists. */
  dataDir?: string;
  /** Parsed thresholds (detectorConfig() for the defaults). */
  config: DetectorConfig;
  logger?: Logger;
}

type MetricName = 'cpu' | 'topProcessCpu' | 'memory' | 'diskRead' | 'diskWrite' | 'processCount' | 'fanout' | 'failedAttempts';

interface Persisted {
  version: 1;
  samples: number;
  baselines: Record<string, BaselineState>;
  knownExes: string[];
  knownRemotePorts: number[];
  knownListen: number[];
  trw: number;
}

interface Active {
  event: Anomaly;
  /** Repeats since the last emitted event. */
  pending: number;
  sinceEmit: number;
  quiet: number;
}

export const STATE_FILE = 'baselines.json';

/** Ports a conn.new-port/tcp:many event lists in its detail; the rest are counted. */
const MAX_PORTS_IN_DETAIL = 64;

export class DetectorEngine implements Detector {
  readonly config: DetectorConfig;
  private readonly file: string | undefined;
  private readonly logger: Logger | undefined;
  private samples = 0;
  private metrics = new Map<string, MetricDetector>();
  private knownExes = new Set<string>();
  private knownRemotePorts = new Set<number>();
  private knownListen = new Set<number>();
  private trw = 0;
  /** Per mount: used bytes at the last sample and at the one before. */
  private lastUsed = new Map<string, { last: number; before?: number }>();
  private active = new Map<string, Active>();
  private shedding = false;

  constructor(opts: DetectorEngineOptions) {
    this.config = opts.config;
    this.logger = opts.logger;
    this.file = opts.dataDir ? join(opts.dataDir, STATE_FILE) : undefined;
    if (this.file) this.load(this.file);
  }

  /** While the watchdog sheds work, events carry less evidence and no socket-owner walk. */
  setShedding(on: boolean): void {
    this.shedding = on;
  }

  /** Samples learned so far (persisted). */
  get sampleCount(): number {
    return this.samples;
  }

  private get learning(): boolean {
    return this.samples < this.config.learningSamples;
  }

  private metric(name: string): MetricDetector {
    let m = this.metrics.get(name);
    if (!m) {
      m = new MetricDetector();
      this.metrics.set(name, m);
    }
    return m;
  }

  private check(name: MetricName | string, x: number, cfg: MetricConfig): Verdict {
    return this.metric(name).check(x, cfg, this.config.alpha, this.config.warmup);
  }

  observe(s: Sample, ctx: ObserveContext = {}): Anomaly[] {
    const c = this.config;
    const firing = new Map<string, Anomaly>();
    const cap = this.shedding ? Math.min(3, c.maxEvidence) : c.maxEvidence;
    const top = s.topProcesses.slice(0, cap);
    const fire = (a: Omit<Anomaly, 'observedAtMs' | 'count' | 'cleared'>): void => {
      const prev = firing.get(a.signature);
      if (prev) {
        prev.count++;
        return;
      }
      firing.set(a.signature, { ...a, observedAtMs: s.observedAtMs, count: 1, cleared: false });
    };
    const learningNow = this.learning;

    // The first sample carries no rates (intervalS 0): learn nothing from its zeros.
    if (s.intervalS > 0) {
      const metric = (name: MetricName, x: number, cfg: MetricConfig, kind: Anomaly['kind'], sig: string, detail: string, unit = 1): void => {
        const v = this.check(name, x, cfg);
        if (v.fire) {
          fire({
            kind, signature: sig, value: x / unit, baseline: v.mean / unit, score: round2(v.score),
            evidence: { processes: top, remotes: [], detail },
          });
        }
      };
      metric('cpu', s.cpuPct, c.cpu, 'CPU', 'cpu.spike', `host CPU ${s.cpuPct.toFixed(1)}% of all cores`);
      // The busiest process, in % of one core: on a host already saturated by others a
      // burner barely moves the host total, but one process jumping to a full core shows.
      const hot = s.topProcesses[0];
      metric('topProcessCpu', hot?.cpuPct ?? 0, c.processCpu, 'CPU', 'cpu.spike',
        `busiest process ${hot ? `${hot.name} (pid ${hot.pid}) ${hot.cpuPct.toFixed(0)}% of a core` : 'none'}; host CPU ${s.cpuPct.toFixed(1)}% of all cores`);
      metric('memory', s.memUsedPct, c.memory, 'MEMORY', 'mem.spike', `memory used ${s.memUsedPct.toFixed(1)}%`);
      metric('diskWrite', s.diskWriteBps, c.diskIo, 'DISK_IO', 'disk.io', `disk write ${(s.diskWriteBps / 1048576).toFixed(1)} MB/s, ${s.diskWriteIops.toFixed(0)} ops/s`);
      metric('diskRead', s.diskReadBps, c.diskIo, 'DISK_IO', 'disk.io', `disk read ${(s.diskReadBps / 1048576).toFixed(1)} MB/s, ${s.diskReadIops.toFixed(0)} ops/s`);
      metric('processCount', s.processCount, c.processCount, 'PROCESS_COUNT', 'proc.count', `${s.processCount} processes`);
      const pc = firing.get('proc.count');
      if (pc?.evidence) pc.evidence.processes = s.newProcesses.slice(0, cap);

      // Disk usage: the change on each mount, either way, over the last sample; when
      // that is under the floor, over the last two: a fill or deletion that straddles a
      // sample boundary (250 MB in each) is still one change of 500 MB.
      for (const d of s.disks) {
        const key = `diskUsage:${d.mount}`;
        const seen = this.lastUsed.get(d.mount);
        this.lastUsed.set(d.mount, { last: d.usedBytes, before: seen?.last });
        if (seen === undefined) continue;
        const one = d.usedBytes - seen.last;
        const two = seen.before === undefined ? one : d.usedBytes - seen.before;
        const delta = Math.abs(one) < c.diskUsage.floor && Math.abs(two) > Math.abs(one) ? two : one;
        const v = this.check(key, Math.abs(delta), c.diskUsage);
        if (v.fire) {
          const over = delta === one ? `${s.intervalS.toFixed(1)} s` : 'two samples';
          fire({
            kind: 'DISK_USAGE', signature: 'disk.usage', value: delta, baseline: v.mean, score: round2(v.score),
            evidence: { processes: top, remotes: [], detail: `${d.mount}: ${delta >= 0 ? '+' : ''}${(delta / 1048576).toFixed(0)} MB in ${over} (${(d.usedBytes / 1073741824).toFixed(1)} of ${(d.totalBytes / 1073741824).toFixed(1)} GB used)` },
          });
        }
      }

      this.connections(s, ctx, fire, cap);
    } else {
      for (const d of s.disks) this.lastUsed.set(d.mount, { last: d.usedBytes, before: this.lastUsed.get(d.mount)?.last });
    }

    this.executables(s, ctx, fire, cap, learningNow);
    this.ports(s, ctx, fire, cap, learningNow);
    this.samples++;
    return this.coalesce(firing, s.observedAtMs);
  }

  private connections(s: Sample, ctx: ObserveContext, fire: (a: Omit<Anomaly, 'observedAtMs' | 'count' | 'cleared'>) => void, cap: number): void {
    const c = this.config;
    const fan = this.check('fanout', s.distinctRemoteAddrs, c.fanout);
    const failed = this.check('failedAttempts', s.failedOutboundAttempts, c.failedAttempts);
    // TRW over this sample's first contacts: failures up, successes down, never below zero.
    let scan = false;
    if (c.trw.enabled) {
      const up = Math.log((1 - c.trw.theta1) / (1 - c.trw.theta0));
      const down = Math.log(c.trw.theta0 / c.trw.theta1);
      const fails = s.failedOutboundAttempts;
      const ok = Math.max(0, s.newOutboundAttempts - fails);
      this.trw = Math.max(0, this.trw + fails * up - ok * down);
      scan = this.trw >= c.trw.threshold && fails >= c.trw.minFailures && this.metric('failedAttempts').baseline.warm(c.warmup);
      if (!scan && fails < c.trw.minFailures) this.trw = Math.min(this.trw, c.trw.threshold);
    }
    if (!fan.fire && !failed.fire && !scan) return;
    const port = dominantPort(s, ctx);
    const remotes = (ctx.remotes ?? []).filter((e) => port === 0 || e.port === port).slice(0, cap);
    const owners = !this.shedding && port > 0 && ctx.ownersOfRemotePort ? ctx.ownersOfRemotePort(port, Math.min(5, cap)) : [];
    fire({
      kind: 'CONN_FANOUT', signature: `conn.fanout/tcp:${port}`,
      value: s.distinctRemoteAddrs, baseline: this.metric('fanout').baseline.state.mean,
      score: round2(Math.max(fan.score, failed.score, scan ? this.trw : 0)),
      evidence: {
        processes: owners.length > 0 ? owners : s.topProcesses.slice(0, cap),
        remotes,
        detail: `${s.distinctRemoteAddrs} distinct remote addresses, ${s.newOutboundAttempts} new outbound attempts, ` +
          `${s.failedOutboundAttempts} failed (TRW walk ${this.trw.toFixed(1)})` + (port === 0 ? '; remote port unknown (attempts ended before a table read)' : ''),
      },
    });
  }

  private executables(s: Sample, ctx: ObserveContext, fire: (a: Omit<Anomaly, 'observedAtMs' | 'count' | 'cleared'>) => void, cap: number, learning: boolean): void {
    const c = this.config.newExe;
    for (const p of ctx.existingProcesses ?? []) this.learnExe(p);
    if (!c.enabled) return;
    const group = new Map<string, { procs: ProcessInfo__Output[]; interpreter?: ProcessInfo__Output }>();
    const add = (p: ProcessInfo__Output, interpreter?: ProcessInfo__Output): void => {
      if (!p.exe) return; // exited before we looked, or not ours to read
      const key = exeKey(p);
      if (this.knownExes.has(key)) return;
      const g = group.get(key) ?? { procs: [], interpreter };
      g.procs.push(p);
      group.set(key, g);
    };
    for (const p of s.newProcesses) {
      const interpreter = ctx.interpreters?.get(p.pid);
      add(p, interpreter);
      // The interpreter is an executable too: a copied or fake "python3" is still new.
      if (interpreter) add(interpreter);
    }
    for (const [key, { procs, interpreter }] of group) {
      this.knownExes.add(key);
      if (procs[0]?.sha256) this.knownExes.add(`path:${procs[0].exe}`);
      if (learning) continue;
      const exe = procs[0]!.exe.replace(/ \(deleted\)$/, '');
      const ww = c.worldWritable.some((d) => exe === d || exe.startsWith(d.endsWith('/') ? d : `${d}/`));
      const hidden = exe.split('/').some((part) => part.startsWith('.') && part !== '.' && part !== '..');
      const where = [ww ? 'in a world-writable directory' : '', hidden ? 'hidden' : ''].filter(Boolean).join(', ');
      const what = interpreter ? `new script ${procs[0]!.exe} run by ${interpreter.exe}` : `new executable ${procs[0]!.exe}`;
      // Several processes of one new executable in one sample are one event (value = how many).
      fire({
        kind: 'PROCESS_NEW', signature: `proc.new/${key}`, value: procs.length, baseline: 0,
        score: Math.max(1, ww ? c.worldWritableScore : 1, hidden ? c.hiddenScore : 1),
        evidence: { processes: procs.slice(0, cap), remotes: [], detail: where ? `${what} (${where})` : what },
      });
    }
    this.trimKnown();
  }

  private learnExe(p: ProcessInfo__Output): void {
    if (!p.exe) return;
    this.knownExes.add(exeKey(p));
    this.knownExes.add(`path:${p.exe}`);
  }

  private trimKnown(): void {
    const max = this.config.newExe.maxKnown;
    if (this.knownExes.size <= max) return;
    const drop = this.knownExes.size - max;
    let i = 0;
    for (const k of this.knownExes) {
      if (i++ >= drop) break;
      this.knownExes.delete(k);
    }
  }

  private ports(s: Sample, ctx: ObserveContext, fire: (a: Omit<Anomaly, 'observedAtMs' | 'count' | 'cleared'>) => void, cap: number, learning: boolean): void {
    const np = this.config.newPort;
    const remotes = ctx.remotes ?? s.remotePortCounts.map((p) => ({ address: '', port: p.port, protocol: p.protocol, state: '' }));
    const fresh = new Map<number, Endpoint__Output[]>();
    for (const e of remotes) {
      if (e.protocol !== 'tcp' || e.port === 0 || e.port > np.maxPort) continue;
      if (np.ignoreLoopback && isLoopback(e.address)) continue;
      if (this.knownRemotePorts.has(e.port)) continue;
      const list = fresh.get(e.port) ?? [];
      list.push(e);
      fresh.set(e.port, list);
    }
    for (const port of fresh.keys()) this.knownRemotePorts.add(port);
    const report = !learning && np.enabled;
    if (report && fresh.size > np.burst) {
      // A port scan: one event for the burst (a stable signature the fleet can group), not one per port.
      const ports = [...fresh.keys()].sort((a, b) => a - b);
      const busiest = [...fresh].reduce((a, b) => (b[1].length > a[1].length ? b : a))[0];
      const owners = !this.shedding && ctx.ownersOfRemotePort ? ctx.ownersOfRemotePort(busiest, Math.min(5, cap)) : [];
      const shown = ports.slice(0, MAX_PORTS_IN_DETAIL).join(', ') + (ports.length > MAX_PORTS_IN_DETAIL ? `, … (${ports.length - MAX_PORTS_IN_DETAIL} more)` : '');
      fire({
        kind: 'CONN_NEW_PORT', signature: 'conn.new-port/tcp:many', value: ports.length, baseline: 0, score: 1,
        evidence: {
          processes: owners,
          // One endpoint per port, lowest ports first.
          remotes: ports.slice(0, cap).map((p) => fresh.get(p)![0]!),
          detail: `first outbound connections to ${ports.length} new remote ports on this host in one sample (a port scan?): ${shown}`,
        },
      });
    } else if (report) {
      for (const [port, eps] of fresh) {
        const owners = !this.shedding && ctx.ownersOfRemotePort ? ctx.ownersOfRemotePort(port, Math.min(5, cap)) : [];
        fire({
          kind: 'CONN_NEW_PORT', signature: `conn.new-port/tcp:${port}`, value: eps.length, baseline: 0, score: 1,
          evidence: { processes: owners, remotes: eps.slice(0, cap), detail: `first outbound connection to remote port ${port} on this host` },
        });
      }
    }

    const lc = this.config.listen;
    for (const l of s.listening) {
      if (l.protocol !== 'tcp' || l.port > lc.maxPort) continue;
      if (lc.ignoreLoopback && isLoopback(l.address)) continue;
      if (this.knownListen.has(l.port)) continue;
      this.knownListen.add(l.port);
      if (learning || !lc.enabled) continue;
      fire({
        kind: 'LISTEN_NEW', signature: `listen.new/tcp:${l.port}`, value: l.port, baseline: 0, score: 1,
        evidence: { processes: [], remotes: [l], detail: `new listening socket ${l.address}:${l.port}` },
      });
    }
  }

  /**
   * One event when a signature starts; while it goes on, at most one event per
   * repeatEvery samples carrying the repeats' count; a cleared event after
   * clearAfter quiet samples.
   */
  private coalesce(firing: Map<string, Anomaly>, at: number): Anomaly[] {
    const out: Anomaly[] = [];
    const c = this.config;
    for (const [sig, ev] of firing) {
      const a = this.active.get(sig);
      if (!a) {
        this.active.set(sig, { event: ev, pending: 0, sinceEmit: 0, quiet: 0 });
        out.push(ev);
        continue;
      }
      a.quiet = 0;
      a.pending += ev.count;
      a.sinceEmit++;
      a.event = ev;
      if (a.sinceEmit >= c.repeatEvery) {
        out.push({ ...ev, count: a.pending });
        a.pending = 0;
        a.sinceEmit = 0;
      }
    }
    for (const [sig, a] of this.active) {
      if (firing.has(sig)) continue;
      a.quiet++;
      a.sinceEmit++;
      if (a.quiet >= c.clearAfter) {
        out.push({ ...a.event, observedAtMs: at, count: a.pending, cleared: true, evidence: { processes: [], remotes: [], detail: 'ended' } });
        this.active.delete(sig);
      }
    }
    return out;
  }

  /** Writes baselines.json atomically (temp file, then rename). */
  save(): void {
    if (!this.file) return;
    const data: Persisted = {
      version: 1,
      samples: this.samples,
      baselines: Object.fromEntries([...this.metrics].map(([k, m]) => [k, m.baseline.state])),
      knownExes: [...this.knownExes],
      knownRemotePorts: [...this.knownRemotePorts],
      knownListen: [...this.knownListen],
      trw: this.trw,
    };
    try {
      mkdirSync(join(this.file, '..'), { recursive: true });
      const tmp = `${this.file}.tmp`;
      writeFileSync(tmp, JSON.stringify(data));
      renameSync(tmp, this.file);
    } catch (err) {
      this.logger?.warn({ err, file: this.file }, 'could not save detector baselines; they will be relearned after a restart (check the data dir is writable)');
    }
  }

  private load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return; // first start: learn from scratch
    }
    try {
      const d = JSON.parse(text) as Partial<Persisted>;
      if (d.version !== 1) throw new Error(`unknown version ${String(d.version)}`);
      this.samples = Number(d.samples) || 0;
      for (const [k, st] of Object.entries(d.baselines ?? {})) this.metrics.set(k, new MetricDetector(st));
      this.knownExes = new Set(d.knownExes ?? []);
      this.knownRemotePorts = new Set(d.knownRemotePorts ?? []);
      this.knownListen = new Set(d.knownListen ?? []);
      this.trw = Number(d.trw) || 0;
    } catch (err) {
      this.logger?.warn({ err, file }, 'detector baselines unreadable; starting to learn afresh (the file is overwritten at the next save)');
    }
  }
}

function exeKey(p: ProcessInfo__Output): string {
  return p.sha256 ? `sha256:${p.sha256}` : `path:${p.exe}`;
}

/** The remote port most of the new outbound traffic goes to; 0 when none was seen. */
function dominantPort(s: Sample, ctx: ObserveContext): number {
  let best = 0;
  let n = 0;
  for (const [port, count] of ctx.newRemotePorts ?? []) {
    if (count > n) {
      best = port;
      n = count;
    }
  }
  if (best > 0) return best;
  return s.remotePortCounts[0]?.port ?? 0;
}

function isLoopback(addr: string): boolean {
  return addr.startsWith('127.') || addr === '::1';
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
