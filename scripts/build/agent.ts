// npm run build:agent [-- --out DIR]: the agent as one file to copy onto a host.
//
// dist/firebreak-agent.mjs holds the agent and every library it uses (no
// node_modules, no tsx: tsx's loader alone costs ~50 MB of RSS on a host), next
// to its chunks (dist/firebreak-agent-*.mjs: what the running agent and the
// start-up step share, and what only start-up loads) and firebreak.proto,
// which it reads at start. Copy the whole directory. dist/firebreak-agent starts it
// with a 1 MB young generation: the agent allocates little, and its RSS drops
// by ~15 MB compared to Node's default.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * How the launcher runs node; the benchmark runs the loop it measures alone
 * with the same. The agent allocates little and rarely: a 1 MB young
 * generation instead of 16 MB, and the garbage collector on the main thread
 * with at most two malloc arenas. Parallel GC threads each kept a malloc arena
 * of their own, which left the RSS of identical agents anywhere between 64 and
 * 76 MB; without them it is 61-63 MB, at the same CPU (measured side by side).
 * A fixed mmap threshold of 32 KB: glibc otherwise raises it after each large
 * free, and then start-up's transient large blocks (parser and compiler zones,
 * buffers) land in the main heap, which a later small allocation pins: 9 MB
 * of [heap] stayed resident in some runs. Above 32 KB a block is its own
 * mapping, returned when freed; the agent's steady state allocates few such.
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--single-threaded-gc'];
export const AGENT_ENV: Record<string, string> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '32768' };

export async function buildAgent(outDir: string): Promise<{ bundle: string; launcher: string; archive: string; checksum: string }> {
  mkdirSync(outDir, { recursive: true });
  const bundle = join(outDir, 'firebreak-agent.mjs');
  // chunks of an earlier build, whose names carry another hash
  for (const f of readdirSync(outDir)) if (/^firebreak-agent-.+\.mjs$/.test(f)) rmSync(join(outDir, f));
  await build({
    entryPoints: { 'firebreak-agent': join(root, 'agent/main.ts') }, bundle: true, platform: 'node', format: 'esm', target: 'node20',
    outdir: outDir, outExtension: { '.js': '.mjs' }, logLevel: 'error', legalComments: 'none',
    // What only start-up needs (config validation with zod and conf, the
    // systeminformation inventory) is imported dynamically by the `prepare`
    // child: a chunk of its own that the running agent never parses.
    // Chunks sit next to the entry and to firebreak.proto, which wire.ts reads from next to itself.
    splitting: true, chunkNames: 'firebreak-agent-[name]-[hash]',
    // V8 keeps the source of the whole bundle in memory: whitespace and syntax
    // minified it is half the size; names are kept for readable stack traces.
    minifyWhitespace: true, minifySyntax: true, keepNames: true,
    // CommonJS dependencies call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __fbRequire } from 'node:module'; const require = __fbRequire(import.meta.url);" },
  });
  // proto/wire.ts loads firebreak.proto from next to itself: in the bundle, that is outDir.
  copyFileSync(join(root, 'proto/firebreak.proto'), join(outDir, 'firebreak.proto'));
  const launcher = join(outDir, 'firebreak-agent');
  const env = Object.entries(AGENT_ENV).map(([k, v]) => `${k}=${v}`).join(' ');
  writeFileSync(launcher, `#!/bin/sh\nexport ${env}\nexec node ${AGENT_NODE_FLAGS.join(' ')} "$(dirname "$0")/firebreak-agent.mjs" "$@"\n`);
  chmodSync(launcher, 0o755);
  // the installer and its unit beside the bundle: the directory installs itself
  copyFileSync(join(root, 'scripts/install.sh'), join(outDir, 'install.sh'));
  chmodSync(join(outDir, 'install.sh'), 0o755);
  mkdirSync(join(outDir, 'systemd'), { recursive: true });
  copyFileSync(join(root, 'scripts/systemd/firebreak-agent.service'), join(outDir, 'systemd/firebreak-agent.service'));
  return { bundle, launcher, ...archive(outDir) };
}

/**
 * One file to ship: firebreak-agent-<version>.tar.gz holding a directory of
 * that name (bundle, chunks, .proto, launcher, installer, unit), and its
 * SHA-256 in the `sha256sum -c` format beside it.
 */
function archive(outDir: string): { archive: string; checksum: string } {
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const name = `firebreak-agent-${version}`;
  const stage = mkdtempSync(join(tmpdir(), 'firebreak-agent-archive-'));
  try {
    const top = join(stage, name);
    mkdirSync(top);
    for (const f of readdirSync(outDir)) {
      if (f.endsWith('.tar.gz') || f.endsWith('.sha256')) continue;
      cpSync(join(outDir, f), join(top, f), { recursive: true });
    }
    const file = join(outDir, `${name}.tar.gz`);
    // fixed owner and order: the same build gives the same file list
    const r = spawnSync('tar', ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-czf', file, '-C', stage, name], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tar could not write ${file}: ${r.error?.message ?? r.stderr.trim()} (is GNU tar installed?)`);
    const digest = createHash('sha256').update(readFileSync(file)).digest('hex');
    const checksum = `${file}.sha256`;
    writeFileSync(checksum, `${digest}  ${basename(file)}\n`);
    return { archive: file, checksum };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const out = resolve(i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : join(root, 'dist'));
  const { bundle, launcher, archive: tgz, checksum } = await buildAgent(out);
  process.stdout.write(`built ${bundle}\nrun it on a host with: ${launcher} run --help\n`
    + `to ship: ${tgz} (checksum ${checksum}); on the host: tar xzf it, then sudo ./${basename(tgz, '.tar.gz')}/install.sh agent --help\n`);
}
