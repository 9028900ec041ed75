import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PortBlock__Output } from '../../proto/wire.ts';
import type { ControllerEndpoint, EnforcementState } from '../../agent/enforce/backend.ts';
import { mergeRanges, renderNftScript } from '../../agent/enforce/nft-render.ts';
import { renderIptables } from '../../agent/enforce/iptables.ts';

const controller: ControllerEndpoint = { targets: [{ address: '10.77.0.1', port: 7443 }, { address: 'fd77::1', port: 7443 }], dnsServers: ['10.77.0.53'] };
const state = (over: Partial<EnforcementState> = {}): EnforcementState =>
  ({ isolated: false, allowlist: [], blocks: [], backend: 'NFTABLES', rulesetHash: '', controllerEndpoint: '', stateLost: '', throttle: null, ...over });
const block = (over: Partial<PortBlock__Output>): PortBlock__Output =>
  ({ id: 'b1', direction: 'OUT', protocol: 'TCP', ports: [{ from: 25, to: 25 }], remoteCidrs: [], remoteInternet: false, expiresAtMs: 0, ...over });

function chainBody(script: string[], name: string): string[] {
  const start = script.indexOf(`  chain ${name} {`);
  assert.ok(start >= 0, `chain ${name} missing`);
  const end = script.indexOf('  }', start);
  return script.slice(start + 2, end).map((l) => l.trim());
}

describe('renderNftScript', () => {
  it('replaces the whole inet firebreak table in one script, with input, output and forward base chains', () => {
    const s = renderNftScript(state(), controller);
    assert.deepEqual(s.slice(0, 3), ['table inet firebreak', 'delete table inet firebreak', 'table inet firebreak {']);
    for (const c of ['input', 'output', 'forward']) {
      assert.ok(s.includes(`    type filter hook ${c} priority filter - 10; policy accept;`), c);
      assert.deepEqual(chainBody(s, c), [], 'no rules when nothing is enforced');
    }
  });

  it('isolation: loopback, the controller in both families, DNS, then a final drop; no established-accept', () => {
    const s = renderNftScript(state({ isolated: true }), controller);
    const out = chainBody(s, 'output');
    assert.equal(out[0], 'oif "lo" accept comment "loopback"');
    assert.ok(out.includes('ip daddr 10.77.0.1 tcp dport 7443 accept comment "controller"'));
    assert.ok(out.includes('ip6 daddr fd77::1 tcp dport 7443 accept comment "controller"'));
    assert.ok(out.includes('ip daddr 10.77.0.53 udp dport 53 accept comment "dns"'));
    assert.ok(chainBody(s, 'input').includes('ip6 saddr fd77::1 tcp sport 7443 accept comment "controller"'));
    for (const c of ['input', 'output', 'forward']) assert.equal(chainBody(s, c).at(-1), 'drop comment "isolated"');
    assert.ok(!s.join('\n').includes('ct state'), 'stateless: sessions an attacker holds die');
  });

  it('blocks come before isolation rules, in both families when unscoped, and merge overlapping ports', () => {
    const s = renderNftScript(state({ isolated: true, blocks: [block({ ports: [{ from: 25, to: 25 }, { from: 20, to: 30 }, { from: 587, to: 0 }] })] }), controller);
    const out = chainBody(s, 'output');
    assert.equal(out[0], 'tcp dport { 20-30, 587 } drop comment "block b1"');
    assert.ok(!chainBody(s, 'input').some((l) => l.includes('block b1')), 'OUT block stays out of input');
    assert.ok(chainBody(s, 'forward').includes('tcp dport { 20-30, 587 } drop comment "block b1"'));
  });

  it('scoped blocks write the address match per family; internet means not-private in both', () => {
    const s = renderNftScript(state({ blocks: [block({ direction: 'IN', remoteCidrs: ['10.0.0.0/8', 'fd00::/8'], remoteInternet: true })] }), controller);
    const inp = chainBody(s, 'input');
    assert.ok(inp.includes('ip saddr 10.0.0.0/8 tcp dport 25 drop comment "block b1"'));
    assert.ok(inp.includes('ip6 saddr fd00::/8 tcp dport 25 drop comment "block b1"'));
    assert.ok(inp.some((l) => l.startsWith('ip saddr != { 10.0.0.0/8,')));
    assert.ok(inp.some((l) => l.startsWith('ip6 saddr != { ::1/128,')));
  });

  it('allow entries match the port on either end', () => {
    const s = renderNftScript(state({ isolated: true, allowlist: [{ cidr: '10.9.0.0/16', protocol: 'PROTOCOL_UNSPECIFIED', ports: { from: 22, to: 22 } }] }), controller);
    const inp = chainBody(s, 'input');
    assert.ok(inp.includes('ip saddr 10.9.0.0/16 meta l4proto { tcp, udp } th sport 22 accept comment "allow"'));
    assert.ok(inp.includes('ip saddr 10.9.0.0/16 meta l4proto { tcp, udp } th dport 22 accept comment "allow"'));
  });

  it('mergeRanges sorts, merges overlaps and adjacent ranges', () => {
    assert.deepEqual(mergeRanges([{ from: 30, to: 40 }, { from: 25, to: 0 }, { from: 26, to: 29 }, { from: 100, to: 100 }]), [{ from: 25, to: 40 }, { from: 100, to: 100 }]);
  });
});

