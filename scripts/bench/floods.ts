// npm run bench:floods -- [--conns 20000] [--storm 500] [--duration 30] [--before REV] [--json FILE]
//
// Unauthenticated floods against one controller, and what operators and a legit
// agent see meanwhile:
//   - `conns` idle connections to the enrollment port (TCP connect, the 5-byte header
//     of a TLS record, then nothing; with --tls a whole TLS handshake first), spread over 100 loopback source
//     addresses per flooder process (127.0.1.x, 127.0.2.x, ...), each reopened
//     `reconnect` ms after the controller closes it: the attacker keeps trying to
//     hold them all;
//   - a handshake storm on the agent port: `storm` TLS handshakes at once (no client
//     certificate), a new wave every `storm-every` ms.
// The flooder is a child process with a raised `ulimit -n` (the controller keeps
// its own limit: raising it is not a defence); all traffic stays on loopback.
// Measured during the flood: the operator API's answer time (WhoAmI every 100 ms,
// 5 s deadline: a timeout counts as 5,000 ms), a legit agent's reports acked (one
// every 250 ms on its own stream), the controller's peak RSS and open descriptors.
//
// --before REV runs the same flood against the controller at git revision REV too
// (a worktree in /tmp with this checkout's node_modules) and prints both and the ratio.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, createSecureContext } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { Command } from 'commander';
import { pino } from 'pino';
import { ensureIdentity, linkCredentials } from '../../agent/trust/enroll.ts';
import { call, loadCredentials, operatorClient } from '../../controller/cli/client.ts';
import type { ControllerFrame__Output } from '../../proto/wire.ts';
import { firebreakPackage } from '../../proto/wire.ts';
import { ROOT } from '../../test/helpers/procs.ts';

const program = new Command('bench:floods')
  .option('--conns <n>', 'idle connections the flooder tries to hold on the enrollment port', Number, 20_000)
  .option('--storm <n>', 'TLS handshakes per wave on the agent port', Number, 500)
  .option('--storm-every <ms>', 'a new handshake wave this often', Number, 2000)
  .option('--duration <s>', 'seconds of flood measured after the ramp', Number, 30)
  .option('--ramp <s>', 'seconds for the flooder to open its connections before measuring', Number, 25)
  .option('--rate <n>', 'new connections per second while ramping (all flooders together)', Number, 1000)
  .option('--reconnect <ms>', 'the flooder reopens a closed connection after this', Number, 5000)
  .option('--tls', 'the flood connections also complete a TLS handshake where the controller lets them (costs both sides CPU; default: idle TCP, no bytes)')
  .option('--before <rev>', 'also run against the controller at this git revision and print the ratio')
  .option('--json <file>', 'write the results as JSON here')
  .option('--serve <what>', '(internal) flood')
  .option('--enroll-port <n>', '(internal)', Number)
  .option('--agent-port <n>', '(internal)', Number)
  .option('--source-base <n>', '(internal) which 127.0.x.0/24 this flooder connects from', Number);

interface Options {
  conns: number; rate: number; storm: number; stormEvery: number; duration: number; ramp: number; reconnect: number;
  before?: string; json?: string; tls?: boolean; serve?: string; enrollPort?: number; agentPort?: number; sourceBase?: number;
}

const log = pino({ level: 'warn', base: { app: 'bench-floods' } }, pino.destination(2));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

// ---------- the flooder (child process) ----------

