// Several controllers sharing one store: isolation keeps every one of them
// reachable (an isolated host must still be able to fail over), each on its own
// port, and nothing else; a state saved with one controller still loads.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Command__Output } from '../../proto/wire.ts';
import type { ControllerEndpoint, EnforcementState } from '../../agent/enforce/backend.ts';
import { DryRunBackend } from '../../agent/enforce/dry-run.ts';
import { Enforcer } from '../../agent/enforce/enforcer.ts';
import { evaluateFlow } from '../../agent/enforce/evaluate.ts';
import { renderIptables } from '../../agent/enforce/iptables.ts';
import { renderNftScript, renderThrottle } from '../../agent/enforce/nft-render.ts';
import { endpointText, parseEndpointText, readStateFile } from '../../agent/enforce/state-file.ts';

// ctl-a on 7443 (both families), ctl-b on 8443, ctl-c on 7443 like ctl-a
const two: ControllerEndpoint = {
  targets: [
    { address: '10.77.0.1', port: 7443 }, { address: 'fd77::1', port: 7443 },
    { address: '10.77.0.2', port: 8443 }, { address: 'fd77::2', port: 8443 },
    { address: '10.77.0.3', port: 7443 },
  ],
  dnsServers: [],
};
const state = (over: Partial<EnforcementState> = {}): EnforcementState =>
  ({ isolated: true, allowlist: [], blocks: [], backend: 'NFTABLES', rulesetHash: '', controllerEndpoint: '', stateLost: '', throttle: null, ...over });
const out = (address: string, port: number) => ({ direction: 'out' as const, protocol: 'tcp' as const, localPort: 40000, remoteAddress: address, remotePort: port });

function chainBody(script: string[], name: string): string[] {
  const start = script.indexOf(`  chain ${name} {`);
  assert.ok(start >= 0, `chain ${name} missing`);
  return script.slice(start + 2, script.indexOf('  }', start)).map((l) => l.trim());
}

describe('isolation with several controllers', () => {
  it('nftables: each controller on its own port, in both directions and both families; addresses sharing a port share a set', () => {
    const s = renderNftScript(state(), two);
    const output = chainBody(s, 'output');
    const input = chainBody(s, 'input');
    assert.ok(output.includes('ip daddr { 10.77.0.1, 10.77.0.3 } tcp dport 7443 accept comment "controller"'), output.join('\n'));
    assert.ok(output.includes('ip daddr 10.77.0.2 tcp dport 8443 accept comment "controller"'));
    assert.ok(output.includes('ip6 daddr fd77::2 tcp dport 8443 accept comment "controller"'));
    assert.ok(input.includes('ip saddr 10.77.0.2 tcp sport 8443 accept comment "controller"'));
    assert.ok(input.includes('ip6 saddr fd77::1 tcp sport 7443 accept comment "controller"'));
    // no cross product: ctl-a's address is not opened on ctl-b's port
    assert.ok(!output.some((l) => l.includes('10.77.0.1') && l.includes('8443')), 'ctl-a is not open on 8443');
    assert.equal(output.at(-1), 'drop comment "isolated"');
  });

  it('iptables: each controller on its own port, per family', () => {
    const v4 = renderIptables(state({ backend: 'IPTABLES' }), two, 4);
    const v6 = renderIptables(state({ backend: 'IPTABLES' }), two, 6);
    for (const [a, p] of [['10.77.0.1', 7443], ['10.77.0.2', 8443], ['10.77.0.3', 7443]] as const) {
      assert.ok(v4.some((l) => l.includes(`-d ${a}/32 -p tcp --dport ${p} -m comment --comment "controller" -j RETURN`)), `${a}:${p} out`);
      assert.ok(v4.some((l) => l.includes(`-s ${a}/32 -p tcp --sport ${p} -m comment --comment "controller" -j RETURN`)), `${a}:${p} in`);
    }
    assert.ok(v6.some((l) => l.includes('-d fd77::2/128 -p tcp --dport 8443')));
    assert.ok(!v4.some((l) => l.includes('-d 10.77.0.2/32 -p tcp --dport 7443')), 'ctl-b is not open on 7443');
  });

  it('the throttle exempts every controller', () => {
    const { chain } = renderThrottle(state({ isolated: false, throttle: { newPerSecond: 1, burst: 1, workingSetS: 60, expiresAtMs: 0 } }), two);
    assert.ok(chain.includes('ip daddr 10.77.0.2 tcp dport 8443 return comment "controller"'), chain.join('\n'));
    assert.ok(chain.includes('ip daddr { 10.77.0.1, 10.77.0.3 } tcp dport 7443 return comment "controller"'));
  });

  it('the evaluator passes both controllers and nothing across their ports', () => {
    const iso = state();
    for (const t of two.targets) assert.ok(evaluateFlow(iso, two, out(t.address, t.port), 0).pass, `${t.address}:${t.port}`);
    assert.equal(evaluateFlow(iso, two, out('10.77.0.1', 8443), 0).pass, false);
    assert.equal(evaluateFlow(iso, two, out('10.77.0.2', 7443), 0).pass, false);
  });

  it('a block on the second controller\'s port is refused unless forced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-several-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const enforcer = new Enforcer({ backend: new DryRunBackend(), stateFile: join(dir, 'enforcement.json'), controller: () => two, log: pino({ level: 'silent' }) });
    await enforcer.start();
    after(() => enforcer.stop());
    const r = await enforcer.execute({
      id: 'c1', targetAgentId: 'h1', action: 'BLOCK', issuer: 'test', reason: '', issuedAtMs: 0, expiresAtMs: 0, nonce: '', signature: Buffer.alloc(0),
      block: { block: { id: 'b1', direction: 'OUT', protocol: 'TCP', ports: [{ from: 8443, to: 8443 }], remoteCidrs: [], remoteInternet: false, expiresAtMs: 0 }, force: false },
    } as Command__Output);
    assert.equal(r.status, 'FAILED');
    assert.match(r.message, /10\.77\.0\.2 tcp\/8443/);
  });
});

describe('the saved controller endpoint', () => {
  it('records every controller with its port and reads back the same', () => {
    const text = endpointText(two);
    assert.equal(text, '10.77.0.1:7443,[fd77::1]:7443,10.77.0.2:8443,[fd77::2]:8443,10.77.0.3:7443');
    assert.deepEqual(parseEndpointText(text), two);
  });

  it('a state file saved with one controller (older agents) still loads, its addresses on its port', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-several-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'enforcement.json');
    writeFileSync(file, JSON.stringify({ isolated: true, allowlist: [], blocks: [], backend: 'NFTABLES', rulesetHash: 'x', controllerEndpoint: '10.0.0.5:7443,[fd00::5]:7443' }));
    const saved = readStateFile(file);
    assert.equal(saved.kind, 'ok');
    const endpoint = parseEndpointText(saved.kind === 'ok' ? saved.state.controllerEndpoint : '');
    assert.deepEqual(endpoint.targets, [{ address: '10.0.0.5', port: 7443 }, { address: 'fd00::5', port: 7443 }]);
    assert.ok(renderNftScript(state(), endpoint).some((l) => l.trim() === 'ip6 daddr fd00::5 tcp dport 7443 accept comment "controller"'));
  });
});
