// Detection turns samples into anomaly events. The agent calls observe() once
// per sample and reports whatever comes back at once.
import type { AnomalyEvent__Output } from '../../proto/wire.ts';
import type { Sample } from '../sample/sampler.ts';

export type Anomaly = AnomalyEvent__Output;

export interface Detector {
  observe(sample: Sample): Anomaly[];
  /** Persist learned baselines (called on shutdown and periodically). */
  save?(): void;
}
