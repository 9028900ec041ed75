import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pino from 'pino';
import type { Command__Output, PortBlock__Output } from '../../proto/wire.ts';
import type { ControllerEndpoint } from '../../agent/enforce/backend.ts';
import { DryRunBackend } from '../../agent/enforce/dry-run.ts';
import { Enforcer, type EnforcerOptions } from '../../agent/enforce/enforcer.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const log = pino({ level: 'silent' });
const controller: ControllerEndpoint = { targets: [{ address: '10.77.0.1', port: 7443 }, { address: 'fd77::1', port: 7443 }], dnsServers: [] };

function setup(over: Partial<EnforcerOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'fb-enforcer-'));
  dirs.push(dir);
  const backend = new DryRunBackend();
  const stateFile = join(dir, 'enforcement.json');
  const enforcer = new Enforcer({ backend, stateFile, controller: () => controller, log, ...over });
  return { enforcer, backend, stateFile };
}

let n = 0;
function cmd(action: Command__Output['action'], params: Partial<Command__Output> = {}): Command__Output {
  return {
    id: `c${++n}`, targetAgentId: 'h1', action, issuer: 'test', reason: '', issuedAtMs: 0, expiresAtMs: 0, nonce: '', signature: Buffer.alloc(0), ...params,
  };
}
const isolate = () => cmd('ISOLATE', { isolate: { allowlist: [] } });
const block = (b: Partial<PortBlock__Output>, force = false) => cmd('BLOCK', {
  block: { block: { id: 'b1', direction: 'OUT', protocol: 'TCP', ports: [{ from: 25, to: 25 }], remoteCidrs: [], remoteInternet: false, expiresAtMs: 0, ...b }, force },
});

const reachable = { controllerReachable: async () => 5, reaches: async () => false };

describe('Enforcer: isolation verification', () => {
  it('applies an isolation that keeps the controller and blocks the test destination', async () => {
    const { enforcer } = setup({ verify: reachable });
    const r = await enforcer.execute(isolate());
    assert.equal(r.status, 'APPLIED');
    assert.equal(enforcer.state().isolated, true);
  });

  it('rolls back when the controller does not answer, saying why', async () => {
    const { enforcer, backend } = setup({ verify: { ...reachable, controllerReachable: async () => { throw new Error('no ack from the controller within 50 ms'); } } });
    const r = await enforcer.execute(isolate());
    assert.equal(r.status, 'ROLLED_BACK');
    assert.match(r.message, /controller is not reachable.*no ack/);
    assert.equal(enforcer.state().isolated, false);
    assert.equal(backend.history.length, 2, 'applied, then rolled back');
    assert.ok(!backend.history[1]!.join('\n').includes('isolated'));
  });

  it('rolls back when the destination isolation must block is still reachable', async () => {
    const { enforcer } = setup({ verify: { ...reachable, blockedTarget: { address: '10.77.0.9', port: 80 }, reaches: async () => true } });
    const r = await enforcer.execute(isolate());
    assert.equal(r.status, 'ROLLED_BACK');
    assert.match(r.message, /10\.77\.0\.9:80 is still reachable/);
  });

  it('gives up after the configured verify timeout', async () => {
    const { enforcer } = setup({ verify: { ...reachable, controllerReachable: () => new Promise(() => undefined) }, verifyTimeoutMs: 100 });
    const started = Date.now();
    const r = await enforcer.execute(isolate());
    assert.equal(r.status, 'ROLLED_BACK');
    assert.match(r.message, /no answer within 100 ms/);
    assert.ok(Date.now() - started < 2000);
  });

  it('does not verify a release or a block', async () => {
    let calls = 0;
    const { enforcer } = setup({ verify: { ...reachable, controllerReachable: async () => { calls++; return 1; } } });
    await enforcer.execute(block({}));
    await enforcer.execute(cmd('RELEASE'));
    assert.equal(calls, 0);
  });
});

