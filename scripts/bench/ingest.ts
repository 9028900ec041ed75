// npm run bench:ingest -- [--streams 200] [--duration 20] [--window 8] [--events 1] [--json FILE] [--store sqlite|postgres|both]
//
// How many reports per second one controller sustains from many concurrent
// agent streams while their events are validated, stored (SQLite), deduped and
// correlated, and how long an event takes to become an alert at that load; then
// the same load on a bare grpc-js bidirectional echo server (same TLS with client
// certificates, same frames, an ack per report and nothing else), as the ratio
// to the transport's limit.
//
// The load: `streams` raw gRPC clients speaking AgentLink, each its own enrolled
// identity and its own TLS connection, each keeping `window` reports in flight
// and sending the next as soon as an ack comes back. Every report carries a
// sample and `events` anomaly events with a signature of its own host (a lone
// busy host: one host line, its repeats counted). Probes measure event-to-alert
// latency: every `probe-ms`, a new executable hash shows on three hosts (three
// streams, round robin); its alert time is when the controller attached that
// signature to a master alert (SignatureView.firstSeenMs, the controller's clock;
// same machine), against when the third host's event was written to its stream.
//
// The controller runs in a child process from controller/controller.ts (the same
// class firebreak-controller runs) with the per-agent frame rate limit raised:
// the default (10 frames/s per agent, right for real agents at a 5 s interval)
// would cut a stream that stands for many agents. The echo server runs in
// another child. This process only generates load.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Command } from 'commander';
import { pino } from 'pino';
import { CLIENT_OPTIONS } from '../../agent/link.ts';
import { emptySample } from '../../agent/sample/sampler.ts';
import { ensureIdentity, linkCredentials } from '../../agent/trust/enroll.ts';
import type { AgentIdentity } from '../../agent/trust/identity.ts';
import type { AgentFrame, ControllerFrame__Output } from '../../proto/wire.ts';
import { firebreakPackage } from '../../proto/wire.ts';
import { OperatorApi } from '../simulate/operator.ts';
import { fakeHash } from '../simulate/synthetic-sampler.ts';
import { openBenchStore, parseStoreChoice, prepareBenchStore, runBoth, type StoreChoice } from './ingest-store.ts';
import { startProcess, stopProcess, type Proc } from '../../test/helpers/procs.ts';

const program = new Command('bench:ingest')
  .option('--streams <n>', 'concurrent agent streams (each its own identity and TLS connection)', Number, 200)
  .option('--duration <s>', 'measured seconds per target', Number, 20)
  .option('--warmup <s>', 'seconds of load before measuring', Number, 3)
  .option('--window <n>', 'reports in flight per stream', Number, 8)
  .option('--events <n>', 'anomaly events per report', Number, 1)
  .option('--probe-ms <ms>', 'a new fleet-wide signature every this many ms (event-to-alert latency)', Number, 500)
  .option('--enroll-concurrency <n>', 'identities enrolled at once', Number, 8)
  .option('--json <file>', 'write the results as JSON here')
  .option('--store <which>', 'the controller\'s store: sqlite, postgres (a throwaway server, or --pg-url) or both (one run each, side by side)', parseStoreChoice, 'sqlite' as StoreChoice)
  .option('--pg-url <url>', 'with --store postgres: this server instead of a throwaway one (a schema of its own, dropped after)')
  .option('--store-url <url>', '(internal) PostgreSQL URL#schema for --serve controller')
  .option('--cpu-prof <dir>', 'run the controller under node --cpu-prof, writing its profile into this dir')
  .option('--serve <what>', '(internal) run the controller or the echo server in this process')
  .option('--data-dir <dir>', '(internal) data dir for --serve')
  .option('--ca <file>', '(internal) CA for client certificates, for --serve echo');

interface Options {
  streams: number; duration: number; warmup: number; window: number; events: number; probeMs: number;
  store: StoreChoice; pgUrl?: string; storeUrl?: string;
  enrollConcurrency: number; json?: string; serve?: string; dataDir?: string; ca?: string; cpuProf?: string;
}

