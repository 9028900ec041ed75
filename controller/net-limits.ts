// Connection limits for the controller's three listeners (agent, enroll,
// operator). Each listener owns its TCP socket (a net.Server) and hands the
// connections it admits to its gRPC server through grpc-js's connection injector,
// so it can count, cap and time out what gRPC alone would accept without limit:
//
//   - a cap on concurrent connections, and one per source address;
//   - a TLS handshake deadline (absolute: a client dribbling bytes does not extend it);
//   - an idle timeout (no bytes either way), under gRPC's own keepalive pings;
//   - refusals (and TLS failures) counted, and logged at most once per 10 s.
//
// Each listener has its own limits, so a flood on one cannot take the others'
// connections; and the caps are fitted to the process's open-file limit with the
// operator listener's share and a reserve for files kept first, so a flood on the
// agent or enrollment port never leaves operators without a descriptor.
import type { EventEmitter } from 'node:events';
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
  /** a connection must finish its TLS handshake within this, from accept */
  handshakeTimeoutMs: number;
  /**
   * connections still in their TLS handshake at once: more are reset at accept. Node runs
   * handshakes on the one event loop, so a burst of 500 ClientHellos is most of a second
   * of work on it; this bounds what one burst can take from every other caller.
   */
  maxHandshakes: number;
  /** a connection with no bytes either way for this long is closed */
  idleTimeoutMs: number;
}

/** Defaults, per listener. Agents hold one long stream each; enrollment and operator calls are short. */
export const DEFAULT_CONNECTION_LIMITS: Record<ListenerName, ConnectionLimits> = {
  agent: { maxConnections: 20_000, maxPerSource: 512, handshakeTimeoutMs: 10_000, maxHandshakes: 64, idleTimeoutMs: 5 * 60_000 },
  enroll: { maxConnections: 256, maxPerSource: 8, handshakeTimeoutMs: 10_000, maxHandshakes: 64, idleTimeoutMs: 30_000 },
  operator: { maxConnections: 256, maxPerSource: 64, handshakeTimeoutMs: 10_000, maxHandshakes: 64, idleTimeoutMs: 10 * 60_000 },
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
  /** reset at accept: too many handshakes in progress */
  refusedHandshakes: number;
  handshakeTimeouts: number;
  idleTimeouts: number;
  /** handshakes that failed (bad client certificate, not TLS at all, ...) */
  tlsErrors: number;
}

interface Conn {
  source: string;
  /** the handshake deadline, until the handshake is done */
  handshake: NodeJS.Timeout | undefined;
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

function splitHostPort(addr: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(addr) ?? /^([^:]*):(\d+)$/.exec(addr);
  if (!m) throw new Error(`cannot listen on ${addr}: expected host:port or [ipv6]:port`);
  return { host: m[1] || '0.0.0.0', port: Number(m[2]) };
}

export class GuardedListener {
  readonly stats: ListenerStats = { open: 0, accepted: 0, refusedFull: 0, refusedPerSource: 0, refusedHandshakes: 0, handshakeTimeouts: 0, idleTimeouts: 0, tlsErrors: 0 };
  private readonly perSource = new Map<string, number>();
  private readonly conns = new Map<Socket, Conn>();
  private net: Server | undefined;
  private closing = false;
  private lastLogMs = 0;
  /** connections admitted whose TLS handshake is not done yet */
  private handshaking = 0;
  private unlogged = { full: 0, perSource: 0, handshakes: 0, handshake: 0, tls: 0 };

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
    const injector = this.server.createConnectionInjector(this.creds);
    const tls = tlsServerOf(this.server, before);
    if (tls) {
      tls.on('secureConnection', (s: TLSSocket) => {
        const conn = this.conns.get((s as unknown as { _parent?: Socket })._parent as Socket);
        if (conn?.handshake) { clearTimeout(conn.handshake); conn.handshake = undefined; this.handshaking--; }
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
    const net = createServer({ noDelay: true }, (raw) => this.accept(raw, injector, tls !== undefined));
    this.net = net;
    return new Promise((resolve, reject) => {
      net.once('error', (err) => reject(new Error(`cannot listen on ${addr}: ${err.message}`)));
      net.listen({ host, port, backlog: 1024 }, () => {
        net.on('error', (err) => this.log.error({ err, listener: this.name }, 'listener error'));
        resolve((net.address() as { port: number }).port);
      });
    });
  }

  private accept(raw: Socket, injector: { injectConnection(s: Socket): void }, seesHandshakes: boolean): void {
    raw.on('error', () => {}); // a reset peer is not our error; the TLS layer reports what matters
    const source = (raw.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (this.closing || !source) { raw.destroy(); return; }
    const fromSource = this.perSource.get(source) ?? 0;
    const { maxConnections, maxPerSource, maxHandshakes } = this.limits;
    const full = this.stats.open >= maxConnections;
    const perSource = maxPerSource > 0 && fromSource >= maxPerSource;
    const handshakes = seesHandshakes && this.handshaking >= maxHandshakes;
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
    const conn: Conn = { source, handshake: undefined };
    this.conns.set(raw, conn);
    if (seesHandshakes) {
      this.handshaking++;
      conn.handshake = setTimeout(() => {
        this.stats.handshakeTimeouts++;
        this.count('handshake_timeout');
        this.unlogged.handshake++;
        this.maybeLog(source);
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
    raw.once('close', () => {
      if (conn.handshake) { clearTimeout(conn.handshake); this.handshaking--; }
      this.conns.delete(raw);
      this.stats.open--;
      const n = (this.perSource.get(source) ?? 1) - 1;
      if (n <= 0) this.perSource.delete(source); else this.perSource.set(source, n);
    });
    injector.injectConnection(raw);
  }

  private maybeLog(source?: string): void {
    const now = Date.now();
    if (now - this.lastLogMs < LOG_EVERY_MS) return;
    const seconds = this.lastLogMs === 0 ? 0 : Math.round((now - this.lastLogMs) / 1000);
    this.lastLogMs = now;
    const u = this.unlogged;
    this.unlogged = { full: 0, perSource: 0, handshakes: 0, handshake: 0, tls: 0 };
    this.log.warn({
      listener: this.name, lastSource: source, refusedFull: u.full, refusedPerSource: u.perSource, refusedHandshakes: u.handshakes, handshakeTimeouts: u.handshake, tlsErrors: u.tls,
      open: this.stats.open, maxConnections: this.limits.maxConnections, maxPerSource: this.limits.maxPerSource,
    }, `${this.name} port under pressure${seconds ? ` (last ${seconds} s)` : ''}: ${u.full} connections refused (listener full), ${u.perSource} refused (per-source cap), ${u.handshakes} refused (handshakes in progress), ${u.handshake} handshake timeouts, ${u.tls} TLS failures; logged at most every 10 s`);
  }

  /** Stops accepting and closes every connection still open. */
  close(): Promise<void> {
    this.closing = true;
    for (const raw of this.conns.keys()) raw.destroy();
    return new Promise((resolve) => (this.net ? this.net.close(() => resolve()) : resolve()));
  }
}
