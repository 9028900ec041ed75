// One simulation run: a real controller process, N simulated hosts in this
// process (real Agent, link and detector; synthetic sampler; dry-run firewall),
// a scenario driving the samplers, and a summary of what the controller made
// of it, read back through its Operator API. Used by main.ts, by the scenario
// tests, and by the worm containment benchmark.
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ensureIdentity } from '../../agent/trust/enroll.ts';
import { SHARED_TRUST_FILES } from '../../controller/trust/ca.ts';
import type { AlertDetail, AlertSummary } from '../../controller/pipeline/stage-types.ts';
import { startController, stopAll, stopProcess, type ControllerProc } from '../../test/helpers/procs.ts';
import { Background } from './background.ts';
import { Fleet, type SimHost } from './fleet.ts';
import { OperatorApi } from './operator.ts';
import { derive } from './rng.ts';
import { DEFAULT_SCENARIO_OPTIONS, type Scenario, type ScenarioContext, type ScenarioOptions } from './scenario.ts';
import { scenarioByName } from './scenarios/index.ts';
import { summarize, type Observed, type SimulationSummary } from './summary.ts';

export interface SimulationOptions {
  hosts: number;
  scenario: string | Scenario;
  seed: number;
  /** agents' report interval (ms); 1 s in simulation so runs finish quickly (5 s is the agent's default) */
  intervalMs: number;
  heartbeatMs: number;
  /** synthetic samples fed to each detector before the agents start (learning needs 12) */
  warmupSamples: number;
  enrollConcurrency: number;
  scenarioOptions: Partial<ScenarioOptions>;
  /** after the scenario ends: time for the last reports to land and lone events to settle (> the correlator's 5 s host grace) */
  settleMs: number;
  /** extra flags for firebreak-controller (e.g. a playbook directory) */
  controllerArgs: string[];
  log: Logger;
  /** called every tick with the context (the containment benchmark watches commands here) */
  onTick?: (ctx: ScenarioContext, now: number) => void;
  /** called once the verdict is read, while the controller and the agents still run (bench:worm scrapes /metrics here) */
  beforeStop?: () => Promise<void>;
  /** keep the temp dir (controller data, host data dirs) for inspection */
  keep: boolean;
  /**
   * The controller refreshes its fleet size (which sets the share of hosts a generic
   * signature needs) on this period from its start; the scenario waits for the first
   * refresh after every host connected. 0 = do not wait.
   */
  fleetSizeRefreshMs: number;
  /**
   * A directory made by enrollFleet() for the same number of hosts: the run
   * starts its controller on a copy of that controller's data (its CA and the
   * enrolled agents) and its hosts on copies of their identities, so a series of
   * runs pays for enrollment once.
   */
  template?: string;
  /**
   * Several controllers on one PostgreSQL store (controller/cluster/): the first starts and
   * leads, the others join with its CA; every other host lists them in reverse order, so the
   * fleet's streams are spread over them. Operator calls go to the last one (a follower:
   * leader-only calls are forwarded). `started` is told of the controllers once they run.
   */
  cluster?: { storeUrl: string; controllers: number; started?: (ctls: ControllerProc[]) => void };
}

export const DEFAULT_SIMULATION: Omit<SimulationOptions, 'log'> = {
  hosts: 50, scenario: 'worm', seed: 1, intervalMs: 1000, heartbeatMs: 2000, warmupSamples: 30,
  enrollConcurrency: 8, scenarioOptions: {}, settleMs: 7000, controllerArgs: [], keep: false, fleetSizeRefreshMs: 0,
};

const TICK_MS = 100;
const POLL_MS = 500;

