// masked: the quiet mailer starts while a benign fleet-wide roll-out runs. The
// roll-out (rollout.ts) brings a new binary, CPU and disk to most hosts within a
// minute; 20 s into it, one host is infected by the quiet mailer (worm.ts). The
// truth is the worm's: the roll-out's hosts are not affected, and isolating or
// blocking for the roll-out is a false positive.
import type { Scenario, ScenarioContext, ScenarioTruth } from '../scenario.ts';
import { RolloutScenario } from './rollout.ts';
import { QUIET_MAILER, WormScenario } from './worm.ts';

const WORM_AFTER_MS = 20_000;

export class MaskedScenario implements Scenario {
  readonly name = 'masked';
  readonly description = 'the quiet mailer starting 20 s into a benign roll-out that gives 90% of the hosts a new binary, CPU and disk within a minute';
  readonly defaultDurationMs = 100_000;
  private readonly rollout = new RolloutScenario();
  private readonly worm = new WormScenario(QUIET_MAILER);
  private wormAtMs = Infinity;
  private wormStarted = false;

  start(ctx: ScenarioContext, now: number): void {
    this.rollout.start(ctx, now);
    this.wormAtMs = now + WORM_AFTER_MS;
  }

  tick(ctx: ScenarioContext, now: number, dtMs: number): void {
    this.rollout.tick(ctx, now);
    if (!this.wormStarted && now >= this.wormAtMs) {
      this.wormStarted = true;
      this.worm.start(ctx, now);
    } else if (this.wormStarted) this.worm.tick(ctx, now, dtMs);
  }

  finished(ctx: ScenarioContext): boolean {
    return this.wormStarted && this.worm.finished(ctx);
  }

  truth(ctx: ScenarioContext): ScenarioTruth {
    const w = this.worm.truth(ctx);
    const r = this.rollout.truth();
    return { ...w, extra: { ...w.extra, ...r.extra, wormAfterRolloutStartMs: WORM_AFTER_MS } };
  }
}

export default (): Scenario => new MaskedScenario();
