// backup: the nightly backup. Every host starts a disk-heavy, CPU-heavy job
// within the same minute (each at a random second of it) and runs it for a
// minute or so. The job's executable is one the hosts run every night, so the
// detectors know it: what they see is CPU and disk. Benign: the controller
// should show it as one simultaneous incident, at most a warning, and nothing
// should ever isolate a host for it.
import type { SimHost } from '../fleet.ts';
import type { Affected, Scenario, ScenarioContext, ScenarioTruth } from '../scenario.ts';
import { fakeHash } from '../synthetic-sampler.ts';

const MB = 1024 * 1024;
/** Every host starts its job within this span. */
export const BACKUP_SPREAD_MS = 60_000;

export class BackupScenario implements Scenario {
  readonly name = 'backup';
  readonly description = 'every host starts a CPU- and disk-heavy backup job within the same minute';
  readonly defaultDurationMs = BACKUP_SPREAD_MS + 10_000;
  private plan: { host: SimHost; atMs: number; started: boolean }[] = [];
  private started: Affected[] = [];

  start(ctx: ScenarioContext, now: number): void {
    this.plan = ctx.hosts.map((host) => ({ host, atMs: now + ctx.random() * BACKUP_SPREAD_MS, started: false }));
  }

  tick(ctx: ScenarioContext, now: number): void {
    for (const p of this.plan) {
      if (p.started || p.atMs > now) continue;
      p.started = true;
      this.started.push({ hostId: p.host.id, atMs: now, by: null });
      p.host.sampler.setEffect('backup', {
        cpuPct: 75 + ctx.random() * 15,
        diskReadBps: (180 + ctx.random() * 120) * MB,
        diskWriteBps: (60 + ctx.random() * 60) * MB,
        // restic is among the executables every host runs routinely (learned in warm-up)
        process: { name: 'restic', exe: '/usr/bin/restic', sha256: fakeHash('routine:7:/usr/bin/restic'), cpuPct: 90, user: 'root' },
        untilMs: now + 50_000 + ctx.random() * 30_000,
      });
    }
  }

  finished(): boolean {
    return false;
  }

  truth(): ScenarioTruth {
    return {
      expect: { masterAlert: true, classification: 'simultaneous' },
      affected: [...this.started].sort((a, b) => a.atMs - b.atMs),
      extra: { spreadMs: BACKUP_SPREAD_MS },
    };
  }
}

export default (): Scenario => new BackupScenario();