export async function runSimulation(opts: Partial<SimulationOptions> & { log: Logger }): Promise<SimulationSummary> {
  const o: SimulationOptions = { ...DEFAULT_SIMULATION, ...opts };
  const { log } = o;
  const scenario = typeof o.scenario === 'string' ? scenarioByName(o.scenario)() : o.scenario;
  const sopts: ScenarioOptions = { ...DEFAULT_SCENARIO_OPTIONS, ...o.scenarioOptions };
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-sim-'));
  // Each simulated host's files (baselines, nonces, command ledger, enforcement state) go to
  // memory when /dev/shm is there: a real host pays its own fsyncs on its own disk, while
  // thousands of hosts' fsyncs on one disk stall the one process that runs them all (a
  // block command to 5,000 hosts stalled the simulator for 9 s). The controller's store
  // stays on disk: it is what is measured.
  const hostsDir = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/firebreak-sim-hosts-') : join(dir, 'hosts');
  const timings: Record<string, number> = {};
  let ctl: ControllerProc | undefined;
  let ctls: ControllerProc[] = [];
  let api: OperatorApi | undefined;
  let fleet: Fleet | undefined;
  const mark = (name: string, since: number) => { timings[name] = Date.now() - since; log.info({ [name]: timings[name] }, name.replace(/_ms$/, '').replace(/_/g, ' ') + ' done'); };
  try {
    let t = Date.now();
    if (o.template) {
      cpSync(join(o.template, 'controller'), join(dir, 'controller'), { recursive: true });
      cpSync(join(o.template, 'hosts'), hostsDir, { recursive: true });
    }
    const ctlArgs = ['--heartbeat-interval', `${o.heartbeatMs}ms`, ...ONE_ADDRESS_FLEET, ...o.controllerArgs];
    if (o.cluster) {
      ctls = await startCluster(dir, o.cluster.storeUrl, o.cluster.controllers, ctlArgs);
      ctl = ctls[0]!;
      o.cluster.started?.(ctls);
    } else ctl = await startController(join(dir, 'controller'), ctlArgs);
    api = new OperatorApi(ctls.at(-1)?.operatorAddress ?? ctl.operatorAddress, ctl.credentialsFile);
    mark('controller_start_ms', t);
    const readyAt = Date.now();
    const port = o.cluster ? undefined : Number(ctl.agentAddress.split(':').pop());

    let t0 = Infinity;
    const list = ctls.map((c) => c.agentAddress);
    fleet = new Fleet({
      hosts: o.hosts, seed: o.seed, intervalMs: o.intervalMs, controller: ctls.length ? list.join(',') : ctl.agentAddress, dataDir: hostsDir, log, countFromMs: () => t0,
      controllerFor: ctls.length ? (i) => (i % 2 ? [...list].reverse() : list).join(',') : undefined,
    });

    // Enrollment: each host gets its own key, CSR and certificate, 8 at a time (a template's hosts already have theirs).
    t = Date.now();
    const identities = await enrollHosts(api, ctl, fleet.hosts, o.enrollConcurrency, log);
    mark('enrollment_ms', t);

    // what the scenario sets up front (clocks) must be in place before the detectors learn and the agents say Hello
    scenario.configureHosts?.(fleet.hosts, derive(o.seed, `scenario-hosts:${scenario.name}`));
    t = Date.now();
    const warm = fleet.prewarm(o.warmupSamples);
    mark('warmup_ms', t);
    if (warm.eventsDuringWarmup > 0) log.warn({ events: warm.eventsDuringWarmup }, 'detectors raised events during warm-up (not counted)');

    t = Date.now();
    await fleet.start(async (h: SimHost) => ({ identity: identities.get(h.id)! }), 60_000 + o.hosts * 60);
    mark('agents_connect_ms', t);
    // Every link answers a round trip (the controller has worked off the connect storm: at
    // 5,000 hosts it still queued reports by seconds when the links had just come up), then two
    // intervals of normal reports so every link is in its stride before anything happens, and
    // the controller's fleet size counts every host.
    const slow = await fleet.drained(60_000);
    if (slow > 0) log.warn({ links: slow }, 'some links did not answer a round trip within 60 s of connecting; starting anyway');
    let wait = 2 * o.intervalMs;
    if (o.fleetSizeRefreshMs > 0) {
      const since = Date.now() - readyAt;
      wait = Math.max(wait, Math.ceil(since / o.fleetSizeRefreshMs) * o.fleetSizeRefreshMs + 1000 - since);
    }
    await sleep(wait);
    timings['settle_before_scenario_ms'] = wait;

    const ctx: ScenarioContext = {
      hosts: fleet.hosts, byAddress: fleet.byAddress, controller: fleet.controllerEndpoint(port),
      random: derive(o.seed, `scenario:${scenario.name}`), options: sopts, log, t0: Date.now(),
    };
    t0 = ctx.t0;
    const observed: Observed = { firstFleetAlertSeenMs: null, polls: 0, pollErrors: 0 };
    const background = new Background(fleet.hosts, o.seed, t0);
    scenario.start(ctx, t0);
    const durationMs = sopts.durationMs || scenario.defaultDurationMs;
    let last = t0;
    let lastPoll = 0;
    let polling: Promise<void> | undefined;
    while (Date.now() - t0 < durationMs) {
      await sleep(TICK_MS);
      const now = Date.now();
      background.tick(ctx, now);
      scenario.tick(ctx, now, now - last);
      o.onTick?.(ctx, now);
      last = now;
      if (now - lastPoll >= POLL_MS && !polling) {
        lastPoll = now;
        polling = pollAlerts(api, observed).finally(() => { polling = undefined; });
      }
      if (scenario.finished?.(ctx, now)) break;
    }
    await polling;
    timings['scenario_ms'] = Date.now() - t0;

    // Let the last reports land and lone events settle, then read the verdict.
    t = Date.now();
    const unanswered = await fleet.drained(15_000);
    if (unanswered > 0) log.warn({ unanswered }, 'some agents did not get their last reports acked in time');
    await sleep(o.settleMs);
    await pollAlerts(api, observed);
    const alerts = await api.listAlerts();
    const commands = await api.listCommands();
    const details: AlertDetail[] = [];
    for (const a of alerts.filter((x: AlertSummary) => x.scope === 'fleet')) details.push(await api.getAlert(a.id));
    const truth = scenario.truth(ctx);
    // When each affected host's first anomaly reached the controller (its stored receive time).
    const firstReceived = new Map<string, number>();
    for (const a of truth.affected.slice(0, 8)) {
      const evs = await api.hostEvents(a.hostId, 200);
      const first = evs.filter((e) => e.receivedAtMs >= t0 && !e.event?.cleared)[0];
      if (first) firstReceived.set(a.hostId, first.receivedAtMs);
    }
    mark('settle_ms', t);
    await o.beforeStop?.();
    return summarize({ options: o, scenario, ctx, fleet, truth, alerts, details, firstReceived, observed, timings, commands });
  } finally {
    await fleet?.stop().catch((err) => log.warn({ err }, 'stopping the simulated agents failed'));
    api?.close();
    // startController spawns before it can fail (e.g. no ready line in time): then only stopAll reaches the child.
    if (ctls.length) for (const c of ctls) await stopProcess(c).catch(() => {});
    else if (ctl) await stopProcess(ctl);
    else await stopAll();
    if (!o.keep) {
      rmSync(dir, { recursive: true, force: true });
      rmSync(hostsDir, { recursive: true, force: true });
    } else log.warn({ dir, hostsDir }, 'simulation files kept');
  }
}

