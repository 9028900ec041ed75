// Bad input from agents and operators, against a controller on real gRPC
// sockets with a real SQLite file (in this process, for speed): each is
// refused with a precise status, and a well-behaved agent streaming alongside
// keeps being served throughout.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Controller } from '../../controller/controller.ts';
import type { AgentFrame, AgentLinkClient, ControllerFrame__Output, IssueCommandRequest, OperatorClient } from '../../proto/wire.ts';
import { eventually, tempDir } from '../helpers/procs.ts';
import { adminClient, agentLinkClient, enroll, inventory, startInProcessController, unary } from '../helpers/inproc.ts';

const hello = (agentId: string, bootId = '0123456789abcdef'): AgentFrame => ({ hello: { agentId, bootId, inventory, backend: 'DRY_RUN', sentAtMs: Date.now() } });

interface Stream {
  frames: ControllerFrame__Output[];
  send(f: AgentFrame): void;
  status: Promise<grpc.StatusObject>;
  close(): void;
}

function open(client: AgentLinkClient, options: grpc.CallOptions = {}): Stream {
  const call = client.Connect(options);
  const frames: ControllerFrame__Output[] = [];
  call.on('data', (f: ControllerFrame__Output) => frames.push(f));
  call.on('error', () => {});
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  return { frames, send: (f) => call.write(f), status, close: () => { call.end(); call.cancel(); } };
}

