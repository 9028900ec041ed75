// The nftables backend, applied inside a host namespace the test creates,
// against real TCP/UDP traffic; and the evaluator's verdict against what the
// kernel actually did, flow by flow. Needs root, iproute2 and nftables.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { PortBlock__Output } from '../../proto/wire.ts';
import type { ControllerEndpoint, EnforcementState } from '../../agent/enforce/backend.ts';
import { evaluateFlow, type Flow } from '../../agent/enforce/evaluate.ts';
import { requireNetnsTools, TestNetwork } from '../../scripts/netns/netns.ts';
import type { ProbeSpec } from '../../scripts/netns/traffic.ts';

const CTRL_PORT = 7443;
const TIMEOUT_MS = 700;
const EPHEMERAL = 40000; // stands in for the source port of a flow that never connected

let net: TestNetwork;
let controller: ControllerEndpoint;
let hostRulesetBefore = '';
let flowsChecked = 0;
/** which backend check() applies the state with: the nftables tests run first, then the iptables fallback */
let backendUnderTest: 'nftables' | 'iptables' = 'nftables';

const state = (over: Partial<EnforcementState> = {}): EnforcementState =>
  ({ isolated: false, allowlist: [], blocks: [], backend: 'NFTABLES', rulesetHash: '', controllerEndpoint: '', stateLost: '', throttle: null, ...over });
const block = (over: Partial<PortBlock__Output>): PortBlock__Output =>
  ({ id: 'b1', direction: 'OUT', protocol: 'TCP', ports: [{ from: 25, to: 25 }], remoteCidrs: [], remoteInternet: false, expiresAtMs: 0, ...over });

/** A flow between two test hosts (or over the subject's loopback), seen from the subject host. */
interface Case {
  from: string;
  to: string | 'lo';
  protocol: 'tcp' | 'udp';
  family: 4 | 6;
  port: number;
}

const addr = (host: string, family: 4 | 6): string => (family === 4 ? net.host(host).v4 : net.host(host).v6);

/**
 * Applies the state on `subject`, sends every flow for real, and returns the
 * outcomes; asserts that each outcome equals the evaluator's verdict.
 */
async function check(subject: string, s: EnforcementState, cases: Case[]): Promise<Map<string, boolean>> {
  await net.applyState(subject, s, controller, backendUnderTest);
  const byFrom = new Map<string, { c: Case; spec: ProbeSpec }[]>();
  for (const c of cases) {
    const address = c.to === 'lo' ? (c.family === 4 ? '127.0.0.1' : '::1') : addr(c.to, c.family);
    const from = c.to === 'lo' ? subject : c.from;
    byFrom.set(from, [...(byFrom.get(from) ?? []), { c, spec: { protocol: c.protocol, address, port: c.port, timeoutMs: TIMEOUT_MS } }]);
  }
  const outcome = new Map<string, boolean>();
  const mismatches: string[] = [];
  await Promise.all([...byFrom].map(async ([from, items]) => {
    const results = await net.probe(from, items.map((i) => i.spec));
    results.forEach((r, i) => {
      const { c } = items[i]!;
      const key = `${c.from}->${c.to} ${c.protocol}/${c.port} v${c.family}`;
      const peerPort = r.localPort ?? EPHEMERAL;
      const flow: Flow = c.to === 'lo'
        ? { direction: 'out', protocol: c.protocol, localPort: peerPort, remoteAddress: r.address, remotePort: c.port, iface: 'lo' }
        : c.from === subject
          ? { direction: 'out', protocol: c.protocol, localPort: peerPort, remoteAddress: r.address, remotePort: c.port }
          : { direction: 'in', protocol: c.protocol, localPort: c.port, remoteAddress: addr(c.from, c.family), remotePort: peerPort };
      const verdict = evaluateFlow(s, controller, flow, Date.now());
      if (verdict.pass !== r.ok) mismatches.push(`${key}: kernel ${r.ok ? 'passed' : `dropped (${r.detail})`}, evaluator says ${verdict.pass ? 'pass' : 'drop'} (${verdict.reason})`);
      outcome.set(key, r.ok);
      flowsChecked++;
    });
  }));
  assert.deepEqual(mismatches, [], 'the kernel and the evaluator disagree');
  return outcome;
}

