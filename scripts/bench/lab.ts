// npm run bench:lab -- [--hosts 24] [--scenarios mailer-off,mailer-on,...] [--json FILE] [--keep] [--help]
//
// A real-kernel worm lab (root): every host is a network namespace with its
// own PID namespace on a bridge (10.77.0.0/24, inside namespaces only), the
// real controller in a namespace of its own with the shipped playbooks, the
// deployable agent bundle on every host enforcing with nftables, and benign
// self-propagating worms written for the lab (scripts/lab/worm/worm.cjs).
// Each scenario starts fresh; the figures come from the worm's own truth log
// and from the controller through the operator CLI. See scripts/lab/*.ts.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { requireNetnsTools } from '../netns/netns.ts';
import { buildAgentBundle, LAB_DETECT } from '../lab/fleet.ts';
import { table, type Figures } from '../lab/figures.ts';
import { DEFAULT_SCENARIOS, parseScenario, runScenario, type ScenarioResult } from '../lab/scenarios.ts';
import { WORMS } from '../lab/worm.ts';
import { parseArgs, writeJson } from './lib/proc-usage.ts';

const HELP = `npm run bench:lab -- [options]   (root; needs iproute2, nftables, util-linux unshare/nsenter)

A worm lab on the real kernel: N hosts (network + PID namespaces) on a lab-only
bridge, the Firebreak controller (shipped playbooks) and one agent bundle per host
(nftables, kernel counting), and benign worms written for the lab. Each scenario
runs on fresh namespaces, a fresh controller and freshly enrolled agents.

Scenarios (<kind>-<on|off>; off = the same hosts with no Firebreak at all):
  mailer    SMTP-like worm on tcp/25, 5 deliveries/s to random peers (~10 s doubling)
  scanner   faster worm on tcp/445 scanning random addresses of the /24 (~5 s doubling)
  rollout   every host downloads app-v2 from the mirror (no agent) within 60 s and runs it
  portscan  one host connects to 155 ports on every other host (infects nothing)

Options:
  --hosts N             lab hosts (default 24, at most 198)
  --scenarios LIST      comma-separated (default ${DEFAULT_SCENARIOS.join(',')})
  --json FILE           write the figures (unit-carrying names) to FILE
  --interval S          agents' report interval in seconds (default 2)
  --seed N              picks patient zero and the roll-out times (default 1)
  --blast-radius N      pass --blast-radius N to the controller (default: the product's)
  --playbooks DIR       the controller's playbooks (default: the shipped ones in playbooks/;
                        scripts/bench/playbooks/throttle-only measures the virus throttle alone)
  --product-thresholds  agents keep the product's detector defaults (the lab lowers the
                        fan-out floor from 50 to ${LAB_DETECT.fanout.floor} distinct addresses: 24 hosts have 23 peers)
  --no-build            use dist/ as it is instead of running npm run build:agent first
  --save DIR            keep each scenario's evidence in DIR/<scenario>/ (truth.jsonl, the
                        controller's record as the CLI gave it, the worm, agent and controller logs)
  --keep                leave the last scenario's lab up (until Ctrl-C, at most 30 min)
  --help                this text

Targets: mailer-on <= 1/4 of the hosts infected (6 of 24), scanner-on <= 1/3 (8 of 24),
rollout-on and portscan-on: 0 isolations and 0 blocks.`;

const args = parseArgs(process.argv.slice(2));
if (args.has('help') || process.argv.includes('-h')) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}
const hosts = Number(args.get('hosts') ?? 24);
if (!Number.isInteger(hosts) || hosts < 3 || hosts > 198) throw new Error('--hosts must be an integer from 3 to 198');
const intervalS = Number(args.get('interval') ?? 2);
if (!(intervalS >= 1 && intervalS <= 10)) throw new Error('--interval must be 1-10 seconds');
const defs = (args.get('scenarios') ?? DEFAULT_SCENARIOS.join(',')).split(',').map((s) => s.trim()).filter(Boolean).map(parseScenario);
const jsonFile = args.get('json');
const keep = args.has('keep');
const saveDir = args.get('save') ? resolve(args.get('save')!) : undefined;
const playbookDir = args.get('playbooks') ? resolve(args.get('playbooks')!) : undefined;
const controllerArgs = args.has('blast-radius') ? ['--blast-radius', String(Number(args.get('blast-radius')))] : [];

