// Processes that are not the test's descendants: the sampler never reports its
// own process tree as new, so tests that want a new process start an orphan.
import { execFileSync } from 'node:child_process';

/**
 * Starts `cmd args` as an orphan (its sh parent exits at once, so it is
 * reparented away from us) and returns its pid; kill it with process.kill.
 */
export function spawnOrphan(cmd: string, args: string[], cwd?: string): number {
  const out = execFileSync('sh', ['-c', 'cmd=$1; shift; "$cmd" "$@" </dev/null >/dev/null 2>&1 & echo $!', 'sh', cmd, ...args], { cwd, encoding: 'utf8' });
  return Number(out.trim());
}

export function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}
