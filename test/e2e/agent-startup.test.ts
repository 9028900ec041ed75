// Agent start-up fails closed, and every broken file is one line naming it.
//
// Real processes where the order matters: a controller and an agent (nftables)
// in network namespaces. With h1 isolated in the kernel and its enforcement.json
// truncated, the agent's first start leaves the kernel's table as it is, the
// controller gets enforce.state-lost and `firebreak host` says UNKNOWN, not off.
// Then the kernel loses its rules (as in a reboot) and the agent restarts with a
// controller name that does not resolve and a corrupt certificate: it exits with
// one line, and `nft list ruleset` in its namespace shows the isolation back.
// The other broken files (config, identity parts, command ledger) are checked
// in process on copies of the real enrolled identity. Needs root, iproute2, nft.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import type { EventView__Output } from '../../proto/wire.ts';
import { closestKey } from '../../proto/config-keys.ts';
import { loadAgentConfig } from '../../agent/config.ts';
import { CommandLedger } from '../../agent/command-ledger.ts';
import type { EnforcementState } from '../../agent/enforce/backend.ts';
import { reapplySavedEnforcement } from '../../agent/enforce/boot.ts';
import { emptyState } from '../../agent/enforce/state-file.ts';
import { loadIdentity } from '../../agent/trust/identity.ts';
import { NonceStore } from '../../agent/trust/nonce-store.ts';
import { parsePlaybook } from '../../controller/playbooks/loader.ts';
import { requireNetnsTools, TestNetwork } from '../../scripts/netns/netns.ts';
import { startNsAgent, startNsController } from '../../scripts/netns/fleet.ts';
import { cli, cliJson, eventually, stopAll, stopProcess, tempDir, type ControllerProc, type Proc } from '../helpers/procs.ts';

let net: TestNetwork;
let ctl: ControllerProc;
let agentDir = '';
const dirs: { path: string; remove(): void }[] = [];
let hostRulesetBefore = '';
const ruleset = (): string => execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });
const dir = (): string => {
  const d = tempDir('fb-agent-startup-');
  dirs.push(d);
  return d.path;
};
const identity = () => join(agentDir, 'identity');
/** The Firebreak table in h1, without the counters that change with traffic. */
const table = async (): Promise<string> => {
  const r = await net.exec('h1', 'nft', ['list', 'table', 'inet', 'firebreak']);
  return r.code === 0 ? r.stdout.replace(/counter packets \d+ bytes \d+/g, 'counter') : '';
};

/** The lines an exited agent wrote that are not JSON logs or warnings: its error, if any. */
function errorLines(p: Proc): string[] {
  return p.logs.filter((l) => !l.startsWith('{') && l.trim() !== '' && !l.startsWith('firebreak-agent: WARNING'));
}

function exited(p: Proc, timeoutMs: number): Promise<number | null> {
  if (p.child.exitCode !== null) return Promise.resolve(p.child.exitCode);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`agent still running after ${timeoutMs} ms:\n${p.logs.slice(-10).join('\n')}`)), timeoutMs);
    p.child.once('exit', (code) => { clearTimeout(t); resolve(code); });
  });
}

before(async () => {
  await requireNetnsTools(); // the NEEDS message, not a raw `spawnSync nft ENOENT`, on a machine without them
  hostRulesetBefore = ruleset();
  net = await TestNetwork.create(['ctl', 'h1']);
  ctl = await startNsController(net, 'ctl', dir());
  agentDir = dir();
});

/**
 * h1 isolated as its agent saves it (a whole state with the controller's address), with the
 * controller's host allowed so a first start can still enroll. (Isolation by command is covered
 * by test/netns/processes.test.ts; writing the state saves its round trips.)
 */
const isolatedState = (): EnforcementState => ({
  ...emptyState('NFTABLES'), isolated: true, rulesetHash: 'x', controllerEndpoint: ctl.agentAddress,
  allowlist: [{ cidr: `${net.host('ctl').v4}/32`, protocol: 'PROTOCOL_UNSPECIFIED', ports: null }],
});

after(async () => {
  // processes first: deleting a namespace does not end what runs inside it
  await stopAll();
  await net?.destroy();
  for (const d of dirs) d.remove();
});

