// Runs a firewall tool with a script on stdin and a deadline, so a wedged
// tool never hangs the agent's command loop.
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runTool(cmd: string, args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 10_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${cmd}: ${err.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // the tool may exit before reading all of stdin
    child.stdin.end(opts.input ?? '');
  });
}

/** Is the tool on PATH and does it answer to --version? */
export async function toolWorks(cmd: string): Promise<boolean> {
  try {
    return (await runTool(cmd, ['--version'], { timeoutMs: 3000 })).code === 0;
  } catch {
    return false;
  }
}
