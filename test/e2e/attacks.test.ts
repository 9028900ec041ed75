// The trust layer tried as an attacker would, against a controller on real
// gRPC sockets with mutual TLS and a real SQLite file. Each attempt is refused
// with a precise status, audited where it is an operator or agent act, and a
// well-behaved enrolled agent keeps being served throughout.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as grpc from '@grpc/grpc-js';
import type { Agent } from '../../agent/agent.ts';
import type { AgentIdentity } from '../../agent/trust/identity.ts';
import type { Controller } from '../../controller/controller.ts';
import { ControllerTrust } from '../../controller/trust/ca.ts';
import { signCommand } from '../../proto/command-signing.ts';
import type {
  AgentFrame, AgentLinkClient, Command__Output, CommandResult, CommandView__Output, ControllerFrame__Output, OperatorClient,
} from '../../proto/wire.ts';
import { firebreakPackage } from '../../proto/wire.ts';
import { prepareEnrollment } from '../../agent/trust/identity.ts';
import { eventually, tempDir } from '../helpers/procs.ts';
import {
  adminClient, agentLinkClient, enroll, inProcessAgent, inventory, operatorWithToken, startInProcessController, unary,
} from '../helpers/inproc.ts';

const pkg = firebreakPackage();
const hello = (agentId: string): AgentFrame => ({ hello: { agentId, bootId: randomBytes(8).toString('hex'), inventory, backend: 'DRY_RUN', sentAtMs: Date.now() } });

function open(client: AgentLinkClient) {
  const call = client.Connect();
  const frames: ControllerFrame__Output[] = [];
  call.on('data', (f: ControllerFrame__Output) => frames.push(f));
  call.on('error', () => {});
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  return { frames, status, send: (f: AgentFrame) => call.write(f), close: () => call.cancel() };
}

