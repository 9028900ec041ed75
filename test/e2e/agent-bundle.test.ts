// The agent as deployed: `npm run build:agent`'s bundle, run by plain node (no
// tsx, no node_modules next to it), enrolls with a real controller, reports,
// and answers an operator's command; the start-up libraries stay out of the
// running agent.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Host__Output } from '../../proto/wire.ts';
import { buildAgent } from '../../scripts/build/agent.ts';
import { cli, cliJson, eventually, startController, stopAll, tempDir, type ControllerProc } from '../helpers/procs.ts';

describe('the bundled agent (npm run build:agent)', () => {
  const dir = tempDir('firebreak-bundle-');
  let ctl: ControllerProc;
  let agent: ChildProcess | undefined;
  let launcher = '';
  const out: string[] = [];

  before(async () => {
    ({ launcher } = await buildAgent(join(dir.path, 'dist')));
    ctl = await startController(join(dir.path, 'controller'));
  });

  after(async () => {
    agent?.kill('SIGKILL');
    await stopAll();
    dir.remove();
  });

  it('is the entry, its chunks, the .proto and a launcher, and its --help works outside the source tree', () => {
    for (const f of ['firebreak-agent.mjs', 'firebreak.proto', 'firebreak-agent']) assert.ok(existsSync(join(dir.path, 'dist', f)), f);
    // cwd outside the repository: nothing may be resolved from node_modules at run time
    const r = spawnSync(launcher, ['run', '--help'], { cwd: '/', encoding: 'utf8', env: { ...process.env, NODE_PATH: '' } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /--enroll-token/);
  });

  it('keeps zod, conf and systeminformation out of what the running agent loads: only the prepare step imports them', () => {
    const dist = join(dir.path, 'dist');
    // the files the entry loads at start: its static imports, transitively
    const loaded = new Set<string>();
    const visit = (f: string): void => {
      if (loaded.has(f)) return;
      loaded.add(f);
      for (const m of readFileSync(join(dist, f), 'utf8').matchAll(/(?:import|export)\s*(?:\{[^}]*\}\s*from\s*)?["']\.\/([^"']+\.mjs)["']/g)) visit(m[1]!);
    };
    visit('firebreak-agent.mjs');
    const running = [...loaded].map((f) => readFileSync(join(dist, f), 'utf8')).join('\n');
    const startUpOnly = { systeminformation: /systeminformation/, zod: /ZodError/, 'conf (ajv)': /new Ajv|ajv\b/ };
    for (const [lib, re] of Object.entries(startUpOnly)) assert.doesNotMatch(running, re, `${lib} is in the running agent's static imports (${[...loaded].join(', ')})`);
    // and the prepare step does hold them (else this test proves nothing)
    const prepare = readFileSync(join(dist, readdirSync(dist).find((f) => f.startsWith('firebreak-agent-prepare-'))!), 'utf8');
    assert.match(prepare, /systeminformation/);
  });

  it('enrolls, reports and applies a command, run by plain node', async () => {
    agent = spawn(launcher, ['run', '-d', join(dir.path, 'agent'), '-c', ctl.agentAddress, '--enroll-address', ctl.enrollAddress,
      '--enroll-token', ctl.enrollToken, '--ca-pin', ctl.caFingerprint, '--id', 'bundled', '--interval', '1s', '--backend', 'dry-run'],
    { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
    agent.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
    const h = await eventually(async () => {
      const hosts = await cliJson<Host__Output[]>(ctl, ['hosts']);
      const b = hosts.find((x) => x.id === 'bundled');
      return b !== undefined && b.online && b.reports >= 2 && b;
    }, 30_000, `the bundled agent online with two reports; its output:\n${out.join('')}`);
    assert.ok(h.lastSample!.processCount > 0);
    const r = await cli(ctl, ['block', 'bundled', '--port', '2525', '--direction', 'out', '--reason', 'bundle test', '--wait']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /status +applied: port block tcp-out-2525 applied/);
  });
});
