// One agent: sample → detect → report on a jittered timer, and enforce what
// the controller commands. The parts are passed in, so the fleet simulator can
// run many agents in one process with synthetic samplers.
import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AgentHealth, Command__Output, CommandResult, HostInventory } from '../proto/wire.ts';
import type { AgentConfig } from './config.ts';
import { controllerAddresses } from './controller-list.ts';
import { CommandLedger } from './command-ledger.ts';
import type { Detector } from './detect/detector.ts';
import type { ControllerEndpoint, FirewallBackend } from './enforce/backend.ts';
import { Enforcer } from './enforce/enforcer.ts';
import { endpointText, parseEndpointText, readStateFile } from './enforce/state-file.ts';
import { isNamedHost, readResolvers, stateFileIn } from './enforce/boot.ts';
import { Link } from './link.ts';
import { Spool } from './spool.ts';
import { checkCommandTrust } from '../proto/command-signing.ts';
import { linkCredentials } from './trust/enroll.ts';
import type { AgentIdentity } from './trust/identity.ts';
import { NonceStore } from './trust/nonce-store.ts';
import type { Sampler } from './sample/sampler.ts';
import { OnsetContacts } from './sample/onset-contacts.ts';

export interface AgentParts {
  config: AgentConfig;
  /** this agent's enrolled identity: its mTLS credentials and the controller's command-signing key */
  identity: AgentIdentity;
  inventory: HostInventory;
  sampler: Sampler;
  detector: Detector;
  backend: FirewallBackend;
  /**
   * The enforcer main.ts started at boot, before anything that can fail (see
   * enforce/boot.ts); without it the agent makes its own and starts it first.
   */
  enforcer?: Enforcer;
  /** the agent's own health for its heartbeat (the watchdog) */
  health?: () => AgentHealth;
  /** true while the watchdog sheds work: samples come half as often */
  shedding?: () => boolean;
  log: Logger;
  random?: () => number;
  now?: () => number;
  /** fdatasync each group of spooled reports before sending (default true; the simulator may turn it off) */
  spoolFsync?: boolean;
}

/** The report spool's file in the agent's data dir. */
export const SPOOL_FILE = 'report-spool.log';

/**
 * Resolves every controller's host name ("a:7443,b:7443") to all its addresses,
 * so isolation keeps all of them open. `failed` names the entries that did not
 * resolve (their addresses are then missing from `endpoint`).
 */