async function flood(o: Options): Promise<void> {
  const enrollPort = o.enrollPort!;
  const agentPort = o.agentPort!;
  const st = { open: 0, peakOpen: 0, tlsDone: 0, attempts: 0, closedByServer: 0, connectErrors: 0, stormWaves: 0, stormHandshakes: 0, stormRefused: 0 };
  const sources = Array.from({ length: 100 }, (_, i) => `127.0.${1 + (o.sourceBase ?? 0)}.${i + 1}`);
  let stopping = false;
  // one context for all: a new one per connection parses the system CA list each time (milliseconds of CPU)
  const secureContext = createSecureContext();
  const slot = (i: number) => {
    if (stopping) return;
    st.attempts++;
    const raw: Socket = netConnect({ host: '127.0.0.1', port: enrollPort, localAddress: sources[i % sources.length] });
    let opened = false;
    raw.on('error', () => {});
    raw.once('connect', () => {
      opened = true;
      st.open++;
      st.peakOpen = Math.max(st.peakOpen, st.open);
      // idle: the first 5 bytes of a TLS record (a 512-byte handshake record) and then nothing, the
      // cheapest way to hold a descriptor (a connection that sent no byte can be lost in a full accept
      // queue without either side noticing); with --tls, a whole handshake first
      if (!o.tls) { raw.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])); return; }
      const t = tlsConnect({ socket: raw, secureContext, ALPNProtocols: ['h2'], rejectUnauthorized: false });
      t.on('error', () => {});
      t.once('secureConnect', () => { st.tlsDone++; });
    });
    raw.once('close', () => {
      if (opened) { st.open--; st.closedByServer++; } else st.connectErrors++;
      setTimeout(() => slot(i), o.reconnect).unref();
    });
  };
  // ramp at `rate` connections per second: faster overflows the listen queue, and a connection the
  // kernel dropped there is only retried on the client's retransmission backoff (the flood stalls)
  void (async () => {
    const batch = Math.max(1, Math.round(o.rate / 10));
    for (let i = 0; i < o.conns && !stopping; i += batch) {
      for (let j = i; j < Math.min(o.conns, i + batch); j++) slot(j);
      await sleep(100);
    }
  })();
  const storm = o.storm > 0 && setInterval(() => {
    st.stormWaves++;
    for (let i = 0; i < o.storm; i++) {
      const raw = netConnect({ host: '127.0.0.1', port: agentPort, localAddress: '127.0.200.1' });
      raw.on('error', () => {});
      const t = tlsConnect({ socket: raw, secureContext, ALPNProtocols: ['h2'], rejectUnauthorized: false });
      t.on('error', () => { st.stormRefused++; });
      t.once('secureConnect', () => { st.stormHandshakes++; setTimeout(() => t.destroy(), 100); });
      t.setTimeout(5000, () => t.destroy());
    }
  }, o.stormEvery);
  const report = setInterval(() => process.stdout.write(JSON.stringify(st) + '\n'), 1000);
  process.on('SIGTERM', () => { stopping = true; if (storm) clearInterval(storm); clearInterval(report); process.stdout.write(JSON.stringify(st) + '\n'); process.exit(0); });
}

// ---------- the measuring side ----------

interface RunResult {
  controller: string;
  operator: { probes: number; failures: number; p50_ms: number; p99_ms: number; max_ms: number };
  agent: { reports: number; acked: number; max_gap_ms: number; stream_ended: string | null };
  controller_rss_mb: number;
  controller_fds_max: number;
  controller_alive: boolean;
  flooder: Record<string, number>;
}

