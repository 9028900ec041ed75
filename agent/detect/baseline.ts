// An online robust baseline: EWMA of the mean and of the absolute deviation.
// During warm-up it is a plain running average (every early sample counts the
// same); afterwards each sample moves it by alpha, and an outlier is clipped
// to a few deviations before it is learned, so a sustained attack is not
// absorbed into "normal" within a few samples while a real new level still is,
// slowly.
import type { MetricConfig } from './config.ts';

export interface BaselineState {
  n: number;
  mean: number;
  /** Mean absolute deviation (EWMA). */
  dev: number;
}

/** Outliers are learned as if they were this many deviations away. */
const CLIP = 3;
/** Mean absolute deviation to standard deviation, for a normal distribution. */
const MAD_TO_SD = 1.2533;

export class Baseline {
  state: BaselineState;

  constructor(state?: BaselineState) {
    this.state = state && Number.isFinite(state.mean) && Number.isFinite(state.dev) ? { ...state } : { n: 0, mean: 0, dev: 0 };
  }

  warm(warmup: number): boolean {
    return this.state.n >= warmup;
  }

  /** Deviations above the mean (negative below). */
  score(x: number, minDev: number): number {
    return (x - this.state.mean) / Math.max(this.state.dev * MAD_TO_SD, minDev);
  }

  update(x: number, alpha: number, warmup: number, minDev: number): void {
    const s = this.state;
    if (s.n === 0) {
      s.mean = x;
      s.dev = 0;
    } else if (s.n < warmup) {
      const a = 1 / (s.n + 1);
      s.dev += a * (Math.abs(x - s.mean) - s.dev);
      s.mean += a * (x - s.mean);
    } else {
      const lim = CLIP * Math.max(s.dev * MAD_TO_SD, minDev);
      const d = Math.max(-lim, Math.min(lim, x - s.mean));
      s.dev += alpha * (Math.abs(d) - s.dev);
      s.mean += alpha * d;
    }
    s.n++;
  }
}

export interface Verdict {
  /** Above threshold in this sample. */
  above: boolean;
  /** Fires: above for `sustain` samples, or strongly above once. */
  fire: boolean;
  score: number;
  mean: number;
}

/**
 * A baseline plus its threshold and sustain counter. check() judges x against
 * what was learned before it, then learns x.
 */
export class MetricDetector {
  readonly baseline: Baseline;
  private run = 0;

  constructor(state?: BaselineState) {
    this.baseline = new Baseline(state);
  }

  check(x: number, cfg: MetricConfig, alpha: number, warmup: number): Verdict {
    const mean = this.baseline.state.mean;
    const score = this.baseline.score(x, cfg.minDev);
    const warm = this.baseline.warm(warmup);
    const delta = x - mean;
    const above = cfg.enabled && warm && score >= cfg.z && delta >= cfg.floor;
    const strong = above && score >= cfg.z * cfg.strong && delta >= cfg.floor * cfg.strong;
    this.run = above ? this.run + 1 : 0;
    // While anomalous, learn ten times slower: a sustained attack is not "normal"
    // after a minute, while a lasting new level is accepted after a quarter hour or so.
    this.baseline.update(x, above ? alpha / 10 : alpha, warmup, cfg.minDev);
    return { above, fire: above && (this.run >= cfg.sustain || strong), score, mean };
  }
}