describe('Enforcer: port blocks', () => {
  it("refuses to block the controller's own port outbound unless forced", async () => {
    const { enforcer } = setup();
    const r = await enforcer.execute(block({ ports: [{ from: 7000, to: 8000 }] }));
    assert.equal(r.status, 'FAILED');
    assert.match(r.message, /cut this agent's link to the controller .*force/);
    assert.equal(enforcer.state().blocks.length, 0, 'nothing changed');
    assert.equal((await enforcer.execute(block({ ports: [{ from: 7443, to: 7443 }], remoteCidrs: ['192.168.0.0/16'] }))).status, 'APPLIED', 'scoped away from the controller');
    assert.equal((await enforcer.execute(block({ id: 'b2', ports: [{ from: 7443, to: 7443 }], direction: 'IN' }))).status, 'APPLIED', 'inbound only');
    assert.equal((await enforcer.execute(block({ id: 'b3', ports: [{ from: 7443, to: 7443 }] }, true))).status, 'APPLIED', 'forced');
  });

  it('refuses bad ports and CIDRs before any rule changes', async () => {
    const { enforcer, backend } = setup();
    for (const bad of [{ ports: [{ from: 0, to: 0 }] }, { ports: [{ from: 70000, to: 70000 }] }, { ports: [{ from: 30, to: 20 }] }, { remoteCidrs: ['10.0.0.0/33'] }]) {
      assert.equal((await enforcer.execute(block(bad))).status, 'FAILED', JSON.stringify(bad));
    }
    assert.equal(backend.history.length, 0);
  });

  it('refuses a block that has already expired', async () => {
    const { enforcer } = setup({ now: () => 10_000 });
    const r = await enforcer.execute(block({ expiresAtMs: 9_000 }));
    assert.equal(r.status, 'FAILED');
    assert.match(r.message, /expired/);
  });

  it('lifts an expired block by itself and says so', async () => {
    const lifted: string[] = [];
    let resolveLifted!: () => void;
    const done = new Promise<void>((r) => (resolveLifted = r));
    const { enforcer } = setup({ onBlocksExpired: (bs, s) => { lifted.push(...bs.map((b) => b.id)); assert.equal(s.blocks.length, 1); resolveLifted(); } });
    // 500 ms of life: a block already expired when applied is refused (an fsync on a busy CI disk took 150 ms)
    const short = await enforcer.execute(block({ id: 'short', expiresAtMs: Date.now() + 500 }));
    assert.equal(short.status, 'APPLIED', short.message);
    await enforcer.execute(block({ id: 'long', ports: [{ from: 26, to: 26 }] }));
    await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error('block did not expire within 5 s')), 5000))]);
    assert.deepEqual(lifted, ['short']);
    assert.deepEqual(enforcer.state().blocks.map((b) => b.id), ['long']);
    enforcer.stop();
  });

  it('expireBlocks follows the injected clock', async () => {
    let now = 1_000;
    const { enforcer } = setup({ now: () => now });
    await enforcer.execute(block({ expiresAtMs: 5_000 }));
    assert.deepEqual(await enforcer.expireBlocks(), []);
    now = 5_000;
    assert.deepEqual((await enforcer.expireBlocks()).map((b) => b.id), ['b1']);
    assert.equal(enforcer.state().blocks.length, 0);
    enforcer.stop();
  });
});

describe('Enforcer: durability, drift and local release', () => {
  it('re-applies the persisted state on start, dropping blocks that expired while down', async () => {
    let now = 1_000;
    const first = setup({ now: () => now });
    await first.enforcer.execute(isolate());
    await first.enforcer.execute(block({ id: 'old', expiresAtMs: 2_000 }));
    await first.enforcer.execute(block({ id: 'keep', ports: [{ from: 26, to: 26 }] }));
    first.enforcer.stop();
    now = 3_000;
    const backend = new DryRunBackend();
    const expired: string[] = [];
    const restarted = new Enforcer({ backend, stateFile: first.stateFile, controller: () => controller, log, now: () => now, onBlocksExpired: (bs) => expired.push(...bs.map((b) => b.id)) });
    await restarted.start();
    assert.equal(restarted.state().isolated, true);
    assert.deepEqual(restarted.state().blocks.map((b) => b.id), ['keep']);
    assert.deepEqual(expired, ['old']);
    assert.equal(await backend.currentHash(), restarted.state().rulesetHash);
    restarted.stop();
  });

  it('notices rules flushed behind its back, re-applies them and reports enforce.drift', async () => {
    const { enforcer, backend } = setup();
    await enforcer.execute(isolate());
    assert.equal(await enforcer.checkDrift(), undefined, 'no drift right after apply');
    await backend.clear();
    const ev = await enforcer.checkDrift();
    assert.equal(ev?.kind, 'ENFORCEMENT_DRIFT');
    assert.equal(ev?.signature, 'enforce.drift');
    assert.match(ev?.evidence?.detail ?? '', /gone from the kernel; re-applied/);
    assert.equal(await backend.currentHash(), enforcer.state().rulesetHash);
    assert.equal(await enforcer.checkDrift(), undefined);
  });

  it('release --local lifts isolation only, and the running agent adopts it instead of undoing it', async () => {
    const daemon = setup();
    await daemon.enforcer.start();
    await daemon.enforcer.execute(isolate());
    await daemon.enforcer.execute(block({}));
    // the CLI runs as another process on the same data dir and kernel
    const cli = new Enforcer({ backend: daemon.backend, stateFile: daemon.stateFile, controller: () => controller, log });
    const r = await cli.releaseLocal('root@h1');
    assert.equal(r.status, 'APPLIED');
    assert.equal(cli.state().isolated, false);
    assert.equal(cli.state().blocks.length, 1, 'port blocks stay');
    const ev = await daemon.enforcer.checkDrift();
    assert.equal(ev?.signature, 'enforce.local-release');
    assert.match(ev?.evidence?.detail ?? '', /root@h1/);
    assert.equal(daemon.enforcer.state().isolated, false, 'adopted, not re-isolated');
    assert.equal(await daemon.enforcer.checkDrift(), undefined);
    assert.equal(daemon.enforcer.localAudit().length, 1);
  });
});

