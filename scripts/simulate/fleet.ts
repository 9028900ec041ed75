// The simulated fleet: N real Agents (agent/agent.ts, with the real link and the
// real DetectorEngine on its default config) in this one process, each with a
// synthetic sampler and the dry-run firewall backend, each in its own data dir.
// Hosts have addresses in 10.200.0.0/16 in the simulator's model only: no
// traffic is ever sent to them; the worm's "connections" are evaluated, not made.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Agent, type AgentParts } from '../../agent/agent.ts';
import { AgentConfigSchema, type AgentConfig } from '../../agent/config.ts';
import { controllerAddresses } from '../../agent/controller-list.ts';
import { DetectorEngine } from '../../agent/detect/engine.ts';
import { detectorConfig } from '../../agent/detect/config.ts';
import type { Anomaly, Detector } from '../../agent/detect/detector.ts';
import type { ControllerEndpoint } from '../../agent/enforce/backend.ts';
import { DryRunBackend } from '../../agent/enforce/dry-run.ts';
import { ThrottleTracker } from '../../agent/enforce/throttle.ts';
import type { Sample } from '../../agent/sample/sampler.ts';
import type { HostInventory } from '../../proto/wire.ts';
import { derive, type Rand } from './rng.ts';
import { randomProfile, SyntheticSampler } from './synthetic-sampler.ts';

/** The real detector's default thresholds, parsed once for every simulated host. */
const DETECT_DEFAULTS = detectorConfig();

/** What the simulator knows of one host's anomalies, as its detector emitted them. */
export interface HostEvents {
  /** anomaly events (not clears) the detector emitted, with their signatures */
  raw: number;
  cleared: number;
  /** when the first anomaly was emitted (true time: the sample's stamp less the host's clock offset) */
  firstAtMs: number | null;
  bySignature: Map<string, number>;
}

export interface SimHost {
  index: number;
  id: string;
  /** the host's address in the model (10.200.0.0/16) */
  ip: string;
  role: string;
  tags: Record<string, string>;
  sampler: SyntheticSampler;
  engine: DetectorEngine;
  backend: DryRunBackend;
  agent: Agent | undefined;
  dataDir: string;
  events: HostEvents;
  /** events emitted during warm-up (should be none: the detector is still learning) */
  warmupEvents: number;
  random: Rand;
  /**
   * The host's clock: skewMs shifts every time its agent stamps (samples, contacts,
   * Hello, heartbeats, command checks); backdateMs moves back only what it reports
   * as observed (samples, so events, and contacts), as a rogue host lying about
   * when it saw things would. Set by a scenario's configureHosts, before the agents start.
   */
  clock: { skewMs: number; backdateMs: number };
  /** the host's virus-throttle working set and bucket, which its connections pass through when a throttle is in force */
  throttle: ThrottleTracker;
}

export interface FleetOptions {
  hosts: number;
  seed: number;
  intervalMs: number;
  /** the controller's agent address, host:port; or several comma-separated ("127.0.0.1:p1,127.0.0.1:p2"), failed over in order */
  controller: string;
  /** host i's own controller list (e.g. the same controllers in another order, to spread a fleet over a cluster) */
  controllerFor?: (index: number) => string;
  /** one sub-directory per host is made here */
  dataDir: string;
  log: Logger;
  /** count events only from this time on (the scenario's start) */
  countFromMs?: () => number;
}

/** 10.200.x.y for host i: y in 1..250, so no .0 or broadcast-looking addresses. */
export function hostAddress(i: number): string {
  if (i >= 250 * 256) throw new Error(`at most ${250 * 256} simulated hosts fit in 10.200.0.0/16`);
  return `10.200.${Math.floor(i / 250)}.${1 + (i % 250)}`;
}

export const hostIdOf = (i: number): string => `sim-${String(i).padStart(5, '0')}`;

const ROLES = ['app', 'app', 'app', 'web', 'web', 'db', 'mail', 'batch'];

/** What each Agent needs beyond the simulator's parts: its enrolled identity (mTLS), and any override. */
export type AgentExtras = (host: SimHost) => Promise<Pick<AgentParts, 'identity'> & Partial<AgentParts>>;

export class Fleet {
  readonly hosts: SimHost[] = [];
  readonly byAddress = new Map<string, SimHost>();
  readonly byId = new Map<string, SimHost>();

  constructor(private readonly o: FleetOptions) {
    for (let i = 0; i < o.hosts; i++) {
      const id = hostIdOf(i);
      const random = derive(o.seed, id);
      const role = ROLES[Math.floor(random() * ROLES.length)]!;
      const ip = hostAddress(i);
      const dataDir = join(o.dataDir, id);
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const tags: Record<string, string> = { role, sim: 'true' };
      const clock = { skewMs: 0, backdateMs: 0 };
      const profile = randomProfile(random, role);
      const host: SimHost = {
        index: i, id, ip, role, tags, dataDir, random, clock, throttle: new ThrottleTracker(),
        sampler: new SyntheticSampler({
          profile, random, address: ip, clockOffsetMs: () => clock.skewMs - clock.backdateMs,
          contactRandom: derive(o.seed, `${id}:contacts`), inboundClientsPerS: role === 'web' ? 0.2 : 0,
        }),
        // The real detector with its default thresholds; baselines persist in the host's data dir.
        engine: new DetectorEngine({ dataDir, config: DETECT_DEFAULTS, logger: o.log.child({ host: id, part: 'detect' }) }),
        backend: new DryRunBackend(),
        agent: undefined,
        events: { raw: 0, cleared: 0, firstAtMs: null, bySignature: new Map() },
        warmupEvents: 0,
      };
      this.hosts.push(host);
      this.byAddress.set(ip, host);
      this.byId.set(id, host);
    }
  }