const log = pino({ level: 'warn', base: { app: 'bench-ingest' } }, pino.destination(2));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** CPU seconds of the store's own processes (PostgreSQL's), counted with the controller's */
let storeCpu: () => number = () => 0;

// ------------------------------------------------------------ child: controller

async function serveController(dataDir: string, storeUrl?: string): Promise<void> {
  const { Controller } = await import('../../controller/controller.ts');
  const clog = pino({ level: 'warn', base: { app: 'firebreak-controller' } });
  const c = new Controller({
    store: await openBenchStore(storeUrl, clog),
    dataDir, agentListen: '127.0.0.1:0', enrollListen: '127.0.0.1:0', operatorListen: '127.0.0.1:0',
    heartbeatIntervalMs: 5000, offlineAfterBeats: 3, commandTtlMs: 300_000, log: clog,
    // one stream here stands for many agents: the per-agent limit would cut it
    maxFramesPerSecond: 1_000_000,
    // every bench agent dials from 127.0.0.1, as a fleet behind one NAT: no per-address cap; and all
    // streams dial at once (bench:streams measures that storm): no handshake cap, which resets the rest
    connectionLimits: { agent: { maxPerSource: 0, maxHandshakes: 1_000_000 }, enroll: { maxPerSource: 0 } },
  });
  await c.start();
  process.stdout.write(JSON.stringify({
    msg: 'controller ready', agentPort: c.agentPort, enrollPort: c.enrollPort, operatorPort: c.operatorPort,
    caFingerprint: c.trust.caFingerprint, credentials: c.credentialsFile,
  }) + '\n');
  const stop = () => void c.stop().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

// ------------------------------------------------------------ child: echo

async function serveEcho(dataDir: string, caFile: string): Promise<void> {
  mkdirSync(dataDir, { recursive: true });
  const key = join(dataDir, 'echo.key');
  const cert = join(dataDir, 'echo.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert,
    '-days', '1', '-subj', '/CN=bench-echo', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  const server = new grpc.Server({ 'grpc.max_concurrent_streams': 16 });
  const pkg = firebreakPackage();
  server.addService(pkg.AgentLink.service, {
    // Nothing but the transport: a Welcome for a Hello, an Ack for a Report.
    Connect: (call: grpc.ServerDuplexStream<AgentFrame, unknown>) => {
      call.on('data', (f: { body?: string; hello?: { bootId: string }; report?: { seq: number } }) => {
        if (f.body === 'hello') call.write({ welcome: { lastSeq: 0, heartbeatIntervalMs: 5000, controllerTimeMs: Date.now() } });
        else if (f.body === 'report') call.write({ ack: { seq: f.report!.seq, bootId: '' } });
      });
      call.on('end', () => call.end());
      call.on('error', () => {});
    },
  } as grpc.UntypedServiceImplementation);
  const creds = grpc.ServerCredentials.createSsl(readFileSync(caFile), [{ private_key: readFileSync(key), cert_chain: readFileSync(cert) }], true);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? reject(e) : resolve(p))));
  process.stdout.write(JSON.stringify({ msg: 'echo ready', port, certFile: cert }) + '\n');
  process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
}

// ------------------------------------------------------------ load generator

/** CPU seconds (user + system) a process used so far, from /proc. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / 100; // utime, stime in clock ticks (100/s on Linux)
}

function pct(xs: number[], p: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! * 10) / 10;
}

interface Probe { signature: string; thirdSentAtMs: number; hosts: string[] }

interface LoadResult {
  reports_per_s: number;
  events_per_s: number;
  ack_p50_ms: number | null;
  ack_p99_ms: number | null;
  streams_up: number;
  stream_errors: number;
  server_cpu_pct_of_one_core: number;
  /** the server process's CPU seconds (user + system) per 1,000 acked reports: the figure a busy machine disturbs least */
  server_cpu_s_per_1k_reports: number | null;
  generator_cpu_pct_of_one_core: number;
  probes: Probe[];
}

interface StreamSpec { id: string; credentials: grpc.ChannelCredentials }

