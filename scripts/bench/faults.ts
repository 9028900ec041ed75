// npm run bench:faults -- [--kills 30] [--seed N] [--agents 3] [--max-seconds 180] [--json FILE]
//                         [--root DIR] [--label NAME]
//
// A bad day, injected: a real controller process and a few real agent
// processes (dry-run enforcement) reporting every 500 ms, killed at random
// points with a seeded RNG: agent and controller, SIGKILL and SIGTERM,
// SIGSTOP/SIGCONT freezes, an agent killed while the controller is down
// (outage) and just after it reconnected (replay), the controller's disk
// full (a small tmpfs filled to the last byte; root only). Each is
// followed by a restart. Then it counts:
//
//  - reports the agents assigned (every number their link hands out,
//    recorded from inside the agent by lib/report-probe.ts, a wrapper loaded
//    with --import that changes no agent code) against reports the
//    controller stored (its SQLite file: hosts.reports, boots.last_seq);
//    lost, duplicated, a (boot, seq) pair assigned twice;
//  - state made 100 ms before a controller kill -9 (an ack, a silence, a
//    playbook disable) and still there after the restart;
//  - an isolation issued before the kills still in force on the agent's
//    reported enforcement at the end;
//  - how long agents take to be back after the controller returns
//    (its "controller ready" to each agent's "connected to controller").
//
// --root runs another build of the agent and controller (a git worktree
// of an older commit, for a before/after figure); the bench itself, its
// probe and its operator client come from this tree.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { ensureIdentity, linkCredentials } from '../../agent/trust/enroll.ts';
import { call, operatorClient } from '../../controller/cli/client.ts';
import type { CredentialFile } from '../../controller/credentials.ts';
import type { AgentFrame, ControllerFrame__Output, OperatorClient } from '../../proto/wire.ts';
import { firebreakPackage } from '../../proto/wire.ts';
import { tempDir } from '../../test/helpers/procs.ts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const REPO = resolve(HERE, '../..');
const PROBE = join(HERE, 'lib/report-probe.ts');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}
const KILLS = Number(arg('kills') ?? 30);
const SEED = Number(arg('seed') ?? Date.now() % 1_000_000);
const AGENTS = Number(arg('agents') ?? 3);
const MAX_S = Number(arg('max-seconds') ?? 180);
const ROOT = resolve(arg('root') ?? REPO);
const LABEL = arg('label') ?? 'this build';
const JSON_OUT = arg('json');
/** The target for agents back after the controller returns; the kill loop waits this long for them, no longer. */
const RECONNECT_TARGET_MS = 10_000;
const STATE_KILL_DELAY_MS = 100;

