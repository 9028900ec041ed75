// One-time start-up work: validate the config (conf, zod), read the host
// inventory (systeminformation), and enroll when this agent has no identity
// yet. `firebreak-agent run` does this in a short-lived child process
// (`firebreak-agent prepare`, see main.ts), so these libraries never stay
// resident in an agent that runs for months: in the deployed bundle they are
// a separate chunk the running agent never loads (measured in the README).
import { pino } from 'pino';
import type { HostInventory } from '../proto/wire.ts';
import { ConfigError, defaultEnrollAddress, loadAgentConfig, saveAgentTags, type AgentConfig } from './config.ts';
import { readInventory } from './inventory.ts';
import { ensureIdentity } from './trust/enroll.ts';

export interface PrepareRequest {
  dataDir: string;
  /** flag values that override the config file */
  overrides: Partial<AgentConfig>;
  /** write the overrides to the config file */
  save: boolean;
  enrollToken?: string;
  caPin?: string;
}

export interface Prepared {
  config: AgentConfig;
  inventory: HostInventory;
}

/** Why the agent cannot start, said once by the child; the parent exits with `exitCode`. */
export class PrepareError extends Error {
  override name = 'PrepareError';
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}

export async function prepare(req: PrepareRequest): Promise<Prepared> {
  let config: AgentConfig;
  try {
    config = loadAgentConfig(req.dataDir, req.overrides, req.save);
  } catch (err) {
    if (err instanceof ConfigError) throw new PrepareError(err.message);
    throw err;
  }
  const log = pino({ level: config.logLevel, base: { app: 'firebreak-agent', agent: config.agentId } });
  const inventory = await readInventory(config.tags);
  try {
    const enrolled = await ensureIdentity({
      dataDir: req.dataDir, agentId: config.agentId, enrollAddress: config.enrollAddress ?? defaultEnrollAddress(config.controller),
      token: req.enrollToken, caPin: req.caPin, inventory, log,
    });
    if (Object.keys(enrolled.grantedTags).length > 0) {
      // tags the token granted become this host's tags from now on
      config = { ...config, tags: { ...config.tags, ...enrolled.grantedTags } };
      saveAgentTags(req.dataDir, config.tags);
      inventory.tags = config.tags;
    }
  } catch (err) {
    // a refused token, a CA that does not match the pin, an unreachable controller, a damaged
    // identity: all need the operator; said once, by the `prepare` command (main.ts)
    throw new PrepareError(`cannot start: ${(err as Error).message}`);
  }
  return { config, inventory };
}
