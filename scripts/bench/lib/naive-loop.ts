// The naive sampler the benchmark compares against: systeminformation's
// processes() and networkConnections() every --interval-ms (they spawn ps and ss).
import si from 'systeminformation';
import { parseArgs } from './proc-usage.ts';

const args = parseArgs(process.argv.slice(2));
const intervalMs = Number(args.get('interval-ms') ?? 5000);

async function tick(): Promise<void> {
  const [p, c] = await Promise.all([si.processes(), si.networkConnections()]);
  process.stdout.write(`${JSON.stringify({ t: 'sample', processes: p.all, connections: c.length })}\n`);
}
const timer = setInterval(() => { void tick().catch(() => undefined); }, intervalMs);
void tick();
process.on('SIGTERM', () => { clearInterval(timer); process.exit(0); });
