// Assembles one controller: store, pipeline, commands, the agent gateway and
// the operator API, each on its own gRPC server so the operator port can stay
// on loopback while agents reach the agent port from the fleet.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { firebreakPackage, MAX_MESSAGE_BYTES } from '../proto/wire.ts';
import { Commands } from './commands.ts';
import { Gateway } from './gateway.ts';
import { operatorHandlers } from './operator-api.ts';
import { Ingest } from './pipeline/ingest.ts';
import { SqliteStore } from './store/sqlite.ts';
import type { Store } from './store/store.ts';

export interface ControllerConfig {
  dataDir: string;
  /** host:port for agents; port 0 picks a free one */
  agentListen: string;
  /** host:port for operators; keep it on loopback unless the trust layer guards it */
  operatorListen: string;
  heartbeatIntervalMs: number;
  /** a host is offline after this many heartbeat intervals of silence */
  offlineAfterBeats: number;
  commandTtlMs: number;
  log: Logger;
  now?: () => number;
}

/** Server options set on purpose for long-lived agent streams. */
export const AGENT_SERVER_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  // one stream per agent: a peer opening hundreds is misbehaving
  'grpc.max_concurrent_streams': 16,
  'grpc-node.max_session_memory': 16, // MiB per HTTP/2 session
  // connections are recycled so agents rebalance across controllers behind an L4 balancer
  'grpc.max_connection_age_ms': 30 * 60_000,
  'grpc.max_connection_age_grace_ms': 60_000,
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 10_000,
};

export const OPERATOR_SERVER_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
  'grpc.max_concurrent_streams': 64,
};

function bind(server: grpc.Server, addr: string, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(addr, creds, (err, port) => (err ? reject(new Error(`cannot listen on ${addr}: ${err.message}`)) : resolve(port))),
  );
}

export class Controller {
  readonly store: Store;
  readonly commands: Commands;
  readonly gateway: Gateway;
  private readonly agentServer = new grpc.Server(AGENT_SERVER_OPTIONS);
  private readonly operatorServer = new grpc.Server(OPERATOR_SERVER_OPTIONS);
  private timers: NodeJS.Timeout[] = [];
  agentPort = 0;
  operatorPort = 0;

  constructor(private readonly cfg: ControllerConfig) {
    mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
    const now = cfg.now ?? Date.now;
    this.store = new SqliteStore(join(cfg.dataDir, 'firebreak.db'));
    this.commands = new Commands({
      store: this.store, log: cfg.log.child({ part: 'commands' }), now,
      defaultTtlMs: cfg.commandTtlMs, maxTtlMs: 7 * 24 * 3600_000,
    });
    const ingest = new Ingest(this.store, cfg.log.child({ part: 'ingest' }));
    this.gateway = new Gateway({
      store: this.store, ingest, commands: this.commands, log: cfg.log.child({ part: 'gateway' }), now,
      heartbeatIntervalMs: cfg.heartbeatIntervalMs,
    });
    const pkg = firebreakPackage();
    this.agentServer.addService(pkg.AgentLink.service, this.gateway.handlers());
    this.operatorServer.addService(pkg.Operator.service, operatorHandlers({
      store: this.store, commands: this.commands, log: cfg.log.child({ part: 'operator-api' }),
    }));
  }

  async start(): Promise<void> {
    const { cfg } = this;
    await this.store.markAllOffline(Date.now());
    this.agentPort = await bind(this.agentServer, cfg.agentListen, grpc.ServerCredentials.createInsecure());
    this.operatorPort = await bind(this.operatorServer, cfg.operatorListen, grpc.ServerCredentials.createInsecure());
    const beat = cfg.heartbeatIntervalMs;
    this.timers.push(
      setInterval(() => {
        for (const id of this.gateway.reapSilent(beat * cfg.offlineAfterBeats)) {
          cfg.log.warn({ host: id }, `no heartbeat for ${cfg.offlineAfterBeats} intervals; marking offline`);
        }
      }, Math.max(200, beat / 2)),
      setInterval(() => void this.commands.expire().catch((err) => cfg.log.error({ err }, 'expiring commands failed')), 1000),
    );
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.gateway.closeAll();
    await Promise.all([this.agentServer, this.operatorServer].map((s) => new Promise<void>((resolve) => {
      const force = setTimeout(() => { s.forceShutdown(); resolve(); }, 2000);
      s.tryShutdown(() => { clearTimeout(force); resolve(); });
    })));
    await this.store.close();
  }
}
