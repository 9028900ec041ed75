// Containment end to end with real processes: a controller process in one
// network namespace, agent processes with the real nftables backend in host
// namespaces h1, h2, h3 (and h4 for the rollback case), all on one bridge.
// Commands go through the operator CLI inside the controller's namespace; the
// proof is real TCP/UDP traffic over IPv4 and IPv6, and every flow's outcome
// is checked against the evaluator run on the state the controller reports.
// Needs root, iproute2 and nftables.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import type { CommandView__Output, EventView__Output, Host__Output } from '../../proto/wire.ts';
import type { ControllerEndpoint, EnforcementState } from '../../agent/enforce/backend.ts';
import { evaluateFlow, type FlowVerdict } from '../../agent/enforce/evaluate.ts';
import { requireNetnsTools, TestNetwork } from '../../scripts/netns/netns.ts';
import { parseControllerEndpoint, startNsAgent, startNsController } from '../../scripts/netns/fleet.ts';
import type { ProbeSpec } from '../../scripts/netns/traffic.ts';
import { cli, cliJson, eventually, stopAll, stopProcess, tempDir, type ControllerProc, type Proc } from '../helpers/procs.ts';

const TIMEOUT_MS = 700;
const EPHEMERAL = 40000; // stands in for the source port of a flow that never connected
const INTERVAL_MS = 1000; // the agents' --interval (also their drift check)
const PEERS = ['h1', 'h2', 'h3'] as const;

let net: TestNetwork;
let ctl: ControllerProc;
const agents = new Map<string, Proc>();
const dirs: { path: string; remove(): void }[] = [];
let hostRulesetBefore = '';
let flowsChecked = 0;

const ruleset = (): string => execFileSync('nft', ['list', 'ruleset'], { encoding: 'utf8' });
const dir = (): string => {
  const d = tempDir('fb-netns-procs-');
  dirs.push(d);
  return d.path;
};
const agentDir = new Map<string, string>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Case {
  from: string;
  to: string;
  protocol: 'tcp' | 'udp';
  family: 4 | 6;
  port: number;
}

const addr = (host: string, family: 4 | 6): string => (family === 4 ? net.host(host).v4 : net.host(host).v6);
const key = (c: Case): string => `${c.from}->${c.to} ${c.protocol}/${c.port} v${c.family}`;
const fams = (from: string, to: string, protocol: 'tcp' | 'udp', port: number): Case[] =>
  [4, 6].map((family) => ({ from, to, protocol, port, family: family as 4 | 6 }));

/** tcp/80 and udp/9000 between every ordered pair of h1, h2, h3, both families: 24 flows. */
const MESH: Case[] = PEERS.flatMap((from) => PEERS.filter((to) => to !== from)
  .flatMap((to) => [...fams(from, to, 'tcp', 80), ...fams(from, to, 'udp', 9000)]));
const touches = (c: Case, host: string): boolean => c.from === host || c.to === host;

/** Every host's enforcement state and controller endpoint, as the controller reports them. */
async function reportedStates(): Promise<Map<string, { state: EnforcementState; controller: ControllerEndpoint }>> {
  const hosts = await cliJson<Host__Output[]>(ctl, ['hosts']);
  const out = new Map<string, { state: EnforcementState; controller: ControllerEndpoint }>();
  for (const h of hosts) {
    if (h.enforcement) out.set(h.id, { state: h.enforcement, controller: parseControllerEndpoint(h.enforcement.controllerEndpoint) });
  }
  return out;
}

const PASS: FlowVerdict = { pass: true, reason: 'no agent' };

/**
 * Sends every flow for real and returns outcome by key; asserts that each
 * outcome equals the evaluator's verdict for both ends (the opener's state
 * for the outgoing flow, the peer's state for the incoming one).
 */
