// The kernel connection counter inside a host namespace the test creates: 200
// outbound connection attempts to closed ports, each over within a
// millisecond (refused), are all counted by the kernel, while a /proc socket
// table read a moment later sees none of them; the agent's sampler hands those
// destinations to the detectors. Needs root, iproute2, nftables.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestNetwork } from '../../scripts/netns/netns.ts';
import type { KernelCounts } from '../../agent/sample/kernel-count.ts';
import { tempDir } from '../helpers/procs.ts';

const DRIVER = fileURLToPath(new URL('../../scripts/netns/kernel-count-driver.ts', import.meta.url));
const ruleset = (): string => execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });

describe('kernel connection counter in a network namespace', { timeout: 90_000 }, () => {
  let net: TestNetwork;
  let before0 = '';

  before(async () => {
    before0 = ruleset();
    net = await TestNetwork.create(['h1', 'h2']);
  });
  after(async () => { await net?.destroy(); });

  it('counts every short-lived outbound attempt that a socket table read misses', async () => {
    const install = await net.node('h1', DRIVER, ['install', '30']);
    assert.equal(install.code, 0, install.stderr);
    const target = net.host('h2').v4;
    const specs = Array.from({ length: 200 }, (_, i) => ({ protocol: 'tcp' as const, address: target, port: 20000 + i, timeoutMs: 1000 }));
    const results = await net.probe('h1', specs);
    assert.ok(results.every((r) => !r.ok), 'nothing listens on those ports: every attempt is refused at once');
    // the sockets are gone: a table read now finds none of them
    const table = await net.exec('h1', 'cat', ['/proc/net/tcp']);
    const toTarget = table.stdout.split('\n').filter((l) => l.includes(':4E20') || l.includes(':4E21'));
    assert.equal(toTarget.length, 0, 'no socket to the target is left in /proc/net/tcp');
    const read = await net.node('h1', DRIVER, ['read']);
    assert.equal(read.code, 0, read.stderr);
    const k = JSON.parse(read.stdout) as KernelCounts;
    assert.equal(k.destinations, 200, 'the kernel counted every destination');
    assert.equal(k.distinctAddrs, 1);
    assert.equal(k.perPort.length, 200);
    assert.equal(k.endpoints.length, 200, 'each destination is kept as an endpoint (under the bound of 256)');
    assert.ok(k.endpoints.some((e) => e.address === target && e.port === 20000));
    const removed = await net.node('h1', DRIVER, ['remove']);
    assert.equal(removed.code, 0, removed.stderr);
  });

  it('gives the detectors the destinations of attempts the socket tables never showed, with the fast poll off', async () => {
    const install = await net.node('h1', DRIVER, ['install', '30']);
    assert.equal(install.code, 0, install.stderr);
    const d = tempDir('fb-kcount-');
    try {
      const sampling = net.node('h1', DRIVER, ['sample', d.path], { timeoutMs: 40_000 });
      for (let i = 0; i < 300 && !existsSync(join(d.path, 'ready')); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(existsSync(join(d.path, 'ready')), 'the sampler took its first sample within 30 s');
      const target = net.host('h2').v4;
      // 30 refused attempts to port 2525, like a mail worm's short sessions: gone before any table read
      await net.probe('h1', Array.from({ length: 30 }, () => ({ protocol: 'tcp' as const, address: target, port: 2525, timeoutMs: 1000 })));
      writeFileSync(join(d.path, 'go'), '');
      const res = await sampling;
      assert.equal(res.code, 0, res.stderr);
      const ctx = JSON.parse(res.stdout) as { remotes: { address: string; port: number; protocol: string }[]; newRemotePorts: [number, number][] };
      assert.ok(ctx.remotes.some((e) => e.address === target && e.port === 2525 && e.protocol === 'tcp'), `2525 on ${target} among the remotes: ${JSON.stringify(ctx.remotes.slice(0, 5))}`);
      assert.ok(ctx.newRemotePorts.some(([port, n]) => port === 2525 && n >= 1), `2525 among the new remote ports: ${JSON.stringify(ctx.newRemotePorts)}`);
    } finally {
      d.remove();
      await net.node('h1', DRIVER, ['remove']);
    }
  });

  it("leaves the machine's own namespace ruleset untouched", () => {
    assert.equal(ruleset(), before0);
  });
});
