// Installing as ops would: the controller from a checkout, and the agent
// archive `npm run build:agent` ships (checksum, unpack, install.sh), each laid
// out under a staging root (--root: no user is created, systemd is not told,
// the machine's own /etc and /opt are untouched). systemd's own verifier checks
// the units against that root; then both run from where they were installed, the
// agent with only what its unit gives it (its config file and enroll.env), and
// it enrolls and shows up in the staged CLI.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildAgent } from '../../scripts/build/agent.ts';
import { ROOT, tempDir } from '../helpers/procs.ts';

const NEEDS = 'NEEDS: GNU tar and systemd-analyze (apt-get install -y tar systemd)';

function run(cmd: string, args: string[], opts: { cwd?: string } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, ...opts });
  if (r.error) throw new Error(`${cmd} could not run: ${r.error.message}. ${NEEDS}`);
  return r;
}
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

/** systemd-analyze verify of one unit inside `root` (which needs systemd's own units to resolve dependencies). */
function verifyUnit(root: string, unit: string): string {
  if (!existsSync(join(root, 'usr/lib/systemd/system'))) cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
  const r = run('systemd-analyze', ['verify', `--root=${root}`, `/etc/systemd/system/${unit}`]);
  assert.equal(r.status, 0, `systemd-analyze verify ${unit}: ${r.stderr}`);
  const sec = run('systemd-analyze', ['security', '--offline=true', `--root=${root}`, unit]);
  return /Overall exposure level[^:]*: (.*)/.exec(sec.stdout)?.[1] ?? 'unknown';
}

/** Starts a program and resolves once a log line contains `ready`; the child is returned for the caller to stop. */
function startUntil(cmd: string, args: string[], env: NodeJS.ProcessEnv, ready: string): Promise<{ child: ChildProcess; log: () => string }> {
  const child = spawn(cmd, args, { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, NODE_OPTIONS: '' } });
  let buf = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${basename(cmd)} did not log '${ready}' in 30 s:\n${buf.slice(-2000)}`)), 30_000);
    const onData = (d: Buffer) => {
      buf += d.toString();
      if (buf.includes(ready)) { clearTimeout(timer); resolve({ child, log: () => buf }); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${basename(cmd)} exited (${code}):\n${buf.slice(-2000)}`)); });
  });
}