async function load(address: string, specs: StreamSpec[], o: Options, serverPid: number, probing: boolean): Promise<LoadResult> {
  const pkg = firebreakPackage();
  let measuring = false;
  let acked = 0;
  let errors = 0;
  const rtts: number[] = [];
  const probes: Probe[] = [];
  const pendingProbe = new Map<number, { signature: string; n: number }>(); // stream index → probe to send
  let stopped = false;

  const streams = specs.map((spec, i) => {
    const client = new pkg.AgentLink(address, spec.credentials, CLIENT_OPTIONS);
    const call = client.Connect();
    const bootId = `bench-${process.pid}-${i}`;
    let seq = 0;
    const sentAt = new Map<number, number>();
    let up = false;
    const event = (signature: string, kind: 'CONN_NEW_PORT' | 'PROCESS_NEW') => ({
      kind, signature, observedAtMs: Date.now(), value: 1, baseline: 0, score: 3, count: 1, cleared: false,
      evidence: { processes: [], remotes: [], detail: 'bench' },
    });
    const send = () => {
      if (stopped || !up) return;
      const events = Array.from({ length: o.events }, () => event(`conn.new-port/tcp:${1000 + (i % 30000)}`, 'CONN_NEW_PORT'));
      const probe = pendingProbe.get(i);
      if (probe) {
        pendingProbe.delete(i);
        events.push(event(probe.signature, 'PROCESS_NEW'));
      }
      const s = ++seq;
      const sample = { ...emptySample(Date.now()), intervalS: 5, cpuPct: 20, memUsedPct: 40, processCount: 200, distinctRemoteAddrs: 10 };
      sentAt.set(s, Date.now());
      call.write({ report: { seq: s, sample, events } });
      if (probe) {
        const p = probes.find((x) => x.signature === probe.signature)!;
        p.hosts.push(spec.id);
        if (p.hosts.length === 3) p.thirdSentAtMs = Date.now();
      }
    };
    call.on('data', (f: ControllerFrame__Output) => {
      if (f.body === 'welcome') {
        up = true;
        for (let k = 0; k < o.window; k++) send();
      } else if (f.body === 'ack') {
        const t = sentAt.get(f.ack!.seq);
        if (t !== undefined) {
          sentAt.delete(f.ack!.seq);
          if (measuring) { acked++; rtts.push(Date.now() - t); }
        }
        send();
      }
    });
    call.on('error', (err: grpc.ServiceError) => { if (!stopped) { errors++; log.warn({ stream: spec.id, code: grpc.status[err.code], details: err.details }, 'bench stream failed'); } });
    call.write({ hello: { agentId: spec.id, bootId, sentAtMs: Date.now(), inventory: { hostname: spec.id }, backend: 'DRY_RUN' } });
    // Heartbeats as an agent sends them, or the controller marks the stream silent and cuts it.
    const beat = setInterval(() => { if (up && !stopped) call.write({ heartbeat: { sentAtMs: Date.now(), lastSeq: seq } }); }, 2000);
    beat.unref();
    return { client, call, isUp: () => up, beat };
  });

  const deadline = Date.now() + 30_000;
  while (streams.some((s) => !s.isUp()) && Date.now() < deadline && errors < specs.length) await sleep(50);
  let probeTimer: NodeJS.Timeout | undefined;
  let rr = 0;
  if (probing) {
    let k = 0;
    probeTimer = setInterval(() => {
      if (!measuring) return;
      const signature = `proc.new/sha256:${fakeHash(`bench-probe-${process.pid}-${k++}`)}`;
      probes.push({ signature, thirdSentAtMs: 0, hosts: [] });
      // three hosts, round robin, so probes rarely share hosts (a shared host would merge incidents)
      for (let j = 0; j < 3; j++) pendingProbe.set((rr++) % specs.length, { signature, n: j });
    }, o.probeMs);
  }
  await sleep(o.warmup * 1000);
  const cpu0 = cpuSeconds(serverPid) + storeCpu();
  const gen0 = process.cpuUsage();
  const t0 = Date.now();
  measuring = true;
  await sleep(o.duration * 1000);
  measuring = false;
  const elapsed = (Date.now() - t0) / 1000;
  const cpu1 = cpuSeconds(serverPid) + storeCpu();
  const gen1 = process.cpuUsage(gen0);
  clearInterval(probeTimer);
  stopped = true;
  for (const s of streams) { clearInterval(s.beat); s.call.end(); s.call.cancel(); s.client.close(); }
  return {
    reports_per_s: Math.round(acked / elapsed),
    events_per_s: Math.round((acked * o.events) / elapsed),
    ack_p50_ms: pct(rtts, 50),
    ack_p99_ms: pct(rtts, 99),
    streams_up: streams.filter((s) => s.isUp()).length,
    stream_errors: errors,
    server_cpu_pct_of_one_core: Math.round(((cpu1 - cpu0) / elapsed) * 100),
    server_cpu_s_per_1k_reports: acked > 0 ? Math.round(((cpu1 - cpu0) / acked) * 1000 * 1000) / 1000 : null,
    generator_cpu_pct_of_one_core: Math.round(((gen1.user + gen1.system) / 1e6 / elapsed) * 100),
    probes: probes.filter((p) => p.thirdSentAtMs > 0),
  };
}