describe('agent start-up with real processes in network namespaces', { timeout: 90_000 }, () => {
  it('a truncated enforcement.json leaves the kernel table as it is, reaches the controller as enforce.state-lost, and the host shows UNKNOWN', async () => {
    // the kernel holds an isolation; the file that recorded it was cut short (the first start also enrolls)
    const [ip, port] = [net.host('ctl').v4, Number(ctl.agentAddress.split(':')[1])];
    await net.applyState('h1', isolatedState(), { targets: [{ address: ip, port }], dnsServers: [] });
    const before = await table();
    assert.match(before, /drop comment "isolated"/);
    writeFileSync(join(agentDir, 'enforcement.json'), JSON.stringify(isolatedState()).slice(0, 40));
    const agent = await startNsAgent(net, 'h1', ctl, agentDir);
    // the first heartbeat carries the lost state: the host record is honest about it
    const shown = await eventually(async () => {
      const r = await cli(ctl, ['host', 'h1']);
      return /isolation\s+UNKNOWN/.test(r.stdout) ? r.stdout : undefined;
    }, 10_000, '`firebreak host h1` to show the isolation UNKNOWN');
    assert.match(shown, /isolation\s+UNKNOWN: the agent's saved state was lost \(enforcement state file .*enforcement\.json is unreadable: it is not valid JSON/);
    assert.doesNotMatch(shown, /isolation\s+off/);
    const lost = await eventually(async () => {
      const evs = await cliJson<EventView__Output[]>(ctl, ['events', '--host', 'h1', '--signature', 'enforce.state-lost']);
      return evs[0];
    }, 10_000, 'an enforce.state-lost event at the controller');
    assert.equal(lost.event?.kind, 'ENFORCEMENT_DRIFT');
    assert.match(lost.event?.evidence?.detail ?? '', /left as found \(rules present\)/);
    assert.equal(await table(), before, 'the kernel table is untouched');
    await stopProcess(agent);
  });

  it('re-applies the saved isolation before anything else: unresolvable controller name and a corrupt certificate', async () => {
    writeFileSync(join(agentDir, 'enforcement.json'), JSON.stringify(isolatedState()));
    await net.mustExec('h1', 'nft', ['delete', 'table', 'inet', 'firebreak']); // as after a reboot
    assert.equal(await table(), '');
    const cert = join(identity(), 'agent.crt');
    const good = readFileSync(cert, 'utf8');
    writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n');
    try {
      const agent = await startNsAgent(net, 'h1', ctl, agentDir, { controller: 'controller.invalid:7443', waitConnected: false });
      const code = await exited(agent, 20_000);
      assert.equal(code, 2);
      const lines = errorLines(agent);
      assert.equal(lines.length, 1, `one line, no stack:\n${lines.join('\n')}`);
      assert.match(lines[0]!, /identity\/agent\.crt does not parse as a certificate .*re-enroll/);
      const inNs = await net.mustExec('h1', 'nft', ['list', 'ruleset']);
      assert.match(inNs, /table inet firebreak[\s\S]*drop comment "isolated"/, 'isolation is back in the kernel');
    } finally {
      writeFileSync(cert, good);
    }
  });

  it("leaves the machine's own namespace ruleset untouched", () => {
    assert.equal(ruleset(), hostRulesetBefore);
  });
});

describe('broken files: one line naming the file and what to do', () => {
  /** a copy of the real identity with one file replaced */
  function damaged(file: string, content: string | null): string {
    const d = join(dir(), 'identity');
    cpSync(identity(), d, { recursive: true });
    rmSync(join(d, file), { force: true });
    if (content !== null) writeFileSync(join(d, file), content);
    return d;
  }
  const oneLine = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      const m = (err as Error).message;
      assert.equal(m.split('\n').length, 1, m);
      return m;
    }
    assert.fail('no error');
  };

  it('the real identity loads', () => {
    assert.equal(loadIdentity(identity())?.agentId, 'h1');
  });

  for (const [file, what] of [['agent.crt', 'a certificate'], ['ca.crt', 'a certificate'], ['agent.key', 'a private key'], ['command-signing.pub', 'a public key']] as const) {
    it(`a corrupt ${file} is named, with what to do`, () => {
      const m = oneLine(() => loadIdentity(damaged(file, 'garbage\n')));
      assert.match(m, new RegExp(`identity/${file.replace('.', '\\.')} does not parse as ${what} .*restore it from a backup, or re-enroll: move .* aside`));
    });
  }

  it('a missing CA next to a certificate is not "not enrolled yet"', () => {
    assert.match(oneLine(() => loadIdentity(damaged('ca.crt', null))), /ca\.crt is missing while .*agent\.crt is there/);
  });

  it('an unreadable certificate is not "not enrolled yet"', () => {
    const d = damaged('agent.crt', null);
    symlinkSync('agent.crt', join(d, 'agent.crt')); // a link to itself: ELOOP, whoever runs the test
    assert.match(oneLine(() => loadIdentity(d)), /agent\.crt cannot be read \(ELOOP\).*identity is there but unreadable/);
  });

  it('an agent.json with a syntax error is one line naming it', () => {
    const d = dir();
    writeFileSync(join(d, 'agent.json'), '{"controller": "10.0.0.5:7443",');
    assert.match(oneLine(() => loadAgentConfig(d, {})), /agent\.json is not valid JSON \(.*\): fix it, or move it aside/);
  });

  it('typo\'d keys are errors naming the closest known key, nested ones too', () => {
    const d = dir();
    writeFileSync(join(d, 'agent.json'), JSON.stringify({ controller: '10.0.0.5:7443', intervallMs: 2000, tgas: { role: 'mail' }, tags: { rol: 'x' }, detect: { cpu: { flor: 30 } }, zzzz: 1 }));
    let message = '';
    try {
      loadAgentConfig(d, {});
    } catch (err) {
      message = (err as Error).message;
    }
    assert.match(message, /agent\.json/);
    assert.match(message, /intervallMs: unknown key \(did you mean intervalMs\?\)/);
    assert.match(message, /tgas: unknown key \(did you mean tags\?\)/);
    assert.match(message, /detect\.cpu\.flor: unknown key \(did you mean detect\.cpu\.floor\?\)/);
    assert.match(message, /zzzz: unknown key \(not a setting here\)/);
    assert.doesNotMatch(message, /rol/, 'tag names are free');
    assert.equal(closestKey('intervall', ['interval', 'internal']), 'interval');
  });

  it('a playbook file\'s typo\'d fields and actions name the closest known one', () => {
    const r = parsePlaybook('name: x\nwhn:\n  signatures: [a]\ndo:\n  - isolat: {}\n  - isolate: {allw: []}\n', 'p.yaml');
    const messages = r.ok ? [] : r.errors.map((e) => e.message);
    assert.ok(messages.some((m) => /unknown field 'whn' \(did you mean 'when'\?\)/.test(m)), messages.join('\n'));
    assert.ok(messages.some((m) => /unknown action 'isolat'.*\(did you mean 'isolate'\?\)/.test(m)), messages.join('\n'));
    assert.ok(messages.some((m) => /unknown field 'allw' \(did you mean 'allow'\?\)/.test(m)), messages.join('\n'));
  });

  it('a corrupt commands.json is moved aside with one warning; the agent goes on', () => {
    const d = dir();
    const file = join(d, 'commands.json');
    writeFileSync(file, '[["c1", {"status": "APP');
    const warnings: string[] = [];
    const ledger = new CommandLedger(file, 10, (m) => warnings.push(m));
    assert.equal(ledger.get('c1'), undefined);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /command ledger .*commands\.json is corrupt .*moved aside to .*commands\.json\.corrupt-\d+/);
    assert.equal(readdirSync(d).filter((f) => f.startsWith('commands.json.corrupt-')).length, 1);
  });

  it('an unreadable nonces.json is one line naming it', () => {
    const d = dir();
    mkdirSync(join(d, 'nonces.json'));
    assert.match(oneLine(() => NonceStore.open(join(d, 'nonces.json'))), /nonce store .*nonces\.json cannot be read \(EISDIR\): fix its permissions, or move it aside/);
  });

  it('an unreadable enforcement.json at boot is one line saying the kernel rules are kept', async () => {
    const d = dir();
    mkdirSync(join(d, 'enforcement.json'));
    const lines: string[] = [];
    const log = pino({ level: 'error' }, { write: (l: string) => { lines.push(JSON.parse(l).msg); } });
    const { enforcer } = await reapplySavedEnforcement({ dataDir: d, backend: 'dry-run', log });
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /enforcement\.json is unreadable: cannot read it \(EISDIR\); the kernel's Firebreak rules are kept as found .*send isolate or release/);
    assert.equal(enforcer.stateLostEvent()?.signature, 'enforce.state-lost');
  });
});
