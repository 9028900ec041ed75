// One lab scenario, fresh each time: new namespaces and hosts, and with
// Firebreak a new controller (temp data dir, shipped playbooks) and a newly
// enrolled agent per host; then the outbreak (or the benign load), watched from
// the worm's own truth log; then the controller's record of it through the CLI.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { buildFigures, type Figures, type Truth } from './figures.ts';
import { readController, startLabAgent, startLabController, stopProcess, hostsOf, type ControllerProc } from './fleet.ts';
import { LabNetwork } from './network.ts';
import { APP_V2, stampWorm, WORMS, type WormKind } from './worm.ts';

export type ScenarioKind = WormKind | 'rollout' | 'portscan';
export const KINDS: ScenarioKind[] = ['mailer', 'scanner', 'rollout', 'portscan'];

export interface ScenarioDef {
  name: string;
  kind: ScenarioKind;
  firebreak: boolean;
}

export const DEFAULT_SCENARIOS = ['mailer-off', 'mailer-on', 'scanner-off', 'scanner-on', 'rollout-on', 'portscan-on'];

export function parseScenario(name: string): ScenarioDef {
  const m = /^(mailer|scanner|rollout|portscan)-(on|off)$/.exec(name);
  if (!m) throw new Error(`unknown scenario '${name}': use <mailer|scanner|rollout|portscan>-<on|off>, e.g. mailer-on`);
  return { name, kind: m[1] as ScenarioKind, firebreak: m[2] === 'on' };
}

export interface LabOptions {
  hosts: number;
  intervalS: number;
  workDir: string;
  launcher: string;
  detect?: Record<string, unknown>;
  controllerArgs: string[];
  /** playbook directory for the controller (default: the shipped playbooks) */
  playbookDir?: string;
  /** leave this scenario's lab up at the end (the caller tears it down) */
  keep: boolean;
  rng: () => number;
  log: (msg: string) => void;
  /** the caller's cleanup list: whatever is running is registered here while it runs */
  onResource: (cleanup: (() => Promise<void>) | undefined) => void;
}

/** Limits of one scenario's active phase (the outbreak or load itself). */
const ACTIVE_MAX_S: Record<ScenarioKind, number> = { mailer: 120, scanner: 100, rollout: 110, portscan: 75 };
/** With Firebreak a worm scenario ends early once no host was infected for this long (after at least MIN_S). */
const QUIET_S = 40;
const MIN_S = 75;
const ROLLOUT_SPREAD_MS = 60_000;
const SETTLE_S = 20;

export const hostNames = (n: number) => Array.from({ length: n }, (_, i) => `h${String(i + 1).padStart(2, '0')}`);

export interface ScenarioResult {
  figures: Figures;
  lab?: LabNetwork;
  ctl?: ControllerProc;
}

