// The kernel connection counter inside a host namespace the test creates: 200
// outbound connection attempts to closed ports, each over within a
// millisecond (refused), are all counted by the kernel, while a /proc socket
// table read a moment later sees none of them. Needs root, iproute2, nftables.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TestNetwork } from '../../scripts/netns/netns.ts';
import type { KernelCounts } from '../../agent/sample/kernel-count.ts';

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
    const removed = await net.node('h1', DRIVER, ['remove']);
    assert.equal(removed.code, 0, removed.stderr);
  });

  it("leaves the machine's own namespace ruleset untouched", () => {
    assert.equal(ruleset(), before0);
  });
});
