// rollout: a benign fleet-wide software roll-out. Most hosts, each at its own
// jittered moment, download a new package from a mirror (an address outside
// the fleet), install it (some CPU, a burst of disk writes) and start its new
// binary, the same hash everywhere. Fleet-wide, specific (a new binary) and
// spread over a minute, but nothing passes from host to host: every contact
// goes to the mirror. Nothing should ever be isolated or blocked for it.
import type { SimHost } from '../fleet.ts';
import { connect, MIRROR_ADDRESS, MIRROR_PORT } from '../net.ts';
import type { Affected, Scenario, ScenarioContext, ScenarioTruth } from '../scenario.ts';
import { fakeHash } from '../synthetic-sampler.ts';

const MB = 1024 * 1024;
export const ROLLOUT_SHA256 = fakeHash('firebreak-sim:rollout:node_exporter-1.8.2');
export const ROLLOUT_EXE = '/usr/local/bin/node_exporter';

export interface RolloutOptions {
  /** share of the fleet that gets the package */
  share: number;
  /** every chosen host starts within this span */
  spreadMs: number;
}

export class RolloutScenario implements Scenario {
  readonly name = 'rollout';
  readonly description = 'benign: 90% of the hosts fetch a package from a mirror outside the fleet at jittered times within a minute and start its new binary (one hash), with some CPU and disk';
  readonly defaultDurationMs: number;
  private plan: { host: SimHost; atMs: number; started: boolean }[] = [];
  private started: Affected[] = [];

  constructor(private readonly o: RolloutOptions = { share: 0.9, spreadMs: 60_000 }) {
    this.defaultDurationMs = o.spreadMs + 20_000;
  }

  start(ctx: ScenarioContext, now: number): void {
    this.plan = ctx.hosts.filter(() => ctx.random() < this.o.share).map((host) => ({ host, atMs: now + ctx.random() * this.o.spreadMs, started: false }));
  }

  tick(ctx: ScenarioContext, now: number): void {
    for (const p of this.plan) {
      if (p.started || p.atMs > now) continue;
      p.started = true;
      this.started.push({ hostId: p.host.id, atMs: now, by: null });
      connect(ctx, p.host, MIRROR_ADDRESS, MIRROR_PORT, now);
      p.host.sampler.setEffect('rollout', {
        cpuPct: 30 + ctx.random() * 25,
        diskWriteBps: (40 + ctx.random() * 60) * MB,
        process: { name: 'node_exporter', exe: ROLLOUT_EXE, sha256: ROLLOUT_SHA256, cpuPct: 15 + ctx.random() * 20, user: 'root' },
        untilMs: now + 15_000 + ctx.random() * 15_000,
      });
    }
  }

  /** The hosts that got the package so far, in order. */
  get rolled(): readonly Affected[] {
    return this.started;
  }

  truth(): ScenarioTruth {
    return {
      expect: { masterAlert: true, classification: 'simultaneous' },
      affected: [...this.started],
      extra: { rolloutHosts: this.started.length, rolloutSha256: ROLLOUT_SHA256, mirror: MIRROR_ADDRESS, spreadMs: this.o.spreadMs },
    };
  }
}

export default (): Scenario => new RolloutScenario();
