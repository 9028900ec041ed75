// Starts real controller and agent processes for end-to-end tests, on loopback
// with ephemeral ports and temp data dirs, and stops them all afterwards.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = ['--import', 'tsx'];

export interface Proc {
  child: ChildProcess;
  logs: string[];
  /** resolves with the first log line (parsed JSON) that matches */
  waitFor(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

const live = new Set<ChildProcess>();

export function startProcess(script: string, args: string[], opts: { cwd?: string; prefix?: string[] } = {}): Proc {
  const [cmd, ...pre] = opts.prefix ?? [process.execPath];
  const child = spawn(cmd!, [...pre, ...TSX, join(ROOT, script), ...args], {
    cwd: opts.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' },
  });
  live.add(child);
  child.on('exit', () => live.delete(child));
  const logs: string[] = [];
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  const onLine = (line: string) => {
    logs.push(line);
    let parsed: Record<string, unknown>;
    try { parsed = JSON.parse(line); } catch { parsed = { msg: line }; }
    for (const w of [...waiters]) if (w.pred(parsed)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(parsed); }
  };
  for (const stream of [child.stdout!, child.stderr!]) {
    let buf = '';
    stream.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) { onLine(buf.slice(0, i)); buf = buf.slice(i + 1); }
    });
  }
  return {
    child,
    logs,
    waitFor(pred, timeoutMs = 15_000) {
      for (const l of logs) {
        try { const p = JSON.parse(l); if (pred(p)) return Promise.resolve(p); } catch { /* not JSON */ }
      }
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${logs.slice(-15).join('\n')}`)), timeoutMs);
        waiters.push({ pred, resolve: (l) => { clearTimeout(t); resolve(l); } });
      });
    },
  };
}

export async function stopProcess(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
  p.child.kill(signal);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  })));
}

export function tempDir(prefix = 'firebreak-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }) };
}

/** Where the operator CLI finds a controller, and how (by default run as this process's user, in this namespace). */
export interface CliTarget {
  operatorAddress: string;
  credentialsFile: string;
  /** command prefix for running the CLI, e.g. ['ip', 'netns', 'exec', 'ns', process.execPath] */
  cliPrefix?: string[];
}

export interface ControllerProc extends Proc, CliTarget {
  agentAddress: string;
  enrollAddress: string;
  caFingerprint: string;
  dataDir: string;
  /** a many-use enrollment token the harness created for its agents */
  enrollToken: string;
}

export async function startController(
  dataDir: string, extra: string[] = [], opts: { prefix?: string[]; host?: string } = {},
): Promise<ControllerProc> {
  const host = opts.host ?? '127.0.0.1';
  const p = startProcess('controller/main.ts', [
    '-d', dataDir, '--listen', `${host}:0`, '--enroll-listen', `${host}:0`, '--operator-listen', '127.0.0.1:0',
    '--heartbeat-interval', '1s', ...extra,
  ], { prefix: opts.prefix });
  const ready = await p.waitFor((l) => l.msg === 'controller ready', 30_000);
  const ctl: ControllerProc = {
    ...p,
    agentAddress: `${host}:${ready.agentPort}`,
    enrollAddress: `${host}:${ready.enrollPort}`,
    operatorAddress: `127.0.0.1:${ready.operatorPort}`,
    caFingerprint: String(ready.caFingerprint),
    credentialsFile: String(ready.credentials),
    cliPrefix: opts.prefix,
    dataDir,
    enrollToken: '',
  };
  const tok = await cliJson<{ token: string }>(ctl, ['tokens', 'create', '--uses', '1000', '--ttl', '1h']);
  ctl.enrollToken = tok.token;
  return ctl;
}

/** Starts an agent that enrolls with the harness's token on first start. */
export async function startAgent(
  id: string, ctl: Pick<ControllerProc, 'agentAddress' | 'enrollAddress' | 'enrollToken' | 'caFingerprint'>, dataDir: string,
  extra: string[] = [], opts: { prefix?: string[]; waitConnected?: boolean } = {},
): Promise<Proc> {
  const p = startProcess('agent/main.ts', [
    'run', '-d', dataDir, '-c', ctl.agentAddress, '--enroll-address', ctl.enrollAddress, '--enroll-token', ctl.enrollToken,
    '--ca-pin', ctl.caFingerprint, '--id', id, '--interval', '1s', '--backend', 'dry-run', ...extra,
  ], { prefix: opts.prefix });
  if (opts.waitConnected !== false) await p.waitFor((l) => l.msg === 'connected to controller', 30_000);
  return p;
}

export interface CliResult { code: number; stdout: string; stderr: string }

/** Runs the operator CLI as a user would. */
export function cli(target: CliTarget, args: string[], timeoutMs = 30_000): Promise<CliResult> {
  const [cmd, ...pre] = target.cliPrefix ?? [process.execPath];
  return new Promise((resolve) => {
    execFile(cmd!, [...pre, ...TSX, join(ROOT, 'controller/cli/main.ts'), '--controller', target.operatorAddress,
      '--credentials', target.credentialsFile, ...args],
    { cwd: ROOT, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

export async function cliJson<T>(target: CliTarget, args: string[]): Promise<T> {
  const r = await cli(target, ['-o', 'json', ...args]);
  if (r.code !== 0) throw new Error(`firebreak ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** Polls until fn returns a truthy value; bounded by timeout. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs: number, what: string, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) { last = err; }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}
