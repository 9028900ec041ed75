// The scenarios by name. To add one: write scenarios/<name>.ts exporting a
// default factory returning a Scenario, and list it here.
import type { ScenarioFactory } from '../scenario.ts';
import backup from './backup.ts';
import masked from './masked.ts';
import noise from './noise.ts';
import portscan from './portscan.ts';
import rollout from './rollout.ts';
import worm, { fastScanner, quietMailer, skewedClocks, slowWorm } from './worm.ts';

/** Worms: a true spread with a patient zero (the benchmark runs each with playbooks and without). */
export const WORM_SCENARIOS = ['worm', 'quiet-mailer', 'fast-scanner', 'slow-worm', 'masked', 'skewed-clocks'] as const;
/** Benign: nothing should ever be isolated or blocked for them. */
export const BENIGN_SCENARIOS = ['backup', 'noise', 'rollout', 'portscan'] as const;

export const SCENARIOS: Record<string, ScenarioFactory> = {
  worm, 'quiet-mailer': quietMailer, 'fast-scanner': fastScanner, 'slow-worm': slowWorm, masked, 'skewed-clocks': skewedClocks,
  backup, noise, rollout, portscan,
};

export function scenarioByName(name: string): ScenarioFactory {
  const f = SCENARIOS[name];
  if (!f) throw new Error(`unknown scenario '${name}': choose one of ${Object.keys(SCENARIOS).join(', ')} (or add scripts/simulate/scenarios/${name}.ts)`);
  return f;
}
