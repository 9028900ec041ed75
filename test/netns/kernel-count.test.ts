// The kernel connection counter inside a host namespace the test creates: 200
// outbound connection attempts to closed ports, each over within a
// millisecond (refused), are all counted by the kernel, while a /proc socket
// table read a moment later sees none of them; the agent's sampler hands those
// destinations to the detectors. Contacts: a connection from h1 to h2 is an
// OUT contact in h1's sample and an IN contact in h2's, from the kernel's sets
// and from the socket tables alike. Needs root, iproute2, nftables.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import type { Contact__Output } from '../../proto/wire.ts';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireNetnsTools, TestNetwork } from '../../scripts/netns/netns.ts';
import type { KernelCounts } from '../../agent/sample/kernel-count.ts';
import { tempDir } from '../helpers/procs.ts';

const DRIVER = fileURLToPath(new URL('../../scripts/netns/kernel-count-driver.ts', import.meta.url));
const ruleset = (): string => execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });

interface SampleOut { contacts: Contact__Output[]; contactsTracked: boolean; contactsDropped: number }
const show = (c: Contact__Output[]): string => JSON.stringify(c.map((x) => `${x.direction} ${x.remoteAddress} ${x.port}`));

describe('kernel connection counter in a network namespace', { timeout: 90_000 }, () => {
  let net: TestNetwork;
  let before0 = '';

  before(async () => {
    await requireNetnsTools(); // the NEEDS message, not a raw `spawnSync nft ENOENT`, on a machine without them
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

  /**
   * Samplers in h1 and h2 take a first sample, then `traffic` runs, then both
   * take their second sample, whose output is returned. mode 'tables': socket tables only.
   */
  async function sampleAround(traffic: () => Promise<void>, mode?: 'tables'): Promise<{ h1: SampleOut; h2: SampleOut }> {
    const d1 = tempDir('fb-contact1-');
    const d2 = tempDir('fb-contact2-');
    try {
      const extra = mode ? [mode] : [];
      const s1 = net.node('h1', DRIVER, ['sample', d1.path, ...extra], { timeoutMs: 40_000 });
      const s2 = net.node('h2', DRIVER, ['sample', d2.path, ...extra], { timeoutMs: 40_000 });
      const ready = () => existsSync(join(d1.path, 'ready')) && existsSync(join(d2.path, 'ready'));
      for (let i = 0; i < 300 && !ready(); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(ready(), 'both samplers took their first sample within 30 s');
      await traffic();
      writeFileSync(join(d1.path, 'go'), '');
      writeFileSync(join(d2.path, 'go'), '');
      const [r1, r2] = await Promise.all([s1, s2]);
      assert.equal(r1.code, 0, r1.stderr);
      assert.equal(r2.code, 0, r2.stderr);
      return { h1: JSON.parse(r1.stdout) as SampleOut, h2: JSON.parse(r2.stdout) as SampleOut };
    } finally {
      d1.remove();
      d2.remove();
    }
  }

  it('traces a connection from h1 to h2 as an OUT contact in h1 and an IN contact in h2, IPv4 and IPv6, from the kernel sets', async () => {
    for (const h of ['h1', 'h2']) {
      const install = await net.node(h, DRIVER, ['install', '30']);
      assert.equal(install.code, 0, install.stderr);
    }
    const listener = await net.listen('h2', { tcp: [2626] });
    try {
      const a = net.host('h1');
      const b = net.host('h2');
      let from = 0;
      let to = 0;
      const { h1, h2 } = await sampleAround(async () => {
        from = Date.now();
        // short sessions, closed before the second sample: the kernel's sets still have them
        const res = await net.probe('h1', [{ protocol: 'tcp', address: b.v4, port: 2626 }, { protocol: 'tcp', address: b.v6, port: 2626 }]);
        to = Date.now();
        assert.ok(res.every((r) => r.ok), `h1 reaches h2's listener: ${JSON.stringify(res)}`);
      });
      assert.equal(h1.contactsTracked, true);
      assert.equal(h2.contactsTracked, true);
      const has = (list: Contact__Output[], dir: string, addr: string) =>
        list.find((c) => c.direction === dir && c.remoteAddress === addr && c.port === 2626 && c.protocol === 'tcp');
      for (const addr of [b.v4, b.v6]) assert.ok(has(h1.contacts, 'OUT', addr), `h1 reports OUT to ${addr}:2626: ${show(h1.contacts)}`);
      for (const addr of [a.v4, a.v6]) assert.ok(has(h2.contacts, 'IN', addr), `h2 reports IN from ${addr} on 2626: ${show(h2.contacts)}`);
      // first seen when the SYN went, from the element's age (nft's whole seconds: within about a second)
      for (const c of [...h1.contacts, ...h2.contacts].filter((x) => x.port === 2626)) {
        assert.ok(c.firstSeenMs >= from - 1500 && c.firstSeenMs <= to + 1500, `first seen ${c.firstSeenMs - from} ms after the probe began (${to - from} ms long)`);
      }
      // each once, and nothing on loopback
      assert.equal(h2.contacts.filter((c) => c.direction === 'IN' && c.port === 2626).length, 2);
      assert.ok([...h1.contacts, ...h2.contacts].every((c) => !c.remoteAddress.startsWith('127.') && c.remoteAddress !== '::1'));
    } finally {
      listener.kill('SIGKILL');
      for (const h of ['h1', 'h2']) await net.node(h, DRIVER, ['remove']);
    }
  });

  it('refreshes an inbound element when the same peer comes back, so the repeat that may have carried a worm is seen', async () => {
    const install = await net.node('h2', DRIVER, ['install', '30']);
    assert.equal(install.code, 0, install.stderr);
    const listener = await net.listen('h2', { tcp: [2828] });
    try {
      const a = net.host('h1');
      const b = net.host('h2');
      const inboundAt = async (): Promise<number> => {
        const read = await net.node('h2', DRIVER, ['read']);
        assert.equal(read.code, 0, read.stderr);
        const c = (JSON.parse(read.stdout) as { contacts: { direction: string; address: string; port: number; firstSeenMs: number }[] })
          .contacts.find((x) => x.direction === 'IN' && x.address === a.v4 && x.port === 2828);
        assert.ok(c, `h2's inbound set holds h1 on 2828: ${read.stdout.slice(0, 400)}`);
        return c.firstSeenMs;
      };
      assert.ok((await net.probe('h1', [{ protocol: 'tcp', address: b.v4, port: 2828 }])).every((r) => r.ok));
      const first = await inboundAt();
      await new Promise((r) => setTimeout(r, 2500)); // nft's times are whole seconds
      const again = Date.now();
      assert.ok((await net.probe('h1', [{ protocol: 'tcp', address: b.v4, port: 2828 }])).every((r) => r.ok));
      const second = await inboundAt();
      assert.ok(second >= again - 1500 && second - first >= 1000, `the element's time moved to the second SYN: ${first} -> ${second} (second SYN at ${again})`);
    } finally {
      listener.kill('SIGKILL');
      await net.node('h2', DRIVER, ['remove']);
    }
  });

  it('traces a long-lived connection from the socket tables alone, both ends', async () => {
    const listener = await net.listen('h2', { tcp: [2727] });
    let session: Awaited<ReturnType<TestNetwork['session']>> | undefined;
    try {
      const { h1, h2 } = await sampleAround(async () => {
        session = await net.session('h1', net.host('h2').v4, 2727);
      }, 'tables');
      assert.equal(h1.contactsTracked, true);
      assert.ok(h1.contacts.some((c) => c.direction === 'OUT' && c.remoteAddress === net.host('h2').v4 && c.port === 2727),
        `h1 reports OUT to h2:2727: ${show(h1.contacts)}`);
      assert.ok(h2.contacts.some((c) => c.direction === 'IN' && c.remoteAddress === net.host('h1').v4 && c.port === 2727),
        `h2 reports IN from h1 on 2727: ${show(h2.contacts)}`);
    } finally {
      session?.child.kill('SIGKILL');
      listener.kill('SIGKILL');
    }
  });

  it("leaves the machine's own namespace ruleset untouched", () => {
    assert.equal(ruleset(), before0);
  });
});