function procStat(pid: number): { rssMb: number; fds: number } {
  try {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
    return { rssMb: rss, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return { rssMb: 0, fds: 0 };
  }
}

async function run(root: string, label: string, o: Options): Promise<RunResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fb-floods-'));
  const ctl: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(root, 'controller/main.ts'), '--data-dir', dataDir,
    '--listen', '127.0.0.1:0', '--enroll-listen', '127.0.0.1:0', '--operator-listen', '127.0.0.1:0', '--log-level', 'warn'], {
    cwd: root, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' },
  });
  let ctlErr = '';
  ctl.stderr!.on('data', (d: Buffer) => { ctlErr = (ctlErr + d.toString()).slice(-4000); });
  const flooders: ChildProcess[] = [];
  try {
    const infoFile = join(dataDir, 'controller.json');
    for (let i = 0; i < 300 && !existsSync(infoFile); i++) await sleep(100);
    if (!existsSync(infoFile)) throw new Error(`the ${label} controller did not start: ${ctlErr}`);
    const info = JSON.parse(readFileSync(infoFile, 'utf8')) as { agentPort: number; enrollPort: number; operatorPort: number; caFingerprint: string; credentials: string };
    const { cred } = loadCredentials(info.credentials);
    const op = operatorClient(`127.0.0.1:${info.operatorPort}`, cred);
    // a legit agent, enrolled before the flood
    const tok = await call<object, { token: string }>(op, 'CreateEnrollmentToken', { uses: 1, ttlS: 600 });
    const inventory = { hostname: 'legit', os: 'linux', kernel: '6', cpuModel: 'x', cpuCores: 2, memoryBytes: 1024, ipAddresses: [], agentVersion: 'bench', tags: {} };
    const { identity } = await ensureIdentity({
      dataDir: join(dataDir, 'agent'), agentId: 'legit-1', enrollAddress: `127.0.0.1:${info.enrollPort}`, token: tok.token, caPin: info.caFingerprint, inventory, log,
    });
    const link = new (firebreakPackage().AgentLink)(`127.0.0.1:${info.agentPort}`, linkCredentials(identity));
    const stream = link.Connect();
    const acks = new Map<number, number>();
    let ended: string | null = null;
    stream.on('data', (f: ControllerFrame__Output) => { if (f.ack) acks.set(Number(f.ack.seq), Date.now()); });
    stream.on('error', (e: grpc.ServiceError) => { ended = `${grpc.status[e.code]}: ${e.details}`; });
    stream.write({ hello: { agentId: 'legit-1', bootId: randomBytes(8).toString('hex'), inventory, backend: 'DRY_RUN', sentAtMs: Date.now() } });

    // the flood, from children with their own descriptor limit (raised as far as this host lets them:
    // without CAP_SYS_RESOURCE only to the hard limit, so the connections are split over several)
    const self = join(ROOT, 'scripts/bench/floods.ts');
    const perChild = 9000;
    const children = Math.max(1, Math.ceil(o.conns / perChild));
    const stats: Record<string, number>[] = [];
    for (let c = 0; c < children; c++) {
      const conns = Math.min(perChild, o.conns - c * perChild);
      const want = conns + 4096;
      const child = spawn('bash', ['-c', `{ ulimit -n ${want} 2>/dev/null || ulimit -n $(ulimit -Hn); } && exec "${process.execPath}" --import tsx "${self}" --serve flood --enroll-port ${info.enrollPort} --agent-port ${info.agentPort} --conns ${conns} --rate ${Math.ceil(o.rate / children)} --storm ${c === 0 ? o.storm : 0} --storm-every ${o.stormEvery} --reconnect ${o.reconnect} --source-base ${c}${o.tls ? ' --tls' : ''}`], {
        cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_OPTIONS: '' },
      });
      flooders.push(child);
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) { try { stats[c] = JSON.parse(buf.slice(0, i)); } catch { /* partial */ } buf = buf.slice(i + 1); }
      });
    }
    const flooderTotals = () => {
      const t: Record<string, number> = {};
      for (const s of stats) for (const [k, v] of Object.entries(s ?? {})) t[k] = (t[k] ?? 0) + v;
      return t;
    };

    let seq = 0;
    const sentAt = new Map<number, number>();
    const lat: number[] = [];
    let failures = 0;
    let rss = 0;
    let fds = 0;
    let measuring = false;
    const reports = setInterval(() => { seq++; sentAt.set(seq, Date.now()); stream.write({ report: { seq, events: [] } }); }, 250);
    const beats = setInterval(() => stream.write({ heartbeat: { sentAtMs: Date.now(), lastSeq: seq } }), 2000);
    const sample = setInterval(() => { const s = procStat(ctl.pid!); rss = Math.max(rss, s.rssMb); fds = Math.max(fds, s.fds); }, 500);
    const probe = async () => {
      const t = Date.now();
      try {
        await call(op, 'WhoAmI', {}, 5000);
        if (measuring) lat.push(Date.now() - t);
      } catch {
        if (measuring) { failures++; lat.push(5000); }
      }
    };
    const probes = setInterval(() => void probe(), 100);
    process.stderr.write(`${label}: flood ramping for ${o.ramp} s...\n`);
    await sleep(o.ramp * 1000);
    const firstSeq = seq + 1;
    measuring = true;
    process.stderr.write(`${label}: measuring for ${o.duration} s...\n`);
    await sleep(o.duration * 1000);
    measuring = false;
    const lastSeq = seq;
    clearInterval(reports);
    clearInterval(beats);
    clearInterval(probes);
    await sleep(1500); // late acks of the last reports
    clearInterval(sample);
    let acked = 0;
    let maxGap = 0;
    let prev = sentAt.get(firstSeq) ?? Date.now();
    for (let s = firstSeq; s <= lastSeq; s++) {
      const a = acks.get(s);
      if (a !== undefined) { acked++; maxGap = Math.max(maxGap, a - prev); prev = a; }
    }
    const alive = ctl.exitCode === null;
    stream.cancel();
    link.close();
    op.close();
    return {
      controller: label,
      operator: { probes: lat.length, failures, p50_ms: pct(lat, 50), p99_ms: pct(lat, 99), max_ms: Math.max(...lat) },
      agent: { reports: lastSeq - firstSeq + 1, acked, max_gap_ms: maxGap, stream_ended: ended },
      controller_rss_mb: Math.round(rss),
      controller_fds_max: fds,
      controller_alive: alive,
      flooder: flooderTotals(),
    };
  } finally {
    await Promise.all(flooders.filter((f) => f.exitCode === null).map((f) => {
      f.kill('SIGTERM');
      return new Promise((r) => { f.once('exit', r); setTimeout(r, 5000); });
    }));
    ctl.kill('SIGTERM');
    await new Promise((r) => { ctl.once('exit', r); setTimeout(() => { ctl.kill('SIGKILL'); r(0); }, 8000); });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function worktree(rev: string): string {
  const sha = execFileSync('git', ['rev-parse', '--short', rev], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dir = join(tmpdir(), `fb-before-${sha}`);
  if (!existsSync(dir)) {
    execFileSync('git', ['worktree', 'add', '--detach', dir, sha], { cwd: ROOT, stdio: 'ignore' });
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  }
  return dir;
}

function show(r: RunResult): string {
  return `${r.controller}: operator WhoAmI p50 ${r.operator.p50_ms} ms, p99 ${r.operator.p99_ms} ms, max ${r.operator.max_ms} ms, ${r.operator.failures}/${r.operator.probes} failed; `
    + `legit agent ${r.agent.acked}/${r.agent.reports} reports acked (longest gap ${r.agent.max_gap_ms} ms${r.agent.stream_ended ? `, stream ended ${r.agent.stream_ended}` : ''}); `
    + `controller peak RSS ${r.controller_rss_mb} MB, ${r.controller_fds_max} descriptors${r.controller_alive ? '' : ', DIED'}; `
    + `flooder held at most ${r.flooder.peakOpen ?? '?'} connections (${r.flooder.attempts ?? '?'} attempts, ${r.flooder.tlsDone ?? '?'} TLS handshakes done), storm ${r.flooder.stormHandshakes ?? '?'} handshakes in ${r.flooder.stormWaves ?? '?'} waves`;
}

const o = program.parse().opts<Options>();
if (o.serve === 'flood') {
  await flood(o);
} else {
  const results: RunResult[] = [];
  if (o.before) results.push(await run(worktree(o.before), `before (${o.before})`, o));
  results.push(await run(ROOT, 'after', o));
  for (const r of results) process.stdout.write(show(r) + '\n');
  const out: Record<string, unknown> = { params: { conns: o.conns, rate: o.rate, tls: Boolean(o.tls), storm: o.storm, stormEveryMs: o.stormEvery, durationS: o.duration, rampS: o.ramp, reconnectMs: o.reconnect }, results };
  if (results.length === 2) {
    const [b, a] = results as [RunResult, RunResult];
    out.ratio_before_over_after = {
      operator_p99: +(b.operator.p99_ms / Math.max(1, a.operator.p99_ms)).toFixed(1),
      controller_rss: +(b.controller_rss_mb / Math.max(1, a.controller_rss_mb)).toFixed(1),
      controller_fds: +(b.controller_fds_max / Math.max(1, a.controller_fds_max)).toFixed(1),
    };
    process.stdout.write(`ratio before/after: operator p99 ×${(out.ratio_before_over_after as { operator_p99: number }).operator_p99}, controller RSS ×${(out.ratio_before_over_after as { controller_rss: number }).controller_rss}, descriptors ×${(out.ratio_before_over_after as { controller_fds: number }).controller_fds}\n`);
  }
  if (o.json) writeFileSync(o.json, JSON.stringify(out, null, 2));
  process.exit(0);
}
