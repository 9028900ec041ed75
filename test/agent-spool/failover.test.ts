// The link with several controller addresses ("a:p,b:p"), over real gRPC on
// loopback: a dead first address costs one attempt, a controller that accepts
// but never welcomes is left after the welcome timeout, a controller that dies
// is replaced by the next and the spool's unacked reports reach it (none lost),
// and with both up the link stays on the first.
//
// The controllers here are fakes (a minimal AgentLink service over one shared
// "store" map, as several controllers share one PostgreSQL store): the real
// controller's side of several controllers is being built at the same time,
// and what is tested is the agent's link. link.test.ts does the same.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it, test, type TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { AgentConfigSchema, controllerListProblems, defaultEnrollAddress } from '../../agent/config.ts';
import { Link } from '../../agent/link.ts';
import { Spool } from '../../agent/spool.ts';
import type { AgentFrame__Output, ControllerFrame } from '../../proto/wire.ts';
import { firebreakPackage } from '../../proto/wire.ts';
import { inventory, silent } from '../helpers/inproc.ts';
import { eventually, tempDir } from '../helpers/procs.ts';

/** What the controllers of one deployment share: the reports stored, by boot and seq. */
class SharedStore {
  readonly seqs = new Map<string, Set<number>>();
  duplicates = 0;
  /** when each report was stored, and by which controller */
  readonly log: { seq: number; by: string; atMs: number }[] = [];

  put(boot: string, seq: number, by: string): void {
    const s = this.seqs.get(boot) ?? new Set<number>();
    this.seqs.set(boot, s);
    if (s.has(seq)) { this.duplicates++; return; }
    s.add(seq);
    this.log.push({ seq, by, atMs: Date.now() });
  }

  /** the highest seq held with every one before it, as a Welcome's last_seq */
  contiguous(boot: string): number {
    const s = this.seqs.get(boot);
    let n = 0;
    while (s?.has(n + 1)) n++;
    return n;
  }
}

interface FakeController {
  name: string;
  address: string;
  hellos: number;
  /** 'serve': welcome, store, ack; 'stall': take reports, neither store nor ack; 'mute': never welcome */
  mode: 'serve' | 'stall' | 'mute';
  received: number;
  kill(): void;
}

async function fakeController(name: string, store: SharedStore, mode: FakeController['mode'] = 'serve'): Promise<FakeController> {
  const server = new grpc.Server();
  const fc: FakeController = { name, address: '', hellos: 0, mode, received: 0, kill: () => server.forceShutdown() };
  server.addService(firebreakPackage().AgentLink.service, {
    Connect: (call: grpc.ServerDuplexStream<AgentFrame__Output, ControllerFrame>) => {
      let boot = '';
      call.on('data', (f: AgentFrame__Output) => {
        if (f.body === 'hello') {
          fc.hellos++;
          boot = f.hello!.bootId;
          if (fc.mode !== 'mute') call.write({ welcome: { controllerTimeMs: Date.now(), heartbeatIntervalMs: 60_000, lastSeq: store.contiguous(boot) } });
        } else if (f.body === 'report') {
          fc.received++;
          if (fc.mode !== 'serve') return;
          store.put(boot, Number(f.report!.seq), name);
          call.write({ ack: { bootId: boot, seq: store.contiguous(boot) } });
        }
      });
      call.on('error', () => {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  fc.address = `127.0.0.1:${port}`;
  return fc;
}

/** A loopback port nothing listens on (bound, then closed): connects are refused. */
async function deadAddress(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return `127.0.0.1:${port}`;
}

function capture(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s)); } }) };
}