/**
 * Controllers on one PostgreSQL store: the first starts and takes the lead, the others start
 * with copies of its CA and command-signing key (a cluster shares them) and follow.
 */
async function startCluster(dir: string, storeUrl: string, n: number, args: string[]): Promise<ControllerProc[]> {
  const ctls: ControllerProc[] = [];
  for (let i = 0; i < n; i++) {
    const d = join(dir, i === 0 ? 'controller' : `controller${i + 1}`);
    if (i > 0) {
      mkdirSync(join(d, 'trust'), { recursive: true, mode: 0o700 });
      for (const f of SHARED_TRUST_FILES) copyFileSync(join(dir, 'controller', 'trust', f), join(d, 'trust', f));
      // the admin's credential too (each controller rewrites the address in it to its own operator port)
      copyFileSync(join(dir, 'controller', 'admin.credentials.json'), join(d, 'admin.credentials.json'));
    }
    const c = await startController(d, ['--store', storeUrl, '--cluster-node', `ctl${i + 1}`, ...args]);
    if (i === 0) await c.waitFor((l) => String(l.msg).startsWith('cluster: this controller leads'), 30_000);
    ctls.push(c);
  }
  return ctls;
}

type Identity = Awaited<ReturnType<typeof ensureIdentity>>['identity'];

/** Every simulated host dials from 127.0.0.1, like a fleet behind one NAT: the controller's per-address caps are off. */
export const ONE_ADDRESS_FLEET = ['--agent-max-per-source', '0', '--enroll-max-per-source', '0'];

export async function enrollHosts(api: OperatorApi, ctl: ControllerProc, hosts: readonly SimHost[], concurrency: number, log: Logger): Promise<Map<string, Identity>> {
  const identities = new Map<string, Identity>();
  let token: string | undefined;
  const queue = [...hosts];
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, async () => {
    for (let h = queue.shift(); h; h = queue.shift()) {
      token ??= await api.createEnrollmentToken(hosts.length, 3600);
      const r = await ensureIdentity({
        dataDir: h.dataDir, agentId: h.id, enrollAddress: ctl.enrollAddress, token, caPin: ctl.caFingerprint,
        inventory: { hostname: h.id, ipAddresses: [h.ip], tags: h.tags }, log,
      });
      identities.set(h.id, r.identity);
    }
  }));
  return identities;
}

/**
 * Enrolls a fleet once into `dir` (a controller's data and every host's
 * identity) for runSimulation({ template: dir }) to copy.
 */
export async function enrollFleet(o: { hosts: number; seed?: number; dir: string; log: Logger; concurrency?: number }): Promise<void> {
  const ctl = await startController(join(o.dir, 'controller'), ONE_ADDRESS_FLEET);
  const api = new OperatorApi(ctl.operatorAddress, ctl.credentialsFile);
  try {
    const fleet = new Fleet({ hosts: o.hosts, seed: o.seed ?? 1, intervalMs: 1000, controller: ctl.agentAddress, dataDir: join(o.dir, 'hosts'), log: o.log, countFromMs: () => Infinity });
    await enrollHosts(api, ctl, fleet.hosts, o.concurrency ?? 8, o.log);
    // only identities go into the template; detector state is made fresh by every run
    for (const h of fleet.hosts) for (const f of readdirSync(h.dataDir)) if (f !== 'identity') rmSync(join(h.dataDir, f), { recursive: true, force: true });
  } finally {
    api.close();
    await stopProcess(ctl);
  }
}

async function pollAlerts(api: OperatorApi, observed: Observed): Promise<void> {
  try {
    observed.polls++;
    const alerts = await api.listAlerts();
    if (observed.firstFleetAlertSeenMs === null && alerts.some((a) => a.scope === 'fleet')) observed.firstFleetAlertSeenMs = Date.now();
  } catch {
    observed.pollErrors++;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