  /**
   * Warm-up: feeds each host's detector `samples` synthetic normal samples dated
   * one interval apart and ending now, in-process and at once, so every baseline
   * is learned (learningSamples and warmup are 12 by default) before the agents
   * start. The detector's configuration is untouched.
   */
  prewarm(samples: number): { samples: number; eventsDuringWarmup: number } {
    let events = 0;
    for (const h of this.hosts) {
      // on the host's own clock, so its first live sample follows its warm-up
      const now = h.sampler.clockNow();
      for (let k = samples; k >= 1; k--) {
        const s = h.sampler.sampleAt(now - k * this.o.intervalMs);
        const ev = h.engine.observe(s);
        h.warmupEvents += ev.length;
        events += ev.length;
      }
    }
    return { samples, eventsDuringWarmup: events };
  }

  private detectorOf(h: SimHost): Detector {
    const from = this.o.countFromMs;
    return {
      observe: (s: Sample): Anomaly[] => {
        const out = h.engine.observe(s);
        // the sample's true time: its stamp is on the host's (maybe skewed) clock
        const trueAt = s.observedAtMs - h.sampler.offsetMs();
        if (out.length > 0 && (!from || trueAt >= from())) {
          for (const e of out) {
            if (e.cleared) { h.events.cleared++; continue; }
            h.events.raw++;
            h.events.firstAtMs ??= trueAt;
            h.events.bySignature.set(e.signature, (h.events.bySignature.get(e.signature) ?? 0) + 1);
          }
        }
        return out;
      },
      save: () => h.engine.save(),
    };
  }

  private inventory(h: SimHost): HostInventory {
    const p = h.sampler.profile;
    return {
      hostname: h.id, os: 'Simulated Linux', kernel: '6.1.0-sim', cpuModel: 'simulated', cpuCores: p.cores,
      memoryBytes: p.memTotalBytes, ipAddresses: [h.ip], agentVersion: 'sim', tags: h.tags, arch: 'x64',
    };
  }

  /**
   * Starts every agent, spread over one report interval so the fleet does not
   * report in lockstep, and waits (bounded) until each is connected.
   */
  async start(extras: AgentExtras, timeoutMs = 60_000): Promise<void> {
    const { log, intervalMs } = this.o;
    const n = this.hosts.length;
    await Promise.all(this.hosts.map(async (h, i) => {
      const more = await extras(h);
      // parsed, so every default of the agent's own config applies
      const config: AgentConfig = AgentConfigSchema.parse({
        agentId: h.id, controller: this.o.controllerFor?.(h.index) ?? this.o.controller, intervalMs, tags: h.tags, dataDir: h.dataDir,
        backend: 'dry-run', logLevel: 'warn', detect: h.engine.config,
      });
      h.agent = new Agent({
        config, inventory: this.inventory(h), sampler: h.sampler, detector: this.detectorOf(h), backend: h.backend,
        log: log.child({ host: h.id }), random: h.random, now: () => Date.now() + h.clock.skewMs,
        // a thousand agents in one process: the spool's file without an fdatasync per report
        spoolFsync: false, ...more,
      });
      await new Promise((r) => setTimeout(r, Math.floor((i / n) * intervalMs)));
      await h.agent.start();
    }));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const down = this.hosts.filter((h) => !h.agent?.link.connected).length;
      if (down === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    const down = this.hosts.filter((h) => !h.agent?.link.connected).map((h) => h.id);
    throw new Error(`${down.length} of ${n} simulated agents did not connect within ${timeoutMs} ms (first: ${down.slice(0, 5).join(', ')}); is the controller overloaded or refusing them? See its log.`);
  }

  /**
   * Waits (bounded) until the controller has stored every report sent so far: a
   * round trip on each link (acks are cumulative and the controller handles a
   * stream's frames in order). Returns how many links did not answer in time.
   */
  async drained(timeoutMs: number): Promise<number> {
    const r = await Promise.allSettled(this.hosts.map((h) => h.agent ? h.agent.link.roundTrip(timeoutMs) : Promise.resolve(0)));
    return r.filter((x) => x.status === 'rejected').length;
  }

  async stop(): Promise<void> {
    await Promise.all(this.hosts.map((h) => h.agent?.stop()));
  }

  /**
   * Where the controllers are, as the simulated firewalls exempt them: 127.0.0.1 on
   * `port`, or without it every entry of the fleet's controller list ("a:p1,b:p2").
   */
  controllerEndpoint(port?: number): ControllerEndpoint {
    if (port !== undefined) return { targets: [{ address: '127.0.0.1', port }], dnsServers: [] };
    const targets = controllerAddresses(this.o.controller).map((e) => {
      const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(e);
      if (!m) throw new Error(`simulator: controller entry '${e}' is not HOST:PORT`);
      return { address: m[1] === 'localhost' ? '127.0.0.1' : m[1]!, port: Number(m[2]) };
    });
    return { targets, dnsServers: [] };
  }
}