describe('bad input is refused precisely and the fleet keeps working', () => {
  const dir = tempDir();
  let controller: Controller;
  let agentClient: AgentLinkClient;
  const clients: Record<string, AgentLinkClient> = {};
  let operator: OperatorClient;
  let good: Stream;
  let goodSeq = 0;

  /** The well-behaved agent sends a report and must get its ack. */
  async function goodAgentStillServed(): Promise<void> {
    const seq = ++goodSeq;
    good.send({ report: { seq, events: [] } });
    await eventually(async () => good.frames.some((f) => f.ack && f.ack.seq === seq), 3000, `ack of good report ${seq}`, 20);
  }

  before(async () => {
    controller = await startInProcessController(join(dir.path, 'ctl'));
    // every stream here is mutual TLS with an enrolled certificate: the bad input is in the frames
    for (const id of ['good-agent', 'prober', 'big-agent', 'dup-agent', 'mixed-agent']) {
      clients[id] = agentLinkClient(controller, await enroll(controller, id, dir.path), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
    }
    agentClient = clients['prober']!;
    operator = adminClient(controller);
    good = open(clients['good-agent']!);
    good.send(hello('good-agent'));
    await eventually(async () => good.frames.some((f) => f.welcome), 3000, 'welcome for the good agent', 20);
  });

  after(async () => {
    good.close();
    for (const c of Object.values(clients)) c.close();
    operator.close();
    await controller.stop();
    dir.remove();
  });

  const refusedHello = [
    { name: 'a missing agent id', frame: hello(''), code: grpc.status.INVALID_ARGUMENT, details: /agent_id is missing/ },
    { name: 'an overlong agent id', frame: hello('a'.repeat(300)), code: grpc.status.INVALID_ARGUMENT, details: /300 characters long; at most 63/ },
    { name: 'a path-like agent id', frame: hello('../clients/server'), code: grpc.status.INVALID_ARGUMENT, details: /malformed/ },
    { name: 'an agent id with control characters', frame: hello('a\u0000b'), code: grpc.status.INVALID_ARGUMENT, details: /malformed/ },
    { name: 'a Hello that claims another agent\'s id', frame: hello('good-agent'), code: grpc.status.PERMISSION_DENIED, details: /hello.agent_id 'good-agent' does not match the agent id 'prober' in the client certificate/ },
    { name: 'a malformed boot id', frame: hello('prober', 'x'), code: grpc.status.INVALID_ARGUMENT, details: /boot_id/ },
    { name: 'a report before Hello', frame: { report: { seq: 1, events: [] } }, code: grpc.status.FAILED_PRECONDITION, details: /first frame must be Hello, got report/ },
    { name: 'a heartbeat before Hello', frame: { heartbeat: { sentAtMs: 1 } }, code: grpc.status.FAILED_PRECONDITION, details: /first frame must be Hello/ },
    { name: 'an empty frame', frame: {}, code: grpc.status.FAILED_PRECONDITION, details: /first frame must be Hello/ },
  ] as const;

  for (const c of refusedHello) {
    it(`refuses ${c.name}`, async () => {
      const s = open(agentClient);
      s.send(c.frame as AgentFrame);
      const st = await s.status;
      assert.equal(grpc.status[st.code], grpc.status[c.code]);
      assert.match(st.details, c.details);
      assert.equal(s.frames.length, 0, 'no welcome, nothing else');
      await goodAgentStillServed();
    });
  }

  it('refuses a frame over the size limit on that stream only', async () => {
    const s = open(clients['big-agent']!);
    s.send(hello('big-agent'));
    await eventually(async () => s.frames.some((f) => f.welcome), 3000, 'welcome', 20);
    s.send({ report: { seq: 1, events: [{ kind: 'CPU', signature: 'cpu.spike', evidence: { detail: 'x'.repeat(5 * 1024 * 1024) } }] } });
    const st = await s.status;
    assert.equal(grpc.status[st.code], 'RESOURCE_EXHAUSTED');
    assert.match(st.details, /message larger than max/i);
    await goodAgentStillServed();
  });

  it('acknowledges and drops a report whose sequence number it already has', async () => {
    const s = open(clients['dup-agent']!);
    const boot = 'dup-boot-0001';
    s.send(hello('dup-agent', boot));
    await eventually(async () => s.frames.some((f) => f.welcome), 3000, 'welcome', 20);
    const report: AgentFrame = { report: { seq: 1, events: [{ kind: 'CPU', signature: 'cpu.spike', value: 90, baseline: 5, score: 9, count: 1, observedAtMs: Date.now() }] } };
    s.send(report);
    s.send(report);
    await eventually(async () => s.frames.filter((f) => f.ack?.seq === 1).length === 2, 3000, 'both copies acked', 20);
    s.close();
    // a reconnect of the same boot learns the seq it already has and resends nothing twice
    const again = open(clients['dup-agent']!);
    again.send(hello('dup-agent', boot));
    const welcome = await eventually(async () => again.frames.find((f) => f.welcome)?.welcome, 3000, 'welcome', 20);
    assert.equal(welcome!.lastSeq, 1);
    again.send(report);
    await eventually(async () => again.frames.some((f) => f.ack?.seq === 1), 3000, 'ack of the replayed report', 20);
    again.close();
    const events = await unary<{ events: unknown[] }>(operator, 'ListEvents', { hostId: 'dup-agent' });
    assert.equal(events.events.length, 1, 'the event is stored once');
    const host = await unary<{ reports: number }>(operator, 'GetHost', { hostId: 'dup-agent' });
    assert.equal(host.reports, 1, 'the report is counted once');
  });

  it('refuses malformed events one by one and keeps the rest of the report', async () => {
    const s = open(clients['mixed-agent']!);
    s.send(hello('mixed-agent'));
    await eventually(async () => s.frames.some((f) => f.welcome), 3000, 'welcome', 20);
    s.send({ report: { seq: 1, events: [
      { kind: 'CPU', signature: 'cpu.spike', value: 80 },
      { kind: 'CPU', signature: 'drop table; --' },
      { kind: 'ANOMALY_KIND_UNSPECIFIED', signature: 'cpu.spike' },
    ] } });
    await eventually(async () => s.frames.some((f) => f.ack?.seq === 1), 3000, 'ack', 20);
    s.close();
    const events = await unary<{ events: { event: { signature: string } }[] }>(operator, 'ListEvents', { hostId: 'mixed-agent' });
    assert.deepEqual(events.events.map((e) => e.event.signature), ['cpu.spike']);
  });

  const refusedCommands: { name: string; req: IssueCommandRequest; code: string; details: RegExp }[] = [
    { name: 'a command for an unknown host', req: { hostId: 'no-such-host', action: 'ISOLATE', reason: 'x' }, code: 'NOT_FOUND', details: /unknown host 'no-such-host'/ },
    { name: 'a malformed host id', req: { hostId: '../../etc', action: 'ISOLATE' }, code: 'INVALID_ARGUMENT', details: /host_id .* malformed/ },
    { name: 'port 0', req: { hostId: 'good-agent', action: 'BLOCK', block: { block: { id: 'b', direction: 'OUT', protocol: 'TCP', ports: [{ from: 0, to: 0 }] } } }, code: 'INVALID_ARGUMENT', details: /port.* 0 is out of range: ports are 1-65535/ },
    { name: 'port 70000', req: { hostId: 'good-agent', action: 'BLOCK', block: { block: { id: 'b', direction: 'OUT', protocol: 'TCP', ports: [{ from: 70000, to: 70000 }] } } }, code: 'INVALID_ARGUMENT', details: /70000 is out of range/ },
    { name: 'a backwards port range', req: { hostId: 'good-agent', action: 'BLOCK', block: { block: { id: 'b', direction: 'OUT', protocol: 'TCP', ports: [{ from: 90, to: 80 }] } } }, code: 'INVALID_ARGUMENT', details: /backwards/ },
    { name: 'an unknown protocol', req: { hostId: 'good-agent', action: 'BLOCK', block: { block: { id: 'b', direction: 'OUT', protocol: 7 as never, ports: [{ from: 25, to: 25 }] } } }, code: 'INVALID_ARGUMENT', details: /protocol 7 is not one of tcp, udp/ },
    { name: 'a missing protocol', req: { hostId: 'good-agent', action: 'BLOCK', block: { block: { id: 'b', direction: 'OUT', ports: [{ from: 25, to: 25 }] } } }, code: 'INVALID_ARGUMENT', details: /protocol "PROTOCOL_UNSPECIFIED" is not one of tcp, udp/ },
    { name: 'a bad CIDR', req: { hostId: 'good-agent', action: 'BLOCK', block: { block: { id: 'b', direction: 'OUT', protocol: 'TCP', ports: [{ from: 25, to: 25 }], remoteCidrs: ['10.0.0.0/33'] } } }, code: 'INVALID_ARGUMENT', details: /bad CIDR '10.0.0.0\/33': prefix must be 0-32/ },
    { name: 'a bad allowlist CIDR', req: { hostId: 'good-agent', action: 'ISOLATE', isolate: { allowlist: [{ cidr: 'example.com' }] } }, code: 'INVALID_ARGUMENT', details: /not an IPv4 or IPv6 address/ },
    { name: 'an unknown action', req: { hostId: 'good-agent', action: 'ACTION_UNSPECIFIED' }, code: 'INVALID_ARGUMENT', details: /action .* is not one of isolate, release, block, unblock/ },
    { name: 'a reason with control characters', req: { hostId: 'good-agent', action: 'RELEASE', reason: 'a\u001bb' }, code: 'INVALID_ARGUMENT', details: /reason contains control characters/ },
  ];

  for (const c of refusedCommands) {
    it(`refuses ${c.name} before anything is queued`, async () => {
      const before = await unary<{ commands: unknown[] }>(operator, 'ListCommands', {});
      await assert.rejects(unary(operator, 'IssueCommand', c.req), (err: grpc.ServiceError) => {
        assert.equal(grpc.status[err.code], c.code);
        assert.match(err.details, c.details);
        return true;
      });
      const afterList = await unary<{ commands: unknown[] }>(operator, 'ListCommands', {});
      assert.equal(afterList.commands.length, before.commands.length, 'nothing queued');
      await goodAgentStillServed();
    });
  }

  it('refuses a result an agent sends for a command addressed to another agent', async () => {
    const view = await unary<{ command: { id: string } }>(operator, 'IssueCommand', { hostId: 'dup-agent', action: 'RELEASE', reason: 'x' });
    good.send({ commandResult: { commandId: view.command.id, status: 'APPLIED', message: 'forged' } });
    await goodAgentStillServed();
    const after = await unary<{ status: string }>(operator, 'GetCommand', { commandId: view.command.id });
    assert.equal(after.status, 'QUEUED', 'the forged result changed nothing');
  });
});
