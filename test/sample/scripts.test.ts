// Script worms: which file an interpreter runs (argv parsing), and the sampler
// on the real /proc reporting interpreter processes by their script's path and
// hash, so copies of one script under random names are one signature.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcSampler } from '../../agent/sample/proc-sampler.ts';
import { interpreterFamily, parseCmdline, scriptArgument } from '../../agent/sample/scripts.ts';
import { DetectorEngine } from '../../agent/detect/engine.ts';
import { detectorConfig } from '../../agent/detect/config.ts';
import { emptySample } from '../../agent/sample/sampler.ts';
import { killAll, spawnOrphan } from './orphan.ts';

describe('scriptArgument', () => {
  const cases: [string, string[], string | undefined][] = [
    ['/usr/bin/node', ['node', '/tmp/.cache-x/.abc'], '/tmp/.cache-x/.abc'],
    ['/usr/bin/node', ['node', '--max-old-space-size=64', '-r', './hook.js', '--import', 'tsx', 'app.js', '--flag'], 'app.js'],
    ['/usr/bin/node', ['node', '-e', 'require("/tmp/x")'], undefined],
    ['/usr/bin/node', ['node', '-pe', '1+1'], undefined],
    ['/usr/bin/node', ['node', '--eval=1'], undefined],
    ['/usr/bin/node', ['node'], undefined],
    ['/usr/bin/nodejs', ['nodejs', '--', 'srv.js'], 'srv.js'],
    ['/usr/bin/python3.11', ['python3', '-u', '-W', 'ignore', '/var/tmp/.k'], '/var/tmp/.k'],
    ['/usr/bin/python3', ['python3', '-Bc', 'import os'], undefined],
    ['/usr/bin/python3', ['python3', '-m', 'http.server'], undefined],
    ['/usr/bin/python3', ['python3', '-'], undefined],
    ['/usr/bin/perl', ['perl', '-I', '/opt/lib', '-Mstrict', '-w', 'x.pl'], 'x.pl'],
    ['/usr/bin/perl', ['perl', '-I/home/e', 'y.pl'], 'y.pl'],
    ['/usr/bin/perl', ['perl', '-ne', 'print'], undefined],
    ['/usr/bin/ruby3.1', ['ruby', '-rjson', '-w', 'z.rb'], 'z.rb'],
    ['/usr/bin/ruby', ['ruby', '-e', 'puts 1'], undefined],
    ['/usr/bin/php8.2', ['php', '-d', 'x=1', '-f', '/srv/a.php'], '/srv/a.php'],
    ['/usr/bin/php', ['php', '-r', 'echo 1;'], undefined],
    ['/usr/bin/bash', ['bash', '-e', '-o', 'pipefail', './run.sh', 'arg'], './run.sh'],
    ['/usr/bin/bash', ['bash', '+O', 'extglob', 'r.sh'], 'r.sh'],
    ['/usr/bin/dash', ['sh', '-xc', 'nft -f -'], undefined],
    ['/usr/bin/dash', ['sh', '-s', 'a'], undefined],
    ['/bin/busybox', ['sh', '/tmp/w.sh'], '/tmp/w.sh'],
    ['/bin/busybox', ['busybox', 'sh', '/tmp/w.sh'], '/tmp/w.sh'],
    ['/bin/busybox', ['wget', 'http://x/y'], undefined], // an applet, not a shell
    ['/usr/bin/nft', ['nft', '-f', '/tmp/rules'], undefined], // not an interpreter
    ['/tmp/x/python3 (deleted)', ['python3', 'a.py'], 'a.py'],
  ];
  for (const [exe, argv, want] of cases) {
    it(`${argv.join(' ')} → ${want ?? 'no script'}`, () => assert.equal(scriptArgument(exe, argv), want));
  }

  it('knows interpreters by basename, and splits a NUL-separated cmdline', () => {
    assert.equal(interpreterFamily('/usr/local/bin/python3.12'), 'python');
    assert.equal(interpreterFamily('/usr/bin/pythonista'), undefined);
    assert.equal(interpreterFamily('/usr/sbin/sshd'), undefined);
    assert.deepEqual(parseCmdline('node\0/tmp/a b\0\0x\0'), ['node', '/tmp/a b', '', 'x']);
    assert.deepEqual(parseCmdline(''), []);
  });
});

