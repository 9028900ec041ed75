// Worms. One host is infected at the start; every infected host attacks other
// hosts on the worm's port at a rate that, left alone, doubles the infected
// hosts every D seconds. An attempt from A to B succeeds only when the
// enforcement evaluator lets the flow out of A and into B under both agents'
// current enforcement state, so isolating hosts or blocking the port really
// stops the spread. Every connection is a contact on both ends' samplers (see
// ../net.ts), so the controller can draw the spread graph, and the truth
// records who infected whom.
//
// The variants (WormSpec) differ in what an infected host shows and how loud
// it is, not in how the defence works:
// - worm: the loud mass-mailer the project started with: a new executable
//   under /tmp, fan-out to hundreds of outside mail servers on tcp/25, a CPU
//   spike and heavy disk reads.
// - quiet-mailer: SMTP to peers only, about one new peer every 2 s (2-3 per
//   5 s interval, far under the agent's fan-out floor of 50), a binary under a
//   random name in a hidden directory (one hash everywhere), little CPU.
// - fast-scanner: tcp/445 to about 40 addresses a second, nearly all nobody or
//   closed, doubling every 5 s.
// - slow-worm: ssh (a port every host already uses), doubling every 60 s.
//
// Spread model: each infected host makes infection attempts at a steady rate
// r = ln2 / D from a random phase (a host that has just been infected is not
// synchronised with its parent). With random phases the growth rate is exactly
// r (Euler–Lotka), so the doubling time is D, with less scatter than Poisson
// attempts. Targets are drawn from the hosts not yet infected (the worm's
// address book is much larger than the fleet), so growth stays exponential
// until the fleet runs out. Besides, a variant may connect to peers that it
// does not infect (mail nobody opens, a closed port, a host already infected):
// contacts that are not spread, as in a real graph.
import type { SimHost } from '../fleet.ts';
import { connect, outPasses, privateNonFleet } from '../net.ts';
import { int, uniform, type Rand } from '../rng.ts';
import type { Affected, Scenario, ScenarioContext, ScenarioTruth } from '../scenario.ts';
import { fakeHash, publicAddress, type Effect } from '../synthetic-sampler.ts';

export const WORM_PORT = 25;
export const WORM_SHA256 = fakeHash('firebreak-sim:worm:mass-mailer');
export const WORM_EXE = '/tmp/.cache/.mailer';

export function wormEffect(): Effect {
  return {
    cpuPct: 92,
    diskReadBps: 160 * 1024 * 1024,
    process: { name: '.mailer', exe: WORM_EXE, sha256: WORM_SHA256, cpuPct: 95, count: 4 },
    fanout: { port: WORM_PORT, addrsPerInterval: 240, remote: publicAddress },
  };
}

export interface WormSpec {
  name: string;
  description: string;
  port: number;
  /** doubling time when left alone (ScenarioOptions.doublingS overrides) */
  doublingS: number;
  defaultDurationMs: number;
  sha256: string;
  /** what an infected host shows (r: the scenario's randomness, e.g. for a random file name) */
  effect(host: SimHost, r: Rand): Effect;
  /** per infected host and second: connections to fleet peers that infect nobody */
  peerMissesPerS: number;
  /** connections per destination (several messages in an SMTP session, retries) */
  attemptsPerPeer: number;
  /** share of those peer connections refused (nothing listening on the port) */
  peerRefusedShare: number;
}

const randomName = (r: Rand, n: number) => Array.from({ length: n }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[int(r, 0, 36)]).join('');

export const LOUD_MAILER: WormSpec = {
  name: 'worm',
  description: 'the loud mass-mailer: tcp/25 to hundreds of outside mail servers a sample, 92% CPU, heavy disk; doubling 10 s',
  port: WORM_PORT, doublingS: 10, defaultDurationMs: 120_000, sha256: WORM_SHA256,
  effect: () => wormEffect(),
  peerMissesPerS: 0, attemptsPerPeer: 1, peerRefusedShare: 0,
};

const QUIET_SHA256 = fakeHash('firebreak-sim:worm:quiet-mailer');
export const QUIET_MAILER: WormSpec = {
  name: 'quiet-mailer',
  description: 'tcp/25 to fleet peers only, about one new peer per 2 s (under every fan-out floor), a binary under a random name in a hidden dir, little CPU; doubling 10 s',
  port: 25, doublingS: 10, defaultDurationMs: 90_000, sha256: QUIET_SHA256,
  effect: (_h, r) => {
    const name = randomName(r, 8);
    // not a world-writable directory: nothing about the path scores higher
    return { process: { name, exe: `/usr/local/lib/.${randomName(r, 6)}/${name}`, sha256: QUIET_SHA256, cpuPct: 2 + r() * 3, user: 'www-data' } };
  },
  // with ln2/10 ≈ 0.07 infections a second: about 0.5 new peers a second in all
  peerMissesPerS: 0.45, attemptsPerPeer: 3, peerRefusedShare: 0.05,
};

