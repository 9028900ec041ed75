// The virus throttle applied by the real backends (nftables, then the iptables
// fallback) inside namespaces this test makes, against real connections from
// h1 to 40 addresses of a peer; for every connection the evaluator, replayed in
// time order with a ThrottleTracker, must agree with what the kernel did.
// Needs root, iproute2, nftables and iptables.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ThrottleParams__Output } from '../../proto/wire.ts';
import type { ControllerEndpoint, EnforcementState } from '../../agent/enforce/backend.ts';
import { evaluateFlow } from '../../agent/enforce/evaluate.ts';
import { ThrottleTracker, XT_RECENT_SIZE } from '../../agent/enforce/throttle.ts';
import { requireNetnsTools, TestNetwork } from '../../scripts/netns/netns.ts';
import type { ThrottlePlan, ThrottleProbe, ThrottleProbeResult } from '../../scripts/netns/throttle-probe.ts';

const PROBE = fileURLToPath(new URL('../../scripts/netns/throttle-probe.ts', import.meta.url));
const CTRL_PORT = 7443;
const TIMEOUT_MS = 600; // under TCP's first SYN retransmission (1 s): a dropped SYN is not retried
const EXTRA = 40; // addresses on the peer: 10.77.0.101-140 and fd77::101-140

let net: TestNetwork;
let controller: ControllerEndpoint;
let hostRulesetBefore = '';

const T = (over: Partial<ThrottleParams__Output> = {}): ThrottleParams__Output => ({ newPerSecond: 1, burst: 5, workingSetS: 60, expiresAtMs: 0, ...over });
const state = (throttle: ThrottleParams__Output | null, backend: 'nftables' | 'iptables'): EnforcementState =>
  ({ isolated: false, allowlist: [], blocks: [], backend: backend === 'nftables' ? 'NFTABLES' : 'IPTABLES', rulesetHash: '', controllerEndpoint: '', stateLost: '', throttle });
const v4 = (i: number) => `10.77.0.${100 + i}`;
const v6 = (i: number) => `fd77::${100 + i}`;
const ruleset = (): string => execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });

async function probe(plan: ThrottlePlan): Promise<ThrottleProbeResult[]> {
  const res = await net.exec('h1', process.execPath, ['--import', 'tsx', PROBE, '-'], { input: JSON.stringify(plan), timeoutMs: 20_000 });
  if (res.code !== 0) throw new Error(`throttle probe in h1 failed (exit ${res.code}): ${res.stderr.trim()}`);
  return JSON.parse(res.stdout) as ThrottleProbeResult[];
}

/** The tracker that models a backend's kernel state (see the differences in iptables.ts). */
const trackerFor = (backend: 'nftables' | 'iptables') =>
  backend === 'nftables' ? new ThrottleTracker() : new ThrottleTracker({ bucketPerFamily: true, maxEntries: XT_RECENT_SIZE, whenFull: 'evict-oldest' });

/** Replays the evaluator over the results in start order; returns the mismatches. */
function disagreements(s: EnforcementState, results: ThrottleProbeResult[], tracker: ThrottleTracker): string[] {
  const out: string[] = [];
  for (const r of [...results].sort((a, b) => a.startedAtMs - b.startedAtMs)) {
    const v = evaluateFlow(s, controller, { direction: 'out', protocol: r.protocol, localPort: r.localPort ?? 40000, remoteAddress: r.address, remotePort: r.port }, r.startedAtMs, tracker);
    if (v.pass !== r.ok) out.push(`${r.protocol} ${r.address}:${r.port} at +${(r.startedAtMs - results[0]!.startedAtMs).toFixed(0)} ms: kernel ${r.ok ? 'passed' : `dropped (${r.detail})`}, evaluator ${v.pass ? 'passes' : 'drops'} (${v.reason})`);
  }
  return out;
}

before(async () => {
  await requireNetnsTools(); // the NEEDS message, not a raw `spawnSync nft ENOENT`, on a machine without them
  hostRulesetBefore = ruleset();
  net = await TestNetwork.create(['ctrl', 'h1', 'peer']);
  const peer = net.host('peer');
  for (let i = 1; i <= EXTRA; i++) {
    await net.mustExec('peer', 'ip', ['addr', 'add', `${v4(i)}/24`, 'dev', 'eth0']);
    await net.mustExec('peer', 'ip', ['addr', 'add', `${v6(i)}/64`, 'dev', 'eth0', 'nodad']);
  }
  controller = { targets: [{ address: net.host('ctrl').v4, port: CTRL_PORT }, { address: net.host('ctrl').v6, port: CTRL_PORT }], dnsServers: [net.host('ctrl').v4] };
  await Promise.all([
    net.listen('ctrl', { tcp: [CTRL_PORT, 8080], udp: [53] }),
    net.listen('peer', { tcp: [80], udp: [9000] }),
  ]);
  // warm the neighbour caches, so the first SYN of a test does not wait for ARP/ND
  const warm = Array.from({ length: EXTRA }, (_, i) => [{ address: v4(i + 1), port: 80 }, { address: v6(i + 1), port: 80 }]).flat();
  const r = await probe({ mode: 'paced', timeoutMs: 2000, probes: [...warm, { address: peer.v4, port: 80 }] });
  assert.ok(r.every((x) => x.ok), `the test network does not connect without rules: ${r.filter((x) => !x.ok).map((x) => `${x.address} ${x.detail}`).join(', ')}`);
});

