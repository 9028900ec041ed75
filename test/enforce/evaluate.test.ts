import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PortBlock__Output } from '../../proto/wire.ts';
import type { ControllerEndpoint, EnforcementState } from '../../agent/enforce/backend.ts';
import { evaluateFlow, type Flow } from '../../agent/enforce/evaluate.ts';

const NOW = 1_700_000_000_000;
const controller: ControllerEndpoint = { targets: [{ address: '10.77.0.1', port: 7443 }, { address: 'fd77::1', port: 7443 }], dnsServers: ['10.77.0.53', 'fd77::53'] };

function state(over: Partial<EnforcementState> = {}): EnforcementState {
  return { isolated: false, allowlist: [], blocks: [], backend: 'DRY_RUN', rulesetHash: '', controllerEndpoint: '', stateLost: '', throttle: null, ...over };
}

function block(over: Partial<PortBlock__Output>): PortBlock__Output {
  return { id: 'b1', direction: 'OUT', protocol: 'TCP', ports: [{ from: 25, to: 25 }], remoteCidrs: [], remoteInternet: false, expiresAtMs: 0, ...over };
}

const out = (remoteAddress: string, remotePort: number, protocol: 'tcp' | 'udp' = 'tcp', extra: Partial<Flow> = {}): Flow =>
  ({ direction: 'out', protocol, localPort: 40000, remoteAddress, remotePort, ...extra });
const inn = (remoteAddress: string, localPort: number, protocol: 'tcp' | 'udp' = 'tcp', extra: Partial<Flow> = {}): Flow =>
  ({ direction: 'in', protocol, localPort, remoteAddress, remotePort: 40000, ...extra });

const passes = (s: EnforcementState, f: Flow, now = NOW) => evaluateFlow(s, controller, f, now).pass;

describe('evaluateFlow: no rules', () => {
  it('lets every flow through', () => {
    for (const f of [out('10.0.0.2', 80), inn('fd00::2', 22, 'udp'), { ...out('8.8.8.8', 53, 'udp'), direction: 'forward' as const }]) {
      assert.equal(passes(state(), f), true, JSON.stringify(f));
    }
  });
});

describe('evaluateFlow: isolation', () => {
  const iso = state({ isolated: true });
  const table: Array<[string, Flow, boolean]> = [
    ['tcp out to a peer v4', out('10.77.0.3', 80), false],
    ['tcp out to a peer v6', out('fd77::3', 80), false],
    ['udp out to a peer', out('10.77.0.3', 9000, 'udp'), false],
    ['tcp in from a peer v4', inn('10.77.0.3', 22), false],
    ['udp in from a peer v6', inn('fd77::3', 9000, 'udp'), false],
    ['controller v4 on its port', out('10.77.0.1', 7443), true],
    ['controller v6 on its port', out('fd77::1', 7443), true],
    ['controller on another port', out('10.77.0.1', 80), false],
    ['controller port over udp', out('10.77.0.1', 7443, 'udp'), false],
    ['controller port on another address', out('10.77.0.9', 7443), false],
    ['dns udp to a resolver v4', out('10.77.0.53', 53, 'udp'), true],
    ['dns tcp to a resolver v6', out('fd77::53', 53), true],
    ['dns to a non-resolver', out('8.8.8.8', 53, 'udp'), false],
    ['resolver on another port', out('10.77.0.53', 80), false],
    ['loopback v4 out', out('127.0.0.1', 80, 'tcp', { iface: 'lo' }), true],
    ['loopback v6 in', inn('::1', 80, 'udp', { iface: 'lo' }), true],
    ['local resolver 127.0.0.53', out('127.0.0.53', 53, 'udp', { iface: 'lo' }), true],
    ['forwarded (container) traffic', { ...out('1.1.1.1', 443), direction: 'forward' }, false],
    ['forwarded to the controller', { ...out('10.77.0.1', 7443), direction: 'forward' }, false],
  ];
  for (const [name, flow, want] of table) {
    it(`${name}: ${want ? 'passes' : 'dropped'}`, () => assert.equal(passes(iso, flow), want, evaluateFlow(iso, controller, flow, NOW).reason));
  }

  it('has no established-accept: a reply from a peer is dropped even for a session we opened', () => {
    const v = evaluateFlow(iso, controller, out('10.77.0.3', 22), NOW);
    assert.equal(v.pass, false);
    assert.match(v.reason, /isolation drops output/);
  });

  it('no DNS exception when there are no resolvers configured', () => {
    const c = { ...controller, dnsServers: [] };
    assert.equal(evaluateFlow(iso, c, out('10.77.0.53', 53, 'udp'), NOW).pass, false);
  });
});

describe('evaluateFlow: allowlist under isolation', () => {
  const iso = state({
    isolated: true,
    allowlist: [
      { cidr: '10.9.0.0/16', protocol: 'TCP', ports: { from: 22, to: 22 } },
      { cidr: 'fd99::/64', protocol: 'PROTOCOL_UNSPECIFIED', ports: null },
      { cidr: '192.168.5.5', protocol: 'UDP', ports: null },
    ],
  });
  const table: Array<[string, Flow, boolean]> = [
    ['ssh in from an allowed subnet', inn('10.9.3.4', 22), true],
    ['ssh out to an allowed subnet', out('10.9.3.4', 22), true],
    ['another port in that subnet', out('10.9.3.4', 80), false],
    ['udp to that subnet on 22', out('10.9.3.4', 22, 'udp'), false],
    ['any protocol, any port in an allowed v6 prefix', out('fd99::7', 12345, 'udp'), true],
    ['just outside the v6 prefix', out('fd99:0:0:1::7', 80), false],
    ['allowed host, its protocol only', out('192.168.5.5', 5000, 'udp'), true],
    ['allowed host, other protocol', out('192.168.5.5', 5000, 'tcp'), false],
    ['forwarded to an allowed prefix', { ...out('fd99::7', 443), direction: 'forward' }, true],
  ];
  for (const [name, flow, want] of table) {
    it(`${name}: ${want ? 'passes' : 'dropped'}`, () => assert.equal(passes(iso, flow), want));
  }
});

