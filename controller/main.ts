// firebreak-controller: runs one controller on the embedded defaults (SQLite in
// the data dir) until SIGINT/SIGTERM.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { durationOption } from '../proto/duration-option.ts';
import { Controller } from './controller.ts';
import { DEFAULT_BYTE_BUDGET } from './byte-budget.ts';
import { DEFAULT_CONNECTION_LIMITS as LIMITS } from './net-limits.ts';
import { PgStore } from './store/postgres.ts';
import { installEvidence } from './store/sqlite-open.ts';
import { RETENTION_DEFAULTS } from './store/retention.ts';

/** A count of bytes: 4096, 256K, 64M, 1G (binary multiples). */
const byteCount = (v: string): number => {
  const m = /^(\d+(?:\.\d+)?)([KMG]i?B?)?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`'${v}' is not a byte count (e.g. 262144, 256K, 64M)`);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(m[2] ?? '').charAt(0).toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Math.round(Number(m[1]) * unit);
};
/** A PostgreSQL URL; anything else is refused before the controller starts. */
const pgUrl = (v: string): string => {
  if (!/^postgres(ql)?:\/\//.test(v)) throw new InvalidArgumentError(`takes a postgres:// URL (leave it out for SQLite in the data dir)`);
  return v;
};
/** A whole number, 0 allowed (0 turns a per-source cap off). */
const count = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`'${v}' is not a whole number`);
  return n;
};

const program = new Command('firebreak-controller')
  .description('Firebreak controller: receives agent reports over gRPC, correlates them, and commands agents.')
  .option('-d, --data-dir <dir>', 'where the SQLite store and controller files live', '.firebreak/controller')
  .addOption(new Option('--store <url>', 'keep the store in PostgreSQL instead of SQLite, e.g. postgres://firebreak@db.example.net/firebreak ' +
    '(the password from PGPASSWORD or ~/.pgpass, so it stays off the command line; the CA, keys and audit head stay in the data dir)')
    .env('FIREBREAK_STORE').argParser(pgUrl))
  .option('--listen <host:port>', 'address agents connect to (port 0 picks a free one)', '127.0.0.1:7443')
  .option('--cluster-node <name>', 'run as one of several controllers on the --store PostgreSQL database, under this name (unique per controller). ' +
    'Every controller serves agents and operators; the elected leader correlates and runs playbooks, and another takes over within seconds when it dies. ' +
    'Each needs the same CA and command-signing key: copy ca.key, ca.crt and command-signing.key from the first controller\'s <data-dir>/trust')
  .option('--advertise-operator <host:port>', 'where the other controllers of a cluster reach this one\'s operator port (default: --operator-listen with its bound port)')
  .option('--enroll-listen <host:port>', 'address new agents enroll at with a token (server TLS, no client certificate)', '127.0.0.1:7445')
  .option('--server-name <name>', 'a host name or address agents use to reach this controller, for its certificate; repeat for more', (v: string, acc: string[]) => [...acc, v], [])
  .option('--operator-listen <host:port>', 'address the operator CLI connects to; keep it on loopback', '127.0.0.1:7444')
  .addOption(durationOption('--heartbeat-interval <duration>', 'how often agents send a heartbeat', 5000))
  .option('--offline-after <beats>', 'heartbeat intervals of silence before a host is offline', (v) => Number(v), 3)
  .addOption(durationOption('--command-ttl <duration>', 'default time a command may wait for its agent before it expires', 5 * 60_000))
  .option('--playbooks <dir>', 'directory of playbook YAML files for automated containment (e.g. ./playbooks); reloaded on change')
  .option('--blast-radius <n>', 'at most this many hosts isolated automatically per 10 minutes (default: 5% of the fleet, at most 20)', (v) => Number(v))
  .option('--max-agent-frame-rate <n>', 'frames per second one agent may send before its stream is cut (burst: 5 s worth)', (v) => Number(v), 50)
  .option('--metrics-listen <host:port>', 'serve Prometheus metrics (GET /metrics, plain HTTP) here, e.g. 127.0.0.1:9464; off when unset')
  .option('--dashboard-listen <host:port>', 'serve the web dashboard (HTTPS with the controller\'s CA; log in with an operator token) here, e.g. 127.0.0.1:7446; off when unset')
  .option('--audit-anchor <file>', 'copy the audit head to this file on a schedule; put it on another mount, so a rewrite of the database and its head file is caught by `firebreak audit verify`')
  .addOption(durationOption('--audit-anchor-interval <duration>', 'how often the audit anchor is written', 60_000))
  .option('--agent-max-connections <n>', 'connections open at once on the agent port', count, LIMITS.agent.maxConnections)
  .option('--agent-max-per-source <n>', 'agent-port connections from one address (raise it, or 0 for no cap, when agents reach the controller through one NAT or balancer address)', count, LIMITS.agent.maxPerSource)
  .option('--enroll-max-connections <n>', 'connections open at once on the enrollment port', count, LIMITS.enroll.maxConnections)
  .option('--enroll-max-per-source <n>', 'enrollment-port connections from one address', count, LIMITS.enroll.maxPerSource)
  .option('--operator-max-connections <n>', 'connections open at once on the operator port (kept out of the other ports\' share of descriptors)', count, LIMITS.operator.maxConnections)
  .option('--operator-max-per-source <n>', 'operator-port connections from one address', count, LIMITS.operator.maxPerSource)
  .option('--agent-handshake-queue <n>', 'agent-port connections that wait for a TLS handshake slot (64 at once) instead of being reset; 0 resets them at once', count, LIMITS.agent.maxQueuedHandshakes)
  .addOption(durationOption('--handshake-timeout <duration>', 'a connection must finish its TLS handshake within this (every port)', LIMITS.agent.handshakeTimeoutMs))
  .option('--agent-bytes-per-second <bytes>', 'bytes per second one agent may send (token bucket; burst 8M); over it its stream is closed with RESOURCE_EXHAUSTED', byteCount, DEFAULT_BYTE_BUDGET.bytesPerSecond)
  .option('--agent-stored-bytes-per-day <bytes>', 'bytes of events one agent may add to the store per UTC day; past it its events are not stored (it stays online)', byteCount, DEFAULT_BYTE_BUDGET.storedBytesPerDay)
  .addOption(durationOption('--event-retention <duration>', 'events older than this are deleted (never those of the open incident window)', RETENTION_DEFAULTS.maxAgeMs))
  .addOption(new Option('--event-retention-size <bytes>', 'while the store holds more than this, its oldest events are deleted (e.g. 512M, 2G)')
    .argParser(byteCount).default(RETENTION_DEFAULTS.maxBytes, '1G'))
  .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
  .showHelpAfterError()
  .addHelpText('after', `
Examples:
  firebreak-controller                                   # loopback only, data in ./.firebreak/controller
  firebreak-controller --listen 0.0.0.0:7443 --enroll-listen 0.0.0.0:7445 --server-name fw.example.net -d /var/lib/firebreak

Agents connect with mutual TLS; enroll them with a token from 'firebreak tokens create'.
The first start creates the CA, the command-signing key and an admin credential
(<data-dir>/admin.credentials.json) for the operator CLI.`);

