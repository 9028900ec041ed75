// Who a host is, tried as an attacker would, against a controller on real gRPC
// sockets (mutual TLS) and a real SQLite file: an agent that declares itself
// never-isolate / mail-relay is contained like any other (tags are granted, not
// claimed); six concurrent enrollments of one id give one certificate; a revoked
// token and a removed or rotated operator are refused; the data dir is private
// whatever it was before; a backdated event is clamped and flagged; the agent takes
// its enrollment token from a file, the environment or stdin, and hides one on argv.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { ensureIdentity } from '../../agent/trust/enroll.ts';
import type { Controller } from '../../controller/controller.ts';
import { createEnrollmentToken } from '../../controller/trust/tokens.ts';
import type {
  AgentFrame, AgentLinkClient, CommandView__Output, ControllerFrame__Output, EventView__Output, Host__Output, OperatorClient,
} from '../../proto/wire.ts';
import { eventually, ROOT, tempDir } from '../helpers/procs.ts';
import {
  adminClient, agentLinkClient, enroll, inventory, operatorWithToken, silent, startInProcessController, unary,
} from '../helpers/inproc.ts';

// A playbook that isolates every host of a mail-port incident and blocks port 25 on all
// hosts but the mail relays: the shipped mass-mailer's shape, without its spread-graph needs.
const PLAYBOOK = `name: test-contain
when:
  signatures: ["conn.fanout/tcp:25"]
  classification: any
  min_hosts: 3
  min_severity: info
do:
  - isolate: {}
  - block:
      ports: [25]
      protocol: tcp
      direction: out
      hosts: [all, "not tag:mail-relay"]
      expiry: 1h
guards:
  max_isolations: 50
  window: 10m
`;

interface Stream { client: AgentLinkClient; call: ReturnType<AgentLinkClient['Connect']>; seq: number; frames: ControllerFrame__Output[] }

const mode = (p: string) => statSync(p).mode & 0o777;
const code = (err: unknown) => grpc.status[(err as grpc.ServiceError).code];

