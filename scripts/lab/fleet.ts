// Firebreak in the worm lab: the real controller in the `ctl` namespace (with
// the shipped playbooks, its data dir in the lab's temp dir, the enrollment
// token from `firebreak tokens create`), and the deployable agent bundle
// (`npm run build:agent`, copied once into the lab's temp dir so a rebuild in
// the working tree cannot swap files under running agents) inside each lab
// host's namespaces, enforcing with nftables and counting in the kernel.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, waitForLine } from '../netns/netns.ts';
import { startNsController } from '../netns/fleet.ts';
import { cliJson, stopProcess, type ControllerProc } from '../../test/helpers/procs.ts';
import type { LabNetwork } from './network.ts';

/**
 * Detector settings the lab gives its agents (the agent's config file, `detect`).
 * Only the fan-out floor moves: the product's default (50 distinct remote
 * addresses in one sample) is sized for fleets of hundreds, and in a 24-host lab a
 * worm can reach at most 23 peers. `--product-thresholds` runs without it.
 */
export const LAB_DETECT = { fanout: { floor: 5, minDev: 1 } };

/** Runs `npm run build:agent` (→ dist/) and copies dist/ into the lab dir. */
export function buildAgentBundle(workDir: string, build: boolean): string {
  if (build) {
    const r = spawnSync('npm', ['run', '--silent', 'build:agent'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
    if (r.status !== 0) throw new Error(`npm run build:agent failed (exit ${r.status}): ${r.stderr?.toString().trim()}`);
  }
  const src = join(REPO_ROOT, 'dist');
  if (!existsSync(join(src, 'firebreak-agent'))) throw new Error(`no agent bundle in ${src}: run npm run build:agent`);
  const dst = join(workDir, 'dist');
  cpSync(src, dst, { recursive: true });
  return join(dst, 'firebreak-agent');
}

/** The shipped playbooks, unless --playbooks names another directory (e.g. the throttle alone). */
export async function startLabController(lab: LabNetwork, dataDir: string, extra: string[], playbookDir = join(REPO_ROOT, 'playbooks')): Promise<ControllerProc> {
  mkdirSync(dataDir, { recursive: true });
  return startNsController(lab.net, 'ctl', dataDir, ['--playbooks', playbookDir, ...extra]);
}

export interface AgentOptions {
  launcher: string;
  dataDir: string;
  logFile: string;
  intervalS: number;
  verifyTarget: string;
  detect?: Record<string, unknown>;
}

/** Starts the bundle's agent inside a lab host; resolves when it is connected to the controller. */
export async function startLabAgent(lab: LabNetwork, host: string, ctl: ControllerProc, o: AgentOptions): Promise<ChildProcess> {
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  if (o.detect) writeFileSync(join(o.dataDir, 'agent.json'), JSON.stringify({ detect: o.detect }, null, 2));
  const child = lab.spawnIn(host, o.launcher, [
    'run', '-d', o.dataDir, '-c', ctl.agentAddress, '--enroll-address', ctl.enrollAddress, '--enroll-token', ctl.enrollToken,
    '--ca-pin', ctl.caFingerprint, '--id', host, '--interval', `${o.intervalS}s`, '--backend', 'nftables',
    '--verify-target', o.verifyTarget, '--log-level', 'info',
  ]);
  const log = createWriteStream(o.logFile);
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  await waitForLine(child, (l) => l.includes('"connected to controller"'), 120_000, `agent ${host}`);
  return child;
}

export { stopProcess, type ControllerProc };

/** What the lab reads back from the controller, all through the operator CLI (`-o json`). */
export interface CommandRow {
  command: { id: string; targetAgentId: string; action: string; issuer: string; issuedAtMs: number; reason: string };
  status: string;
  updatedAtMs: number;
}
export interface AlertRow {
  id: string;
  scope: string;
  status: string;
  severity: string;
  classification: string;
  rootCause: string;
  hostCount: number;
  openedAtMs: number;
  firstSeenMs: number;
  patientZero: { hostId: string; onsetMs: number } | null;
  signatures?: { signature: string }[];
  spreadGraph?: { root: string | null; edges: { from: string; to: string; port: number }[]; tracedHosts?: number };
}
export interface HostRow { id: string; online: boolean; backend: string }

export async function readController(ctl: ControllerProc): Promise<{ commands: CommandRow[]; runs: Record<string, unknown>[]; alerts: AlertRow[]; details: AlertRow[] }> {
  const [commands, runs, alerts] = await Promise.all([
    cliJson<CommandRow[]>(ctl, ['commands', '-n', '5000']),
    cliJson<Record<string, unknown>[]>(ctl, ['runs', '-n', '500']),
    cliJson<AlertRow[]>(ctl, ['alerts']),
  ]);
  const details: AlertRow[] = [];
  for (const a of alerts.filter((x) => x.scope === 'fleet').slice(0, 10)) details.push(await cliJson<AlertRow>(ctl, ['alert', a.id]));
  return { commands, runs, alerts, details };
}

export const hostsOf = (ctl: ControllerProc) => cliJson<HostRow[]>(ctl, ['hosts']);
