// The measured loop for `npm run bench:agent`: ProcSampler + DetectorEngine
// every --interval-ms, events printed as JSON lines on stdout the moment
// observe() returns them. The lead may switch the benchmark to the real agent.
//   tsx scripts/bench/lib/agent-loop.ts --interval-ms 5000 --data-dir DIR [--poll-ms 1000] [--warmup 12] [--learning 12]
import { ProcSampler } from '../../../agent/sample/proc-sampler.ts';
import { DetectorEngine } from '../../../agent/detect/engine.ts';
import { detectorConfig } from '../../../agent/detect/config.ts';
import { parseArgs } from './proc-usage.ts';

const args = parseArgs(process.argv.slice(2));
const intervalMs = Number(args.get('interval-ms') ?? 5000);
const dataDir = args.get('data-dir');
const warmup = Number(args.get('warmup') ?? 12);
const learning = Number(args.get('learning') ?? warmup);

const sampler = new ProcSampler({ pollMs: Number(args.get('poll-ms') ?? 1000) });
const engine = new DetectorEngine({ dataDir, config: detectorConfig({ warmup, learningSamples: learning }) });

function emit(o: unknown): void {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

let n = 0;
let busyMs = 0;
async function tick(): Promise<void> {
  const t0 = performance.now();
  const s = await sampler.sample();
  const events = engine.observe(s, sampler.context());
  n++;
  busyMs += performance.now() - t0;
  for (const e of events) emit({ t: 'event', atMs: Date.now(), sample: n, event: e });
  // Persist now and then, as the agent would (every minute at 5 s).
  if (n % 12 === 0) engine.save();
  emit({ t: 'sample', n, warm: n > warmup, busyMs: Math.round(busyMs), polls: sampler.polls, pollTableReads: sampler.pollTableReads, tableReads: sampler.tableReads, pidReads: sampler.pidReads,
    processCount: s.processCount, connCount: s.connCount, cpuPct: Math.round(s.cpuPct),
    top: s.topProcesses[0] ? `${s.topProcesses[0].name}:${Math.round(s.topProcesses[0].cpuPct)}` : '' });
}

const timer = setInterval(() => { void tick().catch((err: Error) => emit({ t: 'error', message: err.message })); }, intervalMs);
void tick();
emit({ t: 'ready', pid: process.pid });
const stop = (): void => {
  clearInterval(timer);
  sampler.close();
  engine.save();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
