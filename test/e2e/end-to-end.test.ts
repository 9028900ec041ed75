// A real controller process and two real agent processes on loopback: hosts
// come online with their inventory, reports arrive, an operator's isolate
// reaches the right agent, a command waits for a stopped agent, and a dead or
// silent agent goes offline within three heartbeat intervals.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import type { CommandView__Output, Host__Output } from '../../proto/wire.ts';
import {
  cli, cliJson, eventually, readJson, startAgent, startController, stopAll, stopProcess, tempDir,
  type ControllerProc, type Proc,
} from '../helpers/procs.ts';

describe('end to end: controller, two agents, operator CLI', () => {
  const dir = tempDir();
  let ctl: ControllerProc;
  let a1: Proc | undefined;
  let a2: Proc | undefined;
  const host = (id: string) => cliJson<Host__Output>(ctl, ['host', id]);

  before(async () => {
    ctl = await startController(join(dir.path, 'controller'), ['--metrics-listen', '127.0.0.1:0']);
    [a1, a2] = await Promise.all([
      startAgent('a1', ctl, join(dir.path, 'a1'), ['-t', 'role=web']),
      startAgent('a2', ctl, join(dir.path, 'a2'), ['-t', 'role=mail']),
    ]);
  });

  after(async () => {
    await stopAll();
    dir.remove();
  });

  it('lists both hosts online with their inventory', async () => {
    const hosts = await cliJson<Host__Output[]>(ctl, ['hosts']);
    assert.deepEqual(hosts.map((h) => h.id), ['a1', 'a2']);
    for (const h of hosts) {
      assert.equal(h.online, true, `${h.id} online`);
      assert.ok(h.inventory!.hostname.length > 0, 'hostname');
      assert.ok(h.inventory!.cpuCores > 0, 'cpu cores');
      assert.ok(h.inventory!.memoryBytes > 0, 'memory');
      assert.ok(h.inventory!.kernel.length > 0, 'kernel');
      assert.equal(h.backend, 'DRY_RUN');
    }
    assert.equal(hosts[1]!.inventory!.tags.role, 'mail');
    const table = await cli(ctl, ['hosts']);
    assert.match(table.stdout, /^HOST\s+STATUS/m);
    assert.match(table.stdout, /a1\s+online/);
    assert.match(table.stdout, /dry-run backend record rules but enforce nothing/);
  });

  it('receives reports with samples', async () => {
    const first = await host('a1');
    const later = await eventually(async () => {
      const h = await host('a1');
      return h.reports >= first.reports + 2 && h;
    }, 10_000, 'two more reports from a1');
    assert.ok(later.lastSample, 'a sample is stored');
    assert.ok(later.lastSample!.processCount > 0, 'process count');
    assert.ok(later.lastSample!.memTotalBytes > 0, 'memory total');
  });

  it('isolates one host: the agent records isolation rules and the command shows applied', async () => {
    const res = await cli(ctl, ['-o', 'json', 'isolate', 'a1', '--reason', 'e2e test', '--wait']);
    assert.equal(res.code, 0, res.stderr);
    const view = JSON.parse(res.stdout) as CommandView__Output;
    assert.equal(view.status, 'APPLIED');
    assert.equal(view.command!.targetAgentId, 'a1');
    assert.ok(view.rules.some((r) => /drop/.test(r)), 'the dry-run backend recorded drop rules');
    assert.ok(view.rules.some((r) => /table inet firebreak/.test(r)));
    assert.equal(view.state!.isolated, true);
    const a1host = await eventually(async () => { const h = await host('a1'); return h.enforcement?.isolated && h; }, 5000, 'a1 heartbeat with isolation');
    assert.equal(a1host.enforcement!.isolated, true);
    assert.equal((await host('a2')).enforcement?.isolated ?? false, false, 'a2 is untouched');
    const shown = await cli(ctl, ['command', view.command!.id]);
    assert.match(shown.stdout, /status\s+applied/);
  });

  it('serves Prometheus metrics with live values: hosts, reports, ingest latency, the isolation and its command', async () => {
    const { metricsPort } = readJson<{ metricsPort: number }>(join(ctl.dataDir, 'controller.json'));
    const scrape = async () => {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      return res.text();
    };
    const value = (text: string, series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(series + ' '));
      assert.ok(line, `${series} in /metrics`);
      return Number(line.slice(series.length + 1));
    };
    const text = await eventually(async () => {
      const t = await scrape();
      return t.includes('firebreak_enforcement_hosts{measure="isolated"} 1') && t;
    }, 5000, 'the isolated host in /metrics');
    assert.equal(value(text, 'firebreak_hosts{state="online"}'), 2);
    assert.ok(value(text, 'firebreak_reports_total{outcome="stored"}') > 0);
    assert.ok(value(text, 'firebreak_ingest_seconds_count') > 0);
    assert.equal(value(text, 'firebreak_commands_issued_total{action="ISOLATE",issuer="operator"}'), 1);
    assert.equal(value(text, 'firebreak_command_results_total{action="ISOLATE",status="APPLIED"}'), 1);
    assert.ok(value(text, 'firebreak_audit_entries') >= 2, 'the bootstrap and the isolate are audited');
    for (const family of ['firebreak_events_total', 'firebreak_event_to_alert_seconds', 'firebreak_alerts', 'firebreak_playbook_runs', 'firebreak_connections_rejected_total', 'firebreak_audit_discontinuities', 'firebreak_refused_calls', 'firebreak_controller_process_resident_memory_bytes']) {
      assert.match(text, new RegExp(`^# TYPE ${family} `, 'm'), `${family} is exported`);
    }
    const other = await fetch(`http://127.0.0.1:${metricsPort}/`);
    assert.equal(other.status, 404);
  });

  it('answers gRPC health checks and server reflection on the operator port, without a token', async () => {
    const { caCertPem } = readJson<{ caCertPem: string }>(ctl.credentialsFile);
    const creds = grpc.credentials.createSsl(Buffer.from(caCertPem));
    const load = (file: string) => grpc.loadPackageDefinition(protoLoader.loadSync(file, { keepCase: true, enums: String, defaults: true })) as any;
    const Health = load(healthProtoPath).grpc.health.v1.Health;
    const health = new Health(ctl.operatorAddress, creds);
    const require = createRequire(import.meta.url);
    const Reflection = load(join(dirname(require.resolve('@grpc/reflection')), '../proto/grpc/reflection/v1/reflection.proto')).grpc.reflection.v1.ServerReflection;
    const reflection = new Reflection(ctl.operatorAddress, creds);
    try {
      for (const service of ['', 'firebreak.v1.Operator', 'firebreak.v1.AgentLink']) {
        const res = await new Promise<{ status: string }>((resolve, reject) =>
          health.Check({ service }, { deadline: Date.now() + 5000 }, (err: Error | null, r: { status: string }) => (err ? reject(err) : resolve(r))));
        assert.equal(res.status, 'SERVING', `health of '${service}'`);
      }
      const names = await new Promise<string[]>((resolve, reject) => {
        const stream = reflection.ServerReflectionInfo({ deadline: Date.now() + 5000 });
        stream.on('data', (r: { list_services_response?: { service: { name: string }[] } }) => { resolve((r.list_services_response?.service ?? []).map((x) => x.name)); stream.end(); });
        stream.on('error', reject);
        stream.write({ list_services: '' });
      });
      for (const svc of ['firebreak.v1.Operator', 'grpc.health.v1.Health']) assert.ok(names.includes(svc), `${svc} in ${names.join(', ')}`);
    } finally {
      health.close();
      reflection.close();
    }
  });

  it('delivers a command issued while the agent is stopped once it restarts', async () => {
    await stopProcess(a2);
    await eventually(async () => !(await host('a2')).online, 5000, 'a2 offline after stop');
    const queued = await cliJson<CommandView__Output>(ctl, ['block', 'a2', '--port', '25', '--direction', 'out', '--reason', 'while away']);
    assert.equal(queued.status, 'QUEUED');
    a2 = await startAgent('a2', ctl, join(dir.path, 'a2'));
    const done = await cliJson<CommandView__Output>(ctl, ['command', queued.command!.id]).then(async (v) =>
      v.status === 'APPLIED' ? v : eventually(async () => {
        const c = await cliJson<CommandView__Output>(ctl, ['command', queued.command!.id]);
        return c.status === 'APPLIED' && c;
      }, 10_000, 'block applied after restart'));
    assert.equal(done.status, 'APPLIED');
    const h = await eventually(async () => { const x = await host('a2'); return x.enforcement?.blocks.length === 1 && x; }, 5000, 'a2 reports the block');
    assert.equal(h.enforcement!.blocks[0]!.ports[0]!.from, 25);
  });

  it('marks a killed agent offline within 3 heartbeat intervals', async () => {
    assert.equal((await host('a1')).online, true);
    const killedAt = Date.now();
    await stopProcess(a1, 'SIGKILL');
    await eventually(async () => !(await host('a1')).online, 3000, 'a1 offline');
    assert.ok(Date.now() - killedAt <= 3000, 'within 3 intervals of 1 s');
  });

  it('marks a silent (hung) agent offline within 3 heartbeat intervals, and back online when it wakes', async () => {
    assert.equal((await host('a2')).online, true);
    a2!.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    try {
      await eventually(async () => !(await host('a2')).online, 4500, 'a2 offline while stopped');
      // three 1 s intervals plus the reaper's half-interval tick
      assert.ok(Date.now() - stoppedAt <= 4500);
    } finally {
      a2!.child.kill('SIGCONT');
    }
    await eventually(async () => (await host('a2')).online, 15_000, 'a2 back online after SIGCONT');
  });
});

