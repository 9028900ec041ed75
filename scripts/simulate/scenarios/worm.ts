// worm: a mass-mailer. One host is infected at the start; every infected host
// mails itself to other hosts on tcp/25 at a rate that, left alone, doubles the
// infected hosts every `doublingS` seconds. An attempt from A to B succeeds only
// when the enforcement evaluator lets the flow out of A and into B under both
// agents' current enforcement state, so isolating hosts or blocking the port
// really stops the spread. Infected hosts show what a mass-mailer shows: a new
// executable under /tmp with a fixed hash, fan-out to hundreds of distinct
// peers on port 25, a CPU spike and heavy disk reads (the address book, the
// mail spool).
//
// Spread model: each infected host makes attempts at a steady rate r = ln2 / D
// from a random phase (a host that has just been infected is not synchronised
// with its parent). With random phases the growth rate is exactly r
// (Euler–Lotka), so the doubling time is D, with less scatter than Poisson
// attempts. Targets are drawn from the hosts not yet infected (the worm's
// address book is much larger than the fleet), so growth stays exponential
// until the fleet runs out, rather than bending early as a uniform draw over
// the fleet would, and "doubles every D seconds" stays true up to the end.
import { evaluateFlow } from '../../../agent/enforce/evaluate.ts';
import type { SimHost } from '../fleet.ts';
import type { Affected, Scenario, ScenarioContext, ScenarioTruth } from '../scenario.ts';
import { fakeHash, type Effect } from '../synthetic-sampler.ts';

export const WORM_PORT = 25;
export const WORM_SHA256 = fakeHash('firebreak-sim:worm:mass-mailer');
export const WORM_EXE = '/tmp/.cache/.mailer';

export function wormEffect(): Effect {
  return {
    cpuPct: 92,
    diskReadBps: 160 * 1024 * 1024,
    process: { name: '.mailer', exe: WORM_EXE, sha256: WORM_SHA256, cpuPct: 95, count: 4 },
    fanout: { port: WORM_PORT, addrsPerInterval: 240 },
  };
}

interface Infection {
  host: SimHost;
  atMs: number;
  /** attempts owed: grows at rate r, one attempt per whole unit */
  credit: number;
}

export class WormScenario implements Scenario {
  readonly name = 'worm';
  readonly description = 'one host infected by a mass-mailer that spreads on tcp/25, doubling every D seconds when left alone';
  readonly defaultDurationMs = 120_000;
  private infected = new Map<string, Infection>();
  /** hosts not infected yet, for O(1) draws and removal */
  private susceptible: SimHost[] = [];
  private order: Affected[] = [];
  private attempts = 0;
  private blockedOut = 0;
  private blockedIn = 0;
  private lastBlockCheck = 0;

  start(ctx: ScenarioContext, now: number): void {
    this.susceptible = [...ctx.hosts];
    const pz = ctx.hosts[Math.floor(ctx.random() * ctx.hosts.length)]!;
    this.infect(ctx, pz, now, null);
    ctx.log.info({ patientZero: pz.id, doublingS: ctx.options.doublingS }, 'worm: patient zero infected');
  }

  private infect(ctx: ScenarioContext, h: SimHost, now: number, by: string | null): void {
    this.infected.set(h.id, { host: h, atMs: now, credit: ctx.random() });
    const i = this.susceptible.indexOf(h);
    if (i >= 0) { this.susceptible[i] = this.susceptible[this.susceptible.length - 1]!; this.susceptible.pop(); }
    this.order.push({ hostId: h.id, atMs: now, by });
    h.sampler.setEffect('worm', wormEffect());
  }

  tick(ctx: ScenarioContext, now: number, dtMs: number): void {
    const rate = Math.LN2 / ctx.options.doublingS; // attempts per second per infected host
    const hosts = ctx.hosts;
    const current = [...this.infected.values()];
    for (const inf of current) {
      inf.credit += (rate * dtMs) / 1000;
      while (inf.credit >= 1) {
        inf.credit -= 1;
        if (this.susceptible.length === 0) break;
        this.attempts++;
        const target = this.susceptible[Math.floor(ctx.random() * this.susceptible.length)]!;
        const verdict = this.flowPasses(ctx, inf.host, target, now);
        if (verdict === 'out') { this.blockedOut++; continue; }
        if (verdict === 'in') { this.blockedIn++; continue; }
        this.infect(ctx, target, now, inf.host.id);
      }
    }
    // The mailer's outbound connections fail where the host's own firewall drops them.
    if (now - this.lastBlockCheck >= 500) {
      this.lastBlockCheck = now;
      for (const inf of this.infected.values()) {
        const fan = inf.host.sampler.effect('worm')?.fanout;
        if (!fan) continue;
        const peer = hosts[(inf.host.index + 1) % hosts.length]!;
        fan.blocked = !this.outPasses(ctx, inf.host, peer.ip, now);
      }
    }
  }

  private outPasses(ctx: ScenarioContext, from: SimHost, toIp: string, now: number): boolean {
    const state = from.agent?.enforcer.state();
    if (!state) return true;
    return evaluateFlow(state, ctx.controller, { direction: 'out', protocol: 'tcp', localPort: 40000 + (from.index % 20000), remoteAddress: toIp, remotePort: WORM_PORT }, now).pass;
  }

  /** 'ok' when the SMTP connection from A to B would be made under both hosts' current enforcement. */
  private flowPasses(ctx: ScenarioContext, a: SimHost, b: SimHost, now: number): 'ok' | 'out' | 'in' {
    if (!this.outPasses(ctx, a, b.ip, now)) return 'out';
    const state = b.agent?.enforcer.state();
    if (state && !evaluateFlow(state, ctx.controller, { direction: 'in', protocol: 'tcp', localPort: WORM_PORT, remoteAddress: a.ip, remotePort: 40000 + (a.index % 20000) }, now).pass) return 'in';
    return 'ok';
  }

  finished(ctx: ScenarioContext): boolean {
    const stopAt = ctx.options.stopAtAffected;
    return this.infected.size >= ctx.hosts.length || (stopAt > 0 && this.infected.size >= stopAt);
  }

  truth(ctx: ScenarioContext): ScenarioTruth {
    return {
      expect: { masterAlert: true, classification: 'propagating', patientZero: this.order[0]?.hostId, doublingS: ctx.options.doublingS },
      affected: [...this.order],
      extra: {
        infectionAttempts: this.attempts, blockedOutbound: this.blockedOut, blockedInbound: this.blockedIn,
        wormSha256: WORM_SHA256, wormExe: WORM_EXE, wormPort: WORM_PORT,
      },
    };
  }
}

export default (): Scenario => new WormScenario();