describe('evaluateFlow: port blocks', () => {
  it('an outbound block drops its port out and nothing else', () => {
    const s = state({ blocks: [block({})] });
    assert.equal(passes(s, out('10.77.0.3', 25)), false);
    assert.equal(passes(s, out('fd77::3', 25)), false, 'both families');
    assert.equal(passes(s, out('10.77.0.3', 80)), true);
    assert.equal(passes(s, out('10.77.0.3', 25, 'udp')), true, 'other protocol');
    assert.equal(passes(s, inn('10.77.0.3', 25)), true, 'inbound to our port 25 (reply has source port 25)');
  });

  it('an inbound block drops connections to our port and not our outbound ones', () => {
    const s = state({ blocks: [block({ direction: 'IN', ports: [{ from: 80, to: 80 }] })] });
    assert.equal(passes(s, inn('10.77.0.3', 80)), false);
    assert.equal(passes(s, inn('fd77::3', 80)), false);
    assert.equal(passes(s, inn('10.77.0.3', 81)), true);
    assert.equal(passes(s, out('10.77.0.3', 80)), true);
  });

  it('BOTH drops either way; ranges and lists match inclusively', () => {
    const s = state({ blocks: [block({ direction: 'BOTH', protocol: 'UDP', ports: [{ from: 5000, to: 5010 }, { from: 9000, to: 0 }] })] });
    for (const p of [5000, 5005, 5010, 9000]) {
      assert.equal(passes(s, out('10.1.1.1', p, 'udp')), false, `out ${p}`);
      assert.equal(passes(s, inn('10.1.1.1', p, 'udp')), false, `in ${p}`);
    }
    for (const p of [4999, 5011, 9001]) assert.equal(passes(s, out('10.1.1.1', p, 'udp')), true, `out ${p}`);
  });

  it('a reply whose destination (our ephemeral) port is blocked inbound kills our outbound flow, as in the kernel', () => {
    const s = state({ blocks: [block({ direction: 'IN', ports: [{ from: 40000, to: 40000 }] })] });
    assert.equal(passes(s, out('10.77.0.3', 80)), false);
  });

  it('remote scope by CIDR matches only that family and range', () => {
    const s = state({ blocks: [block({ remoteCidrs: ['10.77.0.0/24'] })] });
    assert.equal(passes(s, out('10.77.0.3', 25)), false);
    assert.equal(passes(s, out('10.78.0.3', 25)), true);
    assert.equal(passes(s, out('fd77::3', 25)), true, 'a v4 CIDR does not cover v6');
  });

  it('remote scope "internet" spares private, loopback and link-local destinations', () => {
    const s = state({ blocks: [block({ remoteInternet: true })] });
    assert.equal(passes(s, out('93.184.216.34', 25)), false);
    assert.equal(passes(s, out('2001:db8::25', 25)), false);
    for (const a of ['10.0.0.5', '172.16.0.5', '192.168.1.1', 'fd00::5', 'fe80::1']) assert.equal(passes(s, out(a, 25)), true, a);
    assert.equal(passes(s, out('127.0.0.1', 25, 'tcp', { iface: 'lo' })), true);
  });

  it('an unscoped block applies on loopback too', () => {
    const s = state({ blocks: [block({})] });
    assert.equal(passes(s, out('127.0.0.1', 25, 'tcp', { iface: 'lo' })), false);
  });

  it('expired blocks are ignored; live ones apply', () => {
    const s = state({ blocks: [block({ expiresAtMs: NOW + 5000 })] });
    assert.equal(passes(s, out('10.77.0.3', 25), NOW), false);
    assert.equal(passes(s, out('10.77.0.3', 25), NOW + 4999), false);
    assert.equal(passes(s, out('10.77.0.3', 25), NOW + 5000), true);
  });

  it('blocks win over isolation exceptions (the controller port can be cut when forced)', () => {
    const s = state({ isolated: true, blocks: [block({ ports: [{ from: 7443, to: 7443 }] })] });
    assert.equal(passes(s, out('10.77.0.1', 7443)), false);
  });

  it('forwarded traffic: OUT blocks match the destination, scoped IN blocks the source', () => {
    const s = state({ blocks: [block({}), block({ id: 'b2', direction: 'IN', ports: [{ from: 8080, to: 8080 }], remoteCidrs: ['203.0.113.0/24'] })] });
    const fwd = (f: Flow): Flow => ({ ...f, direction: 'forward' });
    assert.equal(passes(s, fwd(out('1.1.1.1', 25))), false);
    assert.equal(passes(s, fwd(out('1.1.1.1', 80))), true);
    assert.equal(passes(s, fwd(out('172.17.0.2', 8080, 'tcp', { localAddress: '203.0.113.9' }))), false);
    assert.equal(passes(s, fwd(out('172.17.0.2', 8080, 'tcp', { localAddress: '198.51.100.9' }))), true);
  });

  it('names the block that dropped the flow', () => {
    const v = evaluateFlow(state({ blocks: [block({ id: 'smtp-out' })] }), controller, out('10.0.0.1', 25), NOW);
    assert.match(v.reason, /smtp-out/);
  });
});