const both = (from: string, to: string, protocol: 'tcp' | 'udp', port: number): Case[] =>
  [4, 6].map((family) => ({ from, to, protocol, port, family: family as 4 | 6 }));

/**
 * Isolation with a second controller (h3, agent port 8080: several controllers on
 * one store): both stay reachable, each on its own port only, so an isolated host
 * can still fail over. The kernel and the evaluator must agree flow by flow.
 */
async function twoControllers(backend: EnforcementState['backend']): Promise<void> {
  const one = controller;
  controller = { ...one, targets: [...one.targets, { address: net.host('h3').v4, port: 8080 }, { address: net.host('h3').v6, port: 8080 }] };
  try {
    const out = await check('h1', state({ isolated: true, backend }), [
      ...both('h1', 'ctrl', 'tcp', CTRL_PORT), ...both('h1', 'h3', 'tcp', 8080), ...both('h1', 'h3', 'tcp', 80), ...both('h1', 'h2', 'tcp', 8080),
    ]);
    for (const f of [4, 6]) {
      assert.equal(out.get(`h1->ctrl tcp/${CTRL_PORT} v${f}`), true);
      assert.equal(out.get(`h1->h3 tcp/8080 v${f}`), true, 'the second controller');
      assert.equal(out.get(`h1->h3 tcp/80 v${f}`), false, 'the second controller\'s host on another port');
      assert.equal(out.get(`h1->h2 tcp/8080 v${f}`), false, 'the second controller\'s port on another host');
    }
  } finally {
    controller = one;
  }
}

/** Everything between h1 and its peers, the controller and its own loopback. */
const H1_CASES: Case[] = [
  ...['h2', 'h3'].flatMap((peer) => [
    ...both('h1', peer, 'tcp', 80), ...both('h1', peer, 'udp', 9000),
    ...both(peer, 'h1', 'tcp', 80), ...both(peer, 'h1', 'udp', 9000),
  ]),
  ...both('h1', 'ctrl', 'tcp', CTRL_PORT),
  { from: 'h1', to: 'ctrl', protocol: 'udp', port: 53, family: 4 },
  { from: 'h1', to: 'ctrl', protocol: 'tcp', port: 53, family: 4 },
  { from: 'h1', to: 'ctrl', protocol: 'udp', port: 53, family: 6 }, // not a configured resolver address
  { from: 'h1', to: 'h2', protocol: 'udp', port: 53, family: 4 }, // DNS, but not to a resolver
  { from: 'ctrl', to: 'h1', protocol: 'tcp', port: 80, family: 4 }, // the controller's address, not its port
  ...both('h1', 'lo', 'tcp', 80), ...both('h1', 'lo', 'udp', 9000),
];

const ruleset = (): string => execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });

before(async () => {
  await requireNetnsTools(); // the NEEDS message, not a raw `spawnSync nft ENOENT`, on a machine without them
  hostRulesetBefore = ruleset();
  net = await TestNetwork.create(['ctrl', 'h1', 'h2', 'h3']);
  controller = { targets: [{ address: net.host('ctrl').v4, port: CTRL_PORT }, { address: net.host('ctrl').v6, port: CTRL_PORT }], dnsServers: [net.host('ctrl').v4] };
  await Promise.all([
    net.listen('ctrl', { tcp: [CTRL_PORT, 53], udp: [53] }),
    ...['h1', 'h2', 'h3'].map((h) => net.listen(h, { tcp: [25, 80, 8080], udp: [53, 9000] })),
  ]);
});

after(async () => {
  await net?.destroy();
});