async function flows(cases: Case[]): Promise<Map<string, boolean>> {
  const states = await reportedStates();
  const byFrom = new Map<string, { c: Case; spec: ProbeSpec }[]>();
  for (const c of cases) {
    byFrom.set(c.from, [...(byFrom.get(c.from) ?? []), { c, spec: { protocol: c.protocol, address: addr(c.to, c.family), port: c.port, timeoutMs: TIMEOUT_MS } }]);
  }
  const outcome = new Map<string, boolean>();
  const mismatches: string[] = [];
  await Promise.all([...byFrom].map(async ([from, items]) => {
    const results = await net.probe(from, items.map((i) => i.spec));
    const now = Date.now();
    results.forEach((r, i) => {
      const { c } = items[i]!;
      const sport = r.localPort ?? EPHEMERAL;
      const opener = states.get(c.from);
      const peer = states.get(c.to);
      const out = opener
        ? evaluateFlow(opener.state, opener.controller, { direction: 'out', protocol: c.protocol, localPort: sport, remoteAddress: r.address, remotePort: c.port }, now)
        : PASS;
      const inn = peer
        ? evaluateFlow(peer.state, peer.controller, { direction: 'in', protocol: c.protocol, localPort: c.port, remoteAddress: addr(c.from, c.family), remotePort: sport }, now)
        : PASS;
      const pass = out.pass && inn.pass;
      if (pass !== r.ok) {
        mismatches.push(`${key(c)}: kernel ${r.ok ? 'passed' : `dropped (${r.detail})`}, evaluator says ${pass ? 'pass' : 'drop'} (${c.from}: ${out.reason}; ${c.to}: ${inn.reason})`);
      }
      outcome.set(key(c), r.ok);
      flowsChecked++;
    });
  }));
  assert.deepEqual(mismatches, [], 'the kernel and the evaluator (on the state the controller reports) disagree');
  return outcome;
}

function assertOutcomes(outcome: Map<string, boolean>, cases: Case[], expect: (c: Case) => boolean): void {
  const wrong = cases.filter((c) => outcome.get(key(c)) !== expect(c)).map((c) => `${key(c)} ${outcome.get(key(c)) ? 'passed' : 'was dropped'}`);
  assert.deepEqual(wrong, [], 'flows with the wrong outcome');
}

/** Runs a containment command through the CLI (`-o json`), returning the command view and the exit code. */
async function command(args: string[], timeoutMs = 40_000): Promise<CommandView__Output & { code: number; stderr: string }> {
  const r = await cli(ctl, ['-o', 'json', ...args], timeoutMs);
  let view: CommandView__Output;
  try {
    view = JSON.parse(r.stdout) as CommandView__Output;
  } catch {
    throw new Error(`firebreak ${args.join(' ')} exited ${r.code} without a command view: ${r.stderr.trim()}`);
  }
  return { ...view, code: r.code, stderr: r.stderr };
}

const host = (id: string): Promise<Host__Output> => cliJson<Host__Output>(ctl, ['host', id]);

/** The Firebreak table in a namespace, without what changes with traffic. */
async function firebreakTable(name: string): Promise<string> {
  const r = await net.exec(name, 'nft', ['list', 'table', 'inet', 'firebreak']);
  return r.code === 0 ? r.stdout.replace(/counter packets \d+ bytes \d+/g, 'counter') : '';
}

before(async () => {
  await requireNetnsTools(); // the NEEDS message, not a raw `spawnSync nft ENOENT`, on a machine without them
  hostRulesetBefore = ruleset();
  net = await TestNetwork.create(['ctl', 'h1', 'h2', 'h3', 'h4']);
  await Promise.all([
    ...PEERS.map((h) => net.listen(h, { tcp: [25, 80], udp: [9000] })),
    net.listen('ctl', { tcp: [80] }),
  ]);
  ctl = await startNsController(net, 'ctl', dir());
  // each agent proves isolation bites against a listener on another host
  const verifyTarget: Record<string, string> = { h1: 'h2', h2: 'h3', h3: 'h1' };
  await Promise.all(PEERS.map(async (h) => {
    agentDir.set(h, dir());
    agents.set(h, await startNsAgent(net, h, ctl, agentDir.get(h)!, { extra: ['--verify-target', `${net.host(verifyTarget[h]!).v4}:80`] }));
  }));
});

after(async () => {
  // processes first: deleting a namespace does not end what runs inside it
  await stopAll();
  await net?.destroy();
  for (const d of dirs) d.remove();
});

