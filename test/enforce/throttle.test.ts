// The virus throttle without a kernel: parameter validation, the tracker's
// working set and bucket, the evaluator's exemptions, the enforcer's
// THROTTLE/UNTHROTTLE/expiry, and what the two backends render.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Command__Output, ThrottleParams__Output } from '../../proto/wire.ts';
import { checkAction, checkThrottleParams } from '../../proto/validate.ts';
import type { ControllerEndpoint, EnforcementState } from '../../agent/enforce/backend.ts';
import { DryRunBackend } from '../../agent/enforce/dry-run.ts';
import { Enforcer, type EnforcerOptions } from '../../agent/enforce/enforcer.ts';
import { evaluateFlow, type Flow } from '../../agent/enforce/evaluate.ts';
import { renderNftScript } from '../../agent/enforce/nft-render.ts';
import { renderIptables } from '../../agent/enforce/iptables.ts';
import { ThrottleTracker } from '../../agent/enforce/throttle.ts';

const NOW = 1_700_000_000_000;
const controller: ControllerEndpoint = { targets: [{ address: '10.77.0.1', port: 7443 }, { address: 'fd77::1', port: 7443 }], dnsServers: ['10.77.0.53'] };
const T = (over: Partial<ThrottleParams__Output> = {}): ThrottleParams__Output => ({ newPerSecond: 1, burst: 5, workingSetS: 60, expiresAtMs: 0, ...over });
const state = (over: Partial<EnforcementState> = {}): EnforcementState =>
  ({ isolated: false, allowlist: [], blocks: [], backend: 'DRY_RUN', rulesetHash: '', controllerEndpoint: '', stateLost: '', throttle: T(), ...over });
const out = (remoteAddress: string, remotePort = 80, protocol: 'tcp' | 'udp' = 'tcp', extra: Partial<Flow> = {}): Flow =>
  ({ direction: 'out', protocol, localPort: 40000, remoteAddress, remotePort, ...extra });

describe('throttle parameters', () => {
  it('fills the defaults for 0 and keeps what is given', () => {
    assert.deepEqual(checkThrottleParams({ newPerSecond: 0, burst: 0, workingSetS: 0, expiresAtMs: 0 }), T());
    assert.deepEqual(checkThrottleParams(T({ newPerSecond: 3, burst: 20, workingSetS: 300, expiresAtMs: 99 })), T({ newPerSecond: 3, burst: 20, workingSetS: 300, expiresAtMs: 99 }));
  });

  it('refuses each field out of its range, naming field, value and range', () => {
    assert.throws(() => checkThrottleParams(T({ newPerSecond: 1001 })), /throttle\.new_per_second 1001 is out of range: give 1-1000 new destinations per second/);
    assert.throws(() => checkThrottleParams(T({ burst: 10_001 })), /throttle\.burst 10001 is out of range: give 1-10000 connections/);
    assert.throws(() => checkThrottleParams(T({ workingSetS: 86_401 })), /throttle\.working_set_s 86401 is out of range: give 1-86400 seconds/);
    assert.throws(() => checkThrottleParams(T({ burst: 2.5 })), /throttle\.burst 2\.5 is not a whole number/);
    assert.throws(() => checkThrottleParams(null), /throttle is missing/);
  });

  it('accepts THROTTLE and UNTHROTTLE as actions', () => {
    assert.equal(checkAction('THROTTLE'), 'THROTTLE');
    assert.equal(checkAction('UNTHROTTLE'), 'UNTHROTTLE');
    assert.throws(() => checkAction('SLOW'), /action "SLOW" is not one of isolate, release, block, unblock, throttle, unthrottle/);
  });
});

