// npx tsx scripts/bench/ingest-cpu.ts [--streams 200] [--reports 40000] [--window 8] [--json FILE]
//
// The controller's own CPU per 1,000 reports, without the transport: a real Controller
// (SQLite file, gateway, ingest, correlation, metrics) in this process, its agent streams
// stand-ins that hand it frames through the service's own deserializer (the byte-budget
// wrapper and proto-loader, as grpc-js would) and serialize its acks. One process, no
// sockets, no TLS: the figure moves with the controller's code, far less with the
// machine's load than bench:ingest's rates. The first quarter of the reports warms up;
// the rest are measured.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { emptySample } from '../../agent/sample/sampler.ts';
import { withWireSizes } from '../../controller/byte-budget.ts';
import { Controller } from '../../controller/controller.ts';
import { firebreakPackage } from '../../proto/wire.ts';

const { values } = parseArgs({ options: {
  streams: { type: 'string', default: '200' }, reports: { type: 'string', default: '40000' },
  window: { type: 'string', default: '8' }, json: { type: 'string' },
} });
const streams = Number(values.streams);
const total = Number(values.reports);
const window = Number(values.window);

const dir = mkdtempSync(join(tmpdir(), 'firebreak-bench-ingest-cpu-'));
const c = new Controller({
  dataDir: dir, agentListen: '127.0.0.1:0', enrollListen: '127.0.0.1:0', operatorListen: '127.0.0.1:0',
  heartbeatIntervalMs: 5000, offlineAfterBeats: 3, commandTtlMs: 300_000, log: pino({ level: 'error' }),
  // one stand-in stream sends far faster than an agent: no per-agent frame limit
  maxFramesPerSecond: 1e9,
});
await c.start();
// the stand-ins have no client certificate: the stream's agent id is taken as proven
(c as unknown as { authenticateAgent: (call: { agentId: string }) => Promise<string> }).authenticateAgent = async (call) => call.agentId;

const connect = withWireSizes(firebreakPackage().AgentLink.service).Connect;
const encode = (frame: object) => connect.requestDeserialize(connect.requestSerialize(frame as never));
const handlers = c.gateway.handlers();
let sent = 0;
let acked = 0;
let measureFrom: { acked: number; cpu: NodeJS.CpuUsage; t: number } | undefined;
let finish!: () => void;
const finished = new Promise<void>((resolve) => (finish = resolve));

for (let i = 0; i < streams; i++) {
  const hostId = `bench-${String(i).padStart(5, '0')}`;
  let seq = 0;
  const call = Object.assign(new EventEmitter(), {
    agentId: hostId,
    getPeer: () => `ipv4:127.0.0.1:${10_000 + i}`,
    end: () => {},
    write: (f: { welcome?: unknown; ack?: unknown }) => {
      connect.responseSerialize(f as never);
      if (f.welcome) for (let k = 0; k < window; k++) send();
      else if (f.ack) {
        acked++;
        if (!measureFrom && acked >= total / 4) measureFrom = { acked, cpu: process.cpuUsage(), t: performance.now() };
        if (acked === total) finish();
        setImmediate(send); // the next report arrives on a later turn, as from a socket
      }
      return true;
    },
  });
  // the same report as bench:ingest's: a small sample and one event with a signature of this host
  const send = () => {
    if (sent >= total) return;
    sent++;
    call.emit('data', encode({ report: {
      seq: ++seq,
      sample: { ...emptySample(Date.now()), intervalS: 5, cpuPct: 20, memUsedPct: 40, processCount: 200, distinctRemoteAddrs: 10 },
      events: [{ kind: 'CONN_NEW_PORT', signature: `conn.new-port/tcp:${1000 + i}`, observedAtMs: Date.now(), value: 1, baseline: 0, score: 3,
        count: 1, cleared: false, evidence: { processes: [], remotes: [], detail: 'bench' } }],
    } }));
  };
  handlers.Connect(call as never);
  call.emit('data', encode({ hello: { agentId: hostId, bootId: `boot-${i}-bench`, sentAtMs: Date.now(), inventory: { hostname: hostId }, backend: 'DRY_RUN' } }));
}

await finished;
const cpu = process.cpuUsage(measureFrom!.cpu);
const n = acked - measureFrom!.acked;
const result = {
  streams, window_per_stream: window, reports_measured: n,
  cpu_s_per_1k_reports: Math.round(((cpu.user + cpu.system) / 1e6 / n) * 1000 * 10000) / 10000,
  user_cpu_s: Math.round(cpu.user / 1e4) / 100, system_cpu_s: Math.round(cpu.system / 1e4) / 100,
  reports_per_s: Math.round((n / (performance.now() - measureFrom!.t)) * 1000),
  load_average_1m: Math.round(loadavg()[0]! * 100) / 100,
};
console.log(`controller without transport: ${result.cpu_s_per_1k_reports} CPU-s per 1,000 reports (user ${result.user_cpu_s} s, system ${result.system_cpu_s} s over ${n} reports), ` +
  `${result.reports_per_s} reports/s on one thread; load average ${result.load_average_1m}`);
if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2) + '\n');
await c.stop();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