const SCANNER_SHA256 = fakeHash('firebreak-sim:worm:fast-scanner');
export const FAST_SCANNER: WormSpec = {
  name: 'fast-scanner',
  description: 'tcp/445 to about 40 addresses a second, nearly all nobody or closed (10/8), some CPU; doubling 5 s',
  port: 445, doublingS: 5, defaultDurationMs: 60_000, sha256: SCANNER_SHA256,
  effect: (_h, r) => ({
    process: { name: 'kworker', exe: `/tmp/.X11-unix/.${randomName(r, 5)}`, sha256: SCANNER_SHA256, cpuPct: 30 + r() * 15, count: 2 },
    fanout: { port: 445, addrsPerInterval: 0, addrsPerS: 40, failedShare: 0.97, remote: privateNonFleet },
  }),
  // the fleet's own hosts are in 10/8 too: a few a second, nearly all closed on 445
  peerMissesPerS: 3, attemptsPerPeer: 1, peerRefusedShare: 0.9,
};

const SLOW_SHA256 = fakeHash('firebreak-sim:worm:slow');
export const SLOW_WORM: WormSpec = {
  name: 'slow-worm',
  description: 'ssh (tcp/22, a port every host already uses) with stolen keys, a new peer every 10 s, a binary in a hidden dir; doubling 60 s',
  port: 22, doublingS: 60, defaultDurationMs: 120_000, sha256: SLOW_SHA256,
  effect: (_h, r) => ({ process: { name: 'sshd', exe: `/var/tmp/.${randomName(r, 6)}/sshd`, sha256: SLOW_SHA256, cpuPct: 3 + r() * 4 } }),
  peerMissesPerS: 0.1, attemptsPerPeer: 2, peerRefusedShare: 0.1,
};

/** Clock trouble for the skewed-clocks variant. */
export interface ClockTrouble {
  /** share of hosts whose clock is off */
  skewedShare: number;
  /** those hosts' clocks are off by a uniform draw in ±this */
  maxSkewMs: number;
  /** one rogue host backdates what it reports (samples, events, contacts) by this; its Hello and heartbeats are honest */
  rogueBackdateMs: number;
}

interface Infection {
  host: SimHost;
  atMs: number;
  /** infection attempts owed: grows at rate r, one attempt per whole unit */
  credit: number;
  /** peer connections owed */
  missCredit: number;
}

export class WormScenario implements Scenario {
  readonly name: string;
  readonly description: string;
  readonly defaultDurationMs: number;
  private infected = new Map<string, Infection>();
  /** hosts not infected yet, for O(1) draws and removal */
  private susceptible: SimHost[] = [];
  private order: Affected[] = [];
  private attempts = 0;
  private blockedOut = 0;
  private blockedIn = 0;
  private peerConnections = 0;
  private lastBlockCheck = 0;
  private rogue: SimHost | undefined;
  private skewed = 0;
  private maxAbsSkewMs = 0;

  constructor(readonly spec: WormSpec, private readonly clocks?: ClockTrouble, name?: string, description?: string) {
    this.name = name ?? spec.name;
    this.description = description ?? spec.description;
    this.defaultDurationMs = spec.defaultDurationMs;
  }

  private doublingS(ctx: ScenarioContext): number {
    return ctx.options.doublingS || this.spec.doublingS;
  }

  configureHosts(hosts: readonly SimHost[], random: Rand): void {
    const c = this.clocks;
    if (!c) return;
    for (const h of hosts) {
      if (random() >= c.skewedShare) continue;
      h.clock.skewMs = Math.round(uniform(random, -c.maxSkewMs, c.maxSkewMs));
      this.skewed++;
      this.maxAbsSkewMs = Math.max(this.maxAbsSkewMs, Math.abs(h.clock.skewMs));
    }
    if (c.rogueBackdateMs > 0 && hosts.length > 1) {
      this.rogue = hosts[int(random, 0, hosts.length)]!;
      this.rogue.clock.backdateMs = c.rogueBackdateMs;
    }
  }

  start(ctx: ScenarioContext, now: number): void {
    this.susceptible = [...ctx.hosts];
    const candidates = ctx.hosts.filter((h) => h !== this.rogue);
    const pz = candidates[Math.floor(ctx.random() * candidates.length)]!;
    this.infect(ctx, pz, now, null);
    ctx.log.info({ patientZero: pz.id, doublingS: this.doublingS(ctx), worm: this.name }, 'worm: patient zero infected');
  }