describe('ThrottleTracker', () => {
  it('admits burst new destinations at once, then one per 1/rate, and lets the working set through freely', () => {
    const t = new ThrottleTracker();
    const p = T({ newPerSecond: 2, burst: 3 });
    const first = Array.from({ length: 6 }, (_, i) => t.admit(p, `10.0.0.${i + 1}`, NOW).pass);
    assert.deepEqual(first, [true, true, true, false, false, false]);
    assert.equal(t.admit(p, '10.0.0.1', NOW).pass, true, 'known destination, no token needed');
    assert.equal(t.admit(p, '10.0.0.9', NOW + 499).pass, false, 'not yet a whole token');
    assert.equal(t.admit(p, '10.0.0.9', NOW + 500).pass, true, 'one token after 1/rate');
    assert.equal(t.admit(p, '10.0.0.9', NOW + 501).pass, true, 'now in the working set');
  });

  it('forgets a destination working_set_s after its last new connection', () => {
    const t = new ThrottleTracker();
    const p = T({ burst: 1, workingSetS: 10 });
    assert.equal(t.admit(p, 'fd00::1', NOW).pass, true);
    assert.equal(t.admit(p, 'fd00::1', NOW + 9_000).pass, true, 'refreshed at 9 s');
    assert.equal(t.admit(p, 'fd00::1', NOW + 18_999).pass, true, 'still in the set 9.999 s after the refresh');
    assert.deepEqual(t.workingSet(NOW + 28_998, p), ['fd00::1']);
    assert.deepEqual(t.workingSet(NOW + 28_999, p), []);
  });

  it('one bucket for both families by default (nftables), one each with bucketPerFamily (iptables)', () => {
    const p = T({ burst: 1 });
    const shared = new ThrottleTracker();
    assert.equal(shared.admit(p, '10.0.0.1', NOW).pass, true);
    assert.equal(shared.admit(p, 'fd00::1', NOW).pass, false);
    const split = new ThrottleTracker({ bucketPerFamily: true });
    assert.equal(split.admit(p, '10.0.0.1', NOW).pass, true);
    assert.equal(split.admit(p, 'fd00::1', NOW).pass, true);
  });

  it('a full working set remembers no new one (nft) or forgets the oldest (xt_recent)', () => {
    const p = T({ burst: 100 });
    const nft = new ThrottleTracker({ maxEntries: 2 });
    const xt = new ThrottleTracker({ maxEntries: 2, whenFull: 'evict-oldest' });
    for (const t of [nft, xt]) for (const a of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) t.admit(p, a, NOW);
    assert.deepEqual(nft.workingSet(NOW, p), ['10.0.0.1', '10.0.0.2']);
    assert.deepEqual(xt.workingSet(NOW, p), ['10.0.0.2', '10.0.0.3']);
  });

  it('new parameters start the model afresh, as a re-applied ruleset does', () => {
    const t = new ThrottleTracker();
    t.admit(T({ burst: 1 }), '10.0.0.1', NOW);
    assert.equal(t.admit(T({ burst: 1 }), '10.0.0.2', NOW).pass, false);
    assert.equal(t.admit(T({ burst: 2 }), '10.0.0.2', NOW).pass, true);
    assert.deepEqual(t.workingSet(NOW, T({ burst: 2 })), ['10.0.0.2']);
  });
});