describe('operator CLI: trust administration', () => {
  const dir = tempDir();
  let ctl: ControllerProc;

  before(async () => { ctl = await startController(join(dir.path, 'controller')); });
  after(async () => { await stopAll(); dir.remove(); });

  it('enrolls an agent from a token the CLI created, and refuses a second use of a one-use token', async () => {
    const tok = await cliJson<{ token: string; caFingerprint: string }>(ctl, ['tokens', 'create', '--uses', '1', '--tags', 'role=mail']);
    const one = { ...ctl, enrollToken: tok.token };
    const a = await startAgent('mail-1', one, join(dir.path, 'mail-1'));
    const h = await cliJson<Host__Output>(ctl, ['host', 'mail-1']);
    assert.equal(h.inventory!.tags.role, 'mail', 'the token granted its tag');
    const second = await startAgent('mail-2', one, join(dir.path, 'mail-2'), [], { waitConnected: false });
    // said once, as the agent's one stderr line (not also as a log line)
    const fatal = await second.waitFor((l) => String(l.msg).startsWith('firebreak-agent: cannot start'), 20_000);
    assert.match(String(fatal.msg), /enrollment refused by the controller: .*has been used 1 of 1 times/);
    await stopProcess(a);
  });

  it('`firebreak audit verify` passes, then catches a hand-edited row of the SQLite file', async () => {
    const ok = await cli(ctl, ['audit', 'verify']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /audit log intact: \d+ entries/);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(join(ctl.dataDir, 'firebreak.db'));
    db.prepare(`UPDATE audit SET detail = '{"uses":999}' WHERE seq = 2`).run();
    db.close();
    const bad = await cli(ctl, ['audit', 'verify']);
    assert.equal(bad.code, 5);
    assert.match(bad.stdout, /AUDIT LOG TAMPERED: first bad entry is seq 2 \(edited/);
  });

  it('a viewer credential can read but not isolate', async () => {
    const file = join(dir.path, 'viewer.json');
    const made = await cli(ctl, ['operators', 'add', 'vic', '--role', 'viewer', '--out', file]);
    assert.equal(made.code, 0, made.stderr);
    const viewer = { ...ctl, credentialsFile: file };
    assert.equal((await cli(viewer, ['hosts'])).code, 0);
    const denied = await cli(viewer, ['isolate', 'mail-1', '--reason', 'x']);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /PERMISSION_DENIED: IssueCommand needs role responder; this credential has role viewer/);
  });
});
