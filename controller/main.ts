// firebreak-controller: runs one controller on the embedded defaults (SQLite in
// the data dir) until SIGINT/SIGTERM.
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { pino } from 'pino';
import { durationOption } from '../proto/duration-option.ts';
import { Controller } from './controller.ts';

const program = new Command('firebreak-controller')
  .description('Firebreak controller: receives agent reports over gRPC, correlates them, and commands agents.')
  .option('-d, --data-dir <dir>', 'where the SQLite store and controller files live', '.firebreak/controller')
  .option('--listen <host:port>', 'address agents connect to (port 0 picks a free one)', '127.0.0.1:7443')
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
  const controller = new Controller({
    dataDir, agentListen: o.listen, enrollListen: o.enrollListen, operatorListen: o.operatorListen, serverNames: o.serverName, heartbeatIntervalMs: o.heartbeatInterval,
    offlineAfterBeats: o.offlineAfter, commandTtlMs: o.commandTtl, log, maxFramesPerSecond: o.maxAgentFrameRate,
    playbookDir: o.playbooks ? resolve(o.playbooks) : undefined,
    blastRadius: o.blastRadius ? { maxHosts: o.blastRadius, fraction: 1 } : undefined,
    metricsListen: o.metricsListen,
  });
  try {
    await controller.start();
  } catch (err) {
    log.fatal(`controller failed to start: ${(err as Error).message}`);
    process.exit(1);
  }
  // the CLI and scripts find the live ports here
  writeFileSync(join(dataDir, 'controller.json'), JSON.stringify({
    pid: process.pid, agentPort: controller.agentPort, enrollPort: controller.enrollPort, operatorPort: controller.operatorPort,
    metricsPort: controller.metricsPort || undefined, caFingerprint: controller.trust.caFingerprint, credentials: controller.credentialsFile,
  }));
  log.info({
    agentPort: controller.agentPort, enrollPort: controller.enrollPort, operatorPort: controller.operatorPort,
    metricsPort: controller.metricsPort || undefined, caFingerprint: controller.trust.caFingerprint, credentials: controller.credentialsFile, dataDir,
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