const say = (msg: string) => process.stderr.write(`[bench:faults] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// a small seeded PRNG (mulberry32): the same --seed replays the same bad day
let rs = SEED >>> 0;
function rand(): number {
  rs = (rs + 0x6d2b79f5) >>> 0;
  let t = rs;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const between = (lo: number, hi: number) => Math.round(lo + rand() * (hi - lo));
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;

// ------------------------------------------------------------------ processes

interface Line { at: number; j: Record<string, unknown> }
interface Proc {
  name: string;
  child: ChildProcess;
  lines: Line[];
  exited: boolean;
  /** resolves with the first line at index >= from that matches */
  waitLine(pred: (j: Record<string, unknown>) => boolean, timeoutMs: number, from?: number, until?: () => boolean): Promise<Line | undefined>;
}

const live = new Set<ChildProcess>();

function spawnTs(name: string, script: string, args: string[], opts: { env?: Record<string, string>; imports?: string[]; logFile: string }): Proc {
  const child = spawn(process.execPath, ['--import', 'tsx', ...(opts.imports ?? []).flatMap((m) => ['--import', m]), script, ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', ...opts.env },
  });
  live.add(child);
  const log = openSync(opts.logFile, 'a');
  const p: Proc = {
    name, child, lines: [], exited: false,
    waitLine(pred, timeoutMs, from = 0, until) {
      const deadline = Date.now() + timeoutMs;
      return new Promise((resolveLine) => {
        const tick = () => {
          for (let i = from; i < p.lines.length; i++) if (pred(p.lines[i]!.j)) return resolveLine(p.lines[i]);
          if (Date.now() > deadline || p.exited || until?.()) return resolveLine(undefined);
          setTimeout(tick, 20);
        };
        tick();
      });
    },
  };
  child.on('exit', () => { p.exited = true; live.delete(child); closeSync(log); });
  for (const stream of [child.stdout!, child.stderr!]) {
    let buf = '';
    stream.on('data', (d: Buffer) => {
      if (!p.exited) writeSync(log, d);
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const text = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let j: Record<string, unknown>;
        try { j = JSON.parse(text); } catch { j = { msg: text }; }
        p.lines.push({ at: Date.now(), j });
      }
    });
  }
  return p;
}

async function signal(p: Proc, sig: NodeJS.Signals): Promise<void> {
  if (p.exited) return;
  const gone = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill(sig);
  if (sig === 'SIGSTOP' || sig === 'SIGCONT') return;
  const t = setTimeout(() => p.child.kill('SIGKILL'), 8000);
  await gone;
  clearTimeout(t);
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

// ------------------------------------------------------------------ the fleet

const work = tempDir('firebreak-faults-');
const ctlDir = join(work.path, 'controller');
const playbookDir = join(work.path, 'playbooks');
let tmpfs = false;
let ctl: Proc;
let op: OperatorClient;
let ports: { agent: number; enroll: number; operator: number };
let caFingerprint = '';
let enrollToken = '';
const agents: { id: string; dir: string; probe: string; proc?: Proc; frozen: boolean }[] = [];
const reconnects: number[] = [];
let reconnectTimeouts = 0;
let reconnectsCut = 0;
/** Agents not back within the target are still watched; the next controller kill ends the watch (a lower bound then). */
let pendingReconnects: { readyAt: number; settle: () => void }[] = [];
let controllerCrashes = 0;
let controllerStarts = 0;
const kills: Record<string, number> = {};
const bootEndedBy: Record<string, string> = {};
const countKill = (what: string) => { kills[what] = (kills[what] ?? 0) + 1; };

async function startController(): Promise<void> {
  controllerStarts++;
  ctl = spawnTs('controller', join(ROOT, 'controller/main.ts'), [
    '-d', ctlDir, '--listen', `127.0.0.1:${ports.agent}`, '--enroll-listen', `127.0.0.1:${ports.enroll}`,
    '--operator-listen', `127.0.0.1:${ports.operator}`, '--heartbeat-interval', '1s', '--playbooks', playbookDir,
  ], { logFile: join(work.path, 'controller.log') });
  const ready = await ctl.waitLine((l) => l.msg === 'controller ready', 120_000);
  if (!ready) throw new Error(`controller did not start within 120 s; last lines:\n${ctl.lines.slice(-10).map((l) => JSON.stringify(l.j)).join('\n')}`);
  caFingerprint = String(ready.j.caFingerprint);
  if (!op) {
    const cred = JSON.parse(readFileSync(String(ready.j.credentials), 'utf8')) as CredentialFile;
    op = operatorClient(`127.0.0.1:${ports.operator}`, cred);
  }
}

function startAgent(a: (typeof agents)[number]): void {
  a.frozen = false;
  a.proc = spawnTs(a.id, join(ROOT, 'agent/main.ts'), [
    'run', '-d', a.dir, '-c', `127.0.0.1:${ports.agent}`, '--enroll-address', `127.0.0.1:${ports.enroll}`,
    '--enroll-token', enrollToken, '--ca-pin', caFingerprint, '--id', a.id, '--interval', '500ms', '--backend', 'dry-run',
  ], { imports: [PROBE], env: { FB_PROBE_ROOT: ROOT, FB_PROBE_FILE: a.probe }, logFile: join(work.path, `${a.id}.log`) });
}

const connectedLine = (l: Record<string, unknown>) => l.msg === 'connected to controller';

/**
 * After the controller is back: how long each running agent takes to be connected again. Waits up
 * to the target; an agent not back by then is counted over target and watched in the background
 * until it connects or the controller is killed again (its time is then a lower bound).
 */
async function measureReconnect(readyAt: number, marks: Map<string, number>): Promise<void> {
  await Promise.all(agents.filter((a) => a.proc && !a.proc.exited && !a.frozen).map(async (a) => {
    const proc = a.proc!;
    const from = marks.get(a.id) ?? 0;
    const l = await proc.waitLine(connectedLine, RECONNECT_TARGET_MS - (Date.now() - readyAt), from);
    if (l) { reconnects.push(Math.max(0, l.at - readyAt) / 1000); return; }
    reconnectTimeouts++;
    let cut = false;
    const watch = { readyAt, settle: () => { cut = true; } };
    pendingReconnects.push(watch);
    void proc.waitLine(connectedLine, 10 * 60_000, from, () => cut).then((late) => {
      pendingReconnects = pendingReconnects.filter((w) => w !== watch);
      if (late) reconnects.push((late.at - readyAt) / 1000);
      else { reconnectsCut++; reconnects.push((Date.now() - readyAt) / 1000); }
    });
  }));
}

/** Called before each controller kill: agents still away from the last return are measured up to now. */
function cutPendingReconnects(): void {
  for (const w of pendingReconnects) w.settle();
}

async function restartController(): Promise<void> {
  const marks = new Map(agents.map((a) => [a.id, a.proc?.lines.length ?? 0]));
  await startController();
  await measureReconnect(Date.now(), marks);
}

/** A controller that died without our signal (a crash, e.g. on a full disk) is counted and restarted. */
async function ensureController(): Promise<void> {
  if (!ctl.exited) return;
  controllerCrashes++;
  say(`controller exited by itself: ${ctl.lines.slice(-3).map((l) => String(l.j.msg ?? '')).join(' | ')}`);
  await restartController();
}

function lastBoot(a: (typeof agents)[number]): string | undefined {
  if (!existsSync(a.probe)) return undefined;
  const lines = readFileSync(a.probe, 'utf8').trim().split('\n');
  return lines[lines.length - 1]?.split(' ')[1];
}

async function killController(sig: NodeJS.Signals): Promise<void> {
  cutPendingReconnects();
  await signal(ctl, sig);
}

async function killAgent(a: (typeof agents)[number], sig: NodeJS.Signals, why: string): Promise<void> {
  if (!a.proc || a.proc.exited) return;
  if (a.frozen) { a.proc.child.kill('SIGCONT'); a.frozen = false; }
  await signal(a.proc, sig);
  const b = lastBoot(a);
  if (b) bootEndedBy[b] = why;
  countKill(why);
}

// ------------------------------------------------------------------ operator state made just before a kill -9

const SYNTH_INVENTORY = { hostname: 'synth', os: 'linux', kernel: '6', cpuModel: 'x', cpuCores: 1, memoryBytes: 1, ipAddresses: [], agentVersion: 'bench', tags: {} };

/**
 * Synthetic hosts (their own enrolled ids, not the measured agents) report one event with a fresh
 * signature: one host raises a host alert, four a fleet (master) alert.
 */
async function raiseAlert(hosts: number): Promise<{ id: string; signature: string; scope: string }> {
  const signature = `proc.new/sha256:${randomBytes(32).toString('hex')}`;
  const open: { client: { close(): void }; stream: { cancel(): void } }[] = [];
  try {
    for (let h = 1; h <= hosts; h++) {
      const agentId = `synth${h}`;
      const { identity } = await ensureIdentity({
        dataDir: join(work.path, agentId), agentId, enrollAddress: `127.0.0.1:${ports.enroll}`, token: enrollToken,
        caPin: caFingerprint, inventory: SYNTH_INVENTORY, log: pino({ level: 'silent' }),
      });
      const client = new (firebreakPackage().AgentLink)(`127.0.0.1:${ports.agent}`, linkCredentials(identity));
      const stream = client.Connect();
      open.push({ client, stream });
      const frames: ControllerFrame__Output[] = [];
      stream.on('data', (f: ControllerFrame__Output) => frames.push(f));
      stream.on('error', () => {});
      stream.write({ hello: { agentId, bootId: randomBytes(8).toString('hex'), inventory: SYNTH_INVENTORY, backend: 'DRY_RUN', sentAtMs: Date.now() } } satisfies AgentFrame);
      for (let i = 0; i < 100 && !frames.some((f) => f.welcome); i++) await sleep(50);
      stream.write({ report: { seq: 1, events: [{ kind: 'PROCESS_NEW', signature, value: 1, baseline: 0, score: 12, count: 1, observedAtMs: Date.now(), evidence: { detail: 'bench:faults', processes: [], remotes: [] } }] } } satisfies AgentFrame);
    }
    for (let i = 0; i < 100; i++) {
      const res = await call<object, { items: string[] }>(op, 'ListAlerts', { scope: '', status: '', limit: 500 });
      const found = res.items.map((x) => JSON.parse(x) as { id: string; scope: string; hostCount: number; signatures?: { signature: string }[]; rootCause?: string })
        .find((a) => (a.rootCause === signature || a.signatures?.some((x) => x.signature === signature)) && a.hostCount >= hosts);
      if (found) return { id: found.id, signature, scope: found.scope };
      await sleep(100);
    }
    throw new Error(`no alert for ${signature} over ${hosts} hosts within 10 s`);
  } finally {
    for (const o of open) { o.stream.cancel(); o.client.close(); }
  }
}

interface StateCheck { what: string; kept: boolean; detail: string }
const stateChecks: StateCheck[] = [];

type StateKind = 'ack host alert' | 'ack fleet alert' | 'silence' | 'playbook';
async function stateCheck(kind: StateKind): Promise<void> {
  let verify: () => Promise<[boolean, string]>;
  if (kind === 'ack host alert' || kind === 'ack fleet alert') {
    const { id, signature } = await raiseAlert(kind === 'ack host alert' ? 1 : 4);
    await call(op, 'AckAlert', { alertId: id });
    verify = async () => {
      try {
        const a = JSON.parse((await call<object, { json: string }>(op, 'GetAlert', { alertId: id })).json) as { status: string };
        return [a.status === 'acknowledged', `alert ${id} is ${a.status}`];
      } catch (err) {
        // gone: say whether its events opened it again under another id
        const again = (await call<object, { items: string[] }>(op, 'ListAlerts', { scope: '', status: '', limit: 500 })).items
          .map((x) => JSON.parse(x) as { id: string; status: string; signatures?: { signature: string }[] })
          .find((a) => a.signatures?.some((x) => x.signature === signature));
        return [false, `alert ${id} gone after the restart (${(err as Error).message.split('\n')[0]})${again ? `; its signature is now in ${again.id} (${again.status})` : '; its signature is in no alert'}`];
      }
    };
  } else if (kind === 'silence') {
    const comment = `bench ${randomBytes(4).toString('hex')}`;
    await call(op, 'AddSilence', { matchers: [`signature=bench.${randomBytes(4).toString('hex')}`], endsAtMs: Date.now() + 3_600_000, comment, kind: 'silence' });
    verify = async () => {
      const list = (await call<object, { items: string[] }>(op, 'ListSilences', {})).items.map((s) => JSON.parse(s) as { comment: string });
      return [list.some((s) => s.comment === comment), `silence "${comment}" ${list.some((s) => s.comment === comment) ? 'listed' : 'missing'}`];
    };
  } else {
    const list = (await call<object, { items: string[] }>(op, 'ListPlaybooks', {})).items.map((s) => JSON.parse(s) as { name: string; enabled: boolean });
    const pb = list[0];
    if (!pb) { say('no playbook loaded: playbook check skipped'); return; }
    await call(op, 'SetPlaybookEnabled', { name: pb.name, enabled: !pb.enabled });
    verify = async () => {
      const now = (await call<object, { items: string[] }>(op, 'ListPlaybooks', {})).items.map((s) => JSON.parse(s) as { name: string; enabled: boolean });
      const st = now.find((p) => p.name === pb.name)?.enabled;
      return [st === !pb.enabled, `playbook ${pb.name} enabled=${st}, set to ${!pb.enabled}`];
    };
  }
  await sleep(STATE_KILL_DELAY_MS);
  await killController('SIGKILL');
  countKill(`controller -9 ${STATE_KILL_DELAY_MS} ms after ${kind}`);
  await sleep(between(300, 1000));
  await restartController();
  // a state check whose alert is gone after the restart (NOT_FOUND) is state lost, not a bench failure
  const [kept, detail] = await verify().catch((err: Error): [boolean, string] => [false, err.message]);
  stateChecks.push({ what: kind, kept, detail });
}

// ------------------------------------------------------------------ disk full

const FILLER = () => join(ctlDir, 'filler.bin');
function fillDisk(): void {
  const fd = openSync(FILLER(), 'w');
  try {
    for (const size of [1 << 20, 1 << 12, 1 << 9]) {
      const chunk = Buffer.alloc(size);
      try { for (;;) writeSync(fd, chunk); } catch { /* ENOSPC: next, smaller chunk */ }
    }
  } finally { closeSync(fd); }
}

// ------------------------------------------------------------------ scenarios

type Scenario = 'agent -9' | 'agent TERM' | 'agent freeze' | 'controller -9' | 'controller TERM' | 'controller freeze' | 'agent -9 during outage' | 'agent -9 during replay' | 'disk full';
const WEIGHTS: [Scenario, number][] = [
  ['agent -9', 3], ['agent TERM', 2], ['agent freeze', 2], ['controller -9', 3], ['controller TERM', 2], ['controller freeze', 2],
  ['agent -9 during outage', 2], ['agent -9 during replay', 2], ['disk full', 1],
];

function chooseScenario(): Scenario {
  const ws = WEIGHTS.filter(([s]) => s !== 'disk full' || tmpfs);
  let x = rand() * ws.reduce((n, [, w]) => n + w, 0);
  for (const [s, w] of ws) if ((x -= w) < 0) return s;
  return ws[0]![0];
}

async function runScenario(s: Scenario): Promise<void> {
  const a = pick(agents);
  switch (s) {
    case 'agent -9':
    case 'agent TERM':
      await killAgent(a, s === 'agent -9' ? 'SIGKILL' : 'SIGTERM', s);
      await sleep(between(100, 1500));
      startAgent(a);
      break;
    case 'agent freeze':
      if (!a.proc || a.proc.exited) break;
      a.proc.child.kill('SIGSTOP'); a.frozen = true; countKill(s);
      await sleep(between(1000, 3000));
      a.proc.child.kill('SIGCONT'); a.frozen = false;
      break;
    case 'controller -9':
    case 'controller TERM':
      await killController(s === 'controller -9' ? 'SIGKILL' : 'SIGTERM'); countKill(s);
      await sleep(between(300, 2500));
      await restartController();
      break;
    case 'controller freeze':
      ctl.child.kill('SIGSTOP'); countKill(s);
      await sleep(between(1000, 3000));
      ctl.child.kill('SIGCONT');
      break;
    case 'agent -9 during outage':
      await killController('SIGKILL'); countKill('controller -9');
      await sleep(between(800, 2000));
      await killAgent(a, 'SIGKILL', s);
      startAgent(a);
      await sleep(between(800, 2000));
      await restartController();
      break;
    case 'agent -9 during replay': {
      await killController('SIGKILL'); countKill('controller -9');
      await sleep(between(1500, 3000));
      const mark = a.proc?.lines.length ?? 0;
      const marks = new Map(agents.map((x) => [x.id, x.proc?.lines.length ?? 0]));
      await startController();
      const readyAt = Date.now();
      // the moment its link is welcomed it resends its spool: kill it inside that window
      const l = await a.proc?.waitLine(connectedLine, 3 * RECONNECT_TARGET_MS, mark);
      if (l) { reconnects.push((l.at - readyAt) / 1000); marks.delete(a.id); }
      await sleep(between(0, 150));
      await killAgent(a, 'SIGKILL', s);
      await measureReconnect(readyAt, new Map([...marks].filter(([id]) => id !== a.id)));
      startAgent(a);
      break;
    }
    case 'disk full':
      fillDisk(); countKill(s);
      await sleep(between(2000, 4000));
      unlinkSync(FILLER());
      break;
  }
}

// ------------------------------------------------------------------ counting

interface Probe { at: number; boot: string; seq: number }
function readProbe(file: string): Probe[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [at, boot, seq] = l.split(' ');
    return { at: Number(at), boot: boot!, seq: Number(seq) };
  });
}

function readStore(): { reports: Map<string, number>; boots: Map<string, number>; eventDups: number } {
  const db = new Database(join(ctlDir, 'firebreak.db'), { readonly: true, fileMustExist: true });
  try {
    const reports = new Map((db.prepare(`SELECT id, reports FROM hosts`).all() as { id: string; reports: number }[]).map((r) => [r.id, Number(r.reports)]));
    const boots = new Map((db.prepare(`SELECT host_id, boot_id, last_seq FROM boots`).all() as { host_id: string; boot_id: string; last_seq: number }[])
      .map((r) => [`${r.host_id} ${r.boot_id}`, Number(r.last_seq)]));
    // the same event (host, observed time, signature, place in its report) stored under two report numbers
    const dup = db.prepare(`SELECT COALESCE(SUM(n - 1), 0) AS d FROM (SELECT COUNT(*) AS n FROM events WHERE host_id LIKE 'fa%'
      GROUP BY host_id, observed_at_ms, signature, idx HAVING n > 1)`).get() as { d: number };
    return { reports, boots, eventDups: Number(dup.d) };
  } finally { db.close(); }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : NaN;
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const started = Date.now();
  const rev = (() => { try { return execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(); } catch { return '?'; } })();
  say(`${LABEL}: ${ROOT} at ${rev}; seed ${SEED}, ${KILLS} kills, ${AGENTS} agents, at most ${MAX_S} s`);
  mkdirSync(ctlDir, { recursive: true });
  if (process.getuid?.() === 0) {
    try { execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', ctlDir]); tmpfs = true; } catch { say('no tmpfs: the full-disk case is left out'); }
  } else say('not root: the full-disk case (a small tmpfs) is left out');
  cpSync(join(ROOT, 'playbooks'), playbookDir, { recursive: true });
  ports = { agent: await freePort(), enroll: await freePort(), operator: await freePort() };
  await startController();
  enrollToken = (await call<object, { token: string }>(op, 'CreateEnrollmentToken', { uses: 1000, ttlS: 3600 })).token;
  for (let i = 1; i <= AGENTS; i++) {
    const dir = join(work.path, `fa${i}`);
    mkdirSync(dir, { recursive: true });
    agents.push({ id: `fa${i}`, dir, probe: join(work.path, `fa${i}.probe`), frozen: false });
  }
  for (const a of agents) startAgent(a);
  for (const a of agents) if (!(await a.proc!.waitLine(connectedLine, 120_000))) throw new Error(`${a.id} did not connect: ${a.proc!.lines.slice(-5).map((l) => JSON.stringify(l.j)).join('\n')}`);
  // an isolation made before the kills must still be in force at the end
  const isolated = agents[0]!.id;
  const cmd = await call<object, { command: { id: string } }>(op, 'IssueCommand', { hostId: isolated, action: 'ISOLATE', reason: 'bench:faults' });
  const done = await call<object, { status: string }>(op, 'WaitCommand', { commandId: cmd.command.id, timeoutMs: 10_000 }, 15_000);
  if (done.status !== 'APPLIED') throw new Error(`isolation of ${isolated} was ${done.status}`);
  say(`fleet up in ${((Date.now() - started) / 1000).toFixed(1)} s; ${isolated} isolated`);

  // until --kills signals were sent (a step may send two); state checks spread over the run, each a controller kill -9
  const stateChecksDue: [number, StateKind][] = [[KILLS * 0.2, 'ack host alert'], [KILLS * 0.4, 'ack fleet alert'], [KILLS * 0.6, 'silence'], [KILLS * 0.8, 'playbook']];
  const loopDeadline = started + (MAX_S - 30) * 1000;
  let done_ = 0;
  const killsSoFar = () => Object.values(kills).reduce((a, b) => a + b, 0);
  while (killsSoFar() < KILLS) {
    if (Date.now() > loopDeadline) { say(`time bound (--max-seconds ${MAX_S}) reached after ${killsSoFar()} of ${KILLS} kills`); break; }
    await ensureController();
    const sc = stateChecksDue[0] && killsSoFar() >= stateChecksDue[0][0] ? stateChecksDue.shift()![1] : undefined;
    const s = sc ? `state: ${sc}` : chooseScenario();
    say(`kill ${killsSoFar() + 1}/${KILLS}: ${s}`);
    if (sc) await stateCheck(sc); else await runScenario(s as Scenario);
    done_++;
    await sleep(between(300, 1200));
  }
  await ensureController();
  for (const a of agents) if (!a.proc || a.proc.exited) startAgent(a);
  for (const a of agents) if (a.frozen) { a.proc!.child.kill('SIGCONT'); a.frozen = false; }

  // settle: every report assigned up to now is stored, or 20 s passed
  const settleStart = Date.now();
  const target = agents.map((a) => { const p = readProbe(a.probe); const boot = p[p.length - 1]?.boot; return { a, boot, seq: Math.max(0, ...p.filter((x) => x.boot === boot).map((x) => x.seq)) }; });
  for (;;) {
    const { boots } = readStore();
    if (target.every((t) => !t.boot || (boots.get(`${t.a.id} ${t.boot}`) ?? 0) >= t.seq)) break;
    if (Date.now() - settleStart > 20_000) { say('settle: not every report stored after 20 s'); break; }
    await sleep(250);
  }
  const settleS = (Date.now() - settleStart) / 1000;
  const store = readStore();
  const perAgent = agents.map((a) => {
    const p = readProbe(a.probe);
    const pairs = new Set(p.map((x) => `${x.boot} ${x.seq}`));
    const cur = p[p.length - 1]?.boot;
    const curMax = Math.max(0, ...p.filter((x) => x.boot === cur).map((x) => x.seq));
    const inflight = cur ? Math.max(0, curMax - (store.boots.get(`${a.id} ${cur}`) ?? 0)) : 0;
    const stored = store.reports.get(a.id) ?? 0;
    const net = p.length - inflight - stored;
    const boots = [...new Set(p.map((x) => x.boot))].map((b) => {
      const mine = p.filter((x) => x.boot === b);
      const maxSeq = Math.max(...mine.map((x) => x.seq));
      const last = store.boots.get(`${a.id} ${b}`) ?? 0;
      return { boot: b, assigned: mine.length, max_seq: maxSeq, stored_last_seq: last, unstored_tail: b === cur ? 0 : Math.max(0, maxSeq - last), ended_by: bootEndedBy[b] ?? (b === cur ? 'still running' : '?') };
    });
    return { id: a.id, assigned: p.length, stored, inflight, lost: Math.max(0, net), duplicated: Math.max(0, -net), seq_reused: p.length - pairs.size, boots };
  });
  const hosts = await call<object, { hosts: { id: string; enforcement?: { isolated?: boolean } }[] }>(op, 'ListHosts', {});
  const isolationKept = hosts.hosts.find((h) => h.id === isolated)?.enforcement?.isolated === true;

  const sum = (f: (x: (typeof perAgent)[number]) => number) => perAgent.reduce((n, x) => n + f(x), 0);
  const lostByEnd: Record<string, number> = {};
  for (const x of perAgent) for (const b of x.boots) if (b.unstored_tail) lostByEnd[b.ended_by] = (lostByEnd[b.ended_by] ?? 0) + b.unstored_tail;
  const result = {
    label: LABEL, root: ROOT, rev, seed: SEED, agents: AGENTS, report_interval_ms: 500, steps_run: done_,
    kills_total: Object.values(kills).reduce((a, b) => a + b, 0), kills_by_kind: kills,
    disk_full_simulated: tmpfs, duration_s: Math.round((Date.now() - started) / 100) / 10,
    reports_assigned: sum((x) => x.assigned), reports_stored: sum((x) => x.stored), reports_in_flight_at_end: sum((x) => x.inflight),
    reports_lost: sum((x) => x.lost), reports_duplicated: sum((x) => x.duplicated), report_numbers_reused: sum((x) => x.seq_reused),
    events_duplicated: store.eventDups,
    reports_unstored_by_how_the_agent_boot_ended: lostByEnd,
    state_checks: stateChecks.length, state_lost: stateChecks.filter((c) => !c.kept).length, state_check_details: stateChecks,
    isolations_lost: isolationKept ? 0 : 1,
    reconnect_samples: reconnects.length, reconnect_p50_s: pct(reconnects, 50), reconnect_p99_s: pct(reconnects, 99),
    reconnect_max_s: reconnects.length ? Math.max(...reconnects) : NaN, reconnects_over_10_s: reconnectTimeouts,
    reconnects_cut_by_next_kill: reconnectsCut,
    controller_starts: controllerStarts, controller_crashes: controllerCrashes, settle_s: settleS, per_agent: perAgent,
  };

  const rows: [string, string | number][] = [
    ['build', `${LABEL} (${rev})`], ['seed', SEED], ['kills (all kinds)', result.kills_total],
    ...Object.entries(kills).map(([k, n]) => [`  ${k}`, n] as [string, number]),
    ['reports assigned by agents', result.reports_assigned], ['reports stored by controller', result.reports_stored],
    ['reports in flight at the end', result.reports_in_flight_at_end], ['reports lost', result.reports_lost],
    ['reports duplicated', result.reports_duplicated], ['report numbers assigned twice', result.report_numbers_reused],
    ['events stored twice', result.events_duplicated],
    ...Object.entries(lostByEnd).map(([k, n]) => [`  unstored at end of a boot: ${k}`, n] as [string, number]),
    ['state made 100 ms before kill -9, lost', `${result.state_lost} of ${result.state_checks}`],
    ['isolation lost', result.isolations_lost],
    ['agents back after controller: p50 / p99 / max s', `${result.reconnect_p50_s.toFixed(1)} / ${result.reconnect_p99_s.toFixed(1)} / ${result.reconnect_max_s.toFixed(1)} (n=${reconnects.length}, over 10 s: ${reconnectTimeouts}, not back before the next kill: ${reconnectsCut})`],
    ['controller crashes (exited by itself)', controllerCrashes], ['run time s', result.duration_s],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n');
  for (const c of stateChecks) if (!c.kept) process.stdout.write(`  state lost: ${c.what}: ${c.detail}\n`);
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify(result, null, 2) + '\n');
}

async function cleanup(): Promise<void> {
  for (const c of live) { try { c.kill('SIGCONT'); c.kill('SIGKILL'); } catch { /* gone */ } }
  for (let i = 0; i < 300 && live.size; i++) await sleep(100); // a loaded host may take seconds to reap a SIGKILLed child
  op?.close();
  if (tmpfs) { try { execFileSync('umount', [ctlDir]); } catch (err) { say(`umount ${ctlDir}: ${(err as Error).message}`); } }
  // a child killed a moment ago may still be closing its log: removal is retried, and never fails the run
  if (!process.env.FB_FAULTS_KEEP) { try { work.remove(); } catch (err) { say(`could not remove ${work.path}: ${(err as Error).message}`); } } else say(`kept ${work.path}`);
}

process.on('SIGINT', () => { void cleanup().then(() => process.exit(130)); });
main().then(cleanup, async (err) => {
  say(`failed: ${(err as Error).stack ?? err}`);
  await cleanup();
  process.exit(1);
}).then(() => process.exit(0));