describe('evaluateFlow with a throttle', () => {
  const pass = (s: EnforcementState, f: Flow, t?: ThrottleTracker, now = NOW) => evaluateFlow(s, controller, f, now, t);

  it('drops new outbound destinations past the bucket, with a reason', () => {
    const t = new ThrottleTracker();
    const s = state({ throttle: T({ burst: 2 }) });
    assert.equal(pass(s, out('10.0.0.1'), t).pass, true);
    assert.equal(pass(s, out('10.0.0.2', 25), t).pass, true);
    const v = pass(s, out('10.0.0.3'), t);
    assert.equal(v.pass, false);
    assert.match(v.reason, /throttle drops a new destination 10\.0\.0\.3/);
    assert.equal(pass(s, out('10.0.0.1', 443, 'udp'), t).pass, true, 'the working set is per address, any port or protocol');
  });

  it('never throttles loopback, the controller, DNS to the resolvers, the allowlist, inbound or forwarded flows', () => {
    const t = new ThrottleTracker();
    const s = state({ throttle: T({ burst: 1 }) });
    assert.equal(pass(s, out('10.0.0.1'), t).pass, true, 'uses the only token');
    const free: Flow[] = [
      out('127.0.0.1', 80, 'tcp', { iface: 'lo' }), out('::1', 9000, 'udp', { iface: 'lo' }),
      out('10.77.0.1', 7443), out('fd77::1', 7443),
      out('10.77.0.53', 53, 'udp'), out('10.77.0.53', 53, 'tcp'),
      { direction: 'in', protocol: 'tcp', localPort: 22, remoteAddress: '10.0.0.50', remotePort: 40000 },
      { direction: 'forward', protocol: 'tcp', localPort: 40000, remoteAddress: '1.1.1.1', remotePort: 443, localAddress: '172.17.0.2' },
    ];
    for (const f of free) for (let i = 0; i < 3; i++) assert.equal(pass(s, f, t).pass, true, `${JSON.stringify(f)}: ${pass(s, f, t).reason}`);
    assert.equal(pass(s, out('10.77.0.1', 80), t).pass, false, "the controller's address on another port is throttled");
    assert.equal(pass(s, out('10.77.0.53', 5353, 'udp'), t).pass, false, 'the resolver on another port is throttled');
    const allowed = state({ throttle: T({ burst: 1 }), allowlist: [{ cidr: '10.9.0.0/16', protocol: 'PROTOCOL_UNSPECIFIED', ports: null }] });
    assert.match(pass(allowed, out('10.9.1.1'), t).reason, /throttle exempt: allowlist/);
  });

  it('blocks act first (no token spent); an expired throttle, isolation or no tracker mean no throttle drop', () => {
    const t = new ThrottleTracker();
    const block = { id: 'smtp', direction: 'OUT' as const, protocol: 'TCP' as const, ports: [{ from: 25, to: 25 }], remoteCidrs: [], remoteInternet: false, expiresAtMs: 0 };
    const s = state({ throttle: T({ burst: 1 }), blocks: [block] });
    assert.match(pass(s, out('10.0.0.1', 25), t).reason, /block smtp/);
    assert.equal(pass(s, out('10.0.0.2', 80), t).pass, true, 'the block spent no token');
    assert.equal(pass(s, out('10.0.0.3', 80), t).pass, false);
    assert.equal(pass(state({ throttle: T({ burst: 1, expiresAtMs: NOW }) }), out('10.0.0.4'), t).pass, true, 'expired');
    assert.equal(pass(state({ throttle: T({ burst: 1 }) }), out('10.0.0.5')).pass, true, 'judged alone without a tracker');
    const iso = pass(state({ isolated: true, throttle: T({ burst: 1 }) }), out('10.77.0.1', 7443), t);
    assert.match(iso.reason, /^isolated, allowed: controller$/, 'under isolation only isolation decides');
  });
});

// ------------------------------------------------------------- the enforcer

const log = pino({ level: 'silent' });
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function setup(over: Partial<EnforcerOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'fb-throttle-'));
  dirs.push(dir);
  const backend = new DryRunBackend();
  const stateFile = join(dir, 'enforcement.json');
  return { enforcer: new Enforcer({ backend, stateFile, controller: () => controller, log, ...over }), backend, stateFile };
}
let n = 0;
const cmd = (action: Command__Output['action'], params: Partial<Command__Output> = {}): Command__Output => ({
  id: `c${++n}`, targetAgentId: 'h1', action, issuer: 'test', reason: '', issuedAtMs: 0, expiresAtMs: 0, nonce: '', signature: Buffer.alloc(0), ...params,
});
const throttle = (p: Partial<ThrottleParams__Output> = {}) => cmd('THROTTLE', { throttle: { newPerSecond: 0, burst: 0, workingSetS: 0, expiresAtMs: 0, ...p }, params: 'throttle' });