program.action(async (o) => {
  const log = pino({ level: o.logLevel, base: { app: 'firebreak-controller' } });
  const dataDir = resolve(o.dataDir);
  let controller: Controller;
  try {
    // opening the store refuses a missing, empty, damaged or foreign database inside an existing install
    if (o.clusterNode && !o.store) throw new Error('--cluster-node needs --store postgres://…: the controllers of a cluster share one PostgreSQL database');
    const store = o.store ? await PgStore.open(o.store, { existingInstall: installEvidence(dataDir), log: log.child({ part: 'store' }) }) : undefined;
    controller = new Controller({
      store,
      cluster: o.clusterNode ? { url: o.store, node: o.clusterNode, operatorAddress: o.advertiseOperator } : undefined,
      dataDir, agentListen: o.listen, enrollListen: o.enrollListen, operatorListen: o.operatorListen, serverNames: o.serverName, heartbeatIntervalMs: o.heartbeatInterval,
      offlineAfterBeats: o.offlineAfter, commandTtlMs: o.commandTtl, log, maxFramesPerSecond: o.maxAgentFrameRate,
      playbookDir: o.playbooks ? resolve(o.playbooks) : undefined,
      blastRadius: o.blastRadius ? { maxHosts: o.blastRadius, fraction: 1 } : undefined,
      metricsListen: o.metricsListen,
      dashboardListen: o.dashboardListen,
      auditAnchorFile: o.auditAnchor ? resolve(o.auditAnchor) : undefined, auditAnchorIntervalMs: o.auditAnchorInterval,
      connectionLimits: {
        agent: { maxConnections: o.agentMaxConnections, maxPerSource: o.agentMaxPerSource, handshakeTimeoutMs: o.handshakeTimeout, maxQueuedHandshakes: o.agentHandshakeQueue },
        enroll: { maxConnections: o.enrollMaxConnections, maxPerSource: o.enrollMaxPerSource, handshakeTimeoutMs: o.handshakeTimeout },
        operator: { maxConnections: o.operatorMaxConnections, maxPerSource: o.operatorMaxPerSource, handshakeTimeoutMs: o.handshakeTimeout },
      },
      byteBudget: { bytesPerSecond: o.agentBytesPerSecond, storedBytesPerDay: o.agentStoredBytesPerDay },
      retention: { maxAgeMs: o.eventRetention, maxBytes: o.eventRetentionSize },
    });
    await controller.start();
  } catch (err) {
    log.fatal(`controller failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
  // the CLI and scripts find the live ports here
  writeFileSync(join(dataDir, 'controller.json'), JSON.stringify({
    pid: process.pid, agentPort: controller.agentPort, enrollPort: controller.enrollPort, operatorPort: controller.operatorPort,
    metricsPort: controller.metricsPort || undefined, dashboardPort: controller.dashboardPort || undefined, caFingerprint: controller.trust.caFingerprint, credentials: controller.credentialsFile,
  }));
  log.info({
    agentPort: controller.agentPort, enrollPort: controller.enrollPort, operatorPort: controller.operatorPort,
    metricsPort: controller.metricsPort || undefined, dashboardPort: controller.dashboardPort || undefined, caFingerprint: controller.trust.caFingerprint, credentials: controller.credentialsFile, dataDir,
  }, 'controller ready');
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal: sig }, 'controller stopping');
    await controller.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
});

await program.parseAsync();
