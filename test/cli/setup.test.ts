// npm run setup on a machine that has everything says so and installs nothing; on
// one that lacks every tool (a PATH with none of them) it names each Debian
// package and the apt line, and exits 1 rather than half-working.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/procs.ts';

const setup = (env: NodeJS.ProcessEnv) => spawnSync('/bin/sh', [join(ROOT, 'scripts/setup.sh')], { encoding: 'utf8', env, timeout: 10_000 });

test('setup names every missing package and the apt line when the tools are absent', () => {
  const r = setup({ PATH: '/nonexistent' });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /missing: nftables iproute2 iptables openssl systemd chromium\./);
  assert.match(r.stderr, /apt-get install -y nftables iproute2 iptables openssl systemd chromium$/m);
});

test('setup installs nothing when every tool is here (as on CI after its first run)', () => {
  const r = setup(process.env);
  if (r.status !== 0) assert.fail(`this machine lacks a tool the tests need; run npm run setup as root first:\n${r.stderr}`);
  assert.match(r.stdout, /nothing to install/);
});