describe('install: the controller and the agent archive as systemd services, run from where they were installed', () => {
  const dir = tempDir('firebreak-install-');
  const children: ChildProcess[] = [];
  const ctlRoot = join(dir.path, 'controller-root');
  const agentRoot = join(dir.path, 'agent-root');
  const ctlData = join(ctlRoot, 'var/lib/firebreak');
  const firebreak = (...args: string[]) => run(process.execPath, [join(ctlRoot, 'opt/firebreak/bin/firebreak.js'), '--credentials', join(ctlData, 'admin.credentials.json'), ...args], { cwd: '/' });
  before(() => {
    if (!existsSync('/usr/lib/systemd/system')) throw new Error(`${NEEDS} (no /usr/lib/systemd/system)`);
    run('systemd-analyze', ['--version']);
  });
  after(() => {
    for (const c of children) c.kill('SIGKILL');
    dir.remove();
  });

  it('installs the controller from the checkout with a unit systemd accepts; the staged controller runs and its CLI answers', async (t) => {
    const r = run('sh', [join(ROOT, 'scripts/install.sh'), 'controller', '--root', ctlRoot]);
    assert.equal(r.status, 0, r.stderr);
    const unit = readFileSync(join(ctlRoot, 'etc/systemd/system/firebreak-controller.service'), 'utf8');
    assert.match(unit, /^ExecStart=\S+ \/opt\/firebreak\/bin\/firebreak-controller\.js --data-dir \/var\/lib\/firebreak --playbooks \/opt\/firebreak\/playbooks/m);
    assert.match(unit, /^CapabilityBoundingSet=$/m);
    // the verifier wants ExecStart's program inside the root: a stand-in for node
    const nodeInRoot = join(ctlRoot, /^ExecStart=(\S+)/m.exec(unit)![1]!);
    mkdirSync(dirname(nodeInRoot), { recursive: true });
    writeFileSync(nodeInRoot, '#!/bin/sh\n');
    chmodSync(nodeInRoot, 0o755);
    t.diagnostic(`controller unit exposure (systemd-analyze security): ${verifyUnit(ctlRoot, 'firebreak-controller.service')}`);

    const prefix = join(ctlRoot, 'opt/firebreak');
    const ctl = await startUntil(process.execPath, [join(prefix, 'bin/firebreak-controller.js'), '--data-dir', ctlData, '--listen', '127.0.0.1:0',
      '--enroll-listen', '127.0.0.1:0', '--operator-listen', '127.0.0.1:0', '--playbooks', join(prefix, 'playbooks')], process.env, '"controller ready"');
    children.push(ctl.child);
    const hosts = firebreak('hosts', '-o', 'json');
    assert.equal(hosts.status, 0, hosts.stderr);
    assert.deepEqual(JSON.parse(hosts.stdout), []);
  });

  it('the archive matches its checksum and installs the agent: config, root-only enroll.env, a unit systemd accepts; it enrolls with only those', async (t) => {
    const dist = join(dir.path, 'dist');
    const { archive, checksum } = await buildAgent(dist);
    const check = run('sha256sum', ['-c', basename(checksum)], { cwd: dist });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const unpack = join(dir.path, 'unpacked');
    mkdirSync(unpack);
    assert.equal(run('tar', ['xzf', archive, '-C', unpack]).status, 0);
    const top = join(unpack, basename(archive, '.tar.gz'));

    const live = JSON.parse(readFileSync(join(ctlData, 'controller.json'), 'utf8')) as { agentPort: number; enrollPort: number; caFingerprint: string };
    const tok = firebreak('tokens', 'create', '-o', 'json');
    assert.equal(tok.status, 0, tok.stderr);
    writeFileSync(join(dir.path, 'token'), `${(JSON.parse(tok.stdout) as { token: string }).token}\n`);
    const args = ['agent', '--root', agentRoot, '--controller', `127.0.0.1:${live.agentPort}`, '--enroll-address', `127.0.0.1:${live.enrollPort}`,
      '--ca-pin', live.caFingerprint, '--enroll-token-file', join(dir.path, 'token'), '--tag', 'role=web'];
    const r = run(join(top, 'install.sh'), args);
    assert.equal(r.status, 0, r.stderr);
    for (const f of ['firebreak-agent', 'firebreak-agent.mjs', 'firebreak.proto']) assert.ok(existsSync(join(agentRoot, 'opt/firebreak-agent', f)), f);
    assert.equal(mode(join(agentRoot, 'opt/firebreak-agent/firebreak-agent')), '755');
    const data = join(agentRoot, 'var/lib/firebreak-agent');
    assert.equal(mode(data), '700');
    assert.deepEqual(JSON.parse(readFileSync(join(data, 'agent.json'), 'utf8')),
      { controller: `127.0.0.1:${live.agentPort}`, enrollAddress: `127.0.0.1:${live.enrollPort}`, tags: { role: 'web' } });
    assert.equal(mode(join(data, 'agent.json')), '600');
    const envFile = join(agentRoot, 'etc/firebreak-agent/enroll.env');
    assert.equal(mode(envFile), '600');
    const env = Object.fromEntries(readFileSync(envFile, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.deepEqual(Object.keys(env), ['FIREBREAK_ENROLL_TOKEN', 'FIREBREAK_CA_PIN']);
    const unit = readFileSync(join(agentRoot, 'etc/systemd/system/firebreak-agent.service'), 'utf8');
    const exec = /^ExecStart=(.*)$/m.exec(unit)![1]!;
    assert.equal(exec, '/opt/firebreak-agent/firebreak-agent run --data-dir /var/lib/firebreak-agent');
    assert.match(unit, /^AmbientCapabilities=CAP_NET_ADMIN$/m);
    assert.doesNotMatch(unit, /@[A-Z_]+@/, 'every placeholder filled');
    t.diagnostic(`agent unit exposure (systemd-analyze security): ${verifyUnit(agentRoot, 'firebreak-agent.service')}`);

    // what systemd would run, under the staging root: the unit's command, its environment file, nothing else
    // (dry-run backend: this test must not touch the machine's own firewall)
    const [, ...unitArgs] = exec.split(' ');
    const agent = await startUntil(join(agentRoot, 'opt/firebreak-agent/firebreak-agent'),
      [...unitArgs.map((a) => (a.startsWith('/var/') ? join(agentRoot, a) : a)), '--id', 'installed', '--backend', 'dry-run'],
      { PATH: process.env.PATH, ...env }, 'connected to controller');
    children.push(agent.child);
    const hosts = JSON.parse(firebreak('hosts', '-o', 'json').stdout) as { id: string; online: boolean }[];
    assert.deepEqual(hosts.map((h) => [h.id, h.online]), [['installed', true]]);

    // a second run upgrades the program files and keeps the data dir's config
    const again = run(join(top, 'install.sh'), args);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /kept the existing/);
  });

  it('refuses what it cannot do, with the reason: unknown option, bad address, relative path', () => {
    const script = join(ROOT, 'scripts/install.sh');
    const root = join(dir.path, 'refused');
    const cases: [string[], RegExp][] = [
      [['agent', '--root', root, '--bogus'], /unknown option '--bogus'/],
      [['agent', '--root', root, '--controller', 'not an address'], /is not HOST:PORT/],
      [['agent', '--root', root, '--prefix', 'opt/x'], /--prefix must be an absolute path/],
      [['controller', '--root', root, '--controller', 'a:1'], /agent options/],
      [['server'], /first argument must be 'agent' or 'controller'/],
    ];
    for (const [args, re] of cases) {
      const r = run('sh', [script, ...args]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, re);
    }
  });
});