describe('Enforcer: fail closed on a lost or unwritable state file', () => {
  /** An isolated host whose state file is then damaged; the "kernel" (the backend) keeps the isolation. */
  async function isolatedThenDamaged(damage: string) {
    const first = setup();
    await first.enforcer.start();
    await first.enforcer.execute(isolate());
    const kernelHash = await first.backend.currentHash();
    first.enforcer.stop();
    writeFileSync(first.stateFile, damage);
    const restarted = new Enforcer({ backend: first.backend, stateFile: first.stateFile, controller: () => controller, log });
    await restarted.start();
    return { ...first, restarted, kernelHash, applies: first.backend.history.length };
  }

  for (const [what, damage] of [['truncated', '{"isolated":tr'], ['empty', ''], ['not a state', '[]']] as const) {
    it(`a ${what} state file leaves the kernel's rules alone and reports enforce.state-lost`, async () => {
      const h = await isolatedThenDamaged(damage);
      assert.equal(h.backend.history.length, h.applies, 'nothing applied (no flush)');
      assert.equal(await h.backend.currentHash(), h.kernelHash, 'the isolation is still in the kernel');
      const st = h.restarted.state();
      assert.match(st.stateLost, /enforcement\.json is unreadable/, 'the heartbeat says the state is unknown');
      const ev = h.restarted.stateLostEvent();
      assert.equal(ev?.kind, 'ENFORCEMENT_DRIFT');
      assert.equal(ev?.signature, 'enforce.state-lost');
      assert.match(ev?.evidence?.detail ?? '', /left as found \(rules present\)/);
      // the drift check must not "repair" the kernel back to an empty state
      assert.equal(await h.restarted.checkDrift(), undefined);
      assert.equal(await h.backend.currentHash(), h.kernelHash);
    });
  }

  it('while the state is lost, only isolate or release is accepted; either ends the unknown state', async () => {
    const h = await isolatedThenDamaged('{');
    const r = await h.restarted.execute(block({}));
    assert.equal(r.status, 'FAILED');
    assert.match(r.message, /enforcement state is unknown.*send isolate or release first/);
    assert.equal(await h.backend.currentHash(), h.kernelHash, 'the refused block did not replace the isolation');
    const iso = await h.restarted.execute(isolate());
    assert.equal(iso.status, 'APPLIED');
    assert.equal(h.restarted.state().stateLost, '');
    assert.equal(JSON.parse(readFileSync(h.stateFile, 'utf8')).isolated, true, 'a good state file again');
    assert.equal((await h.restarted.execute(block({}))).status, 'APPLIED');
  });

  it('a state changed in the kernel while the state is lost is reported, not flushed', async () => {
    const h = await isolatedThenDamaged('{');
    await h.backend.clear();
    const ev = await h.restarted.checkDrift();
    assert.equal(ev?.signature, 'enforce.drift');
    assert.match(ev?.evidence?.detail ?? '', /while the enforcement state is unknown.*not re-applied/);
    assert.equal(h.backend.history.length, h.applies);
  });

  it('release --local with an unreadable state file clears every Firebreak rule and says so', async () => {
    const h = await isolatedThenDamaged('{');
    const cli = new Enforcer({ backend: h.backend, stateFile: h.stateFile, controller: () => controller, log });
    const r = await cli.releaseLocal('root@h1');
    assert.equal(r.status, 'APPLIED');
    assert.match(r.message, /state file .* was unreadable.*every Firebreak rule, port blocks too, was removed/);
    assert.notEqual(await h.backend.currentHash(), h.kernelHash, 'the isolation is gone');
    assert.equal(cli.state().isolated, false);
  });

  it('writes the state with fsync and rename: no temp file is left, the file is whole JSON', async () => {
    const { enforcer, stateFile } = setup();
    await enforcer.execute(isolate());
    assert.equal(JSON.parse(readFileSync(stateFile, 'utf8')).isolated, true);
    assert.deepEqual(readdirSync(dirname(stateFile)).filter((f) => f.includes('.tmp')), []);
  });

  it('a state that cannot be saved is still applied, and the result says it will not survive a restart', async () => {
    const { enforcer, stateFile, backend } = setup();
    mkdirSync(`${stateFile}.tmp`); // the temp file's name is taken by a directory: the write fails (as on a read-only data dir)
    const r = await enforcer.execute(isolate());
    assert.equal(r.status, 'APPLIED');
    assert.match(r.message, /could not be saved to .*enforcement\.json \(EISDIR\).*restart would not re-apply/);
    assert.equal(await backend.currentHash(), enforcer.state().rulesetHash, 'in the kernel');
    assert.equal(enforcer.state().isolated, true);
  });
});
