// Agent configuration: a JSON file kept by `conf` in the agent's data dir,
// overridden by command-line flags, validated by one zod schema (the types
// below are inferred from it, never declared twice).
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import Conf from 'conf';
import { z } from 'zod';
import { describeUnknownKey, unknownKeys } from '../proto/config-keys.ts';
import { AGENT_ID_PATTERN } from '../proto/validate.ts';
import { DetectorConfigSchema } from './detect/config.ts';
import { controllerAddresses } from './controller-list.ts';

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export const AgentConfigSchema = z.object({
  agentId: z.string().max(63).regex(AGENT_ID_PATTERN, "use lowercase letters, digits, '.', '_' and '-', starting with a letter or digit"),
  /**
   * the controller's agent address, HOST:PORT; or several, comma-separated, of
   * controllers sharing one store: the link fails over between them in order
   */
  controller: z.string({ error: 'is not set: pass -c HOST:PORT (add --save to keep it in the config file)' })
    .superRefine((s, ctx) => { for (const message of controllerListProblems(s)) ctx.addIssue({ code: 'custom', message }); }),
  /** where to enroll (the controller's enrollment listener); default: the controller's host, port 7445 */
  enrollAddress: z.string().regex(HOST_PORT, 'expected HOST:PORT').optional(),
  intervalMs: z.number().int().min(500, 'at least 500 ms').max(3_600_000, 'at most 1 hour').default(5000),
  tags: z.record(
    z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'tag keys are 1-64 letters, digits, _ . -'),
    z.string().max(256).regex(/^[^\u0000-\u001f]*$/, 'no control characters'),
  ).default({}),
  dataDir: z.string().min(1),
  backend: z.enum(['auto', 'nftables', 'iptables', 'dry-run']).default('auto'),
  /** a TCP address isolation must make unreachable; proves the isolation bites (default 192.0.2.1:9) */
  verifyBlockedTarget: z.string().regex(HOST_PORT, 'expected ADDRESS:PORT').optional(),
  /** count new outbound connections in the kernel (nftables, root) when the backend is nftables */
  kernelCounting: z.enum(['auto', 'off']).default('auto'),
  /** detector thresholds (defaults in agent/detect/config.ts, where they are defined) */
  detect: DetectorConfigSchema,
  /** bound on the on-disk report spool (unacked reports while the controller is away); past it the middle of an incident is summarised */
  spoolMaxMb: z.number().positive().max(10_240, 'at most 10240 MB').default(64),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
});

export type AgentConfig = z.infer<typeof AgentConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** What is wrong with each entry of a `controller` setting, one message per problem; [] when it is valid. */
export function controllerListProblems(controller: string): string[] {
  const entries = controllerAddresses(controller);
  const several = entries.length > 1;
  // one address: the messages as they always were (the loader adds the value it got)
  const which = (i: number, e: string) => (several ? `entry ${i + 1} of ${entries.length} ('${e}'): ` : '');
  const problems: string[] = [];
  entries.forEach((e, i) => {
    if (e === '') { problems.push(several ? `entry ${i + 1} of ${entries.length} is empty (a stray comma?)` : 'expected HOST:PORT, e.g. 10.0.0.5:7443 or [fd00::1]:7443'); return; }
    const m = HOST_PORT.exec(e);
    if (!m) { problems.push(`${which(i, e)}expected HOST:PORT, e.g. 10.0.0.5:7443 or [fd00::1]:7443${several ? '; several controllers are comma-separated' : ''}`); return; }
    const port = Number(m[2]);
    if (port < 1 || port > 65535) { problems.push(`${which(i, e)}port must be 1-65535`); return; }
    const first = entries.indexOf(e);
    if (first < i) problems.push(`${which(i, e)}repeats entry ${first + 1}; list each controller once`);
  });
  return problems;
}

/** The enrollment listener's default address: the first controller's host, port 7445. */
export function defaultEnrollAddress(controller: string): string {
  return controllerAddresses(controller)[0]!.replace(/:\d+$/, ':7445');
}

/** A default agent id from the host name, made to fit the id pattern. */
export function defaultAgentId(): string {
  const id = hostname().toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 63);
  return id || 'agent';
}

/**
 * Loads `<dataDir>/agent.json`, applies flag overrides, validates. With
 * `save`, the overrides are written back so the next start needs no flags.
 */
export function loadAgentConfig(dataDir: string, overrides: Partial<AgentConfig>, save = false): AgentConfig {
  const dir = resolve(dataDir);
  const { store, file } = openConfigFile(dir);
  const merged = { agentId: defaultAgentId(), ...file, ...stripUndefined(overrides), dataDir: dir };
  const parsed = AgentConfigSchema.safeParse(merged);
  // strict: a misspelt key would otherwise be dropped and its default used without a word
  const unknown = unknownKeys(AgentConfigSchema, file).map((u) => `  ${describeUnknownKey(u)}`);
  if (!parsed.success || unknown.length) {
    const lines = parsed.success ? [] : parsed.error.issues.map((i) => `  ${i.path.join('.') || 'config'}: ${i.message} (got ${JSON.stringify(valueAt(merged, i.path))})`);
    throw new ConfigError(`agent config is invalid (file ${store.path}, flags override it):\n${[...unknown, ...lines].join('\n')}`);
  }
  if (save) {
    const { dataDir: _d, ...persist } = parsed.data;
    store.set(persist);
  }
  return parsed.data;
}

/** The config file and what it holds; a file that does not parse is one ConfigError line naming it. */
function openConfigFile(dir: string): { store: Conf<Record<string, unknown>>; file: Record<string, unknown> } {
  const path = join(dir, 'agent.json');
  const aside = 'move it aside and start again with flags (-c HOST:PORT ... --save)';
  try {
    const store = new Conf<Record<string, unknown>>({ cwd: dir, configName: 'agent', projectName: 'firebreak-agent' });
    const file: unknown = store.store;
    if (file === null || typeof file !== 'object' || Array.isArray(file)) throw new ConfigError(`${path} does not hold a JSON object: fix it, or ${aside}`);
    return { store, file: file as Record<string, unknown> };
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.name === 'SyntaxError') throw new ConfigError(`${path} is not valid JSON (${e.message}): fix it, or ${aside}`);
    throw new ConfigError(`${path} cannot be read (${e.code ?? e.message}): fix its permissions, or ${aside}`);
  }
}

/** Keeps tags granted at enrollment, so later starts report them without flags. */
export function saveAgentTags(dataDir: string, tags: Record<string, string>): void {
  const store = new Conf<Record<string, unknown>>({ cwd: resolve(dataDir), configName: 'agent', projectName: 'firebreak-agent' });
  store.set('tags', { ...(store.get('tags') as Record<string, string> | undefined), ...tags });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function valueAt(o: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((acc, k) => (acc && typeof acc === 'object' ? (acc as Record<PropertyKey, unknown>)[k] : undefined), o);
}