describe('Enforcer: THROTTLE and UNTHROTTLE', () => {
  it('applies a throttle with its defaults filled, renders it, and lifts it', async () => {
    const { enforcer, backend } = setup();
    const r = await enforcer.execute(throttle({ burst: 8 }));
    assert.equal(r.status, 'APPLIED', r.message);
    assert.match(r.message, /throttle applied: 1 new destination\(s\)\/s, burst 8, working set 60 s/);
    assert.deepEqual(enforcer.state().throttle, T({ burst: 8 }));
    assert.ok(backend.history.at(-1)!.some((l) => l.includes('limit rate over 1/second burst 8 packets drop')));
    const u = await enforcer.execute(cmd('UNTHROTTLE'));
    assert.equal(u.status, 'APPLIED');
    assert.equal(enforcer.state().throttle, null);
    assert.ok(!backend.history.at(-1)!.some((l) => l.includes('throttle')));
    assert.equal((await enforcer.execute(cmd('UNTHROTTLE'))).status, 'APPLIED', 'lifting no throttle is not an error');
  });

  it('refuses bad or already expired parameters before any rule changes', async () => {
    const { enforcer, backend } = setup({ now: () => 10_000 });
    const bad = await enforcer.execute(throttle({ newPerSecond: 5000 }));
    assert.equal(bad.status, 'FAILED');
    assert.match(bad.message, /refused: throttle\.new_per_second 5000 is out of range/);
    const late = await enforcer.execute(throttle({ expiresAtMs: 9_000 }));
    assert.match(late.message, /expired at/);
    assert.equal(backend.history.length, 0);
  });

  it('keeps blocks and isolation as they are; a throttle and a block live side by side', async () => {
    const { enforcer } = setup();
    await enforcer.execute(cmd('BLOCK', { block: { block: { id: 'b1', direction: 'OUT', protocol: 'TCP', ports: [{ from: 25, to: 25 }], remoteCidrs: [], remoteInternet: false, expiresAtMs: 0 }, force: false } }));
    await enforcer.execute(throttle());
    assert.equal(enforcer.state().blocks.length, 1);
    await enforcer.execute(cmd('UNTHROTTLE'));
    assert.equal(enforcer.state().blocks.length, 1);
  });

  it('lifts an expired throttle by itself (timer and injected clock) and on start', async () => {
    let now = 1_000;
    const seen: string[] = [];
    const a = setup({ now: () => now, onThrottleExpired: (t, s) => seen.push(`${t.expiresAtMs}:${s.throttle}`) });
    await a.enforcer.execute(throttle({ expiresAtMs: 5_000 }));
    assert.deepEqual(await a.enforcer.expireBlocks(), []);
    assert.ok(a.enforcer.state().throttle);
    now = 5_000;
    await a.enforcer.expireBlocks();
    assert.equal(a.enforcer.state().throttle, null);
    assert.deepEqual(seen, ['5000:null']);
    a.enforcer.stop();

    const b = setup({ now: () => 1_000 });
    await b.enforcer.execute(throttle({ expiresAtMs: 2_000 }));
    b.enforcer.stop();
    const restarted = new Enforcer({ backend: new DryRunBackend(), stateFile: b.stateFile, controller: () => controller, log, now: () => 3_000, onThrottleExpired: () => seen.push('start') });
    await restarted.start();
    assert.equal(restarted.state().throttle, null);
    assert.deepEqual(seen.at(-1), 'start');
    restarted.stop();

    let fired!: () => void;
    const done = new Promise<void>((r) => (fired = r));
    const c = setup({ onThrottleExpired: () => fired() });
    await c.enforcer.execute(throttle({ expiresAtMs: Date.now() + 150 }));
    await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error('the throttle did not expire within 3 s')), 3000))]);
    assert.equal(c.enforcer.state().throttle, null);
    c.enforcer.stop();
  });
});

// ------------------------------------------------------------- rendering

function chainBody(script: string[], name: string): string[] {
  const start = script.indexOf(`  chain ${name} {`);
  assert.ok(start >= 0, `chain ${name} missing`);
  return script.slice(start + 1, script.indexOf('  }', start)).map((l) => l.trim()).filter((l) => !l.startsWith('type filter'));
}