  private infect(ctx: ScenarioContext, h: SimHost, now: number, by: string | null): void {
    this.infected.set(h.id, { host: h, atMs: now, credit: ctx.random(), missCredit: ctx.random() });
    const i = this.susceptible.indexOf(h);
    if (i >= 0) { this.susceptible[i] = this.susceptible[this.susceptible.length - 1]!; this.susceptible.pop(); }
    this.order.push({ hostId: h.id, atMs: now, by });
    h.sampler.setEffect('worm', this.spec.effect(h, ctx.random));
  }

  /** Infected hosts now. */
  get infectedCount(): number {
    return this.infected.size;
  }

  tick(ctx: ScenarioContext, now: number, dtMs: number): void {
    const rate = Math.LN2 / this.doublingS(ctx); // infection attempts per second per infected host
    const { port, attemptsPerPeer } = this.spec;
    const hosts = ctx.hosts;
    for (const inf of [...this.infected.values()]) {
      inf.credit += (rate * dtMs) / 1000;
      while (inf.credit >= 1) {
        inf.credit -= 1;
        if (this.susceptible.length === 0) break;
        this.attempts++;
        // the rogue is patient zero's first victim, so its backdated reports are of an infected host
        const target = this.rogue && this.order.length === 1 && this.susceptible.includes(this.rogue)
          ? this.rogue : this.susceptible[Math.floor(ctx.random() * this.susceptible.length)]!;
        const verdict = connect(ctx, inf.host, target.ip, port, now, { metrics: true, attempts: attemptsPerPeer });
        if (verdict === 'out') { this.blockedOut++; continue; }
        if (verdict === 'in') { this.blockedIn++; continue; }
        this.infect(ctx, target, now, inf.host.id);
      }
      inf.missCredit += (this.spec.peerMissesPerS * dtMs) / 1000;
      while (inf.missCredit >= 1 && hosts.length > 1) {
        inf.missCredit -= 1;
        let peer = hosts[Math.floor(ctx.random() * hosts.length)]!;
        if (peer === inf.host) peer = hosts[(peer.index + 1) % hosts.length]!;
        this.peerConnections++;
        connect(ctx, inf.host, peer.ip, port, now, { metrics: true, attempts: attemptsPerPeer, refused: ctx.random() < this.spec.peerRefusedShare });
      }
    }
    // A fan-out's outbound connections fail where the host's own firewall drops them.
    if (now - this.lastBlockCheck >= 500) {
      this.lastBlockCheck = now;
      for (const inf of this.infected.values()) {
        const fan = inf.host.sampler.effect('worm')?.fanout;
        if (!fan) continue;
        const to = fan.remote ? fan.remote(ctx.random) : hosts[(inf.host.index + 1) % hosts.length]!.ip;
        fan.blocked = !outPasses(ctx, inf.host, to, fan.port, now);
      }
    }
  }

  finished(ctx: ScenarioContext): boolean {
    const stopAt = ctx.options.stopAtAffected;
    return this.infected.size >= ctx.hosts.length || (stopAt > 0 && this.infected.size >= stopAt);
  }

  truth(ctx: ScenarioContext): ScenarioTruth {
    const extra: ScenarioTruth['extra'] = {
      infectionAttempts: this.attempts, blockedOutbound: this.blockedOut, blockedInbound: this.blockedIn,
      peerConnections: this.peerConnections, wormSha256: this.spec.sha256, wormPort: this.spec.port,
    };
    if (this.spec === LOUD_MAILER) extra['wormExe'] = WORM_EXE;
    if (this.clocks) {
      extra['skewedHosts'] = this.skewed;
      extra['maxAbsSkewMs'] = this.maxAbsSkewMs;
      extra['rogueHost'] = this.rogue?.id ?? null;
      extra['rogueBackdateMs'] = this.rogue ? this.clocks.rogueBackdateMs : null;
      extra['rogueInfected'] = this.rogue ? String(this.infected.has(this.rogue.id)) : null;
    }
    return {
      expect: { masterAlert: true, classification: 'propagating', patientZero: this.order[0]?.hostId, doublingS: this.doublingS(ctx) },
      affected: [...this.order],
      extra,
    };
  }
}

export default (): Scenario => new WormScenario(LOUD_MAILER);
export const quietMailer = (): Scenario => new WormScenario(QUIET_MAILER);
export const fastScanner = (): Scenario => new WormScenario(FAST_SCANNER);
export const slowWorm = (): Scenario => new WormScenario(SLOW_WORM);
export const skewedClocks = (): Scenario => new WormScenario(LOUD_MAILER, { skewedShare: 0.3, maxSkewMs: 30_000, rogueBackdateMs: 45_000 }, 'skewed-clocks',
  'the loud mass-mailer with 30% of the agents\' clocks off by up to ±30 s, and one rogue infected host backdating its reports by 45 s');