describe('Containment with real controller and agent processes in network namespaces', { timeout: 150_000 }, () => {
  it('before any command, every flow between the hosts passes', async () => {
    const outcome = await flows(MESH);
    assertOutcomes(outcome, MESH, () => true);
  });

  it('isolate h1: no TCP/UDP in or out over IPv4 and IPv6, open sessions die, and its agent keeps reporting', async () => {
    const sessions = await Promise.all([net.session('h2', net.host('h1').v4, 80), net.session('h1', net.host('h3').v6, 80)]);
    const issuedAt = Date.now();
    const v = await command(['isolate', 'h1', '--reason', 'netns test', '--wait']);
    assert.equal(v.status, 'APPLIED', `isolate ended ${v.status}: ${v.resultMessage} ${v.stderr}`);
    assert.equal(v.code, 0);

    const toCtl: Case = { from: 'h1', to: 'ctl', protocol: 'tcp', family: 4, port: 80 };
    const outcome = await flows([...MESH, toCtl]);
    assertOutcomes(outcome, [...MESH, toCtl], (c) => !touches(c, 'h1'));

    for (const s of sessions) {
      const why = await Promise.race([s.dead, sleep(5000).then(() => 'still alive 5 s after isolation')]);
      assert.match(why, /^dead/, 'a TCP session open before isolation must die');
    }

    const before1 = await host('h1');
    await sleep(2500);
    const later = await host('h1');
    assert.equal(later.online, true, 'the isolated agent keeps its stream to the controller');
    assert.equal(later.enforcement?.isolated, true);
    assert.ok(later.reports > before1.reports, `reports keep arriving (${before1.reports} then ${later.reports})`);
    assert.ok(later.lastSeenMs > before1.lastSeenMs && later.lastSeenMs > issuedAt, 'last seen keeps moving');
  });

  it('kill -9 and restart of the isolated agent: isolation holds throughout and the new agent reports it', async () => {
    const old = agents.get('h1')!;
    await stopProcess(old, 'SIGKILL');
    const gap: Case[] = [...fams('h2', 'h1', 'tcp', 80), ...fams('h1', 'h2', 'tcp', 80), ...fams('h3', 'h1', 'udp', 9000)];
    assertOutcomes(await flows(gap), gap, () => false);

    const restartedAt = Date.now();
    let started = false;
    const restart = startNsAgent(net, 'h1', ctl, agentDir.get('h1')!, { extra: ['--verify-target', `${net.host('h2').v4}:80`] })
      .finally(() => { started = true; });
    restart.catch(() => undefined);
    // probe while the agent starts and re-applies its persisted state: no window may open
    const during: Case[] = [...fams('h2', 'h1', 'tcp', 80), ...fams('h1', 'h3', 'udp', 9000)];
    for (let i = 0; i < 20 && !started; i++) assertOutcomes(await flows(during), during, () => false);
    agents.set('h1', await restart);

    const h = await eventually(async () => {
      const v = await host('h1');
      return v.online && v.lastSeenMs > restartedAt ? v : undefined;
    }, 10_000, 'the restarted agent to report');
    assert.equal(h.enforcement?.isolated, true, 'the restarted agent reports isolation');
    assert.notEqual(h.enforcement?.rulesetHash, '');
    assertOutcomes(await flows(gap), gap, () => false);
  });

  it('a hand flush of the Firebreak table in h1 is re-applied within one interval and reported as enforce.drift', async () => {
    const applied = await firebreakTable('h1');
    assert.match(applied, /drop/);
    const flushedAt = Date.now();
    await net.mustExec('h1', 'nft', ['flush', 'table', 'inet', 'firebreak']);
    let repairedAt = 0;
    for (let i = 0; i < 100 && !repairedAt; i++) {
      if ((await firebreakTable('h1')) === applied) repairedAt = Date.now();
      else await sleep(50);
    }
    assert.ok(repairedAt, 'the rules never came back');
    // one interval, plus the apply and this poll's own nft runs on a busy machine
    assert.ok(repairedAt - flushedAt < INTERVAL_MS + 1500, `re-applied after ${repairedAt - flushedAt} ms`);

    const ev = await eventually(async () => {
      const events = await cliJson<EventView__Output[]>(ctl, ['events', '--host', 'h1']);
      return events.find((e) => e.event?.signature === 'enforce.drift' && e.receivedAtMs >= flushedAt - 1000);
    }, 10_000, 'an enforce.drift event at the controller');
    assert.equal(ev.event?.kind, 'ENFORCEMENT_DRIFT');
    const cut = [...fams('h1', 'h2', 'tcp', 80), ...fams('h3', 'h1', 'tcp', 80)];
    assertOutcomes(await flows(cut), cut, () => false);
  });

  it('release h1 restores every flow', async () => {
    const v = await command(['release', 'h1', '--wait']);
    assert.equal(v.status, 'APPLIED', `release ended ${v.status}: ${v.resultMessage} ${v.stderr}`);
    const outcome = await flows(MESH);
    assertOutcomes(outcome, MESH, () => true);
  });

  it('an isolation whose controller address is wrong after apply rolls back by itself and reports ROLLED_BACK', async () => {
    // h4's agent dials the controller at an address (port) that h4's own NAT
    // forwards to the real one. The stream works; isolation keeps open what
    // the agent dialled, but the packets really go to the translated port (our
    // chains run after DNAT), so after apply the controller is unreachable.
    const real = Number(ctl.agentAddress.split(':').pop());
    const alias = real === 9443 ? 9444 : 9443;
    const ctlV4 = net.host('ctl').v4;
    await net.mustExec('h4', 'nft', ['-f', '-'], {
      input: [
        'table ip fbtest_nat {',
        '  chain out { type nat hook output priority -100; policy accept;',
        `    ip daddr ${ctlV4} tcp dport ${alias} dnat to ${ctlV4}:${real}`,
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    agentDir.set('h4', dir());
    agents.set('h4', await startNsAgent(net, 'h4', ctl, agentDir.get('h4')!, {
      controller: `${ctlV4}:${alias}`, extra: ['--verify-target', `${net.host('h2').v4}:80`],
    }));
    const v = await command(['isolate', 'h4', '--reason', 'netns test: wrong controller address', '--wait', '--timeout', '35s'], 45_000);
    assert.equal(v.status, 'ROLLED_BACK', `isolation of h4 ended ${v.status} (${v.resultMessage || v.stderr.trim()}); an agent whose controller is unreachable after apply must roll back`);
    assert.match(v.resultMessage, /controller is not reachable/);
    const h = await eventually(async () => {
      const x = await host('h4');
      return x.online && x.enforcement && !x.enforcement.isolated ? x : undefined;
    }, 10_000, 'h4 reported online and not isolated');
    assert.equal(h.enforcement?.isolated, false);
    const [r] = await net.probe('h4', [{ protocol: 'tcp', address: net.host('h2').v4, port: 80, timeoutMs: TIMEOUT_MS }]);
    assert.equal(r!.ok, true, 'traffic flows again after the rollback');
  });

  it('block tcp/25 outbound on h2: h2 -> h3:25 fails, h2 -> h3:80 works', async () => {
    const v = await command(['block', 'h2', '--port', '25', '--direction', 'out', '--wait']);
    assert.equal(v.status, 'APPLIED', `block ended ${v.status}: ${v.resultMessage} ${v.stderr}`);
    const cases = [...fams('h2', 'h3', 'tcp', 25), ...fams('h2', 'h3', 'tcp', 80), ...fams('h2', 'h1', 'tcp', 25), ...fams('h3', 'h2', 'tcp', 25)];
    const outcome = await flows(cases);
    assertOutcomes(outcome, cases, (c) => !(c.from === 'h2' && c.port === 25));
    const u = await command(['unblock', 'h2', 'tcp-out-25', '--wait']);
    assert.equal(u.status, 'APPLIED', `unblock ended ${u.status}: ${u.resultMessage}`);
  });

  it('block tcp/25 inbound on h2: h3 -> h2:25 fails, h3 -> h2:80 and h2 -> h3:25 work', async () => {
    const v = await command(['block', 'h2', '--port', '25', '--direction', 'in', '--wait']);
    assert.equal(v.status, 'APPLIED', `block ended ${v.status}: ${v.resultMessage} ${v.stderr}`);
    const cases = [...fams('h3', 'h2', 'tcp', 25), ...fams('h3', 'h2', 'tcp', 80), ...fams('h1', 'h2', 'tcp', 25), ...fams('h2', 'h3', 'tcp', 25)];
    const outcome = await flows(cases);
    assertOutcomes(outcome, cases, (c) => !(c.to === 'h2' && c.port === 25));
    const u = await command(['unblock', 'h2', 'tcp-in-25', '--wait']);
    assert.equal(u.status, 'APPLIED', `unblock ended ${u.status}: ${u.resultMessage}`);
  });

  it('a block with a 5 s expiry lifts by itself and the controller sees it gone', async () => {
    const issuedAt = Date.now();
    const v = await command(['block', 'h2', '--port', '25', '--direction', 'out', '--id', 'exp-25', '--expires', '5s', '--wait']);
    assert.equal(v.status, 'APPLIED', `block ended ${v.status}: ${v.resultMessage} ${v.stderr}`);
    const cases = [...fams('h2', 'h3', 'tcp', 25), ...fams('h2', 'h3', 'tcp', 80)];
    assertOutcomes(await flows(cases), cases, (c) => c.port !== 25);

    const h = await eventually(async () => {
      const x = await host('h2');
      return x.enforcement && !x.enforcement.blocks.some((b) => b.id === 'exp-25') ? x : undefined;
    }, 15_000, 'the controller to see block exp-25 gone', 500);
    assert.ok(Date.now() - issuedAt >= 4500, 'not lifted before its expiry');
    assert.deepEqual(h.enforcement?.blocks, []);
    assertOutcomes(await flows(cases), cases, () => true);
  });

  it('the evaluator agreed with the kernel on at least 50 flows', (t) => {
    t.diagnostic(`${flowsChecked} flows checked against the evaluator`);
    assert.ok(flowsChecked >= 50, `only ${flowsChecked} flows checked`);
  });

  it("leaves the machine's own namespace ruleset untouched", () => {
    assert.equal(ruleset(), hostRulesetBefore);
  });
});