function newLink(t: { after: (fn: () => void) => void }, address: string, log = silent, over: { welcomeTimeoutMs?: number } = {}): Link {
  const dir = tempDir(); t.after(() => dir.remove());
  const spool = Spool.open({ file: join(dir.path, 'spool.log'), maxBytes: 1 << 20, fsync: false, log: silent });
  const link = new Link({
    address, log, spool, backoffInitialMs: 200, backoffMaxMs: 400, ...over,
    hello: () => ({ agentId: 'a1', inventory, backend: 'DRY_RUN' }),
    heartbeat: () => ({}),
    onCommand: async () => { throw new Error('no commands here'); },
  });
  t.after(() => link.stop());
  return link;
}

const report = (link: Link, i: number) => link.report({ events: [{ kind: 'CONN_FANOUT', signature: `conn.fanout/tcp:${i}`, observedAtMs: Date.now(), value: 1, baseline: 0, score: 1, count: 1 }] });

test('first address dead (nothing listening): the link connects to the second at once, and says so', async (t) => {
  const store = new SharedStore();
  const b = await fakeController('b', store);
  t.after(() => b.kill());
  const dead = await deadAddress();
  const { log, lines } = capture();
  const link = newLink(t, `${dead},${b.address}`, log);
  const started = Date.now();
  link.start();
  await eventually(async () => link.connected, 5000, 'the link to reach the second controller', 20);
  const tookMs = Date.now() - started;
  t.diagnostic(`connected to the second address ${tookMs} ms after start`);
  assert.equal(link.address, b.address);
  assert.equal(link.delays.length, 0, 'no backoff inside a round: the dead address cost one attempt');
  assert.ok(tookMs < 2000, `took ${tookMs} ms`);
  assert.equal(link.failovers[0]?.from, dead);
  assert.ok(lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith(`controller ${dead} unreachable (UNAVAILABLE`) && l.msg.endsWith(`trying ${b.address}`)),
    `a failover line: ${JSON.stringify(lines.map((l) => l.msg))}`);
});

test('a controller that accepts but never welcomes is left after the welcome timeout', async (t) => {
  const store = new SharedStore();
  const a = await fakeController('a', store, 'mute');
  const b = await fakeController('b', store);
  t.after(() => { a.kill(); b.kill(); });
  const link = newLink(t, `${a.address},${b.address}`, silent, { welcomeTimeoutMs: 300 });
  link.start();
  await eventually(async () => link.connected, 5000, 'the link to reach the second controller', 20);
  assert.equal(a.hellos, 1);
  assert.equal(link.address, b.address);
  assert.match(link.failovers[0]!.reason, /no Welcome within 300 ms/);
});

/** Two live controllers on one store and a link listing both, connected. */
async function twoUp(t: TestContext) {
  const store = new SharedStore();
  const a = await fakeController('a', store);
  const b = await fakeController('b', store);
  t.after(() => { a.kill(); b.kill(); });
  const link = newLink(t, `${a.address},${b.address}`);
  link.start();
  await eventually(async () => link.connected, 5000, 'the link to connect', 20);
  return { store, a, b, link };
}

test('the controller in use dies: the link moves to the next and re-sends every unacked report, none lost', async (t) => {
  const { store, a, b, link } = await twoUp(t);
  for (let i = 1; i <= 10; i++) report(link, i);
  await eventually(async () => link.spooled === 0, 5000, 'the first ten reports acked by a', 20);
  // a hangs: it takes reports and neither stores nor acks them; then it dies
  a.mode = 'stall';
  for (let i = 11; i <= 30; i++) report(link, i);
  await eventually(async () => a.received >= 30, 5000, 'a to receive the reports it will not store', 20);
  assert.equal(link.spooled, 20, 'twenty reports unacked in the spool');
  const killedAt = Date.now();
  a.kill();
  // written while the link moves
  for (let i = 31; i <= 40; i++) report(link, i);
  await eventually(async () => link.connected && link.address === b.address, 5000, 'the link to move to b', 20);
  await eventually(async () => link.spooled === 0, 5000, 'every report acked by b', 20);
  const firstOnB = store.log.find((e) => e.by === 'b')!;
  t.diagnostic(`a killed -> first report stored on b: ${firstOnB.atMs - killedAt} ms; -> all 30 on b: ${store.log.at(-1)!.atMs - killedAt} ms`);
  assert.ok(firstOnB.atMs - killedAt < 2000, `first report on b ${firstOnB.atMs - killedAt} ms after a died`);
  const boot = link.bootId;
  assert.deepEqual([...store.seqs.get(boot)!].sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i + 1), 'every report stored');
  assert.equal(store.duplicates, 0, 'b was not sent what a had stored (its Welcome said so)');
  assert.equal(store.log.filter((e) => e.by === 'b').length, 30);
  assert.equal(link.delays.length, 0, 'no backoff: b was tried at once');
});