const log = (msg: string) => process.stderr.write(`[lab ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// a small seeded generator (mulberry32): the same seed picks the same patient zero and roll-out times
let seed = Number(args.get('seed') ?? 1) >>> 0;
const rng = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

// ---- cleanup on every exit path, and a hard bound on the whole run
let current: (() => Promise<void>) | undefined;
const work = mkdtempSync('/var/tmp/fb-lab-');
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    if (current) await current().catch((err) => log(`cleanup: ${(err as Error).message}`));
    current = undefined;
    rmSync(work, { recursive: true, force: true });
  })();
  return cleaning;
}
const abort = (why: string, code: number) => {
  log(why);
  void cleanup().finally(() => process.exit(code));
};
process.on('SIGINT', () => abort('interrupted: cleaning up', 130));
process.on('SIGTERM', () => abort('terminated: cleaning up', 143));
const hardLimitMs = (defs.length * 5 + 5 + (keep ? 30 : 0)) * 60_000;
setTimeout(() => abort(`the lab ran past its hard limit of ${hardLimitMs / 60_000} min: cleaning up`, 1), hardLimitMs).unref();

try {
  await requireNetnsTools();
  log(`work dir ${work}`);
  const needAgents = defs.some((d) => d.firebreak);
  const launcher = needAgents ? buildAgentBundle(work, !args.has('no-build')) : '';
  if (needAgents) log(`agent bundle: ${launcher}`);
  const figures: Figures[] = [];
  const started = Date.now();
  let kept: ScenarioResult | undefined;
  for (const [i, def] of defs.entries()) {
    const last = i === defs.length - 1;
    const res = await runScenario(def, {
      hosts, intervalS, workDir: work, launcher, detect: args.has('product-thresholds') ? undefined : LAB_DETECT,
      controllerArgs, playbookDir, keep: keep && last, rng, log, onResource: (c) => { current = c; },
    });
    figures.push(res.figures);
    if (saveDir) {
      cpSync(join(work, def.name), join(saveDir, def.name), { recursive: true, filter: (src) => !/\/(agents|controller)(\/|$)/.test(src.slice(work.length)) });
    }
    if (res.lab) kept = res;
    const f = res.figures;
    log(`${def.name}: infected ${f.infected_hosts ?? '-'}/${f.hosts_total}, first action ${f.first_action_s ?? '-'} s, isolate/block/throttle ${f.isolate_commands}/${f.block_commands}/${f.throttle_commands}, master alerts ${f.master_alerts}`);
  }
  const totalS = Math.round((Date.now() - started) / 1000);
  const m = WORMS.mailer;
  const s = WORMS.scanner;
  process.stdout.write([
    '',
    `Worm lab: ${hosts} hosts (network + PID namespaces), agents report every ${intervalS} s, nftables + kernel counting; ` +
      `fan-out floor ${args.has('product-thresholds') ? 'product default' : LAB_DETECT.fanout.floor}; load ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `mailer: tcp/${m.port}, ${m.ratePerS}/s per copy, p=${m.p}; scanner: tcp/${s.port}, ${s.ratePerS}/s per copy over the /24, p=${s.p}; times from the worm's entry`,
    '',
    table(figures),
    '',
    `whole run ${totalS} s`,
    '',
  ].join('\n'));
  if (jsonFile) {
    writeJson(jsonFile, {
      lab: { hosts, interval_s: intervalS, fanout_floor: args.has('product-thresholds') ? null : LAB_DETECT.fanout.floor, worms: WORMS, whole_run_s: totalS },
      scenarios: figures,
    });
    log(`figures written to ${jsonFile}`);
  }
  if (kept?.lab) {
    const ns = kept.lab.net;
    process.stdout.write([
      `--keep: the lab of ${kept.figures.scenario} stays up until Ctrl-C (at most 30 min). For example:`,
      `  ip netns exec ${ns.host('ctl').ns} node bin/firebreak.js --controller ${kept.ctl?.operatorAddress ?? '?'} --credentials ${kept.ctl?.credentialsFile ?? '?'} alerts`,
      `  nsenter -t ${kept.lab.hosts.get('h01')?.initPid} -n -m -p ps ax      # what host h01 sees`,
      `  ip netns exec ${ns.host('h01').ns} nft list ruleset`,
      `  files: ${work}`,
      '',
    ].join('\n'));
    await new Promise((r) => setTimeout(r, 30 * 60_000));
  }
  await cleanup();
  process.exit(0);
} catch (err) {
  log(`failed: ${(err as Error).stack ?? err}`);
  await cleanup();
  process.exit(1);
}
