// Connection limits for the controller's three listeners (agent, enroll,
// operator). Each listener owns its TCP socket (a net.Server) and hands the
// connections it admits to its gRPC server through grpc-js's connection injector,
// so it can count, cap and time out what gRPC alone would accept without limit:
//
//   - a cap on concurrent connections, and one per source address;
//   - a cap on TLS handshakes in progress: the connections past it wait in a bounded
//     first-in-first-out queue for a slot (a connect storm drains instead of being
//     reset into retries), and only past the queue's bound or wait are they closed;
//   - a TLS handshake deadline (absolute from its start: a client dribbling bytes does not extend it);
//   - an idle timeout (no bytes either way), under gRPC's own keepalive pings;
//   - refusals (and TLS failures) counted, and logged at most once per 10 s.
//
// Each listener has its own limits, so a flood on one cannot take the others'
// connections; and the caps are fitted to the process's open-file limit with the
// operator listener's share and a reserve for files kept first, so a flood on the
// agent or enrollment port never leaves operators without a descriptor.
import type { EventEmitter } from 'node:events';
import { constants as cryptoConstants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

export type ListenerName = 'agent' | 'enroll' | 'operator';

export interface ConnectionLimits {
  /** connections open at once on this listener; more are reset at accept */
  maxConnections: number;
  /** connections open at once from one source address (0: no per-source cap, e.g. agents behind one NAT) */
  maxPerSource: number;
  /** a connection must finish its TLS handshake within this, from the handshake's start (accept, or leaving the queue) */
  handshakeTimeoutMs: number;
  /**
   * connections in their TLS handshake at once; more wait in the handshake queue. Node runs
   * handshakes on the one event loop, so a burst of 500 ClientHellos is most of a second
   * of work on it; this bounds what one burst can take from every other caller.
   */
  maxHandshakes: number;
  /**
   * connections waiting for a handshake slot, first in first out; past this they are reset
   * at accept. 0: no queue, reset whenever maxHandshakes are in progress (the behaviour
   * before: a 1,000-agent connect storm took 3,809 resets, each a retry after backoff).
   */
  maxQueuedHandshakes: number;
  /** a connection that waited this long in the handshake queue is closed (its client retries) */
  handshakeQueueTimeoutMs: number;
  /** a connection with no bytes either way for this long is closed */
  idleTimeoutMs: number;
}

/** Defaults, per listener. Agents hold one long stream each; enrollment and operator calls are short. */
export const DEFAULT_CONNECTION_LIMITS: Record<ListenerName, ConnectionLimits> = {
  // the agent queue holds a 10,000-agent connect storm (on a loaded 2-core machine its last agents waited
  // over 60 s: 1,192 of them started over at a 60 s wait); the others are bounded by their connection caps
  agent: { maxConnections: 20_000, maxPerSource: 512, handshakeTimeoutMs: 10_000, maxHandshakes: 64, maxQueuedHandshakes: 20_000, handshakeQueueTimeoutMs: 120_000, idleTimeoutMs: 5 * 60_000 },
  enroll: { maxConnections: 256, maxPerSource: 8, handshakeTimeoutMs: 10_000, maxHandshakes: 64, maxQueuedHandshakes: 256, handshakeQueueTimeoutMs: 30_000, idleTimeoutMs: 30_000 },
  operator: { maxConnections: 256, maxPerSource: 64, handshakeTimeoutMs: 10_000, maxHandshakes: 64, maxQueuedHandshakes: 256, handshakeQueueTimeoutMs: 30_000, idleTimeoutMs: 10 * 60_000 },
};

/** Descriptors kept for the store, logs, playbook files and outgoing connections: never given to listeners. */
export const FILE_RESERVE = 256;

/** The soft open-file limit of this process (Linux), if it can be read. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m) return undefined;
    return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
  } catch {
    return undefined;
  }
}

/**
 * Fits the agent and enrollment caps under the open-file limit after the operator
 * listener's cap and the file reserve: the operator API keeps its share whatever
 * the other two are flooded with.
 */
export function fitToFileLimit(
  limits: Record<ListenerName, ConnectionLimits>, fileLimit: number | undefined, log?: Logger,
): Record<ListenerName, ConnectionLimits> {
  if (fileLimit === undefined) return limits;
  const room = fileLimit - FILE_RESERVE - limits.operator.maxConnections;
  const asked = limits.agent.maxConnections + limits.enroll.maxConnections;
  if (asked <= room) return limits;
  const scale = Math.max(0, room) / asked;
  const fitted = {
    ...limits,
    agent: { ...limits.agent, maxConnections: Math.max(1, Math.floor(limits.agent.maxConnections * scale)) },
    enroll: { ...limits.enroll, maxConnections: Math.max(1, Math.floor(limits.enroll.maxConnections * scale)) },
  };
  log?.warn({
    fileLimit, operator: limits.operator.maxConnections, reserve: FILE_RESERVE,
    agent: fitted.agent.maxConnections, enroll: fitted.enroll.maxConnections,
  }, `the open-file limit (${fileLimit}) is below the connection caps: agent and enrollment caps lowered to fit; raise LimitNOFILE or lower --agent-max-connections`);
  return fitted;
}

export interface ListenerStats {
  open: number;
  accepted: number;
  /** reset at accept: the listener was full */
  refusedFull: number;
  /** reset at accept: that source address had its share */
  refusedPerSource: number;
  /** reset at accept: the handshake slots and the handshake queue were full */
  refusedHandshakes: number;
  /** connections that waited for a handshake slot (they were not refused) */
  queuedHandshakes: number;
  /** waiting for a handshake slot now */
  queued: number;
  /** closed after waiting handshakeQueueTimeoutMs in the queue */
  queueTimeouts: number;
  handshakeTimeouts: number;
  idleTimeouts: number;
  /** handshakes that failed (bad client certificate, not TLS at all, ...) */
  tlsErrors: number;
}

interface Conn {
  source: string;
  /** the handshake deadline, until the handshake is done */
  handshake: NodeJS.Timeout | undefined;
  /** when it joined the handshake queue, while it waits there */
  queuedAtMs: number | undefined;
}

const LOG_EVERY_MS = 10_000;

/** The gRPC server's HTTP/2 server behind an injector, to learn when a handshake completes (grpc-js keeps it in a private map). */
function tlsServerOf(server: grpc.Server, before: Set<unknown>): EventEmitter | undefined {
  const servers = (server as unknown as { http2Servers?: Map<unknown, unknown> }).http2Servers;
  if (!(servers instanceof Map)) return undefined;
  for (const k of servers.keys()) {
    if (!before.has(k) && k && typeof (k as EventEmitter).on === 'function') return k as EventEmitter;
  }
  return undefined;
}

/**
 * No TLS session tickets on our listeners: grpc-js clients (agents, the CLI) keep one
 * connection and never resume a session, and a TLS 1.3 server that issues tickets holds
 * about 15 KB more per open connection (measured: 46 -> 30 KB per idle mutual-TLS
 * connection, 1,000 connections) and encrypts two tickets in every handshake. grpc-js
 * builds its TLS server from the credentials' context options when the injector is made.
 */
function withoutSessionTickets(creds: grpc.ServerCredentials): void {
  const c = creds as unknown as { _getSecureContextOptions?(): Record<string, unknown> | null; updateSecureContextOptions?(o: Record<string, unknown>): void };
  const opts = c._getSecureContextOptions?.();
  if (!opts || typeof c.updateSecureContextOptions !== 'function') return;
  const secureOptions = (typeof opts.secureOptions === 'number' ? opts.secureOptions : 0) | cryptoConstants.SSL_OP_NO_TICKET;
  if (opts.secureOptions !== secureOptions) c.updateSecureContextOptions({ ...opts, secureOptions });
}

function splitHostPort(addr: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(addr) ?? /^([^:]*):(\d+)$/.exec(addr);
  if (!m) throw new Error(`cannot listen on ${addr}: expected host:port or [ipv6]:port`);
  return { host: m[1] || '0.0.0.0', port: Number(m[2]) };
}

export class GuardedListener {
  readonly stats: ListenerStats = {
    open: 0, accepted: 0, refusedFull: 0, refusedPerSource: 0, refusedHandshakes: 0, queuedHandshakes: 0, queued: 0, queueTimeouts: 0,
    handshakeTimeouts: 0, idleTimeouts: 0, tlsErrors: 0,
  };
  private readonly perSource = new Map<string, number>();
  private readonly conns = new Map<Socket, Conn>();
  /** connections waiting for a handshake slot; a Set keeps insertion order, so it is first in, first out, with O(1) removal */
  private readonly queue = new Set<Socket>();
  private queueSweep: NodeJS.Timeout | undefined;
  private injector: { injectConnection(s: Socket): void } | undefined;
  private seesHandshakes = false;
  private net: Server | undefined;
  private closing = false;
  private lastLogMs = 0;
  /** connections admitted whose TLS handshake is not done yet */
  private handshaking = 0;
  private unlogged = { full: 0, perSource: 0, handshakes: 0, handshake: 0, tls: 0, queue: 0 };

  constructor(
    readonly name: ListenerName,
    private readonly server: grpc.Server,
    private readonly creds: grpc.ServerCredentials,
    readonly limits: ConnectionLimits,
    private readonly log: Logger,
    /** told of each refused or timed-out connection, by reason (full, per_source, handshake_timeout, tls_error, idle) */
    private readonly count: (reason: string) => void = () => {},
  ) {}

  /** Listens on host:port (port 0 picks one); resolves with the port. */
  listen(addr: string): Promise<number> {
    const { host, port } = splitHostPort(addr);
    const servers = (this.server as unknown as { http2Servers?: Map<unknown, unknown> }).http2Servers;
    const before = new Set(servers instanceof Map ? servers.keys() : []);
    withoutSessionTickets(this.creds);
    this.injector = this.server.createConnectionInjector(this.creds);
    const tls = tlsServerOf(this.server, before);
    this.seesHandshakes = tls !== undefined;
    if (tls) {
      tls.on('secureConnection', (s: TLSSocket) => {
        const conn = this.conns.get((s as unknown as { _parent?: Socket })._parent as Socket);
        if (conn?.handshake) { clearTimeout(conn.handshake); conn.handshake = undefined; this.handshaking--; this.drainQueue(); }
      });
      tls.on('tlsClientError', (_err: Error, s: TLSSocket) => {
        this.stats.tlsErrors++;
        this.count('tls_error');
        this.unlogged.tls++;
        this.maybeLog();
        s.destroy();
      });
    } else {
      this.log.warn({ listener: this.name }, 'cannot see TLS handshakes in this grpc-js version: connections are bounded by the idle timeout only');
    }
    const net = createServer({ noDelay: true }, (raw) => this.accept(raw));
    this.net = net;
    return new Promise((resolve, reject) => {
      net.once('error', (err) => reject(new Error(`cannot listen on ${addr}: ${err.message}`)));
      net.listen({ host, port, backlog: 1024 }, () => {
        net.on('error', (err) => this.log.error({ err, listener: this.name }, 'listener error'));
        resolve((net.address() as { port: number }).port);
      });
    });
  }

  private accept(raw: Socket): void {
    raw.on('error', () => {}); // a reset peer is not our error; the TLS layer reports what matters
    const source = (raw.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (this.closing || !source) { raw.destroy(); return; }
    const fromSource = this.perSource.get(source) ?? 0;
    const { maxConnections, maxPerSource, maxHandshakes, maxQueuedHandshakes } = this.limits;
    const full = this.stats.open >= maxConnections;
    const perSource = maxPerSource > 0 && fromSource >= maxPerSource;
    // every slot taken: wait in the queue (behind any already waiting), unless it is full too
    const wait = this.seesHandshakes && (this.handshaking >= maxHandshakes || this.queue.size > 0);
    const handshakes = wait && this.queue.size >= maxQueuedHandshakes;
    if (full || perSource || handshakes) {
      if (full) { this.stats.refusedFull++; this.unlogged.full++; this.count('full'); }
      else if (perSource) { this.stats.refusedPerSource++; this.unlogged.perSource++; this.count('per_source'); }
      else { this.stats.refusedHandshakes++; this.unlogged.handshakes++; this.count('handshakes'); }
      this.maybeLog(source);
      // a reset frees the descriptor at once (no TIME_WAIT here) and tells the peer plainly
      raw.resetAndDestroy();
      return;
    }
    this.stats.open++;
    this.stats.accepted++;
    this.perSource.set(source, fromSource + 1);
    const conn: Conn = { source, handshake: undefined, queuedAtMs: undefined };
    this.conns.set(raw, conn);
    raw.once('close', () => {
      if (conn.queuedAtMs !== undefined) { this.queue.delete(raw); this.stats.queued = this.queue.size; }
      this.conns.delete(raw);
      this.stats.open--;
      const n = (this.perSource.get(source) ?? 1) - 1;
      if (n <= 0) this.perSource.delete(source); else this.perSource.set(source, n);
      if (conn.handshake) { clearTimeout(conn.handshake); this.handshaking--; this.drainQueue(); }
    });
    if (wait) {
      // its ClientHello waits in the socket's buffer (no TLS reads it yet), as a kernel backlog would hold it
      conn.queuedAtMs = Date.now();
      this.queue.add(raw);
      this.stats.queued = this.queue.size;
      this.stats.queuedHandshakes++;
      this.queueSweep ??= setInterval(() => this.sweepQueue(), Math.min(1000, this.limits.handshakeQueueTimeoutMs)).unref();
      if (this.handshaking < maxHandshakes) this.drainQueue();
      return;
    }
    this.admit(raw, conn);
  }

  /** Starts a connection's TLS handshake: the deadline, the idle timeout, and gRPC's TLS server. */
  private admit(raw: Socket, conn: Conn): void {
    if (this.seesHandshakes) {
      this.handshaking++;
      conn.handshake = setTimeout(() => {
        this.stats.handshakeTimeouts++;
        this.count('handshake_timeout');
        this.unlogged.handshake++;
        this.maybeLog(conn.source);
        raw.destroy();
      }, this.limits.handshakeTimeoutMs);
      conn.handshake.unref();
    }
    // activity on the TLS socket on top refreshes this one too (Node walks a socket's parents)
    raw.setTimeout(this.limits.idleTimeoutMs, () => {
      this.stats.idleTimeouts++;
      this.count('idle');
      raw.destroy();
    });
    this.injector!.injectConnection(raw);
  }

  /** A handshake slot freed: the oldest waiting connections take the free slots. */
  private drainQueue(): void {
    if (this.closing) return;
    for (const raw of this.queue) {
      if (this.handshaking >= this.limits.maxHandshakes) break;
      this.queue.delete(raw);
      const conn = this.conns.get(raw);
      if (!conn || raw.destroyed) continue;
      conn.queuedAtMs = undefined;
      this.admit(raw, conn);
    }
    this.stats.queued = this.queue.size;
    if (this.queue.size === 0 && this.queueSweep) { clearInterval(this.queueSweep); this.queueSweep = undefined; }
  }

  /** Closes the connections that waited too long; they are the oldest, at the head of the queue. */
  private sweepQueue(): void {
    const cutoff = Date.now() - this.limits.handshakeQueueTimeoutMs;
    for (const raw of this.queue) {
      const conn = this.conns.get(raw);
      if (conn && conn.queuedAtMs !== undefined && conn.queuedAtMs > cutoff) break;
      this.queue.delete(raw);
      if (conn) conn.queuedAtMs = undefined;
      this.stats.queueTimeouts++;
      this.unlogged.queue++;
      this.count('queue_timeout');
      raw.destroy();
    }
    this.stats.queued = this.queue.size;
    if (this.unlogged.queue > 0) this.maybeLog();
    if (this.queue.size === 0 && this.queueSweep) { clearInterval(this.queueSweep); this.queueSweep = undefined; }
  }

  private maybeLog(source?: string): void {
    const now = Date.now();
    if (now - this.lastLogMs < LOG_EVERY_MS) return;
    const seconds = this.lastLogMs === 0 ? 0 : Math.round((now - this.lastLogMs) / 1000);
    this.lastLogMs = now;
    const u = this.unlogged;
    this.unlogged = { full: 0, perSource: 0, handshakes: 0, handshake: 0, tls: 0, queue: 0 };
    this.log.warn({
      listener: this.name, lastSource: source, refusedFull: u.full, refusedPerSource: u.perSource, refusedHandshakes: u.handshakes, handshakeTimeouts: u.handshake, tlsErrors: u.tls,
      queueTimeouts: u.queue, queued: this.queue.size,
      open: this.stats.open, maxConnections: this.limits.maxConnections, maxPerSource: this.limits.maxPerSource,
    }, `${this.name} port under pressure${seconds ? ` (last ${seconds} s)` : ''}: ${u.full} connections refused (listener full), ${u.perSource} refused (per-source cap), ${u.handshakes} refused (handshake slots and queue full), ${u.queue} closed after waiting ${this.limits.handshakeQueueTimeoutMs / 1000} s for a handshake slot (${this.queue.size} waiting), ${u.handshake} handshake timeouts, ${u.tls} TLS failures; logged at most every 10 s`);
  }

  /** Stops accepting and closes every connection still open. */
  close(): Promise<void> {
    this.closing = true;
    if (this.queueSweep) { clearInterval(this.queueSweep); this.queueSweep = undefined; }
    this.queue.clear();
    for (const raw of this.conns.keys()) raw.destroy();
    return new Promise((resolve) => (this.net ? this.net.close(() => resolve()) : resolve()));
  }
}