describe('nftables backend in a network namespace', { timeout: 120_000 }, () => {
  it('isolation cuts h1 off from h2 and h3 (TCP, UDP, IPv4, IPv6) but keeps the controller, DNS and loopback', async () => {
    const before = await net.session('h2', net.host('h1').v4, 80);
    const ctrlLink = await net.session('h1', net.host('ctrl').v6, CTRL_PORT);
    const out = await check('h1', state({ isolated: true }), H1_CASES);
    assert.equal(out.get('h1->h2 tcp/80 v4'), false);
    assert.equal(out.get('h3->h1 udp/9000 v6'), false);
    assert.equal(out.get(`h1->ctrl tcp/${CTRL_PORT} v4`), true);
    assert.equal(out.get(`h1->ctrl tcp/${CTRL_PORT} v6`), true);
    assert.equal(out.get('h1->ctrl udp/53 v4'), true);
    assert.equal(out.get('h1->lo tcp/80 v6'), true);
    // no established-accept: the session opened before isolation dies...
    assert.match(await before.dead, /^dead/);
    // ...while the controller's link held through it
    const raced = await Promise.race([ctrlLink.dead, new Promise((r) => setTimeout(() => r('alive'), 1500))]);
    assert.equal(raced, 'alive');
    ctrlLink.child.kill();
  });

  it('isolation with a second controller keeps both open, each on its own port only', () => twoControllers('NFTABLES'));

  it('release restores every flow', async () => {
    const out = await check('h1', state(), H1_CASES);
    assert.ok([...out.values()].every(Boolean), `still dropped: ${[...out].filter(([, ok]) => !ok).map(([k]) => k).join(', ')}`);
  });

  it('block tcp/25 outbound on h2: h2 -> h3:25 fails, h2 -> h3:80 works, inbound 25 untouched', async () => {
    const out = await check('h2', state({ blocks: [block({})] }), [
      ...both('h2', 'h3', 'tcp', 25), ...both('h2', 'h3', 'tcp', 80), ...both('h2', 'h3', 'udp', 9000),
      ...both('h3', 'h2', 'tcp', 25), { from: 'h2', to: 'h1', protocol: 'tcp', port: 25, family: 4 },
    ]);
    assert.equal(out.get('h2->h3 tcp/25 v4'), false);
    assert.equal(out.get('h2->h3 tcp/25 v6'), false);
    assert.equal(out.get('h2->h3 tcp/80 v4'), true);
    assert.equal(out.get('h3->h2 tcp/25 v6'), true);
  });

  it('block tcp/80 inbound on h2: h3 -> h2:80 fails, h3 -> h2:25 and h2 -> h3:80 work', async () => {
    const out = await check('h2', state({ blocks: [block({ id: 'web-in', direction: 'IN', ports: [{ from: 80, to: 80 }] })] }), [
      ...both('h3', 'h2', 'tcp', 80), ...both('h3', 'h2', 'tcp', 25), ...both('h2', 'h3', 'tcp', 80), ...both('h1', 'h2', 'tcp', 8080),
    ]);
    assert.equal(out.get('h3->h2 tcp/80 v4'), false);
    assert.equal(out.get('h3->h2 tcp/80 v6'), false);
    assert.equal(out.get('h2->h3 tcp/80 v6'), true);
  });

  it('scoped blocks: a v4 CIDR leaves v6 and other hosts alone; "internet" spares private peers', async () => {
    const s = state({ blocks: [
      block({ id: 'to-h3', ports: [{ from: 8080, to: 8080 }], remoteCidrs: [`${net.host('h3').v4}/32`] }),
      block({ id: 'cut-cord', direction: 'BOTH', protocol: 'UDP', ports: [{ from: 9000, to: 9000 }], remoteInternet: true }),
      block({ id: 'udp-range', direction: 'BOTH', protocol: 'UDP', ports: [{ from: 50, to: 60 }], remoteCidrs: ['fd77::/64'] }),
    ] });
    const out = await check('h2', s, [
      ...both('h2', 'h3', 'tcp', 8080), ...both('h2', 'h1', 'tcp', 8080), ...both('h2', 'h3', 'udp', 9000),
      ...both('h2', 'h3', 'udp', 53), ...both('h1', 'h2', 'udp', 53),
    ]);
    assert.equal(out.get('h2->h3 tcp/8080 v4'), false);
    assert.equal(out.get('h2->h3 tcp/8080 v6'), true);
    assert.equal(out.get('h2->h3 udp/9000 v4'), true);
    assert.equal(out.get('h2->h3 udp/53 v6'), false);
    assert.equal(out.get('h1->h2 udp/53 v4'), true);
  });

  it('checked at least 50 flows against the evaluator', () => {
    assert.ok(flowsChecked >= 50, `only ${flowsChecked} flows checked`);
  });

  it('currentHash follows the table: stable while untouched, changes on a hand flush, absent after clear', async () => {
    const { rulesetHash } = await net.applyState('h1', state({ isolated: true, blocks: [block({})] }), controller);
    const hash = async () => JSON.parse(await net.mustExec('h1', process.execPath, ['--import', 'tsx', 'scripts/netns/apply-state.ts', 'hash'])).rulesetHash as string | null;
    assert.equal(await hash(), rulesetHash);
    await net.mustExec('h1', 'nft', ['flush', 'table', 'inet', 'firebreak']);
    const flushed = await hash();
    assert.ok(flushed && flushed !== rulesetHash, 'a flushed table must hash differently');
    await net.mustExec('h1', process.execPath, ['--import', 'tsx', 'scripts/netns/apply-state.ts', 'clear']);
    assert.equal(await hash(), null);
    assert.equal((await net.exec('h1', 'nft', ['list', 'ruleset'])).stdout.trim(), '', 'clear leaves nothing behind');
  });

  it("leaves the machine's own namespace ruleset untouched", () => {
    assert.equal(ruleset(), hostRulesetBefore);
  });
});