describe('renderIptables (iptables is not installed on the dev machine: rendering is tested here, not applied)', () => {
  it('declares Firebreak chains only and commits once', () => {
    const s = renderIptables(state(), controller, 4);
    assert.equal(s[0], '*filter');
    assert.equal(s.at(-1), 'COMMIT');
    assert.ok(s.includes(':FIREBREAK-IN - [0:0]') && s.includes(':FIREBREAK-OUT - [0:0]') && s.includes(':FIREBREAK-FWD - [0:0]'));
    assert.ok(!s.some((l) => /^:(INPUT|OUTPUT|FORWARD)/.test(l) || /-A (INPUT|OUTPUT|FORWARD) /.test(l)), 'built-in chains untouched');
  });

  it('isolation returns (never accepts) for exceptions and drops the rest, per family', () => {
    const v4 = renderIptables(state({ isolated: true }), controller, 4);
    const v6 = renderIptables(state({ isolated: true }), controller, 6);
    assert.ok(v4.includes('-A FIREBREAK-OUT -d 10.77.0.1/32 -p tcp --dport 7443 -m comment --comment "controller" -j RETURN'));
    assert.ok(!v4.some((l) => l.includes('fd77::1')));
    assert.ok(v6.includes('-A FIREBREAK-IN -s fd77::1/128 -p tcp --sport 7443 -m comment --comment "controller" -j RETURN'));
    assert.ok(v6.some((l) => l.includes('neighbour-solicitation')));
    assert.ok(!v4.concat(v6).some((l) => l.includes('-j ACCEPT')));
    for (const s of [v4, v6]) for (const c of ['IN', 'OUT', 'FWD']) assert.ok(s.includes(`-A FIREBREAK-${c} -m comment --comment "isolated" -j DROP`));
  });

  it('blocks use multiport in groups of at most 15 ports and the internet helper chain', () => {
    const ports = Array.from({ length: 20 }, (_, i) => ({ from: 1000 + i * 2, to: 1000 + i * 2 }));
    const s = renderIptables(state({ blocks: [block({ ports, remoteInternet: true })] }), controller, 4);
    const rules = s.filter((l) => l.includes('block b1') && l.startsWith('-A FIREBREAK-OUT'));
    assert.equal(rules.length, 2);
    assert.ok(rules.every((l) => l.endsWith('-j FIREBREAK-INET-DST')));
    assert.ok(s.includes('-A FIREBREAK-INET-DST -d 10.0.0.0/8 -j RETURN'));
    assert.ok(s.includes('-A FIREBREAK-INET-DST -j DROP'));
  });
});
