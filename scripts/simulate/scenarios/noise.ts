// noise: the everyday background of a fleet. A few percent of the hosts each
// have one spike of their own at a random moment: a CPU-bound job, a burst of
// disk writes, a memory-hungry process, or an admin running a new tool of their
// own (a binary no other host has). Nothing is shared across hosts, so the
// controller should raise no master alert: at most one host line per host.
import { int, pick } from '../rng.ts';
import type { SimHost } from '../fleet.ts';
import type { Affected, Scenario, ScenarioContext, ScenarioTruth } from '../scenario.ts';
import { fakeHash, type Effect } from '../synthetic-sampler.ts';

const MB = 1024 * 1024;
const SPIKES = ['cpu', 'disk', 'memory', 'tool'] as const;
type Spike = (typeof SPIKES)[number];

function spikeEffect(kind: Spike, host: SimHost, untilMs: number): Effect {
  switch (kind) {
    case 'cpu':
      return { cpuPct: 95, process: { name: 'ffmpeg', exe: '/usr/bin/ffmpeg', sha256: fakeHash(`noise:ffmpeg:${host.id}`), cpuPct: 180 }, untilMs };
    case 'disk':
      return { diskWriteBps: 220 * MB, untilMs };
    case 'memory':
      return { memUsedPct: 97, untilMs };
    case 'tool':
      return { process: { name: 'debug-tool', exe: `/home/admin/bin/tool-${host.id}`, sha256: fakeHash(`noise:tool:${host.id}`), cpuPct: 20 }, untilMs };
  }
}

export class NoiseScenario implements Scenario {
  readonly name = 'noise';
  readonly description = 'random single-host spikes (CPU, disk, memory, a host\'s own new tool) on a few percent of the hosts';
  readonly defaultDurationMs = 60_000;
  private plan: { host: SimHost; atMs: number; kind: Spike; started: boolean }[] = [];
  private started: Affected[] = [];

  start(ctx: ScenarioContext, now: number): void {
    const n = Math.max(1, Math.round(ctx.options.noiseShare * ctx.hosts.length));
    const span = (ctx.options.durationMs || this.defaultDurationMs) - 10_000;
    const chosen = new Set<number>();
    while (chosen.size < Math.min(n, ctx.hosts.length)) chosen.add(int(ctx.random, 0, ctx.hosts.length));
    this.plan = [...chosen].map((i) => ({ host: ctx.hosts[i]!, atMs: now + ctx.random() * span, kind: pick(ctx.random, SPIKES), started: false }));
  }

  tick(ctx: ScenarioContext, now: number): void {
    for (const p of this.plan) {
      if (p.started || p.atMs > now) continue;
      p.started = true;
      this.started.push({ hostId: p.host.id, atMs: now, by: null });
      p.host.sampler.setEffect('noise', spikeEffect(p.kind, p.host, now + 5_000 + ctx.random() * 15_000));
    }
  }

  truth(): ScenarioTruth {
    const kinds: Record<string, number> = {};
    for (const p of this.plan) kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
    return {
      expect: { masterAlert: false },
      affected: [...this.started].sort((a, b) => a.atMs - b.atMs),
      extra: { spikedHosts: this.plan.length, ...Object.fromEntries(Object.entries(kinds).map(([k, v]) => [`spikes_${k}`, v])) },
    };
  }
}

export default (): Scenario => new NoiseScenario();