describe('iptables fallback backend in a network namespace', { timeout: 120_000 }, () => {
  before(async () => {
    const missing = ['iptables-restore', 'ip6tables-restore'].filter((t) => {
      try { execFileSync('which', [t]); return false; } catch { return true; }
    });
    if (missing.length) throw new Error(`${missing.join(' and ')} not found: apt-get install -y iptables`);
    for (const h of ['h1', 'h2', 'h3']) await net.clearState(h, 'nftables');
    backendUnderTest = 'iptables';
  });

  after(async () => {
    for (const h of ['h1', 'h2', 'h3']) await net?.clearState(h, 'iptables');
    backendUnderTest = 'nftables';
  });

  it('isolation cuts h1 off (TCP, UDP, IPv4, IPv6) but keeps the controller, DNS and loopback, as the evaluator says', async () => {
    const before = flowsChecked;
    const out = await check('h1', state({ isolated: true, backend: 'IPTABLES' }), H1_CASES);
    assert.equal(out.get('h1->h2 tcp/80 v4'), false);
    assert.equal(out.get('h2->h1 udp/9000 v6'), false);
    assert.equal(out.get('h1->ctrl tcp/7443 v6'), true);
    assert.equal(out.get('h1->lo tcp/80 v4'), true);
    assert.ok(flowsChecked - before >= 20);
  });

  it('isolation with a second controller keeps both open, each on its own port only', () => twoControllers('IPTABLES'));

  it('release restores every flow', async () => {
    const out = await check('h1', state({ backend: 'IPTABLES' }), H1_CASES);
    assert.ok([...out.values()].every(Boolean), 'every flow passes again');
  });

  it('block tcp/25 outbound on h2: h2 -> h3:25 fails, h2 -> h3:80 works', async () => {
    const out = await check('h2', state({ backend: 'IPTABLES', blocks: [block({})] }), [
      ...both('h2', 'h3', 'tcp', 25), ...both('h2', 'h3', 'tcp', 80), ...both('h3', 'h2', 'tcp', 25),
    ]);
    assert.equal(out.get('h2->h3 tcp/25 v4'), false);
    assert.equal(out.get('h2->h3 tcp/25 v6'), false);
    assert.equal(out.get('h2->h3 tcp/80 v4'), true);
    assert.equal(out.get('h3->h2 tcp/25 v4'), true);
  });
  it("leaves the machine's own namespace untouched (nft ruleset; iptables chains)", () => {
    assert.equal(ruleset(), hostRulesetBefore);
    let saved = '';
    try { saved = execFileSync('iptables-save', { encoding: 'utf8' }); } catch { saved = ''; }
    assert.doesNotMatch(saved, /FIREBREAK/);
  });
});
