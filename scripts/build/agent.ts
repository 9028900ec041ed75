// npm run build:agent [-- --out DIR]: the agent as one file to copy onto a host.
//
// dist/firebreak-agent.mjs holds the agent and every library it uses (no
// node_modules, no tsx: tsx's loader alone costs ~50 MB of RSS on a host), next
// to firebreak.proto, which it reads at start. dist/firebreak-agent starts it
// with a 1 MB young generation: the agent allocates little, and its RSS drops
// by ~15 MB compared to Node's default.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The V8 flags the launcher passes; the benchmark runs the bundle with the same. */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1'];

export async function buildAgent(outDir: string): Promise<{ bundle: string; launcher: string }> {
  mkdirSync(outDir, { recursive: true });
  const bundle = join(outDir, 'firebreak-agent.mjs');
  await build({
    entryPoints: [join(root, 'agent/main.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20',
    outfile: bundle, logLevel: 'error', legalComments: 'none',
    // V8 keeps the source of the whole bundle in memory: whitespace and syntax
    // minified it is half the size; names are kept for readable stack traces.
    minifyWhitespace: true, minifySyntax: true, keepNames: true,
    // CommonJS dependencies call require(); an ES module has none of its own.
    banner: { js: "import { createRequire as __fbRequire } from 'node:module'; const require = __fbRequire(import.meta.url);" },
  });
  // proto/wire.ts loads firebreak.proto from next to itself: in the bundle, that is outDir.
  copyFileSync(join(root, 'proto/firebreak.proto'), join(outDir, 'firebreak.proto'));
  const launcher = join(outDir, 'firebreak-agent');
  writeFileSync(launcher, `#!/bin/sh\nexec node ${AGENT_NODE_FLAGS.join(' ')} "$(dirname "$0")/firebreak-agent.mjs" "$@"\n`);
  chmodSync(launcher, 0o755);
  return { bundle, launcher };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  const out = resolve(i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : join(root, 'dist'));
  const { bundle, launcher } = await buildAgent(out);
  process.stdout.write(`built ${bundle}\nrun it on a host with: ${launcher} run --help\n`);
}