test('both controllers up: the link stays on the first', async (t) => {
  const { store, a, b, link } = await twoUp(t);
  for (let i = 0; i < 20; i++) await link.roundTrip(2000);
  assert.equal(link.address, a.address);
  assert.equal(b.hellos, 0);
  assert.equal(link.failovers.length, 0);
  assert.equal(store.log.length, 20);
  assert.ok(store.log.every((e) => e.by === 'a'));
});

test('every controller down: a backoff per full round, not per address', async (t) => {
  const [d1, d2] = [await deadAddress(), await deadAddress()];
  const link = newLink(t, `${d1},${d2}`);
  link.start();
  await eventually(async () => link.failovers.length >= 6, 5000, 'three rounds of attempts', 20);
  // each round: d1 then d2 at once, then a backoff; three rounds, so at least two backoffs and never one per address
  assert.deepEqual(link.failovers.slice(0, 6).map((f) => f.from), [d1, d2, d1, d2, d1, d2]);
  const [tries, backoffs] = [link.failovers.length, link.delays.length];
  assert.equal(backoffs, Math.floor(tries / 2), `${backoffs} backoffs after ${tries} failed attempts`);
});

describe('the controller setting', () => {
  const parse = (controller: string) => AgentConfigSchema.safeParse({ agentId: 'a1', controller, dataDir: '/tmp/x', detect: {} });
  it('one address works as before; several are comma-separated, IPv6 in brackets', () => {
    assert.ok(parse('10.0.0.5:7443').success);
    assert.ok(parse('ctl-a:7443,ctl-b:7443,[fd00::1]:7443').success);
    assert.ok(parse('ctl-a:7443, ctl-b:8443').success, 'spaces after commas');
  });
  it('each bad entry is named with what is wrong', () => {
    assert.deepEqual(controllerListProblems('ctl-a:7443,ctl-b'), ["entry 2 of 2 ('ctl-b'): expected HOST:PORT, e.g. 10.0.0.5:7443 or [fd00::1]:7443; several controllers are comma-separated"]);
    assert.deepEqual(controllerListProblems('ctl-a:7443,'), ['entry 2 of 2 is empty (a stray comma?)']);
    assert.deepEqual(controllerListProblems('ctl-a:7443,ctl-b:70000'), ["entry 2 of 2 ('ctl-b:70000'): port must be 1-65535"]);
    assert.deepEqual(controllerListProblems('a:1,b:2,a:1'), ["entry 3 of 3 ('a:1'): repeats entry 1; list each controller once"]);
    assert.deepEqual(controllerListProblems('nope'), ['expected HOST:PORT, e.g. 10.0.0.5:7443 or [fd00::1]:7443']);
    const r = parse('ctl-a:7443,ctl-b');
    assert.ok(!r.success && r.error.issues[0]!.message.startsWith("entry 2 of 2 ('ctl-b')"));
  });
  it('enrollment defaults to the first controller\'s host', () => {
    assert.equal(defaultEnrollAddress('ctl-a:7443,ctl-b:7443'), 'ctl-a:7445');
    assert.equal(defaultEnrollAddress('[fd00::1]:7443,ctl-b:7443'), '[fd00::1]:7445');
    assert.equal(defaultEnrollAddress('10.0.0.5:7443'), '10.0.0.5:7445');
  });
});
