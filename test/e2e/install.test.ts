// Installing as ops would: the agent archive `npm run build:agent` ships
// (checksum, unpack, install.sh), and the controller from a checkout, each laid
// out under a staging root (--root: no user is created, systemd is not told,
// the machine's own /etc and /opt are untouched). The units are checked by
// systemd's own verifier against that root, and the staged controller runs
// from where it was installed and answers the CLI installed beside it.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
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

describe('install: the agent archive and the controller as systemd services', () => {
  const dir = tempDir('firebreak-install-');
  before(() => {
    if (!existsSync('/usr/lib/systemd/system')) throw new Error(`${NEEDS} (no /usr/lib/systemd/system)`);
    run('systemd-analyze', ['--version']);
  });
  after(() => dir.remove());

  it('the archive matches its checksum, installs the agent with its config, a root-only token file and a unit systemd accepts', async (t) => {
    const dist = join(dir.path, 'dist');
    const { archive, checksum } = await buildAgent(dist);
    const check = run('sha256sum', ['-c', basename(checksum)], { cwd: dist });
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const unpack = join(dir.path, 'unpacked');
    mkdirSync(unpack);
    assert.equal(run('tar', ['xzf', archive, '-C', unpack]).status, 0);
    const top = join(unpack, basename(archive, '.tar.gz'));
    writeFileSync(join(dir.path, 'token'), 'fbe_token123\n');

    const root = join(dir.path, 'agent-root');
    const args = ['agent', '--root', root, '--controller', '10.0.0.5:7443', '--ca-pin', 'AB:CD:EF', '--enroll-token-file', join(dir.path, 'token'), '--tag', 'role=web'];
    const r = run(join(top, 'install.sh'), args);
    assert.equal(r.status, 0, r.stderr);
    for (const f of ['firebreak-agent', 'firebreak-agent.mjs', 'firebreak.proto']) assert.ok(existsSync(join(root, 'opt/firebreak-agent', f)), f);
    assert.equal(mode(join(root, 'opt/firebreak-agent/firebreak-agent')), '755');
    assert.equal(mode(join(root, 'var/lib/firebreak-agent')), '700');
    assert.deepEqual(JSON.parse(readFileSync(join(root, 'var/lib/firebreak-agent/agent.json'), 'utf8')), { controller: '10.0.0.5:7443', tags: { role: 'web' } });
    assert.equal(mode(join(root, 'var/lib/firebreak-agent/agent.json')), '600');
    const env = join(root, 'etc/firebreak-agent/enroll.env');
    assert.equal(readFileSync(env, 'utf8'), 'FIREBREAK_ENROLL_TOKEN=fbe_token123\nFIREBREAK_CA_PIN=AB:CD:EF\n');
    assert.equal(mode(env), '600');
    const unit = readFileSync(join(root, 'etc/systemd/system/firebreak-agent.service'), 'utf8');
    assert.match(unit, /^ExecStart=\/opt\/firebreak-agent\/firebreak-agent run --data-dir \/var\/lib\/firebreak-agent$/m);
    assert.match(unit, /^AmbientCapabilities=CAP_NET_ADMIN$/m);
    assert.doesNotMatch(unit, /@[A-Z_]+@/, 'every placeholder filled');
    t.diagnostic(`agent unit exposure (systemd-analyze security): ${verifyUnit(root, 'firebreak-agent.service')}`);

    // a second run upgrades the program files and keeps the data dir's config
    writeFileSync(join(root, 'var/lib/firebreak-agent/agent.json'), '{"controller":"10.9.9.9:7443"}');
    const again = run(join(top, 'install.sh'), args);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /kept the existing/);
    assert.equal(JSON.parse(readFileSync(join(root, 'var/lib/firebreak-agent/agent.json'), 'utf8')).controller, '10.9.9.9:7443');
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

  it('installs the controller from the checkout; the staged controller runs from there and its CLI answers', async (t) => {
    const root = join(dir.path, 'controller-root');
    const r = run('sh', [join(ROOT, 'scripts/install.sh'), 'controller', '--root', root]);
    assert.equal(r.status, 0, r.stderr);
    const prefix = join(root, 'opt/firebreak');
    const unit = readFileSync(join(root, 'etc/systemd/system/firebreak-controller.service'), 'utf8');
    assert.match(unit, /^ExecStart=\S+ \/opt\/firebreak\/bin\/firebreak-controller\.js --data-dir \/var\/lib\/firebreak --playbooks \/opt\/firebreak\/playbooks/m);
    assert.match(unit, /^CapabilityBoundingSet=$/m);
    // the verifier wants ExecStart's program inside the root: a stand-in for node
    const nodeInRoot = join(root, /^ExecStart=(\S+)/m.exec(unit)![1]!);
    mkdirSync(dirname(nodeInRoot), { recursive: true });
    writeFileSync(nodeInRoot, '#!/bin/sh\n');
    chmodSync(nodeInRoot, 0o755);
    t.diagnostic(`controller unit exposure (systemd-analyze security): ${verifyUnit(root, 'firebreak-controller.service')}`);

    // run it from the staged tree, outside the checkout, on loopback ports the kernel picks
    const data = join(root, 'var/lib/firebreak');
    const child = spawn(process.execPath, [join(prefix, 'bin/firebreak-controller.js'), '--data-dir', data, '--listen', '127.0.0.1:0',
      '--enroll-listen', '127.0.0.1:0', '--operator-listen', '127.0.0.1:0', '--playbooks', join(prefix, 'playbooks')],
    { cwd: '/', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    try {
      await new Promise<void>((resolve, reject) => {
        let buf = '';
        const timer = setTimeout(() => reject(new Error(`the staged controller did not get ready in 30 s:\n${buf.slice(-2000)}`)), 30_000);
        const onData = (d: Buffer) => {
          buf += d.toString();
          if (buf.includes('"controller ready"')) { clearTimeout(timer); resolve(); }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the staged controller exited (${code}):\n${buf.slice(-2000)}`)); });
      });
      const hosts = run(process.execPath, [join(prefix, 'bin/firebreak.js'), '--credentials', join(data, 'admin.credentials.json'), 'hosts', '-o', 'json'], { cwd: '/' });
      assert.equal(hosts.status, 0, hosts.stderr);
      assert.deepEqual(JSON.parse(hosts.stdout), []);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
