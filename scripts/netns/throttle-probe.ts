// Connection driver for the throttle's netns test and benchmark, run INSIDE a
// test namespace (ip netns exec NS node --import tsx throttle-probe.ts '<json>'):
//
//   {"mode":"paced","timeoutMs":700,"probes":[{"address":"10.77.0.3","port":80,"atMs":0}, ...]}
//       opens each connection at its offset from the start, in order
//   {"mode":"pool","timeoutMs":2000,"concurrency":100,"capMs":15000,"probes":[...]}
//       keeps `concurrency` connections in flight until all were tried or capMs passed
//
// Prints one JSON array: for each probe tried, when it started (epoch ms, the
// clock the evaluator replays), how long it took, whether it connected (tcp) or
// was answered (udp), and its source port. Every wait is bounded.
import { createConnection } from 'node:net';
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';

export interface ThrottleProbe {
  address: string;
  port: number;
  protocol?: 'tcp' | 'udp';
  /** paced mode: when to start, ms after the first probe */
  atMs?: number;
}

export interface ThrottlePlan {
  mode: 'paced' | 'pool';
  timeoutMs: number;
  probes: ThrottleProbe[];
  concurrency?: number;
  capMs?: number;
}

export interface ThrottleProbeResult {
  address: string;
  port: number;
  protocol: 'tcp' | 'udp';
  startedAtMs: number;
  ms: number;
  ok: boolean;
  detail: string;
  localPort?: number;
}

const epochNow = (): number => performance.timeOrigin + performance.now();

function one(p: ThrottleProbe, timeoutMs: number): Promise<ThrottleProbeResult> {
  const protocol = p.protocol ?? 'tcp';
  const startedAtMs = epochNow();
  return new Promise((resolve) => {
    let localPort: number | undefined;
    let finish: (ok: boolean, detail: string) => void;
    const timer = setTimeout(() => finish(false, 'timeout'), timeoutMs);
    if (protocol === 'tcp') {
      const sock = createConnection({ host: p.address, port: p.port });
      finish = (ok, detail) => {
        clearTimeout(timer);
        sock.destroy();
        resolve({ address: p.address, port: p.port, protocol, startedAtMs, ms: epochNow() - startedAtMs, ok, detail, localPort });
      };
      sock.on('connect', () => {
        localPort = sock.localPort;
        finish(true, 'connected');
      });
      sock.on('error', (err) => finish(false, (err as NodeJS.ErrnoException).code ?? err.message));
    } else {
      const sock = createSocket(p.address.includes(':') ? 'udp6' : 'udp4');
      finish = (ok, detail) => {
        clearTimeout(timer);
        sock.close();
        resolve({ address: p.address, port: p.port, protocol, startedAtMs, ms: epochNow() - startedAtMs, ok, detail, localPort });
      };
      sock.on('message', () => finish(true, 'echo'));
      sock.on('error', (err) => finish(false, (err as NodeJS.ErrnoException).code ?? err.message));
      sock.send('hi', p.port, p.address, (err) => {
        if (err) return finish(false, (err as NodeJS.ErrnoException).code ?? err.message);
        localPort = sock.address().port;
      });
    }
  });
}

export async function runPlan(plan: ThrottlePlan): Promise<ThrottleProbeResult[]> {
  if (plan.mode === 'paced') {
    const t0 = performance.now();
    const pending: Promise<ThrottleProbeResult>[] = [];
    for (const p of plan.probes) {
      const wait = (p.atMs ?? 0) - (performance.now() - t0);
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(one(p, plan.timeoutMs));
    }
    return Promise.all(pending);
  }
  const results: ThrottleProbeResult[] = [];
  const cap = performance.now() + (plan.capMs ?? 60_000);
  let next = 0;
  const worker = async () => {
    while (next < plan.probes.length && performance.now() < cap) results.push(await one(plan.probes[next++]!, plan.timeoutMs));
  };
  await Promise.all(Array.from({ length: Math.max(1, plan.concurrency ?? 1) }, worker));
  return results.sort((a, b) => a.startedAtMs - b.startedAtMs);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const arg = process.argv[2];
  if (!arg) {
    process.stderr.write("usage: throttle-probe.ts '<json {mode, timeoutMs, probes, concurrency?, capMs?}>'\n");
    process.exit(2);
  }
  let text = arg;
  if (arg === '-') {
    text = '';
    for await (const chunk of process.stdin) text += chunk;
  }
  process.stdout.write(JSON.stringify(await runPlan(JSON.parse(text) as ThrottlePlan)) + '\n');
}
