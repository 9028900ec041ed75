// npm run simulate -- --hosts 1000 --scenario worm [--doubling 10] [--json out.json]
//
// Runs N simulated hosts in this process against a real controller process over
// real gRPC (mutual TLS, each host enrolled with its own certificate): each host
// is a real Agent with the real link and DetectorEngine, a synthetic sampler and
// the dry-run firewall. The scenario drives the samplers; the summary compares
// the controller's alerts (read over its Operator API) with the truth.
import { writeFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { stopAll } from '../../test/helpers/procs.ts';
import { runSimulation } from './run.ts';
import { SCENARIOS } from './scenarios/index.ts';
import { formatSummary } from './summary.ts';

const num = (what: string, min: number, max: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`${what} must be a number from ${min} to ${max}`);
  return n;
};

const program = new Command('simulate')
  .description('Fleet simulator: N simulated hosts (real agent code, synthetic samples) against a real controller.')
  .addOption(new Option('--scenario <name>', 'what happens in the fleet').choices(Object.keys(SCENARIOS)).default('worm'))
  .option('--hosts <n>', 'simulated hosts', num('--hosts', 3, 64000), 200)
  .option('--doubling <seconds>', 'worms: infected hosts double every this many seconds when left alone (0 = the scenario\'s own)', num('--doubling', 0, 600), 0)
  .option('--stop-at <hosts>', 'worm: end the scenario once this many hosts are infected (0 = all or the duration)', num('--stop-at', 0, 64000), 0)
  .option('--duration <seconds>', 'bound on the scenario\'s length (0 = the scenario\'s default)', num('--duration', 0, 3600), 0)
  .option('--noise-share <fraction>', 'noise: share of hosts with a spike of their own', num('--noise-share', 0, 1), 0.03)
  .option('--interval <ms>', 'agents\' report interval (1 s keeps runs short; agents default to 5 s)', num('--interval', 500, 60000), 1000)
  .option('--heartbeat <ms>', 'agents\' heartbeat interval', num('--heartbeat', 500, 60000), 2000)
  .option('--seed <n>', 'seed for the fleet and the scenario', num('--seed', 0, 2 ** 31), 1)
  .option('--enroll-concurrency <n>', 'hosts enrolling at once', num('--enroll-concurrency', 1, 64), 8)
  .option('--controller-arg <flag>', 'extra flag for firebreak-controller; repeat for more', (v: string, acc: string[]) => [...acc, v], [])
  .option('--json <file>', 'write the summary as JSON here')
  .option('--keep', 'keep the temp dir (controller data, host data dirs)')
  .option('--log-level <level>', 'simulator log level', 'warn')
  .addHelpText('after', `
Scenarios:
${Object.entries(SCENARIOS).map(([name, f]) => `  ${name.padEnd(14)} ${f().description}`).join('\n')}

Every scenario also has benign background contacts (hosts talking to a few
shared servers and outside services), and every simulated agent traces
contacts (first-seen connections, OUT and IN, at most 64 each per sample).

Examples:
  npm run simulate -- --hosts 1000 --scenario worm --json worm.json
  npm run simulate -- --hosts 200 --scenario worm --doubling 8.5
  npm run simulate -- --hosts 1000 --scenario backup
  npm run simulate -- --hosts 500 --scenario quiet-mailer --controller-arg=--playbooks --controller-arg=playbooks`)
  .showHelpAfterError();

// Ctrl-C: the controller is a child process; do not leave it running.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => void stopAll().finally(() => process.exit(130)));
}

program.action(async (o) => {
  const log = pino({ level: o.logLevel, base: { app: 'firebreak-sim' } }, pino.destination(2));
  const summary = await runSimulation({
    hosts: o.hosts, scenario: o.scenario, seed: o.seed, intervalMs: o.interval, heartbeatMs: o.heartbeat,
    enrollConcurrency: o.enrollConcurrency, controllerArgs: o.controllerArg, keep: Boolean(o.keep), log,
    scenarioOptions: { doublingS: o.doubling, stopAtAffected: o.stopAt, durationMs: o.duration * 1000, noiseShare: o.noiseShare },
  });
  process.stdout.write(formatSummary(summary) + '\n');
  if (o.json) {
    writeFileSync(o.json, JSON.stringify(summary, null, 2) + '\n');
    process.stdout.write(`summary written to ${o.json}\n`);
  }
});

program.parseAsync().then(() => process.exit(0), (err) => {
  process.stderr.write(`simulate: ${(err as Error).message}\n`);
  process.exit(1);
});
