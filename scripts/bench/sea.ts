// npx tsx scripts/bench/sea.ts [--rounds 2] [--keep DIR]: the agent as a Node single
// executable application (SEA) beside the shipped bundle, measured side by side against
// one real controller. Not a build step: the notes (and the README's build section) say
// why the SEA is not shipped; this reproduces the figures.
//
// The SEA build: esbuild makes one CommonJS file (Node 20's SEA runs only CommonJS with
// require() limited to built-ins, no top-level await, no import.meta, no chunks), with
// firebreak.proto embedded as protobufjs JSON (the bundle reads it from beside itself),
// then `node --experimental-sea-config` makes the blob and postject (fetched by npx,
// not a dependency) injects it into a copy of this node binary. Three source edits are
// made on the fly and each is checked to have happened: the proto load, the entry's
// top-level await, and the prepare child's argv (a SEA is its own script: spawn it with
// `prepare` alone).
//
// Variants, each started in turn (order alternating by round) with a 5 s report interval:
//   bundle          dist/firebreak-agent (the launcher: node flags + malloc env)
//   sea             the SEA alone, as one file would run
//   sea-unit-env    the SEA with what a unit's Environment= can give it: MALLOC_ARENA_MAX,
//                   MALLOC_MMAP_THRESHOLD_, NODE_OPTIONS=--max-semi-space-size=1
//                   (--single-threaded-gc is refused in NODE_OPTIONS)
//   sea-cache-env   the same with useCodeCache: true
// Printed per variant: time to online, CPU-seconds (own + reaped prepare child) at online,
// 30 s and 60 s from spawn, RSS at 30 s and 60 s.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import protobuf from 'protobufjs';
import type { Host__Output } from '../../proto/wire.ts';
import { buildAgent } from '../build/agent.ts';
import { cliJson, eventually, startController, stopAll, tempDir } from '../../test/helpers/procs.ts';
import { parseArgs, sleep } from './lib/proc-usage.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const args = parseArgs(process.argv.slice(2));
const rounds = Number(args.get('rounds') ?? 2);
const dir = tempDir('firebreak-sea-');
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** One CommonJS file of the agent, with the three edits a SEA needs (each must apply). */
async function buildCjs(out: string): Promise<void> {
  const r = new protobuf.Root();
  r.loadSync(join(root, 'proto/firebreak.proto'), { keepCase: false });
  const protoJson = JSON.stringify(r.toJSON());
  const edit = (src: string, from: string, to: string, file: string) => {
    if (!src.includes(from)) throw new Error(`${file} no longer contains ${JSON.stringify(from)}: update scripts/bench/sea.ts`);
    return src.replace(from, to);
  };
  await build({
    entryPoints: [join(root, 'agent/main.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: out,
    logLevel: 'error', legalComments: 'none', minifyWhitespace: true, minifySyntax: true, keepNames: true,
    // wire.ts derives PROTO_PATH from import.meta.url, which a CommonJS file lacks; the edit below makes it unused
    define: { 'import.meta.url': '"file:///firebreak-agent-sea/wire.js"' },
    plugins: [{
      name: 'sea-edits',
      setup(b) {
        b.onLoad({ filter: /proto[\\/]wire\.ts$/ }, (a) => ({
          loader: 'ts',
          contents: edit(readFileSync(a.path, 'utf8'), 'protoLoader.loadSync(PROTO_PATH, LOADER_OPTIONS)', `protoLoader.fromJSON(${protoJson}, LOADER_OPTIONS)`, a.path),
        }));
        b.onLoad({ filter: /agent[\\/]main\.ts$/ }, (a) => {
          const src = edit(readFileSync(a.path, 'utf8'), 'await program.parseAsync();', 'void program.parseAsync();', a.path);
          return { loader: 'ts', contents: edit(src, "[...nodeArgs, process.argv[1]!, 'prepare']", "['prepare']", a.path) };
        });
      },
    }],
  });
}

function sea(cjs: string, name: string, codeCache: boolean): string {
  const cfg = join(dir.path, `${name}.json`);
  const blob = join(dir.path, `${name}.blob`);
  writeFileSync(cfg, JSON.stringify({ main: cjs, output: blob, disableExperimentalSEAWarning: true, useCodeCache: codeCache }));
  const r = spawnSync(process.execPath, ['--experimental-sea-config', cfg], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node --experimental-sea-config failed: ${r.stderr}`);
  const bin = join(dir.path, name);
  copyFileSync(process.execPath, bin);
  chmodSync(bin, 0o755);
  const p = spawnSync('npx', ['--yes', 'postject@1.0.0-alpha.6', bin, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE], { encoding: 'utf8', cwd: root });
  if (p.status !== 0) throw new Error(`postject failed (does this node binary carry the SEA fuse?): ${p.stderr}`);
  return bin;
}

function withUnitEnv(bin: string): string {
  const w = `${bin}-env`;
  writeFileSync(w, `#!/bin/sh\nexport MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=32768 NODE_OPTIONS=--max-semi-space-size=1\nexec ${bin} "$@"\n`);
  chmodSync(w, 0o755);
  return w;
}

/** CPU-seconds of a process and its reaped children, and its RSS in MB. */
function usage(pid: number): { cpu: number; rss: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const cpu = (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  return { cpu, rss };
}

const cjs = join(dir.path, 'agent.cjs');
let t = Date.now();
await buildCjs(cjs);
const seaBin = sea(cjs, 'firebreak-agent-sea', false);
const seaBuildS = (Date.now() - t) / 1000;
const cacheBin = sea(cjs, 'firebreak-agent-sea-cache', true);
t = Date.now();
const { launcher } = await buildAgent(join(dir.path, 'dist'));
process.stderr.write(`built: SEA ${(statSync(seaBin).size / 1e6).toFixed(1)} MB in ${seaBuildS.toFixed(1)} s (one CJS file ${(statSync(cjs).size / 1e6).toFixed(2)} MB), bundle in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);

const ctl = await startController(join(dir.path, 'controller'));
const variants: Array<[string, string]> = [['bundle', launcher], ['sea', seaBin], ['sea-unit-env', withUnitEnv(seaBin)], ['sea-cache-env', withUnitEnv(cacheBin)]];
type Row = { online_s: number; cpu_online: number; cpu_30s: number; cpu_60s: number; rss_30s: number; rss_60s: number };
const results = new Map<string, Row[]>();
try {
  for (let r = 0; r < rounds; r++) {
    for (const [kind, bin] of r % 2 ? [...variants].reverse() : variants) {
      const id = `${kind}-${r}`;
      const out: string[] = [];
      const t0 = Date.now();
      const c: ChildProcess = spawn(bin, ['run', '-d', join(dir.path, id), '-c', ctl.agentAddress, '--enroll-address', ctl.enrollAddress,
        '--enroll-token', ctl.enrollToken, '--ca-pin', ctl.caFingerprint, '--id', id, '--interval', '5s', '--backend', 'dry-run'], { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
      c.stdout!.on('data', (d) => out.push(String(d)));
      c.stderr!.on('data', (d) => out.push(String(d)));
      try {
        await eventually(async () => (await cliJson<Host__Output[]>(ctl, ['hosts'])).some((h) => h.id === id && h.online && h.reports >= 1), 90_000, `${id} online`);
        const online = usage(c.pid!);
        const onlineS = (Date.now() - t0) / 1000;
        await sleep(30_000 - (Date.now() - t0));
        const u30 = usage(c.pid!);
        await sleep(60_000 - (Date.now() - t0));
        const u60 = usage(c.pid!);
        const row = { online_s: onlineS, cpu_online: online.cpu, cpu_30s: u30.cpu, cpu_60s: u60.cpu, rss_30s: u30.rss, rss_60s: u60.rss };
        results.set(kind, [...(results.get(kind) ?? []), row]);
        process.stderr.write(`${id}: ${JSON.stringify(row)}\n`);
      } catch (err) {
        process.stderr.write(`${id} failed: ${(err as Error).message}\n${out.join('').slice(-2000)}\n`);
      } finally {
        c.kill('SIGKILL');
      }
    }
  }
} finally {
  await stopAll();
  if (!args.get('keep')) dir.remove();
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const base = results.get('bundle');
process.stdout.write('\nvariant        runs  online s  CPU-s online  CPU-s 60 s  RSS 30 s MB  RSS 60 s MB  RSS 60 s / bundle  CPU 60 s / bundle\n');
for (const [kind] of variants) {
  const rs = results.get(kind);
  if (!rs) { process.stdout.write(`${kind.padEnd(15)}failed\n`); continue; }
  const m = (k: keyof Row) => mean(rs.map((x) => x[k]));
  const ratio = (k: keyof Row) => (base ? (m(k) / mean(base.map((x) => x[k]))).toFixed(2) : '-');
  process.stdout.write(`${kind.padEnd(15)}${String(rs.length).padEnd(6)}${m('online_s').toFixed(1).padEnd(10)}${m('cpu_online').toFixed(2).padEnd(14)}` +
    `${m('cpu_60s').toFixed(2).padEnd(12)}${m('rss_30s').toFixed(1).padEnd(13)}${m('rss_60s').toFixed(1).padEnd(13)}${ratio('rss_60s').padEnd(19)}${ratio('cpu_60s')}\n`);
}
process.exit(0);
