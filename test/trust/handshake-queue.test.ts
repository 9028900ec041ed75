// The agent port's handshake cap queues a connect storm instead of resetting it:
// real TCP and TLS on loopback into a GuardedListener (controller/net-limits.ts)
// in front of a real grpc-js server. Connections past the handshakes in progress
// wait, first in first out, and each finishes its handshake once a slot frees;
// the queue is bounded (past it: reset at accept) and so is the wait (past it:
// closed); with the queue off (0) the old reset-at-accept behaviour is kept.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { DEFAULT_CONNECTION_LIMITS, GuardedListener, type ConnectionLimits } from '../../controller/net-limits.ts';
import { ControllerTrust } from '../../controller/trust/ca.ts';
import { eventually, tempDir } from '../helpers/procs.ts';

const silent = pino({ level: 'silent' });
const dir = tempDir('fb-handshake-queue-');
let creds: grpc.ServerCredentials;
const open: { listener: GuardedListener; server: grpc.Server }[] = [];
const sockets: Socket[] = [];

before(async () => {
  const trust = await ControllerTrust.open(join(dir.path, 'trust'));
  const sc = await trust.ensureServerCert([]);
  creds = grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(sc.certChainPem), private_key: Buffer.from(sc.keyPem) }], false);
});

after(async () => {
  for (const s of sockets) s.destroy();
  for (const { listener, server } of open) { await listener.close(); server.forceShutdown(); }
  dir.remove();
});

async function listen(over: Partial<ConnectionLimits>): Promise<{ listener: GuardedListener; port: number }> {
  const server = new grpc.Server();
  const listener = new GuardedListener('agent', server, creds, { ...DEFAULT_CONNECTION_LIMITS.agent, maxPerSource: 0, ...over }, silent);
  open.push({ listener, server });
  return { listener, port: await listener.listen('127.0.0.1:0') };
}

/** A TLS client: resolves 'done' when its handshake completes, 'closed' when the server closes or resets it first. */
function handshake(port: number): Promise<'done' | 'closed'> {
  return new Promise((resolve) => {
    const s = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['h2'] });
    sockets.push(s);
    s.once('secureConnect', () => resolve('done'));
    s.on('error', () => resolve('closed'));
    s.once('close', () => resolve('closed'));
  });
}

/** A TCP connection that never says ClientHello: it holds a handshake slot (or a place in the queue) until a deadline. */
function silentConnection(port: number): { socket: Socket; closed: Promise<void> } {
  const socket = tcpConnect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  return { socket, closed: new Promise((resolve) => socket.once('close', () => resolve())) };
}

describe('the handshake queue', () => {
  it('serves a storm of 40 handshakes through 2 slots without a reset', async () => {
    const { listener, port } = await listen({ maxHandshakes: 2, maxQueuedHandshakes: 100 });
    const results = await Promise.all(Array.from({ length: 40 }, () => handshake(port)));
    assert.equal(results.filter((r) => r === 'done').length, 40, `handshakes: ${JSON.stringify(listener.stats)}`);
    assert.equal(listener.stats.refusedHandshakes, 0);
    assert.ok(listener.stats.queuedHandshakes > 0, 'some connections waited for a slot');
    assert.equal(listener.stats.queued, 0);
  });

  it('with the queue off (0), the same storm is reset past the slots, as before', async () => {
    const { listener, port } = await listen({ maxHandshakes: 2, maxQueuedHandshakes: 0 });
    const results = await Promise.all(Array.from({ length: 40 }, () => handshake(port)));
    assert.ok(listener.stats.refusedHandshakes > 0, `resets: ${JSON.stringify(listener.stats)}`);
    assert.equal(results.filter((r) => r === 'closed').length, listener.stats.refusedHandshakes);
    assert.equal(listener.stats.queuedHandshakes, 0);
  });

  it('bounds the queue (reset past it) and hands a freed slot to the oldest waiting connection', async () => {
    const { listener, port } = await listen({ maxHandshakes: 1, maxQueuedHandshakes: 2, handshakeTimeoutMs: 10_000 });
    const holder = silentConnection(port);
    await eventually(async () => listener.stats.open === 1, 2000, 'the slot taken', 10);
    const first = handshake(port);
    await eventually(async () => listener.stats.queued === 1, 2000, 'first queued', 10);
    const second = handshake(port);
    await eventually(async () => listener.stats.queued === 2, 2000, 'second queued', 10);
    assert.equal(await handshake(port), 'closed', 'the third past the bound is reset');
    assert.equal(listener.stats.refusedHandshakes, 1);
    holder.socket.destroy(); // frees the slot: the queue drains in order, each handshake taking the freed slot
    assert.deepEqual(await Promise.all([first, second]), ['done', 'done']);
    assert.equal(listener.stats.queued, 0);
    assert.equal(listener.stats.handshakeTimeouts, 0);
  });

  it('closes a connection that waited past the queue timeout, and counts it', async () => {
    const { listener, port } = await listen({ maxHandshakes: 1, maxQueuedHandshakes: 10, handshakeTimeoutMs: 10_000, handshakeQueueTimeoutMs: 300 });
    silentConnection(port);
    await eventually(async () => listener.stats.open === 1, 2000, 'the slot taken', 10);
    const t0 = Date.now();
    const waiting = silentConnection(port);
    await waiting.closed;
    const waited = Date.now() - t0;
    assert.ok(waited >= 250 && waited < 3000, `closed after ${waited} ms in the queue`);
    assert.equal(listener.stats.queueTimeouts, 1);
    assert.equal(listener.stats.queued, 0);
    assert.equal(listener.stats.handshakeTimeouts, 0, 'the slot holder is still within its handshake deadline');
  });
});