describe('rendering the throttle', () => {
  it('nft: dynamic sets per family with the working-set timeout, exemptions first, one shared limit, then drop', () => {
    const s = renderNftScript(state({ throttle: T({ newPerSecond: 3, burst: 7, workingSetS: 120 }) }), controller);
    assert.ok(s.includes('  set throttle4 { type ipv4_addr; size 65535; flags dynamic,timeout; timeout 120s; }'));
    assert.ok(s.includes('  set throttle6 { type ipv6_addr; size 65535; flags dynamic,timeout; timeout 120s; }'));
    assert.deepEqual(chainBody(s, 'output'), ['ct state new meta l4proto { tcp, udp } jump throttle comment "throttle"']);
    assert.deepEqual(chainBody(s, 'throttle'), [
      'oif "lo" return comment "loopback"',
      'ip daddr 10.77.0.1 tcp dport 7443 return comment "controller"',
      'ip6 daddr fd77::1 tcp dport 7443 return comment "controller"',
      'ip daddr 10.77.0.53 udp dport 53 return comment "dns"',
      'ip daddr 10.77.0.53 tcp dport 53 return comment "dns"',
      'ip daddr @throttle4 update @throttle4 { ip daddr } return comment "working set"',
      'ip6 daddr @throttle6 update @throttle6 { ip6 daddr } return comment "working set"',
      'limit rate over 3/second burst 7 packets drop comment "throttled"',
      'add @throttle4 { ip daddr } return comment "new destination"',
      'add @throttle6 { ip6 daddr } return comment "new destination"',
    ]);
    assert.deepEqual(chainBody(s, 'input'), [], 'inbound is not throttled');
  });

  it('nft: blocks before the throttle; nothing of the throttle under isolation or without one', () => {
    const block = { id: 'b1', direction: 'OUT' as const, protocol: 'TCP' as const, ports: [{ from: 25, to: 25 }], remoteCidrs: [], remoteInternet: false, expiresAtMs: 0 };
    const s = renderNftScript(state({ blocks: [block] }), controller);
    assert.deepEqual(chainBody(s, 'output'), ['tcp dport 25 drop comment "block b1"', 'ct state new meta l4proto { tcp, udp } jump throttle comment "throttle"']);
    for (const quiet of [state({ isolated: true }), state({ throttle: null })]) assert.ok(!renderNftScript(quiet, controller).join('\n').includes('throttle'));
  });

  it('iptables: recent + limit per family, exemptions RETURN first, then DROP, jumped to for new tcp and udp', () => {
    const v4 = renderIptables(state({ throttle: T({ newPerSecond: 2, burst: 9, workingSetS: 30 }) }), controller, 4);
    const v6 = renderIptables(state({ throttle: T({ newPerSecond: 2, burst: 9, workingSetS: 30 }) }), controller, 6);
    const thr = v4.filter((l) => l.startsWith('-A FIREBREAK-THR'));
    assert.deepEqual(thr, [
      '-A FIREBREAK-THR -o lo -m comment --comment "loopback" -j RETURN',
      '-A FIREBREAK-THR -d 10.77.0.1/32 -p tcp --dport 7443 -m comment --comment "controller" -j RETURN',
      '-A FIREBREAK-THR -d 10.77.0.53/32 -p udp --dport 53 -m comment --comment "dns" -j RETURN',
      '-A FIREBREAK-THR -d 10.77.0.53/32 -p tcp --dport 53 -m comment --comment "dns" -j RETURN',
      '-A FIREBREAK-THR -m recent --name fb-throttle4 --rdest --update --seconds 30 -m comment --comment "working set" -j RETURN',
      '-A FIREBREAK-THR -m limit --limit 2/sec --limit-burst 9 -m recent --name fb-throttle4 --rdest --set -m comment --comment "new destination" -j RETURN',
      '-A FIREBREAK-THR -m comment --comment "throttled" -j DROP',
    ]);
    assert.ok(v4.includes('-A FIREBREAK-OUT -p udp -m conntrack --ctstate NEW -m comment --comment "throttle" -j FIREBREAK-THR'));
    assert.ok(v6.some((l) => l.includes('--name fb-throttle6')) && !v6.some((l) => l.includes('fb-throttle4')));
    assert.ok(!v4.concat(v6).some((l) => l.includes('-j ACCEPT')));
    assert.ok(!renderIptables(state({ isolated: true }), controller, 4).some((l) => l.startsWith('-A FIREBREAK-THR')));
  });
});