export async function resolveController(list: string): Promise<{ endpoint: ControllerEndpoint; failed: string[] }> {
  const entries = controllerAddresses(list).map((entry) => ({ entry, m: /^\[?([^\]]+?)\]?:(\d+)$/.exec(entry) }));
  const failed: string[] = [];
  // per entry, then flattened in the list's order (lookups finish in any order; the saved text stays stable)
  const resolved = await Promise.all(entries.map(async ({ entry, m }) => {
    if (!m) { failed.push(`${entry} (expected HOST:PORT)`); return []; }
    try {
      const addrs = await lookup(m[1]!, { all: true });
      return [...new Set(addrs.map((a) => a.address))].map((address) => ({ address, port: Number(m[2]) }));
    } catch (err) {
      failed.push(`${entry} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return [];
    }
  }));
  const named = entries.some(({ m }) => m !== null && isNamedHost(m[1]!));
  const targets = [...new Map(resolved.flat().map((t) => [`${t.address}|${t.port}`, t])).values()];
  return { endpoint: { targets, dnsServers: named ? readResolvers() : [] }, failed };
}

function parseTarget(hostPort: string): { address: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(hostPort);
  if (!m) throw new Error(`bad verify target '${hostPort}': expected ADDRESS:PORT`);
  return { address: m[1]!, port: Number(m[2]) };
}


export class Agent {
  readonly link: Link;
  readonly enforcer: Enforcer;
  private readonly ledger: CommandLedger;
  private readonly nonces: NonceStore;
  /** every command result, for tests and the simulator to observe */
  readonly results = new EventEmitter();
  private controller: ControllerEndpoint;
  /** the controller's name did not resolve at the last try: retried every interval */
  private unresolved = false;
  private timer: NodeJS.Timeout | undefined;
  private driftTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private samples = 0;
  private readonly onsetContacts: OnsetContacts;
  private commandChain: Promise<unknown> = Promise.resolve();
  private readonly rand: () => number;
  private readonly now: () => number;

  constructor(private readonly p: AgentParts) {
    this.rand = p.random ?? Math.random;
    this.onsetContacts = new OnsetContacts(p.sampler);
    this.now = p.now ?? Date.now;
    const { config, log } = p;
    this.ledger = new CommandLedger(join(config.dataDir, 'commands.json'), undefined, (m) => log.warn(m));
    this.nonces = NonceStore.open(join(config.dataDir, 'nonces.json'), {
      onCorrupt: (m) => log.warn(m),
    });
    const stateFile = stateFileIn(config.dataDir);
    if (p.enforcer) {
      this.controller = p.enforcer.endpoint();
    } else {
      // until the name resolves: the addresses the saved state was applied with
      const saved = readStateFile(stateFile);
      this.controller = saved.kind === 'ok' ? parseEndpointText(saved.state.controllerEndpoint) : { targets: [], dnsServers: [] };
    }
    this.enforcer = p.enforcer ?? new Enforcer({ backend: p.backend, stateFile, controller: () => this.controller, log });
    this.enforcer.attach({
      controller: () => this.controller,
      log: log.child({ part: 'enforce' }),
      // isolation must prove the controller still answers and the host is cut off, else it rolls back
      // (dry-run has nothing to prove)
      verify: p.backend.kind === 'DRY_RUN' ? undefined : {
        // the next report paced out answers, not the end of a replay backlog
        controllerReachable: (ms) => this.link.probe(ms),
        blockedTarget: config.verifyBlockedTarget ? parseTarget(config.verifyBlockedTarget) : undefined,
      },
      onBlocksExpired: (expired) => {
        log.info({ blocks: expired.map((b) => b.id) }, 'port blocks expired and were lifted');
        this.link.heartbeatNow();
      },
      onThrottleExpired: () => {
        log.info('throttle expired and was lifted');
        this.link.heartbeatNow();
      },
    });
    const spool = Spool.open({
      file: join(config.dataDir, SPOOL_FILE), maxBytes: config.spoolMaxMb * 1024 * 1024, fsync: p.spoolFsync ?? true,
      log: log.child({ part: 'spool' }),
    });
    this.link = new Link({
      address: config.controller, spool,
      credentials: linkCredentials(p.identity),
      log: log.child({ part: 'link' }),
      random: this.rand,
      now: this.now,
      hello: () => ({ agentId: config.agentId, inventory: p.inventory, backend: p.backend.kind }),
      heartbeat: () => ({ enforcement: this.enforcer.state(), health: p.health?.() }),
      onCommand: (cmd) => this.onCommand(cmd),
    });
  }

  async start(): Promise<void> {
    // Fail closed: the saved enforcement is in the kernel before anything that can
    // fail. main.ts did it at boot; an agent built without that (simulator) does it here.
    await this.enforcer.start();
    await this.locateController();
    await this.enforcer.controllerMoved().catch((err) => this.p.log.error({ err }, 'could not re-apply enforcement for the controller\'s addresses'));
    const lost = this.enforcer.stateLostEvent();
    // spooled now, delivered once connected
    if (lost) this.link.report({ events: [lost] });
    this.link.start();
    this.scheduleSample(0);
    // A host under enforcement (isolated or blocking) is checked every interval: a worm
    // with root may flush the rules to escape. With nothing enforced there is nothing to
    // escape, and the check costs an nft run (~3.5 ms of CPU): every 12th interval then.
    let ticks = 0;
    this.driftTimer = setInterval(() => {
      if (this.unresolved) void this.locateController().then(() => this.enforcer.controllerMoved()).catch(() => undefined);
      const st = this.enforcer.state();
      if (st.isolated || st.blocks.length > 0 || ++ticks % 12 === 0) void this.checkDrift();
    }, this.p.config.intervalMs);
  }

  /**
   * Resolves the controllers' names. Never throws: while a name does not
   * resolve, the addresses the enforcement was last applied with stay open
   * beside those that resolved, and the names are tried again every interval
   * (the link retries on its own).
   */
  private async locateController(): Promise<void> {
    const { endpoint, failed } = await resolveController(this.p.config.controller);
    if (failed.length === 0) {
      this.controller = endpoint;
      if (this.unresolved) this.p.log.info({ controller: this.p.config.controller }, 'the controller\'s name resolves again');
      this.unresolved = false;
      return;
    }
    if (!this.unresolved) {
      const known = endpointText(this.controller) || 'none saved';
      this.p.log.warn(`the controller's address ${failed.join(', ')} does not resolve: the saved enforcement stays applied with its last known addresses (${known}) beside those that resolve; retrying every interval`);
    }
    // nothing known is dropped while a name is missing: an isolated host keeps every way back
    const seen = new Set(endpoint.targets.map((t) => `${t.address}|${t.port}`));
    this.controller = {
      targets: [...endpoint.targets, ...this.controller.targets.filter((t) => !seen.has(`${t.address}|${t.port}`))],
      dnsServers: endpoint.dnsServers.length ? endpoint.dnsServers : this.controller.dnsServers,
    };
    this.unresolved = true;
  }

  /** Rules changed behind our back (a hand flush, another tool): re-applied, and reported as an event. */
  private async checkDrift(): Promise<void> {
    try {
      const ev = await this.enforcer.checkDrift();
      if (ev) {
        this.p.log.warn({ signature: ev.signature }, ev.evidence?.detail || 'enforcement drift repaired');
        this.link.report({ events: [ev] });
        this.link.heartbeatNow();
      }
    } catch (err) {
      this.p.log.error({ err }, 'drift check failed');
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.driftTimer);
    this.enforcer.stop();
    this.p.detector.save?.();
    this.p.sampler.close?.();
    this.link.stop();
  }

  private scheduleSample(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.sampleOnce().finally(() => {
      // ±10% jitter keeps a fleet that restarted together from reporting in lockstep
      const interval = this.p.config.intervalMs * (this.p.shedding?.() ? 2 : 1);
      this.scheduleSample(interval * (0.9 + 0.2 * this.rand()));
    }), delayMs);
  }

  private async sampleOnce(): Promise<void> {
    try {
      const sample = await this.p.sampler.sample();
      const events = this.p.detector.observe(sample);
      this.onsetContacts.add(sample, events);
      this.link.report({ sample, events });
      // baselines survive a restart: saved every 12 samples and on stop
      if (++this.samples % 12 === 0) this.p.detector.save?.();
    } catch (err) {
      this.p.log.error({ err }, 'sampling failed; will try again next interval');
    }
  }

  /** Commands run one at a time, each id at most once. */
  private onCommand(cmd: Command__Output): Promise<CommandResult> {
    const run = this.commandChain.then(() => this.handle(cmd));
    this.commandChain = run.catch(() => {});
    return run;
  }

  private async handle(cmd: Command__Output): Promise<CommandResult> {
    const log = this.p.log.child({ command: cmd.id, action: cmd.action });
    const prior = this.ledger.get(cmd.id);
    if (prior) {
      log.info('command already handled; answering with the recorded result');
      return prior;
    }
    const finish = (status: CommandResult['status'], message: string, rules: string[] = []): CommandResult => {
      const result: CommandResult = {
        commandId: cmd.id, status, message, rules, state: this.enforcer.state(), finishedAtMs: this.now(),
      };
      this.ledger.record(cmd.id, result);
      this.results.emit('result', result);
      (status === 'APPLIED' ? log.info.bind(log) : log.warn.bind(log))({ status }, message);
      return result;
    };
    // signature over the whole command, target, validity window and nonce, before anything is applied
    const now = this.now();
    const trust = checkCommandTrust(cmd, {
      publicKey: this.p.identity.commandPublicKey, agentId: this.p.identity.agentId, now,
      seenNonce: (nonce, window) => this.nonces.checkAndRemember(nonce, window, now),
    });
    if (!trust.ok) return finish('FAILED', `refused: ${trust.code}: ${trust.reason}`);
    const r = await this.enforcer.execute(cmd);
    const result = finish(r.status, r.message, r.rules);
    this.link.heartbeatNow();
    return result;
  }
}