describe('attacks on the trust layer are refused, and the fleet keeps working', () => {
  const dir = tempDir();
  let c: Controller;
  let admin: OperatorClient;
  let goodClient: AgentLinkClient;
  let good: ReturnType<typeof open>;
  let seq = 0;
  const ids: Record<string, AgentIdentity> = {};

  async function goodAgentStillServed(): Promise<void> {
    const s = ++seq;
    good.send({ report: { seq: s, events: [] } });
    await eventually(async () => good.frames.some((f) => f.ack?.seq === s), 3000, `ack ${s} for the good agent`, 20);
  }

  async function auditActions(): Promise<string[]> {
    const res = await unary<{ entries: { action: string }[] }>(admin, 'ListAudit', { limit: 1000 });
    return res.entries.map((e) => e.action);
  }

  /**
   * Refused calls are audited one entry per peer address and minute ('calls.refused', counts by
   * action in its detail), written when the minute closes: flushed now, then summed for one action.
   */
  async function refusedInAudit(action: string): Promise<number> {
    await c.audit.flushRefused();
    const res = await unary<{ entries: { action: string; actor: string; detail: string }[] }>(admin, 'ListAudit', { limit: 1000 });
    return res.entries.filter((e) => e.action === 'calls.refused' && e.actor === 'peer:127.0.0.1')
      .reduce((n, e) => n + Number((JSON.parse(e.detail) as { byAction?: Record<string, number> }).byAction?.[action] ?? 0), 0);
  }

  before(async () => {
    c = await startInProcessController(join(dir.path, 'ctl'), { maxFramesPerSecond: 20 });
    admin = adminClient(c);
    for (const id of ['good', 'flooder', 'revokee', 'liar', 'victim', 'texter']) ids[id] = await enroll(c, id, dir.path);
    goodClient = agentLinkClient(c, ids['good']!);
    good = open(goodClient);
    good.send(hello('good'));
    await eventually(async () => good.frames.some((f) => f.welcome), 5000, 'welcome', 20);
  });

  after(async () => {
    good.close();
    goodClient.close();
    admin.close();
    await c.stop();
    dir.remove();
  });

  it('drops garbage bytes sent to the agent port', async () => {
    // the controller must close the connection itself: our timer firing is a failure, not a pass
    const outcome = await new Promise<string>((resolve) => {
      const sock = connect(c.agentPort, '127.0.0.1', () => sock.write(randomBytes(4096)));
      sock.on('error', () => resolve('closed by the controller'));
      sock.on('close', () => resolve('closed by the controller'));
      setTimeout(() => { resolve('still open after 5 s'); sock.destroy(); }, 5000);
    });
    assert.equal(outcome, 'closed by the controller');
    await goodAgentStillServed();
  });

  it('refuses a TLS client without a certificate, one from another CA, and a plain-text client', async () => {
    const ca = Buffer.from(c.trust.caCertPem);
    const other = await ControllerTrust.open(join(dir.path, 'other-ca'));
    const otherPrep = await prepareEnrollment(join(dir.path, 'other-agent'), 'good');
    const otherCert = (await other.signAgentCsr(otherPrep.csrPem, 'good')).certPem;
    const { readFileSync } = await import('node:fs');
    const attempts: [string, grpc.ChannelCredentials][] = [
      ['no client certificate', grpc.credentials.createSsl(ca)],
      ['certificate from another CA (naming an enrolled id)', grpc.credentials.createSsl(ca, readFileSync(otherPrep.keyPath), Buffer.from(otherCert))],
      ['plain text', grpc.credentials.createInsecure()],
    ];
    for (const [what, creds] of attempts) {
      const client = new pkg.AgentLink(`127.0.0.1:${c.agentPort}`, creds);
      const s = open(client);
      s.send(hello('good'));
      const st = await s.status;
      assert.equal(grpc.status[st.code], 'UNAVAILABLE', `${what}: ${st.details}`);
      assert.equal(s.frames.length, 0, `${what}: nothing served`);
      client.close();
      await goodAgentStillServed();
    }
  });

  it('refuses a Hello with a forged agent id, and audits it', async () => {
    const client = agentLinkClient(c, ids['liar']!);
    const s = open(client);
    s.send(hello('good'));
    const st = await s.status;
    assert.equal(grpc.status[st.code], 'PERMISSION_DENIED');
    assert.match(st.details, /'good' does not match the agent id 'liar'/);
    client.close();
    await eventually(async () => (await refusedInAudit('agent.refused')) >= 1, 3000, 'the refusal in the audit log');
    await goodAgentStillServed();
  });

  it('drops a revoked agent\'s live stream at once and refuses it afterwards', async () => {
    const client = agentLinkClient(c, ids['revokee']!);
    const live = open(client);
    live.send(hello('revokee'));
    await eventually(async () => live.frames.some((f) => f.welcome), 3000, 'welcome', 20);
    await unary(admin, 'RevokeAgent', { hostId: 'revokee' });
    const st = await live.status;
    assert.equal(grpc.status[st.code], 'PERMISSION_DENIED');
    assert.match(st.details, /revoked/);
    const again = open(client);
    again.send(hello('revokee'));
    const st2 = await again.status;
    assert.equal(grpc.status[st2.code], 'PERMISSION_DENIED');
    assert.match(st2.details, /was revoked/);
    client.close();
    assert.ok((await auditActions()).includes('agent.revoke'));
    await goodAgentStillServed();
  });

  it('refuses re-enrollment of an enrolled id until an admin allows it', async () => {
    await assert.rejects(enroll(c, 'good', join(dir.path, 'reimaged')), /already enrolled.*allow-reenroll good/);
    await goodAgentStillServed();
  });

  it('rate limits a flood of reports from one agent; the others are unaffected', async () => {
    const client = agentLinkClient(c, ids['flooder']!);
    const s = open(client);
    s.send(hello('flooder'));
    await eventually(async () => s.frames.some((f) => f.welcome), 3000, 'welcome', 20);
    for (let i = 1; i <= 1000; i++) s.send({ report: { seq: i, events: [] } });
    const st = await s.status;
    assert.equal(grpc.status[st.code], 'RESOURCE_EXHAUSTED');
    assert.match(st.details, /faster than 20\/s/);
    const acked = s.frames.filter((f) => f.ack).length;
    assert.ok(acked >= 50 && acked < 1000, `the burst allowance was served (${acked} acks), the flood was not`);
    client.close();
    await goodAgentStillServed();
  });

  it('refuses control characters and 1 MB strings in Hello text fields', async () => {
    const client = agentLinkClient(c, ids['texter']!);
    for (const [field, value] of [['hostname', 'x'.repeat(1024 * 1024)], ['os', 'linux\u0007'], ['kernel', 'k\nk'], ['cpuModel', 'y'.repeat(1024 * 1024)]] as const) {
      const s = open(client);
      s.send({ hello: { ...hello('texter').hello, inventory: { ...inventory, [field]: value } } });
      const st = await s.status;
      assert.equal(grpc.status[st.code], 'INVALID_ARGUMENT', field);
      assert.match(st.details, new RegExp(`hello.inventory.${field} (is \\d+ characters long|contains control characters)`));
    }
    const s = open(client);
    s.send(hello('texter'));
    await eventually(async () => s.frames.some((f) => f.welcome), 3000, 'welcome', 20);
    // evidence text is bounded, not refused: a 1 MB detail is stored cut to size
    s.send({ report: { seq: 1, events: [{ kind: 'CPU', signature: 'cpu.spike', value: 1, evidence: { detail: 'z'.repeat(1024 * 1024) } }] } });
    await eventually(async () => s.frames.some((f) => f.ack?.seq === 1), 3000, 'ack', 20);
    const ev = await unary<{ events: { event: { evidence: { detail: string } } }[] }>(admin, 'ListEvents', { hostId: 'texter' });
    assert.ok(ev.events[0]!.event.evidence.detail.length <= 1025);
    client.close();
    await goodAgentStillServed();
  });

  it('refuses an operator token of the wrong role, and audits the denial', async () => {
    const viewer = await unary<{ token: string }>(admin, 'AddOperator', { name: 'vera', role: 'viewer' });
    const v = operatorWithToken(c, viewer.token);
    const hosts = await unary<{ hosts: unknown[] }>(v, 'ListHosts', {});
    assert.ok(hosts.hosts.length >= 1, 'a viewer may read');
    for (const [method, req] of [['IssueCommand', { hostId: 'good', action: 'ISOLATE', reason: 'x' }], ['CreateEnrollmentToken', {}], ['RevokeAgent', { hostId: 'good' }]] as const) {
      await assert.rejects(unary(v, method, req), (err: grpc.ServiceError) => {
        assert.equal(grpc.status[err.code], 'PERMISSION_DENIED');
        assert.match(err.details, new RegExp(`${method} needs role (responder|admin); this credential has role viewer`));
        return true;
      });
    }
    const bogus = operatorWithToken(c, 'fbo_' + 'A'.repeat(43));
    await assert.rejects(unary(bogus, 'ListHosts', {}), (err: grpc.ServiceError) => grpc.status[err.code] === 'UNAUTHENTICATED');
    v.close();
    bogus.close();
    assert.ok((await refusedInAudit('rpc.denied')) >= 4, 'each denied call is counted in the audit log');
    await goodAgentStillServed();
  });

  describe('commands the agent must not trust', () => {
    let agent: Agent;
    const results: CommandResult[] = [];
    const resultFor = (id: string) => eventually(async () => results.find((r) => r.commandId === id), 5000, `result of ${id}`, 20);
    const session = () => c.gateway.online.get('victim')!;
    const base = (over: Partial<Command__Output> = {}): Command__Output => ({
      id: `cmd-test-${randomBytes(6).toString('hex')}`, targetAgentId: 'victim', action: 'BLOCK', params: 'block',
      block: { block: { id: 'b25', direction: 'OUT', protocol: 'TCP', ports: [{ from: 25, to: 25 }], remoteCidrs: [], remoteInternet: false, expiresAtMs: 0 }, force: false },
      issuer: 'operator:admin', reason: 'test', issuedAtMs: Date.now(), expiresAtMs: Date.now() + 60_000,
      nonce: randomBytes(16).toString('hex'), signature: Buffer.alloc(0), ...over,
    });
    const signed = (cmd: Command__Output) => ({ ...cmd, signature: signCommand(cmd, c.trust.commandSigningKey) });

    before(async () => {
      ({ agent } = inProcessAgent(c, ids['victim']!, join(dir.path, 'victim')));
      agent.results.on('result', (r: CommandResult) => results.push(r));
      await agent.start();
      await eventually(async () => c.gateway.online.has('victim'), 5000, 'victim online');
    });
    after(async () => { await agent.stop(); });

    it('applies a properly signed command (the control case)', async () => {
      const cmd = signed(base());
      await session().send({ command: cmd });
      assert.equal((await resultFor(cmd.id)).status, 'APPLIED');
    });

    it('refuses a tampered command (signed, then changed)', async () => {
      const cmd = signed(base());
      cmd.block!.block!.ports = [{ from: 22, to: 22 }];
      await session().send({ command: cmd });
      const r = await resultFor(cmd.id);
      assert.equal(r.status, 'FAILED');
      assert.match(r.message!, /signature_invalid/);
    });

    it('refuses an unsigned command', async () => {
      const cmd = base();
      await session().send({ command: cmd });
      assert.match((await resultFor(cmd.id)).message!, /signature_missing/);
    });

    it('refuses a command signed by another key', async () => {
      const other = await ControllerTrust.open(join(dir.path, 'other-ca'));
      const cmd = base();
      cmd.signature = signCommand(cmd, other.commandSigningKey);
      await session().send({ command: cmd });
      assert.match((await resultFor(cmd.id)).message!, /signature_invalid/);
    });

    it('refuses a retargeted command (validly signed for another agent)', async () => {
      const cmd = signed(base({ targetAgentId: 'good' }));
      await session().send({ command: cmd });
      assert.match((await resultFor(cmd.id)).message!, /wrong_target/);
    });

    it('refuses an expired command', async () => {
      const cmd = signed(base({ issuedAtMs: Date.now() - 600_000, expiresAtMs: Date.now() - 300_000 }));
      await session().send({ command: cmd });
      assert.match((await resultFor(cmd.id)).message!, /expired/);
    });

    it('refuses a replayed nonce under a new id', async () => {
      const first = signed(base());
      await session().send({ command: first });
      assert.equal((await resultFor(first.id)).status, 'APPLIED');
      const replay = signed(base({ nonce: first.nonce }));
      await session().send({ command: replay });
      assert.match((await resultFor(replay.id)).message!, /replayed/);
    });

    it('does not apply a re-delivered command twice', async () => {
      const cmd = signed(base({ block: { block: { id: 'b26', direction: 'OUT', protocol: 'TCP', ports: [{ from: 26, to: 26 }], remoteCidrs: [], remoteInternet: false, expiresAtMs: 0 }, force: false } }));
      const before = results.length;
      await session().send({ command: cmd });
      await session().send({ command: cmd });
      await eventually(async () => results.filter((r) => r.commandId === cmd.id).length >= 1 && results.length >= before + 1, 3000, 'result');
      assert.equal(results.filter((r) => r.commandId === cmd.id).length, 1, 'the repeat is answered from the ledger, not applied again');
    });

    it('a command tampered with in the controller\'s database is refused by the agent and marked failed', async () => {
      await agent.stop();
      await eventually(async () => !c.gateway.online.has('victim'), 5000, 'victim offline');
      const view = await unary<CommandView__Output>(admin, 'IssueCommand', { hostId: 'victim', action: 'RELEASE', reason: 'tamper me' });
      assert.equal(view.status, 'QUEUED');
      const db = new Database(join(dir.path, 'ctl', 'firebreak.db'));
      const row = db.prepare('SELECT body FROM commands WHERE id = ?').get(view.command!.id) as { body: string };
      db.prepare('UPDATE commands SET body = ? WHERE id = ?').run(row.body.replace('"RELEASE"', '"ISOLATE"'), view.command!.id);
      db.close();
      ({ agent } = inProcessAgent(c, ids['victim']!, join(dir.path, 'victim')));
      await agent.start();
      const done = await unary<CommandView__Output>(admin, 'WaitCommand', { commandId: view.command!.id, timeoutMs: 10_000 });
      assert.equal(done.status, 'FAILED');
      assert.match(done.resultMessage, /signature_invalid/);
      await goodAgentStillServed();
    });
  });

  it('audit verify catches a hand-edited row and names it', async () => {
    const ok = await unary<{ ok: boolean; count: number }>(admin, 'VerifyAudit', {});
    assert.equal(ok.ok, true);
    assert.ok(ok.count >= 5);
    const db = new Database(join(dir.path, 'ctl', 'firebreak.db'));
    db.prepare(`UPDATE audit SET actor = 'operator:nobody' WHERE seq = 3`).run();
    db.close();
    const bad = await unary<{ ok: boolean; firstBadSeq: number; problem: string }>(admin, 'VerifyAudit', {});
    assert.equal(bad.ok, false);
    assert.equal(bad.firstBadSeq, 3);
    assert.match(bad.problem, /edited/);
  });
});
