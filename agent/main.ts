// firebreak-agent: samples this host, reports to the controller, obeys its commands.
import { spawn } from 'node:child_process';
import { mkdirSync, writeSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { durationArg as duration } from '../proto/duration-option.ts';
import { Agent } from './agent.ts';
// Types only: config validation (zod, conf) and the inventory (systeminformation)
// run once, in the `prepare` child; the long-running agent never loads them.
import type { AgentConfig } from './config.ts';
import type { PrepareRequest, Prepared } from './prepare.ts';
import { ENROLL_TOKEN_ENV, identityDir, resolveEnrollToken } from './trust/enroll.ts';
import { makePrivate, privateUmask } from '../proto/private-files.ts';
import { loadIdentity, type AgentIdentity } from './trust/identity.ts';
import type { Detector } from './detect/detector.ts';
import { reapplySavedEnforcement, type Booted } from './enforce/boot.ts';
import { Enforcer } from './enforce/enforcer.ts';
import { selectBackend } from './enforce/select-backend.ts';
import { ProcSampler } from './sample/proc-sampler.ts';
import { KernelConnCounter, KernelCountingSampler } from './sample/kernel-count.ts';
import type { Sampler } from './sample/sampler.ts';
import { DetectorEngine } from './detect/engine.ts';
import { ProcessWatchdog } from './watchdog.ts';

const collectTag = (v: string, acc: Record<string, string>) => {
  const i = v.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`bad tag '${v}': use KEY=VALUE, e.g. role=mail`);
  return { ...acc, [v.slice(0, i)]: v.slice(i + 1) };
};

const program = new Command('firebreak-agent')
  .description('Firebreak agent: learns what is normal on this host, reports anomalies to the controller, and enforces isolation and port blocks.')
  .showHelpAfterError();