export async function runScenario(def: ScenarioDef, o: LabOptions): Promise<ScenarioResult> {
  const dir = join(o.workDir, def.name);
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const truthFile = join(dir, 'truth.jsonl');
  writeFileSync(truthFile, '');
  const names = hostNames(o.hosts);
  const setupStart = Date.now();
  const lab = await LabNetwork.create(names, o.workDir);
  let ctl: ControllerProc | undefined;
  const agents: ChildProcess[] = [];
  const teardown = async () => {
    if (ctl) await stopProcess(ctl).catch(() => undefined);
    await lab.destroy();
  };
  o.onResource(teardown);
  let kept = false;
  try {
    const addrToHost = Object.fromEntries(names.map((n) => [lab.v4(n), n]));
    const activeMaxS = ACTIVE_MAX_S[def.kind];
    // every host process ends by itself after the scenario's bound, whatever happens to the lab
    const lifetimeMs = (activeMaxS + 300) * 1000;
    const services = Object.fromEntries((['mailer', 'scanner'] as const).map((k) => [k, { port: WORMS[k].port, p: WORMS[k].p, greeting: WORMS[k].greeting }]));
    const ctlStart = def.firebreak ? startLabController(lab, join(dir, 'controller'), o.controllerArgs, o.playbookDir) : undefined;
    ctlStart?.catch(() => undefined);
    await lab.startMirror(APP_V2, lifetimeMs);
    await Promise.all(names.map((host) => lab.startHost({ host, addrToHost, truthFile, lifetimeMs, services })));
    o.log(`${def.name}: ${names.length} hosts up (own network and PID namespaces), mirror at ${lab.v4('mirror')}`);

    if (ctlStart) {
      ctl = await ctlStart;
      o.log(`${def.name}: controller at ${ctl.agentAddress}; starting ${names.length} agents (dist bundle, nftables, ${o.intervalS} s interval)`);
      const verifyTarget = `${lab.v4('mirror')}:9`;
      // a few at a time: each start runs a `prepare` child (config, inventory, enrollment)
      const queue = [...names];
      await Promise.all(Array.from({ length: 8 }, async () => {
        for (let h = queue.shift(); h; h = queue.shift()) {
          agents.push(await startLabAgent(lab, h, ctl!, {
            launcher: o.launcher, dataDir: join(dir, 'agents', h), logFile: join(dir, 'logs', `agent-${h}.log`),
            intervalS: o.intervalS, verifyTarget, detect: o.detect,
          }));
        }
      }));
      // the detectors only learn for their first 12 samples (executables, ports) and baselines warm up over 12
      const warmS = 14 * o.intervalS;
      o.log(`${def.name}: all agents connected; ${warmS} s for their detectors to learn`);
      await sleep(warmS * 1000);
      const hosts = await hostsOf(ctl);
      const online = hosts.filter((h) => h.online && names.includes(h.id));
      const notNft = online.filter((h) => h.backend !== 'NFTABLES').map((h) => h.id);
      if (online.length !== names.length) o.log(`${def.name}: WARNING only ${online.length}/${names.length} hosts online at the controller`);
      if (notNft.length) o.log(`${def.name}: WARNING hosts not on nftables: ${notNft.join(', ')}`);
    }
    const setupS = (Date.now() - setupStart) / 1000;

    // ---- the outbreak or load
    const patientZero = names[Math.floor(o.rng() * names.length)]!;
    const t0 = Date.now();
    const deadlineMs = t0 + activeMaxS * 1000;
    let portscanHost: string | undefined;
    if (def.kind === 'mailer' || def.kind === 'scanner') {
      const targets = def.kind === 'mailer' ? names.map((n) => lab.v4(n)) : Array.from({ length: 254 }, (_, i) => `10.77.0.${i + 1}`);
      const file = stampWorm(def.kind, join(dir, `worm-${def.kind}.cjs`), { prefix: '10.77.0.', targets, self: Object.fromEntries(names.map((n) => [n, lab.v4(n)])), deadlineMs });
      lab.hosts.get(patientZero)!.send({ cmd: 'seed', kind: def.kind, file });
      o.log(`${def.name}: ${def.kind} worm let in at ${patientZero}`);
    } else if (def.kind === 'rollout') {
      for (const n of names) lab.hosts.get(n)!.send({ cmd: 'rollout', delayMs: Math.floor(o.rng() * ROLLOUT_SPREAD_MS), url: `http://${lab.v4('mirror')}/app-v2`, runMs: 3000 });
      o.log(`${def.name}: every host fetches and runs app-v2 from the mirror within ${ROLLOUT_SPREAD_MS / 1000} s`);
    } else {
      portscanHost = patientZero;
      const ports = [...Array.from({ length: 150 }, (_, i) => i + 1), 443, 445, 3306, 5432, 8080];
      const targets = names.filter((n) => n !== portscanHost).map((n) => lab.v4(n));
      lab.hosts.get(portscanHost)!.send({ cmd: 'portscan', targets, ports, concurrency: 40, timeoutMs: 800, maxMs: 45_000 });
      o.log(`${def.name}: ${portscanHost} scans ${ports.length} ports on ${targets.length} hosts`);
    }

    // ---- watch the truth log; bounded by the scenario's limit
    let truth: Truth[] = [];
    let endReason = 'time limit';
    for (let tick = 0; tick < activeMaxS * 2; tick++) {
      await sleep(500);
      truth = readTruth(truthFile);
      const elapsedS = (Date.now() - t0) / 1000;
      if (elapsedS >= activeMaxS) break;
      const infections = truth.filter((t) => t.type === 'infect' && t.kind === def.kind);
      if (def.kind === 'mailer' || def.kind === 'scanner') {
        if (infections.length >= names.length) { endReason = 'all hosts infected'; break; }
        const last = Math.max(t0, ...infections.map((t) => t.atMs));
        if (def.firebreak && elapsedS >= MIN_S && (Date.now() - last) / 1000 >= QUIET_S) { endReason = `no new infection for ${QUIET_S} s`; break; }
      } else if (def.kind === 'rollout') {
        const done = truth.filter((t) => t.type === 'rollout');
        const lastDone = Math.max(0, ...done.map((t) => t.atMs));
        if (done.length >= names.length && (Date.now() - lastDone) / 1000 >= SETTLE_S) { endReason = `roll-out done + ${SETTLE_S} s`; break; }
      } else {
        const done = truth.find((t) => t.type === 'portscan');
        if (done && (Date.now() - done.atMs) / 1000 >= SETTLE_S) { endReason = `scan done + ${SETTLE_S} s`; break; }
      }
    }
    const durationS = (Date.now() - t0) / 1000;
    o.log(`${def.name}: ended after ${durationS.toFixed(0)} s (${endReason})`);

    const record = ctl ? await readController(ctl) : undefined;
    if (record) writeFileSync(join(dir, 'controller-record.json'), JSON.stringify(record, null, 2));
    if (ctl) writeFileSync(join(dir, 'logs', 'controller.log'), `${ctl.logs.join('\n')}\n`);
    const figures = buildFigures({
      def, hosts: names, t0, truth, patientZero: def.kind === 'mailer' || def.kind === 'scanner' ? patientZero : null, portscanHost,
      record, setupS, durationS, endReason,
    });
    if (o.keep) { kept = true; return { figures, lab, ctl }; }
    return { figures };
  } finally {
    if (!kept) {
      await teardown();
      o.onResource(undefined);
    }
  }
}

function readTruth(file: string): Truth[] {
  if (!existsSync(file)) return [];
  const out: Truth[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    try { out.push(JSON.parse(line) as Truth); } catch { /* a line being written */ }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