describe('ProcSampler: interpreter processes by their script, on the real /proc', () => {
  const orphans: number[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'fb-scripts-'));
  after(() => {
    killAll(orphans);
    rmSync(dir, { recursive: true, force: true });
  });
  const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
  // As the agent hashes it: node is bigger than the hasher's 64 MiB bound, so its hash is ''.
  const agentSha = (path: string): string => (statSync(path).size > 64 * 1024 * 1024 ? '' : sha(path));

  it('hashes the script a new node, perl or sh process runs, leaves inline code as the interpreter, learns running scripts', async () => {
    const hidden = join(dir, '.cache-x');
    mkdirSync(hidden);
    // The worm: one script, copied under random names.
    const worm = join(hidden, '.abc');
    writeFileSync(worm, 'setTimeout(() => {}, 30000); // worm\n');
    copyFileSync(worm, join(hidden, '.def'));
    const perl = join(dir, 'w.pl');
    writeFileSync(perl, 'sleep 30;\n');
    const shell = join(dir, 'w.sh');
    writeFileSync(shell, 'sleep 30\ntrue\n');
    const service = join(dir, 'service.js');
    writeFileSync(service, 'setTimeout(() => {}, 30000); // already running at start\n');

    const s = new ProcSampler({ pollMs: 0, hashWaitMs: 2000 });
    try {
      orphans.push(spawnOrphan(process.execPath, [service]));
      await new Promise((r) => setTimeout(r, 100));
      await s.sample();
      // A script running at the first sample is offered for learning as its script, and its interpreter as itself.
      const existing = s.context().existingProcesses;
      assert.ok(existing.some((p) => p.exe === service && p.sha256 === sha(service)), 'the running script');
      const nodeExe = realpathSync(process.execPath);
      assert.ok(existing.some((p) => p.exe === nodeExe && p.sha256 === agentSha(nodeExe)), 'its interpreter');

      const byAbs = spawnOrphan(process.execPath, [worm]);
      const byRel = spawnOrphan(process.execPath, ['--no-warnings', '.cache-x/.def'], dir); // relative to its cwd
      const inline = spawnOrphan(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
      const byPerl = spawnOrphan('perl', ['-w', perl]);
      const bySh = spawnOrphan('sh', [shell]);
      orphans.push(byAbs, byRel, inline, byPerl, bySh);
      await new Promise((r) => setTimeout(r, 300));

      const b = await s.sample();
      const seen = new Map(b.newProcesses.map((p) => [p.pid, p]));
      const wormHash = sha(worm);
      assert.deepEqual([seen.get(byAbs)?.exe, seen.get(byAbs)?.sha256, seen.get(byAbs)?.name], [worm, wormHash, 'node']);
      assert.deepEqual([seen.get(byRel)?.exe, seen.get(byRel)?.sha256], [join(hidden, '.def'), wormHash], 'a relative path resolved against its cwd');
      assert.deepEqual([seen.get(inline)?.exe, seen.get(inline)?.sha256], [nodeExe, agentSha(nodeExe)], 'inline code: the interpreter');
      assert.deepEqual([seen.get(byPerl)?.exe, seen.get(byPerl)?.sha256, seen.get(byPerl)?.name], [perl, sha(perl), 'perl']);
      const dash = realpathSync('/bin/sh');
      assert.deepEqual([seen.get(bySh)?.exe, seen.get(bySh)?.sha256, seen.get(bySh)?.name], [shell, sha(shell), dash.split('/').pop()]);
      // The interpreter stays visible to the detectors.
      const ctx = s.context();
      assert.equal(ctx.interpreters?.get(byAbs)?.exe, nodeExe);
      assert.equal(ctx.interpreters?.get(byAbs)?.sha256, agentSha(nodeExe));
      assert.equal(ctx.interpreters?.has(inline), false);

      // The detectors, having learned the host as it started: the two worm copies are one
      // new-script event (world-writable and hidden: the higher score); the running service, and
      // node itself, are known.
      const e = new DetectorEngine({ config: detectorConfig({ learningSamples: 1 }) });
      e.observe(emptySample(1), { existingProcesses: existing });
      const events = e.observe({ ...b, newProcesses: b.newProcesses.filter((p) => [byAbs, byRel, inline].includes(p.pid)) }, ctx);
      const news = events.filter((a) => a.kind === 'PROCESS_NEW');
      assert.deepEqual(news.map((a) => [a.signature, a.value, a.score]), [[`proc.new/sha256:${wormHash}`, 2, 3]]);
      assert.match(news[0]!.evidence?.detail ?? '', new RegExp(`^new script ${worm} run by ${nodeExe}`));
    } finally {
      s.close();
    }
  });
});