program.command('run', { isDefault: true })
  .description('run the agent until SIGINT/SIGTERM')
  .option('-d, --data-dir <dir>', 'where the agent keeps its config, baselines and enforcement state', '.firebreak/agent')
  .option('-c, --controller <host:port>', 'the controller\'s agent address; several controllers sharing one store: a comma-separated list, failed over in order (default from the config file)')
  .option('--id <agent-id>', 'this agent\'s id (default: the host name)')
  .option('--enroll-token-file <file>', 'file holding the one-time enrollment token (first start only; from `firebreak tokens create`); or set FIREBREAK_ENROLL_TOKEN')
  .option('--enroll-token <token>', "the enrollment token; '-' reads it from standard input (a value here is visible in `ps`: warned about)")
  .addOption(new Option('--ca-pin <sha256>', 'the controller CA\'s SHA-256 fingerprint, to trust at enrollment (printed with the token)').env('FIREBREAK_CA_PIN'))
  .option('--enroll-address <host:port>', 'the controller\'s enrollment address (default: controller host, port 7445)')
  .option('-i, --interval <duration>', 'report interval', duration)
  .option('-t, --tag <key=value>', 'a tag this host asks for; in effect once an admin approves it (`firebreak hosts approve-tags`) or grants it; repeat for more', collectTag)
  .addOption(new Option('--backend <name>', 'firewall backend').choices(['auto', 'nftables', 'iptables', 'dry-run']))
  .option('--log-level <level>', 'trace, debug, info, warn or error')
  .option('--verify-target <address:port>', 'a TCP destination isolation must block, to prove it bites (default 192.0.2.1:9)')
  .option('--save', 'write the given flags to the config file, so the next start needs none')
  .addHelpText('after', `
Examples:
  firebreak-agent run -c 10.0.0.5:7443 -t role=mail --save
  firebreak-agent run -d /var/lib/firebreak-agent`)
  .action(async (o) => {
    const dataDir = resolve(o.dataDir);
    // everything this agent (and its prepare child) writes is owner-only: keys, tokens, what the host saw
    privateUmask();
    // Start-up order (README, "Commands, delivery and state"): 1. the saved enforcement back into the
    // kernel, before anything that can fail; 2. config and enrollment (prepare child); 3. identity;
    // 4. the agent (ledger, nonces, spool), the controller's name, the link.
    const levels = ['trace', 'debug', 'info', 'warn', 'error'];
    const bootLog = pino({ level: levels.includes(o.logLevel) ? o.logLevel : 'info', base: { app: 'firebreak-agent', agent: o.id } });
    let booted: Booted;
    try {
      booted = await reapplySavedEnforcement({ dataDir, backend: o.backend, controller: o.controller, log: bootLog });
    } catch (err) {
      return fail(`cannot start: ${(err as Error).message}`);
    }
    // One line on stderr and exit; whatever the saved state put in the kernel stays there.
    const st = booted.enforcer.state();
    const kept = st.stateLost ? '; the kernel\'s Firebreak rules are kept as found'
      : st.isolated || st.blocks.length || st.throttle ? `; the saved enforcement stays applied (isolated=${st.isolated}, blocks=${st.blocks.length})` : '';
    const die = (message: string): never => fail(message + kept);
    try {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    } catch (err) {
      die(`cannot create the data dir ${dataDir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    let narrowed: ReturnType<typeof makePrivate> = [];
    try { narrowed = makePrivate(dataDir); } catch (err) { process.stderr.write(`firebreak-agent: cannot narrow the data dir ${dataDir} to 0700/0600: ${(err as Error).message}\n`); }
    if (narrowed.length) process.stderr.write(`firebreak-agent: ${narrowed.length} file(s) or dir(s) in the data dir were readable by others; narrowed to 0600/0700\n`);
    // a token on argv leaves the process title here (and is warned about)
    const enrollToken = await enrollTokenFrom(o);
    const { config, inventory } = await prepareInChild({
      dataDir, save: Boolean(o.save), enrollToken, caPin: o.caPin,
      overrides: {
        controller: o.controller, agentId: o.id, enrollAddress: o.enrollAddress, intervalMs: o.interval, tags: o.tag, backend: o.backend, logLevel: o.logLevel,
        verifyBlockedTarget: o.verifyTarget,
      },
    });
    const log = pino({ level: config.logLevel, base: { app: 'firebreak-agent', agent: config.agentId } });
    let identity: AgentIdentity | null = null;
    try {
      identity = loadIdentity(identityDir(dataDir));
    } catch (err) {
      die(`cannot start: ${(err as Error).message}`);
    }
    if (!identity) return die(`cannot start: no identity in ${identityDir(dataDir)} after enrollment; check that the data dir is writable`);
    const { backend, reason } = booted;
    if (backend.kind === 'DRY_RUN') log.warn(`ENFORCEMENT IS DRY-RUN: no firewall rule reaches the kernel (${reason})`);
    else log.info({ backend: backend.kind }, reason);
    let counter: KernelConnCounter | undefined;
    if (config.kernelCounting === 'auto' && backend.kind === 'NFTABLES') {
      // the kernel remembers each outbound SYN's destination for one interval: no short connection is missed
      counter = new KernelConnCounter(Math.max(1, Math.ceil(config.intervalMs / 1000)));
      try {
        await counter.install();
        log.info('counting new outbound connections in the kernel (table inet firebreak_count)');
      } catch (err) {
        counter = undefined;
        log.warn({ err }, 'kernel connection counting unavailable; socket tables only');
      }
    }
    // With the kernel counting, the fast poll (which hunts short connections in the socket tables between samples) has nothing to add.
    const procSampler = new ProcSampler({ logger: log, pollMs: counter ? 0 : undefined });
    const kernelSampler = counter
      ? new KernelCountingSampler(procSampler, counter, (err) => log.warn({ err }, 'kernel connection counter unreadable'))
      : undefined;
    const sampler: Sampler = kernelSampler ?? procSampler;
    const engine = new DetectorEngine({ dataDir, config: config.detect, logger: log.child({ part: 'detect' }) });
    // the detectors read the sampler's context of the same sample (existing processes, remote endpoints, socket owners)
    const context = () => (kernelSampler ?? procSampler).context();
    const detector: Detector = { observe: (s) => engine.observe(s, context()), save: () => engine.save() };
    const watchdog = new ProcessWatchdog({}, 2000, (shedding, health) => {
      procSampler.setShedding(shedding);
      engine.setShedding(shedding);
      log.warn({ health }, shedding ? 'agent over its CPU or memory budget: shedding work' : 'agent back within budget');
    });
    let agent: Agent;
    try {
      agent = new Agent({
        config, identity, inventory, sampler, detector, backend, enforcer: booted.enforcer, log,
        health: () => watchdog.health(), shedding: () => watchdog.shedding,
      });
      await agent.start();
    } catch (err) {
      return die(`cannot start: ${(err as Error).message}`);
    }
    log.info({ controller: config.controller, intervalMs: config.intervalMs, dataDir }, 'agent started');
    let stopping = false;
    const stop = async (sig: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal: sig }, 'agent stopping (enforcement stays in place)');
      watchdog.stop();
      await agent.stop();
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  });

program.command('prepare', { hidden: true })
  .description('(internal) validate the config, read the inventory and enroll: `run` calls it in a child process')
  .action(async () => {
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const { prepare, PrepareError } = await import('./prepare.ts');
    try {
      const prepared = await prepare(JSON.parse(input) as PrepareRequest);
      writeSync(3, JSON.stringify(prepared));
      process.exit(0);
    } catch (err) {
      // one line, never a stack: a PrepareError says what to do; anything else at least what failed
      process.stderr.write(`firebreak-agent: ${err instanceof PrepareError ? '' : 'start-up failed: '}${(err as Error).message}\n`);
      process.exit(err instanceof PrepareError ? err.exitCode : 1);
    }
  });

function fail(message: string): never {
  process.stderr.write(`firebreak-agent: ${message}\n`);
  process.exit(2);
}

/**
 * The enrollment token from --enroll-token-file, FIREBREAK_ENROLL_TOKEN or stdin
 * (`--enroll-token -`); a value on argv works but is warned about and wiped from
 * the process title, which is what `ps` and /proc/<pid>/cmdline show.
 */
async function enrollTokenFrom(o: { enrollToken?: string; enrollTokenFile?: string }): Promise<string | undefined> {
  try {
    const r = await resolveEnrollToken({
      flag: o.enrollToken, file: o.enrollTokenFile, env: process.env,
      readStdin: async () => { let t = ''; for await (const c of process.stdin) t += c; return t; },
    });
    if (r.source === 'argv') process.title = process.argv.map((a) => a.split(o.enrollToken!).join('[token hidden]')).join(' ');
    // children (the prepare step gets it on stdin) need not inherit it
    delete process.env[ENROLL_TOKEN_ENV];
    for (const w of r.warnings) process.stderr.write(`firebreak-agent: WARNING: ${w}\n`);
    return r.token;
  } catch (err) {
    process.stderr.write(`firebreak-agent: ${(err as Error).message}\n`);
    process.exit(2);
  }
}

/**
 * Runs `prepare` in a child process and returns what it found. The request
 * (with the enrollment token) goes over stdin, not argv, so `ps` never shows
 * it; the answer comes back on fd 3, as the child's logs share stdout. When
 * the child fails it has said why: this process exits with its code.
 */
function prepareInChild(req: PrepareRequest): Promise<Prepared> {
  // the same loader flags (tsx in development), but no second debugger or profiler
  const nodeArgs = process.execArgv.filter((a) => !/^--(inspect|cpu-prof|heap-prof|heapsnapshot)/.test(a));
  const child = spawn(process.execPath, [...nodeArgs, process.argv[1]!, 'prepare'], { stdio: ['pipe', 'inherit', 'inherit', 'pipe'] });
  child.stdin!.end(JSON.stringify(req));
  let answer = '';
  (child.stdio[3] as Readable).setEncoding('utf8').on('data', (d: string) => { answer += d; });
  return new Promise((resolve) => {
    child.on('error', (err) => {
      process.stderr.write(`firebreak-agent: could not start the prepare step (${err.message})\n`);
      process.exit(1);
    });
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(JSON.parse(answer) as Prepared);
      if (signal) process.stderr.write(`firebreak-agent: the prepare step was killed by ${signal}\n`);
      process.exit(code || 1);
    });
  });
}

program.command('release')
  .description('lift isolation on this host without the controller (root on this host; audited at the next contact)')
  .requiredOption('--local', 'act on this host directly (required: says you mean it)')
  .option('-d, --data-dir <dir>', 'the agent\'s data dir', '.firebreak/agent')
  .action(async (o) => {
    const dataDir = resolve(o.dataDir);
    const { loadAgentConfig } = await import('./config.ts');
    let config: AgentConfig;
    try {
      config = loadAgentConfig(dataDir, {});
    } catch (err) {
      process.stderr.write(`firebreak-agent: ${(err as Error).message}\n`);
      process.exit(2);
    }
    if (config.backend !== 'dry-run' && process.getuid?.() !== 0) {
      process.stderr.write('firebreak-agent: release --local changes the firewall and needs root: run it with sudo\n');
      process.exit(2);
    }
    const log = pino({ level: 'warn', base: { app: 'firebreak-agent', agent: config.agentId } });
    const { backend } = await selectBackend(config.backend);
    const enforcer = new Enforcer({
      backend, stateFile: join(dataDir, 'enforcement.json'), log,
      controller: () => ({ targets: [], dnsServers: [] }),
    });
    const by = `${userInfo().username}@${hostname()}`;
    const r = await enforcer.releaseLocal(by);
    enforcer.stop();
    process.stdout.write(`${r.status === 'APPLIED' ? 'isolation lifted' : `release failed: ${r.message}`} (by ${by}; the agent reports this to the controller at its next contact)\n`);
    process.exit(r.status === 'APPLIED' ? 0 : 1);
  });

program.command('config')
  .description('print the effective configuration')
  .option('-d, --data-dir <dir>', 'the agent\'s data dir', '.firebreak/agent')
  .action(async (o) => {
    const { loadAgentConfig } = await import('./config.ts');
    try {
      process.stdout.write(JSON.stringify(loadAgentConfig(resolve(o.dataDir), {}), null, 2) + '\n');
    } catch (err) {
      process.stderr.write(`firebreak-agent: ${(err as Error).message}\n`);
      process.exit(2);
    }
  });

await program.parseAsync();