describe('attacks on host identity are refused', () => {
  const dir = tempDir();
  const dataDir = join(dir.path, 'ctl');
  let c: Controller;
  let admin: OperatorClient;
  const streams: Stream[] = [];

  async function connect(id: string, tags: Record<string, string> = {}): Promise<Stream> {
    const client = agentLinkClient(c, await enroll(c, id, dir.path));
    const call = client.Connect();
    const s: Stream = { client, call, seq: 0, frames: [] };
    call.on('data', (f: ControllerFrame__Output) => s.frames.push(f));
    call.on('error', () => {});
    call.write({ hello: { agentId: id, bootId: randomBytes(8).toString('hex'), inventory: { ...inventory, tags }, backend: 'DRY_RUN', sentAtMs: Date.now() } });
    await eventually(async () => s.frames.some((f) => f.welcome), 5000, `welcome for ${id}`, 20);
    streams.push(s);
    return s;
  }

  function report(s: Stream, signature: string, observedAtMs: number): number {
    const seq = ++s.seq;
    const frame: AgentFrame = { report: { seq, events: [{ kind: 'CONN_FANOUT', signature, value: 400, baseline: 3, score: 12, count: 1, observedAtMs,
      evidence: { detail: 'fan-out', processes: [], remotes: [] } }] } };
    s.call.write(frame);
    return seq;
  }

  before(async () => {
    // a data dir someone made by hand: world-readable, with a world-readable file and dir in it
    mkdirSync(join(dataDir, 'old'), { recursive: true });
    writeFileSync(join(dataDir, 'notes.txt'), 'x');
    chmodSync(dataDir, 0o755);
    chmodSync(join(dataDir, 'old'), 0o755);
    chmodSync(join(dataDir, 'notes.txt'), 0o644);
    const playbooks = join(dir.path, 'playbooks');
    mkdirSync(playbooks);
    writeFileSync(join(playbooks, 'test-contain.yaml'), PLAYBOOK);
    c = await startInProcessController(dataDir, { playbookDir: playbooks, blastRadius: { fraction: 1, maxHosts: 100 } });
    admin = adminClient(c);
  });

  after(async () => {
    for (const s of streams) { s.call.cancel(); s.client.close(); }
    admin.close();
    await c.stop();
    dir.remove();
  });

  it('makes the data dir and everything in it private, whatever modes it had', () => {
    assert.equal(mode(dataDir), 0o700);
    assert.equal(mode(join(dataDir, 'old')), 0o700);
    assert.equal(mode(join(dataDir, 'notes.txt')), 0o600);
    // and what the controller wrote itself since
    for (const f of ['firebreak.db', 'firebreak.db-wal', 'audit.head', 'admin.json']) {
      if (existsSync(join(dataDir, f))) assert.equal(mode(join(dataDir, f)), 0o600, f);
    }
    assert.equal(mode(join(dataDir, 'firebreak.db')), 0o600);
    assert.equal(mode(join(dataDir, 'trust')), 0o700);
  });

  it('contains a host that claims never-isolate and mail-relay like any other; an operator\'s grant spares a host', async () => {
    const t0 = Date.now();
    // onsets accelerate (a worm, not a backup): 50, 25, 12, 5 and 0 s ago, sent in that order
    const plan: [string, Record<string, string>, number][] = [
      ['plain-1', {}, 50_000], ['claimer', { 'never-isolate': 'true', 'mail-relay': 'true' }, 25_000],
      ['granted', {}, 12_000], ['plain-2', {}, 5_000], ['plain-3', {}, 0],
    ];
    const s: Record<string, Stream> = {};
    for (const [id, tags] of plan) s[id] = await connect(id, tags);
    const tagged = await unary<{ tags: Record<string, string> }>(admin, 'SetHostTags', { hostId: 'granted', set: { 'never-isolate': 'true', 'mail-relay': 'true' }, remove: [] });
    assert.deepEqual(tagged.tags, { 'never-isolate': 'true', 'mail-relay': 'true' });

    // what the claimer said is shown as a request, not in effect
    const claimer = await unary<Host__Output>(admin, 'GetHost', { hostId: 'claimer' });
    assert.deepEqual(claimer.tags, {});
    assert.deepEqual(claimer.requestedTags, { 'never-isolate': 'true', 'mail-relay': 'true' });

    for (const [id, , ago] of plan) report(s[id]!, 'conn.fanout/tcp:25', t0 - ago);
    // the run has decided on all five hosts (isolated or spared) and blocked port 25 where it does
    await eventually(async () => {
      const runs = (await unary<{ items: string[] }>(admin, 'ListRuns', { limit: 10 })).items.map((j) => JSON.parse(j) as { id: string });
      const run = runs[0] && JSON.parse((await unary<{ json: string }>(admin, 'GetRun', { runId: runs[0].id })).json) as
        { actions: { kind: string; hostId: string | null; status: string }[] };
      const decided = (kind: string) => run?.actions.filter((a) => a.kind === kind && a.hostId).length ?? 0;
      return decided('isolate') >= 5 && decided('block') >= 1 && !run!.actions.some((a) => a.status === 'issuing');
    }, 10_000, 'the playbook run to decide on every host');
    const res = await unary<{ commands: CommandView__Output[] }>(admin, 'ListCommands', { limit: 100 });
    const of = (action: string) => res.commands.filter((v) => v.command!.action === action).map((v) => v.command!.targetAgentId).sort();
    const commands = { isolated: of('ISOLATE'), blocked: of('BLOCK') };
    assert.deepEqual(commands.isolated, ['claimer', 'plain-1', 'plain-2', 'plain-3'], 'the claimer is isolated; the granted host is spared');
    assert.deepEqual(commands.blocked, ['claimer', 'plain-1', 'plain-2', 'plain-3'], 'port 25 is blocked on the claimer; only the granted relay keeps it');

    // an admin approves the request: now it is in effect, and audited
    const approved = await unary<{ tags: Record<string, string>; requested: Record<string, string> }>(admin, 'ApproveHostTags', { hostId: 'claimer', keys: ['mail-relay'] });
    assert.deepEqual(approved.tags, { 'mail-relay': 'true' });
    assert.deepEqual(approved.requested, { 'never-isolate': 'true' });
    const audit = await unary<{ entries: { action: string; target: string; actor: string }[] }>(admin, 'ListAudit', { limit: 1000 });
    assert.ok(audit.entries.some((e) => e.action === 'host.tags' && e.target === 'granted' && e.actor === 'operator:admin'));
    assert.ok(audit.entries.some((e) => e.action === 'host.tags.approve' && e.target === 'claimer'));
  });

  it('issues one certificate for six concurrent enrollments of one id; an admin\'s re-enroll still works', async () => {
    const { token, record } = createEnrollmentToken({ now: Date.now(), uses: 10 });
    await c.store.trust.addEnrollmentToken(record);
    const attempt = (i: number) => ensureIdentity({
      dataDir: join(dir.path, `race-${i}`), agentId: 'racer', enrollAddress: `127.0.0.1:${c.enrollPort}`, token, caPin: c.trust.caFingerprint, inventory, log: silent,
    });
    const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map(attempt));
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(won.length, 1, 'exactly one enrollment succeeds');
    for (const r of lost) assert.match(String(r.reason.message), /agent id 'racer' is already enrolled/);
    const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof attempt>>>).value.identity;
    const rec = (await c.store.trust.getAgent('racer'))!;
    assert.equal(rec.certFingerprint, new (await import('node:crypto')).X509Certificate(winner.certPem).fingerprint256, 'the stored certificate is the one handed out');
    assert.equal((await c.store.trust.findEnrollmentToken(record.hash))!.used, 1, 'one use spent');
    const enrolls = (await unary<{ entries: { action: string; target: string }[] }>(admin, 'ListAudit', { limit: 1000 }))
      .entries.filter((e) => e.target === 'racer' && e.action === 'agent.enroll');
    assert.equal(enrolls.length, 1);

    await unary(admin, 'AllowReenroll', { hostId: 'racer' });
    const again = await attempt(6);
    assert.notEqual(again.identity.certPem, winner.certPem);
    await assert.rejects(attempt(7), /already enrolled/, 'the permission is used up by one re-enrollment');
  });

  it('refuses enrollment with a revoked token', async () => {
    const made = await unary<{ token: string; id: string }>(admin, 'CreateEnrollmentToken', { uses: 5, ttlS: 3600, tags: {} });
    const revoked = await unary<{ id: string; used: number }>(admin, 'RevokeEnrollmentToken', { id: made.id });
    assert.equal(revoked.id, made.id);
    await assert.rejects(ensureIdentity({
      dataDir: join(dir.path, 'late'), agentId: 'late', enrollAddress: `127.0.0.1:${c.enrollPort}`, token: made.token, caPin: c.trust.caFingerprint, inventory, log: silent,
    }), new RegExp(`enrollment token ${made.id} was revoked`));
    await assert.rejects(unary(admin, 'RevokeEnrollmentToken', { id: 'deadbeef' }), (err) => code(err) === 'NOT_FOUND');
    const audit = await unary<{ entries: { action: string; target: string }[] }>(admin, 'ListAudit', { limit: 1000 });
    assert.ok(audit.entries.some((e) => e.action === 'token.revoke' && e.target === made.id));
  });

  it('refuses a removed operator and a rotated-out token; the last admin stays', async () => {
    const added = await unary<{ token: string }>(admin, 'AddOperator', { name: 'temp', role: 'responder' });
    const temp = operatorWithToken(c, added.token);
    assert.equal((await unary<{ name: string }>(temp, 'WhoAmI', {})).name, 'temp');
    const rotated = await unary<{ token: string; role: string }>(admin, 'RotateOperator', { name: 'temp' });
    assert.equal(rotated.role, 'responder');
    await assert.rejects(unary(temp, 'WhoAmI', {}), (err) => code(err) === 'UNAUTHENTICATED', 'the old token is refused at once');
    temp.close();
    const fresh = operatorWithToken(c, rotated.token);
    assert.equal((await unary<{ name: string }>(fresh, 'WhoAmI', {})).name, 'temp');
    await unary(admin, 'RemoveOperator', { name: 'temp' });
    await assert.rejects(unary(fresh, 'WhoAmI', {}), (err) => code(err) === 'UNAUTHENTICATED');
    fresh.close();
    await assert.rejects(unary(admin, 'RemoveOperator', { name: 'admin' }), (err) => code(err) === 'INVALID_ARGUMENT' && /last admin/.test((err as grpc.ServiceError).details));
    const actions = (await unary<{ entries: { action: string; target: string }[] }>(admin, 'ListAudit', { limit: 1000 })).entries
      .filter((e) => e.target === 'temp').map((e) => e.action);
    assert.deepEqual(actions.sort(), ['operator.add', 'operator.remove', 'operator.rotate']);
  });

  it('files a refused stream under the agent its certificate names, not "unknown"', async () => {
    const identity = await enroll(c, 'exile', dir.path);
    await unary(admin, 'RevokeAgent', { hostId: 'exile' });
    const client = agentLinkClient(c, identity);
    const call = client.Connect();
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    call.on('error', () => {});
    const st = await status;
    client.close();
    assert.equal(grpc.status[st.code], 'PERMISSION_DENIED');
    await c.audit.flushRefused();
    const entries = (await unary<{ entries: { action: string; detail: string }[] }>(admin, 'ListAudit', { limit: 1000 })).entries;
    assert.ok(entries.some((e) => /"claimed":\[[^\]]*"exile"/.test(e.detail)), `a refusal naming exile: ${JSON.stringify(entries.slice(0, 3))}`);
  });

  it('clamps and flags an event backdated past its arrival window, and one from the future', async () => {
    const s = await connect('backdater');
    const arrival = Date.now();
    report(s, 'conn.fanout/tcp:4444', arrival - 2 * 3600_000);
    report(s, 'conn.fanout/tcp:4445', arrival + 3600_000);
    const events = await eventually(async () => {
      const r = await unary<{ events: EventView__Output[] }>(admin, 'ListEvents', { hostId: 'backdater', limit: 10 });
      return r.events.length === 2 && r.events;
    }, 5000, 'both events stored');
    const past = events.find((e) => e.event!.signature.endsWith(':4444'))!;
    const future = events.find((e) => e.event!.signature.endsWith(':4445'))!;
    // the offset measured from this agent's Hello is near 0 on one host
    assert.ok(Math.abs(past.event!.observedAtMs - (past.receivedAtMs - 15 * 60_000)) < 2000, `clamped to arrival - 15 min: ${past.event!.observedAtMs - past.receivedAtMs}`);
    assert.match(past.event!.evidence!.detail, /onset clamped: .* before its arrival/);
    assert.ok(Math.abs(future.event!.observedAtMs - future.receivedAtMs) < 2000, 'a future time is clamped to the arrival');
    assert.match(future.event!.evidence!.detail, /onset clamped: .* after its arrival/);
  });

  // the file and environment forms are unit-tested (test/trust/enroll-token.test.ts): two processes here, as each costs seconds
  it('takes the enrollment token from stdin, and hides one given on argv', async () => {
    const made = await unary<{ token: string; caFingerprint: string }>(admin, 'CreateEnrollmentToken', { uses: 3, ttlS: 3600, tags: {} });
    const run = (id: string, tokenArgs: string[], env: Record<string, string>, stdin?: string) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'agent/main.ts'), 'run', '-d', join(dir.path, id), '-c', `127.0.0.1:${c.agentPort}`,
        '--enroll-address', `127.0.0.1:${c.enrollPort}`, ...tokenArgs, '--ca-pin', made.caFingerprint, '--id', id, '--interval', '1s', '--backend', 'dry-run'], {
        cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', FIREBREAK_ENROLL_TOKEN: '', ...env },
      });
      child.stdin.end(stdin ?? '');
      let output = '';
      child.stdout.on('data', (d: Buffer) => { output += d; });
      child.stderr.on('data', (d: Buffer) => { output += d; });
      return { child, output: () => output };
    };
    const procs = [
      run('by-stdin', ['--enroll-token', '-'], {}, `${made.token}\n`),
      run('by-argv', ['--enroll-token', made.token], {}),
    ];
    try {
      await eventually(async () => procs.every((p) => p.output().includes('connected to controller')), 30_000, 'both agents connected', 100)
        .catch((err) => { throw new Error(`${err.message}\n${procs.map((p) => p.output().slice(-1500)).join('\n---\n')}`); });
      const argv = procs[1]!;
      const cmdline = readFileSync(`/proc/${argv.child.pid}/cmdline`, 'utf8');
      assert.ok(!cmdline.includes(made.token), 'the token is gone from the process\'s command line');
      assert.match(cmdline, /\[token hidden\]/);
      assert.match(argv.output(), /WARNING: ENROLLMENT TOKEN ON THE COMMAND LINE/);
      assert.doesNotMatch(procs[0]!.output(), /WARNING/);
      for (const id of ['by-stdin', 'by-argv']) assert.ok(await c.store.trust.getAgent(id), `${id} enrolled`);
    } finally {
      for (const p of procs) p.child.kill('SIGKILL');
    }
  });
});
