// Deterministic event streams for the pipeline tests: seeded randomness, injected time.
import type { AnomalyKind__Output } from '../../proto/wire.ts';
import type { Pipeline } from '../../controller/pipeline/pipeline.ts';
import type { AlertTransition, PipelineEvent } from '../../controller/pipeline/stage-types.ts';

/** A fixed epoch so failures print readable, repeatable times. */
export const T0 = 1_800_000_000_000;

/** The simulator's seeded generator, so a failing seed reproduces in both. */
import { seeded as rng } from '../../scripts/simulate/rng.ts';
export { rng };

export interface SimHost {
  id: string;
  tags: Record<string, string>;
  /** Agent clock minus controller clock. */
  offsetMs: number;
  /** True onset (controller clock) of its anomaly; Infinity = never. */
  onsetMs: number;
  /** True end of its anomaly, after which it sends cleared events. */
  endMs?: number;
}

export interface Signal {
  kind: AnomalyKind__Output;
  signature: string;
  exe?: string;
  sha256?: string;
  port?: number;
}

export const hostId = (i: number): string => `h${String(i).padStart(4, '0')}`;

let nextEventId = 1;

export function makeEvent(h: SimHost, s: Signal, trueMs: number, receivedAtMs: number, cleared = false): PipelineEvent {
  return {
    id: nextEventId++,
    hostId: h.id,
    hostTags: h.tags,
    receivedAtMs,
    clockOffsetMs: h.offsetMs,
    event: {
      kind: s.kind,
      signature: s.signature,
      observedAtMs: trueMs + h.offsetMs,
      value: 90,
      baseline: 10,
      score: 8,
      count: 1,
      cleared,
      evidence: {
        detail: '',
        processes: s.exe ? [{ pid: 4242, ppid: 1, name: 'x', exe: s.exe, user: 'nobody', startedAtMs: trueMs + h.offsetMs, cpuPct: 90, rssBytes: 1e6, sha256: s.sha256 ?? '' }] : [],
        remotes: s.port ? [{ address: '10.0.0.9', port: s.port, protocol: 'tcp', state: 'SYN_SENT' }] : [],
      },
    },
  };
}

/**
 * Every host reports its signals every everyMs from its onset until its end (then one
 * cleared event per signal), in time order, with a small network delay.
 */
export function* reports(
  hosts: SimHost[],
  signals: (h: SimHost) => Signal[],
  opts: { from: number; to: number; everyMs?: number; stepMs?: number; seed?: number },
): Generator<PipelineEvent> {
  const every = opts.everyMs ?? 2000;
  const step = opts.stepMs ?? 100;
  const r = rng(opts.seed ?? 7);
  const cleared = new Set<string>();
  for (let t = opts.from; t <= opts.to; t += step) {
    for (const h of hosts) {
      if (t < h.onsetMs) continue;
      const delay = 10 + Math.floor(r() * 80);
      if (h.endMs !== undefined && t >= h.endMs) {
        if (!cleared.has(h.id)) {
          cleared.add(h.id);
          for (const s of signals(h)) yield makeEvent(h, s, t, t + delay, true);
        }
        continue;
      }
      const since = t - h.onsetMs;
      if (since % every < step) for (const s of signals(h)) yield makeEvent(h, s, t, t + delay);
    }
  }
}

/** Feeds events in order, ticking every tickMs of controller time, until `to`. */
export function drive(p: Pipeline, events: Iterable<PipelineEvent>, opts: { from: number; to: number; tickMs?: number }): number {
  const tickMs = opts.tickMs ?? 1000;
  let nextTick = opts.from + tickMs;
  let n = 0;
  for (const e of events) {
    while (e.receivedAtMs >= nextTick) {
      p.tick(nextTick);
      nextTick += tickMs;
    }
    p.ingest(e, e.receivedAtMs);
    n++;
  }
  while (nextTick <= opts.to) {
    p.tick(nextTick);
    nextTick += tickMs;
  }
  return n;
}

export function recorder(): { hook: (t: AlertTransition) => void; all: AlertTransition[] } {
  const all: AlertTransition[] = [];
  return { hook: (t) => all.push(t), all };
}

export const WORM_SHA = 'ab'.repeat(32);
export const wormSignals = (): Signal[] => [
  // cpu first: a new host's generic symptom arrives before the event that makes it a member.
  { kind: 'CPU', signature: 'cpu.spike' },
  { kind: 'PROCESS_NEW', signature: `proc.new/sha256:${WORM_SHA}`, exe: '/tmp/.mailer', sha256: WORM_SHA },
  { kind: 'CONN_FANOUT', signature: 'conn.fanout/tcp:25', exe: '/tmp/.mailer', sha256: WORM_SHA, port: 25 },
];

/**
 * A worm: host 0 at T0, then each generation doubles the infected hosts every doublingMs
 * (gen g = hosts 2^(g-1) .. 2^g - 1, onset g * doublingMs ± 1 s). Clocks are skewed by
 * up to ±10 s; patient zero's runs 6 s ahead and the first victim's 6 s behind, so raw
 * agent times would name the wrong first host.
 */
export function wormHosts(generations: number, doublingMs: number, fleet: number, seed = 1): SimHost[] {
  const r = rng(seed);
  const hosts: SimHost[] = [];
  for (let i = 0; i < fleet; i++) {
    const g = i === 0 ? 0 : Math.floor(Math.log2(i)) + 1;
    const infected = g < generations;
    const offsetMs = i === 0 ? 6000 : i === 1 ? -6000 : Math.round((r() - 0.5) * 20_000);
    const jitter = i === 0 ? 0 : Math.round((r() - 0.5) * 2000);
    hosts.push({ id: hostId(i), tags: {}, offsetMs, onsetMs: infected ? T0 + g * doublingMs + jitter : Infinity });
  }
  return hosts;
}
