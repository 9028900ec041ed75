// The enforcer with the real nftables backend inside a test namespace:
// verification keeps a good isolation and rolls back a bad one; a hand flush
// is noticed and repaired; a restart re-applies isolation.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireNetnsTools, TestNetwork, waitForLine } from '../../scripts/netns/netns.ts';

const DRIVER = 'scripts/netns/enforcer-driver.ts';
let net: TestNetwork;
let dataDir = '';
let hostRulesetBefore = '';
const ruleset = (): string => execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });

async function drive(mode: string, opts: object): Promise<Record<string, unknown>> {
  const res = await net.node('h1', DRIVER, [mode, JSON.stringify({ dataDir, ...opts })]);
  assert.equal(res.code, 0, `driver ${mode} failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as Record<string, unknown>;
}

async function reach(port: number, to = 'h2'): Promise<boolean> {
  const [r] = await net.probe('h1', [{ protocol: 'tcp', address: net.host(to).v4, port, timeoutMs: 700 }]);
  return r!.ok;
}

before(async () => {
  await requireNetnsTools(); // the NEEDS message, not a raw `spawnSync nft ENOENT`, on a machine without them
  hostRulesetBefore = ruleset();
  dataDir = mkdtempSync(join(tmpdir(), 'fb-netns-enforcer-'));
  net = await TestNetwork.create(['ctrl', 'h1', 'h2']);
  await Promise.all([net.listen('ctrl', { tcp: [7443] }), net.listen('h2', { tcp: [80] })]);
});

after(async () => {
  await net?.destroy();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('Enforcer with nftables in a network namespace', { timeout: 90_000 }, () => {
  const good = () => ({ controller: { targets: [{ address: net.host('ctrl').v4, port: 7443 }, { address: net.host('ctrl').v6, port: 7443 }], dnsServers: [] }, blockedTarget: { address: net.host('h2').v4, port: 80 }, verifyTimeoutMs: 2000 });

  it('an isolation whose controller address is wrong rolls back by itself and reports ROLLED_BACK', async () => {
    const r = await drive('isolate', { ...good(), controller: { targets: [{ address: '10.77.0.200', port: 7443 }], dnsServers: [] } });
    assert.equal(r.status, 'ROLLED_BACK');
    assert.match(String(r.message), /controller is not reachable/);
    assert.equal(r.isolated, false);
    assert.equal(await reach(80), true, 'traffic flows again after the rollback');
  });

  it('a correct isolation is verified and applied', async () => {
    const r = await drive('isolate', good());
    assert.equal(r.status, 'APPLIED', String(r.message));
    assert.equal(await reach(80), false);
    assert.equal(await reach(7443, 'ctrl'), true);
  });

  it('a hand flush of the table is noticed within one interval, re-applied and reported as enforce.drift', async () => {
    const watcher = net.spawn('h1', process.execPath, ['--import', 'tsx', DRIVER, 'watch', JSON.stringify({ dataDir, ...good() })]);
    await waitForLine(watcher, (l) => l === 'ready', 15_000, 'drift watcher');
    const event = waitForLine(watcher, (l) => l.includes('enforce.drift'), 5_000, 'drift event');
    const flushedAt = Date.now();
    await net.mustExec('h1', 'nft', ['flush', 'table', 'inet', 'firebreak']);
    const ev = JSON.parse(await event) as { kind: string; signature: string; evidence: { detail: string } };
    assert.ok(Date.now() - flushedAt < 2000, 'noticed within one 200 ms interval (plus process overhead)');
    assert.equal(ev.kind, 'ENFORCEMENT_DRIFT');
    assert.match(ev.evidence.detail, /differ from what was applied; re-applied/);
    assert.equal(await reach(80), false, 'isolation is back');
    watcher.kill();
  });

  it('after the kernel loses every rule (reboot), a restarted enforcer re-applies isolation', async () => {
    await net.mustExec('h1', 'nft', ['delete', 'table', 'inet', 'firebreak']);
    assert.equal(await reach(80), true, 'nothing in the kernel');
    const r = await drive('start', good());
    assert.equal(r.isolated, true);
    assert.equal(await reach(80), false);
  });

  it('a truncated state file at start leaves the kernel\'s isolation untouched (no flush) and says the state is lost', async () => {
    const table = async () => (await net.mustExec('h1', 'nft', ['list', 'table', 'inet', 'firebreak'])).replace(/counter packets \d+ bytes \d+/g, 'counter');
    const before = await table();
    assert.match(before, /isolat|drop/i, 'isolated before the restart');
    const file = join(dataDir, 'enforcement.json');
    const saved = readFileSync(file, 'utf8');
    writeFileSync(file, saved.slice(0, Math.floor(saved.length / 2)));
    const r = await drive('start', good());
    assert.equal(await table(), before, 'the kernel table is as it was');
    assert.match(String(r.stateLost), /enforcement\.json is unreadable: it is not valid JSON/);
    assert.equal(r.event, 'enforce.state-lost');
    assert.equal(await reach(80), false, 'still isolated');
    writeFileSync(file, saved);
  });

  it('release --local lifts isolation', async () => {
    const r = await drive('release-local', good());
    assert.equal(r.status, 'APPLIED');
    assert.equal(await reach(80), true);
  });

  it("leaves the machine's own namespace ruleset untouched", () => {
    assert.equal(ruleset(), hostRulesetBefore);
  });
});