after(async () => {
  await net?.destroy();
});

for (const backend of ['nftables', 'iptables'] as const) {
  describe(`throttle with the ${backend} backend in a network namespace`, { timeout: 60_000 }, () => {
    before(async () => {
      if (backend === 'iptables') {
        const missing = ['iptables-restore', 'ip6tables-restore'].filter((t) => {
          try { execFileSync('which', [t]); return false; } catch { return true; }
        });
        if (missing.length) throw new Error(`${missing.join(' and ')} not found: apt-get install -y iptables`);
        await net.clearState('h1', 'nftables');
      }
    });

    after(async () => {
      await net?.clearState('h1', backend);
    });

    it('30 new destinations in a burst: burst + rate x elapsed pass, the rest drop; the working set, the controller and DNS stay free', async () => {
      const s = state(T(), backend);
      await net.applyState('h1', s, controller, backend);
      const probes: ThrottleProbe[] = [
        ...Array.from({ length: 30 }, (_, i) => ({ address: v4(i + 1), port: 80, atMs: 0 })),
        // the first five were admitted: in the working set now, each connects again and again
        ...Array.from({ length: 20 }, (_, i) => ({ address: v4(1 + (i % 5)), port: 80, atMs: 100 + i * 10 })),
        // the controller's address and port, and DNS to its resolver, with the bucket empty
        ...Array.from({ length: 10 }, (_, i) => ({ address: controller.targets[i % 2]!.address, port: CTRL_PORT, atMs: 320 + i * 5 })),
        { address: net.host('ctrl').v4, port: 53, protocol: 'udp' as const, atMs: 380 },
        // still empty: new destinations drop, udp as well as tcp, and the controller's address on another port
        { address: v4(31), port: 80, atMs: 400 }, { address: v4(32), port: 9000, protocol: 'udp' as const, atMs: 405 },
        { address: net.host('ctrl').v4, port: 8080, atMs: 410 },
        // a token comes back each second
        { address: v4(33), port: 80, atMs: 1500 }, { address: v4(34), port: 80, atMs: 2600 },
      ];
      const results = await probe({ mode: 'paced', timeoutMs: TIMEOUT_MS, probes });
      assert.deepEqual(disagreements(s, results, trackerFor(backend)), [], 'the kernel and the evaluator disagree');

      const t0 = results[0]!.startedAtMs;
      const burst = results.slice(0, 30);
      const burstElapsedS = (burst.at(-1)!.startedAtMs - t0) / 1000;
      const passed = burst.filter((r) => r.ok).length;
      assert.ok(passed >= 5 && passed <= 5 + Math.floor(burstElapsedS * 1) + 1, `${passed} of 30 new destinations passed within ${burstElapsedS.toFixed(3)} s; expected about 5`);
      assert.ok(results.slice(30, 50).every((r) => r.ok), 'the working set connects without loss');
      assert.ok(results.slice(50, 61).every((r) => r.ok), 'the controller and DNS to its resolver are never throttled');
      assert.deepEqual(results.slice(61, 64).map((r) => r.ok), [false, false, false], 'new destinations drop while the bucket is empty');
      assert.deepEqual(results.slice(64).map((r) => r.ok), [true, true], 'one new destination a second');
      const newOnes = [...burst, ...results.slice(61)];
      const admitted = newOnes.filter((r) => r.ok).length;
      const spanS = (newOnes.at(-1)!.startedAtMs - t0) / 1000;
      assert.ok(admitted <= 5 + Math.ceil(spanS), `${admitted} new destinations in ${spanS.toFixed(2)} s is more than burst + rate x elapsed`);
    });

    it(backend === 'nftables' ? 'one bucket for both families' : 'one bucket per family (iptables and ip6tables are apart)', async () => {
      const s = state(T({ burst: 3 }), backend);
      await net.applyState('h1', s, controller, backend);
      const probes = [...[1, 2, 3].map((i) => ({ address: v4(i), port: 80 })), ...[1, 2, 3].map((i) => ({ address: v6(i), port: 80 }))];
      const results = await probe({ mode: 'paced', timeoutMs: TIMEOUT_MS, probes });
      assert.deepEqual(disagreements(s, results, trackerFor(backend)), [], 'the kernel and the evaluator disagree');
      assert.deepEqual(results.map((r) => r.ok), backend === 'nftables' ? [true, true, true, false, false, false] : [true, true, true, true, true, true]);
    });

    it('UNTHROTTLE restores every flow', async () => {
      const s = state(null, backend);
      await net.applyState('h1', s, controller, backend);
      const probes = Array.from({ length: 30 }, (_, i) => ({ address: i % 2 ? v6(i + 1) : v4(i + 1), port: 80 }));
      const results = await probe({ mode: 'paced', timeoutMs: TIMEOUT_MS, probes });
      assert.deepEqual(disagreements(s, results, trackerFor(backend)), []);
      assert.ok(results.every((r) => r.ok), `still dropped: ${results.filter((r) => !r.ok).map((r) => r.address).join(', ')}`);
    });
  });
}

describe('throttle tests and the machine', () => {
  it("leave the machine's own namespace untouched (nft ruleset; iptables chains)", () => {
    assert.equal(ruleset(), hostRulesetBefore);
    let saved = '';
    try { saved = execFileSync('iptables-save', { encoding: 'utf8' }); } catch { saved = ''; }
    assert.doesNotMatch(saved, /FIREBREAK/);
  });
});