async function waitReady(p: Proc, msg: string): Promise<Record<string, unknown>> {
  return p.waitFor((l) => l.msg === msg, 60_000);
}

async function main(o: Options): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-bench-ingest-'));
  const benchStore = await prepareBenchStore(o.store === 'both' ? 'sqlite' : o.store, o.pgUrl);
  storeCpu = benchStore.cpuSeconds;
  let ctl: Proc | undefined;
  let echo: Proc | undefined;
  let api: OperatorApi | undefined;
  try {
    ctl = startProcess('scripts/bench/ingest.ts', ['--serve', 'controller', '--data-dir', join(dir, 'controller'), ...benchStore.args],
      o.cpuProf ? { prefix: [process.execPath, '--cpu-prof', '--cpu-prof-dir', o.cpuProf] } : {});
    const ready = await waitReady(ctl, 'controller ready');
    api = new OperatorApi(`127.0.0.1:${ready.operatorPort}`, String(ready.credentials));
    const token = await api.createEnrollmentToken(o.streams, 3600);

    const tEnroll = Date.now();
    const ids: AgentIdentity[] = [];
    const names = Array.from({ length: o.streams }, (_, i) => `bench-${String(i).padStart(5, '0')}`);
    const queue = [...names];
    await Promise.all(Array.from({ length: o.enrollConcurrency }, async () => {
      for (let id = queue.shift(); id; id = queue.shift()) {
        const r = await ensureIdentity({
          dataDir: join(dir, 'agents', id), agentId: id, enrollAddress: `127.0.0.1:${ready.enrollPort}`, token,
          caPin: String(ready.caFingerprint), inventory: { hostname: id }, log,
        });
        ids.push(r.identity);
      }
    }));
    const enrollMs = Date.now() - tEnroll;
    process.stderr.write(`enrolled ${ids.length} identities in ${enrollMs} ms; loading the controller for ${o.duration} s...\n`);

    const ctlResult = await load(`127.0.0.1:${ready.agentPort}`, ids.map((id) => ({ id: id.agentId, credentials: linkCredentials(id) })), o, ctl.child.pid!, true);
    const ctlLoad = Math.round(loadavg()[0]! * 100) / 100;
    await sleep(2500); // a pipeline tick or two for the last probes
    const alerts = await api.listAlerts();
    const attached = new Map<string, number>();
    for (const a of alerts) for (const s of a.signatures) if (s.signature.includes('sha256:')) attached.set(s.signature, s.firstSeenMs);
    const lat: number[] = [];
    for (const p of ctlResult.probes) {
      const at = attached.get(p.signature);
      if (at !== undefined) lat.push(Math.max(0, at - p.thirdSentAtMs));
    }
    const fleetAlerts = alerts.filter((a) => a.scope === 'fleet').length;

    // The same load on the bare transport.
    const caFile = join(dir, 'controller-ca.pem');
    writeFileSync(caFile, ids[0]!.caCertPem);
    echo = startProcess('scripts/bench/ingest.ts', ['--serve', 'echo', '--data-dir', join(dir, 'echo'), '--ca', caFile]);
    const er = await waitReady(echo, 'echo ready');
    const echoCa = readFileSync(String(er.certFile));
    process.stderr.write(`loading the bare grpc-js echo server for ${o.duration} s...\n`);
    const echoResult = await load(`127.0.0.1:${er.port}`, ids.map((id) => ({
      id: id.agentId, credentials: grpc.credentials.createSsl(echoCa, Buffer.from(id.keyPem), Buffer.from(id.certPem)),
    })), o, echo.child.pid!, false);
    const echoLoad = Math.round(loadavg()[0]! * 100) / 100;

    const { probes: _p, ...ctlFigures } = ctlResult;
    const { probes: _e, ...echoFigures } = echoResult;
    const result = {
      store: o.store, streams: o.streams, window_per_stream: o.window, events_per_report: o.events, measured_s: o.duration,
      enrollment_ms: enrollMs,
      // the machine's 1-minute load average as each run ended (other work shares the cores)
      load_average_1m: { controller_run: ctlLoad, echo_run: echoLoad },
      controller: {
        ...ctlFigures,
        event_to_alert_p50_ms: pct(lat, 50), event_to_alert_p99_ms: pct(lat, 99), event_to_alert_max_ms: pct(lat, 100),
        probes_sent: ctlResult.probes.length, probes_alerted: lat.length, fleet_alerts: fleetAlerts,
      },
      bare_grpc_echo: echoFigures,
      controller_to_echo_ratio: echoResult.reports_per_s > 0 ? Math.round((ctlResult.reports_per_s / echoResult.reports_per_s) * 1000) / 1000 : null,
      note: 'one machine: the load generator, the controller and the echo server share its cores (see the cpu figures)',
    };
    process.stdout.write(
      `controller (${o.store}): ${result.controller.reports_per_s} reports/s (${result.controller.events_per_s} events/s) over ${o.streams} streams; ` +
      `ack p50 ${result.controller.ack_p50_ms} ms p99 ${result.controller.ack_p99_ms} ms; event-to-alert p50 ${result.controller.event_to_alert_p50_ms} ms ` +
      `p99 ${result.controller.event_to_alert_p99_ms} ms (${lat.length}/${ctlResult.probes.length} probes alerted); controller CPU ${result.controller.server_cpu_pct_of_one_core}% of a core, ` +
      `${result.controller.server_cpu_s_per_1k_reports} CPU-s per 1,000 reports\n` +
      `bare grpc-js echo: ${result.bare_grpc_echo.reports_per_s} reports/s; ack p50 ${result.bare_grpc_echo.ack_p50_ms} ms p99 ${result.bare_grpc_echo.ack_p99_ms} ms; server CPU ${result.bare_grpc_echo.server_cpu_pct_of_one_core}% of a core, ${result.bare_grpc_echo.server_cpu_s_per_1k_reports} CPU-s per 1,000 reports\n` +
      `controller / echo: ${result.controller_to_echo_ratio}; load average (1 min) ${ctlLoad} / ${echoLoad}\n`);
    if (o.json) writeFileSync(o.json, JSON.stringify(result, null, 2) + '\n');
  } finally {
    api?.close();
    await stopProcess(ctl);
    await stopProcess(echo);
    await benchStore.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

program.action(async (o: Options) => {
  if (o.serve === 'controller') return serveController(o.dataDir!, o.storeUrl);
  if (o.store === 'both') {
    await runBoth(process.argv.slice(2));
    process.exit(0);
  }
  if (o.serve === 'echo') return serveEcho(o.dataDir!, o.ca!);
  await main(o);
  process.exit(0);
});

program.parseAsync().catch((err) => {
  process.stderr.write(`bench:ingest: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
