// What a scenario is: a file in scenarios/ that drives the synthetic samplers of
// a running fleet (which hosts misbehave, how, and when) and says what the truth
// was, so the summary can hold the controller's alerts against it.
import type { Logger } from 'pino';
import type { ControllerEndpoint } from '../../agent/enforce/backend.ts';
import type { SimHost } from './fleet.ts';
import type { Rand } from './rng.ts';

export interface ScenarioOptions {
  /** worm: seconds in which infected hosts double when left alone (0 = the scenario's own: worm 10, quiet-mailer 10, fast-scanner 5, slow-worm 60) */
  doublingS: number;
  /** stop once this many hosts are affected (0 = never; the scenario's duration bounds the run) */
  stopAtAffected: number;
  /** the scenario's own bound on its length, in ms (0 = its default) */
  durationMs: number;
  /** the share of hosts a noise scenario disturbs */
  noiseShare: number;
}

export const DEFAULT_SCENARIO_OPTIONS: ScenarioOptions = { doublingS: 0, stopAtAffected: 0, durationMs: 0, noiseShare: 0.03 };

export interface ScenarioContext {
  hosts: readonly SimHost[];
  byAddress: ReadonlyMap<string, SimHost>;
  /** where the agents' controller is, as the enforcement evaluator needs it */
  controller: ControllerEndpoint;
  random: Rand;
  options: ScenarioOptions;
  log: Logger;
  /** the scenario's start (ms, wall clock: the agents and the controller share it) */
  t0: number;
}

/** One host the scenario made misbehave, and when. */
export interface Affected {
  hostId: string;
  atMs: number;
  /** worm: the host that infected it (null for patient zero) */
  by: string | null;
}

/** What really happened, for the summary to compare the alerts against. */
export interface ScenarioTruth {
  /** what the controller ought to conclude */
  expect: { masterAlert: boolean; classification?: 'propagating' | 'simultaneous'; patientZero?: string; doublingS?: number };
  affected: Affected[];
  /** scenario-specific figures (infection attempts, blocked attempts, ...) */
  extra: Record<string, number | string | null>;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** default length of the scenario in ms (options.durationMs overrides) */
  readonly defaultDurationMs: number;
  /** before warm-up and before the agents start: what a scenario sets on hosts up front (their clocks) */
  configureHosts?(hosts: readonly SimHost[], random: Rand): void;
  start(ctx: ScenarioContext, now: number): void;
  /** called every tick (about 100 ms) with the wall clock */
  tick(ctx: ScenarioContext, now: number, dtMs: number): void;
  /** true when there is nothing more to see (e.g. everyone infected) */
  finished?(ctx: ScenarioContext, now: number): boolean;
  truth(ctx: ScenarioContext): ScenarioTruth;
}

export type ScenarioFactory = () => Scenario;
