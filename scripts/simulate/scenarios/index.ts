// The scenarios by name. To add one: write scenarios/<name>.ts exporting a
// default factory returning a Scenario, and list it here.
import type { ScenarioFactory } from '../scenario.ts';
import backup from './backup.ts';
import noise from './noise.ts';
import worm from './worm.ts';

export const SCENARIOS: Record<string, ScenarioFactory> = { worm, backup, noise };

export function scenarioByName(name: string): ScenarioFactory {
  const f = SCENARIOS[name];
  if (!f) throw new Error(`unknown scenario '${name}': choose one of ${Object.keys(SCENARIOS).join(', ')} (or add scripts/simulate/scenarios/${name}.ts)`);
  return f;
}
