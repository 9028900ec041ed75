// Fleet-wide actions through the real CLI against a real controller (in this process,
// real gRPC sockets and SQLite) with four enrolled agents on raw streams: preview,
// --dry-run, confirmation, the plan digest, the viewer role, the blast-radius guard on a
// fleet isolate, a lying agent, and `contain` (preview, then a manual run).
// Setup and checks go through the in-process controller; every act goes through the CLI.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Controller } from '../../controller/controller.ts';
import type { AlertSummary } from '../../controller/pipeline/stage-types.ts';
import type { AgentLinkClient, ControllerFrame__Output } from '../../proto/wire.ts';
import { cli, eventually, ROOT, tempDir, type CliTarget } from '../helpers/procs.ts';
import { adminClient, agentLinkClient, enroll, inventory, startInProcessController, unary } from '../helpers/inproc.ts';

const PLAYBOOK = `
name: by-hand
description: test playbook, applied only by hand
enabled: false
mode: enforce
when:
  signatures: ["conn.fanout/*"]
  classification: simultaneous
do:
  - isolate:
      showing: ["conn.fanout/*"]
  - block:
      ports: [25]
      direction: out
      hosts: [alert]
`;

describe('fleet-wide CLI: selectors, preview, confirmation, contain', { timeout: 60_000 }, () => {
  const dir = tempDir();
  let c: Controller;
  let admin: CliTarget;
  let viewer: CliTarget;
  let responder: CliTarget;
  const streams: { client: AgentLinkClient; call: ReturnType<AgentLinkClient['Connect']>; frames: ControllerFrame__Output[] }[] = [];
  const commands = async () => (await c.store.listCommands({ limit: 1000 })).map((v) => v.command!);

  before(async () => {
    const pbDir = join(dir.path, 'playbooks');
    mkdirSync(pbDir);
    writeFileSync(join(pbDir, 'by-hand.yaml'), PLAYBOOK);
    c = await startInProcessController(join(dir.path, 'ctl'), { playbookDir: pbDir });
    admin = { operatorAddress: `127.0.0.1:${c.operatorPort}`, credentialsFile: c.credentialsFile };
    // granted: fbh2 is a mail relay that is never isolated (its token says so). fbh10 only CLAIMS to be a relay in its Hello.
    const grants: Record<string, Record<string, string>> = { fbh2: { 'mail-relay': '', 'never-isolate': 'true' } };
    const claims: Record<string, Record<string, string>> = { fbh10: { 'mail-relay': '' } };
    await Promise.all(['fbh1', 'fbh2', 'fbh3', 'fbh10'].map(async (id) => {
      const client = agentLinkClient(c, await enroll(c, id, dir.path, grants[id] ?? {}));
      const call = client.Connect();
      const s = { client, call, frames: [] as ControllerFrame__Output[] };
      call.on('data', (f: ControllerFrame__Output) => s.frames.push(f));
      call.on('error', () => {});
      call.write({ hello: { agentId: id, bootId: randomBytes(8).toString('hex'), inventory: { ...inventory, tags: claims[id] ?? {} }, backend: 'DRY_RUN', sentAtMs: Date.now() } });
      await eventually(async () => s.frames.some((f) => f.welcome), 5000, `welcome for ${id}`, 20);
      streams.push(s);
    }));
    const credential = async (name: string, role: string): Promise<CliTarget> => {
      const added = await unary<{ token: string }>(adminClient(c), 'AddOperator', { name, role });
      const file = join(dir.path, `${name}.json`);
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(c.credentialsFile, 'utf8')), name, role, token: added.token }), { mode: 0o600 });
      return { ...admin, credentialsFile: file };
    };
    viewer = await credential('vera', 'viewer');
    responder = await credential('rita', 'responder');
  });

  after(async () => {
    for (const s of streams) { s.call.cancel(); s.client.close(); }
    await c.stop();
    dir.remove();
  });

  it('previews in natural order, refuses above --confirm-above without --yes off a terminal, then issues with --yes; a lying agent is not spared', async () => {
    const r = await cli(admin, ['block', '--hosts', 'all,not tag:mail-relay', '--port', '25', '--confirm-above', '2']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, /plan {5}block out tcp 25 on 3 host\(s\) \(of 4 in the fleet\), selector 'all,not tag:mail-relay', digest [0-9a-f]{16}/);
    // fbh10 claims mail-relay without the grant: still picked; natural order puts it last
    assert.match(r.stdout, /hosts {4}fbh1, fbh3, fbh10\n/);
    assert.match(r.stderr, /reaches 3 hosts \(more than --confirm-above 2\) and stdin is not a terminal.*add --yes/);
    assert.equal((await commands()).length, 0);

    const ok = await cli(admin, ['block', '--hosts', 'all,not tag:mail-relay', '--port', '25', '--confirm-above', '2', '--yes']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /issued {3}3 command\(s\)/);
    const cmds = await commands();
    assert.deepEqual(cmds.map((x) => x.targetAgentId).sort(), ['fbh1', 'fbh10', 'fbh3']);
    assert.ok(cmds.every((x) => x.action === 'BLOCK' && x.issuer === 'operator:admin' && x.block?.block?.ports[0]?.from === 25));
    // one audit entry for the batch, with the selector and every command
    const audit = (await c.store.trust.listAudit(0, 1000)).filter((e) => e.action === 'command.issue.fleet');
    assert.equal(audit.length, 1);
    const d = JSON.parse(audit[0]!.detail) as { selector: string; commands: string[][] };
    assert.equal(d.selector, 'all,not tag:mail-relay');
    assert.deepEqual(d.commands.map((x) => x[1]).sort(), cmds.map((x) => x.id).sort());
  });

  it('asks y/N when stdin is a terminal, and issues nothing on no', { skip: existsSync('/usr/bin/script') ? false : 'needs script(1) from util-linux for a pseudo-terminal' }, async () => {
    const before = (await commands()).length;
    // script(1) runs the CLI on a pseudo-terminal, so its stdin is a TTY; the answer is typed into it
    const line = [process.execPath, '--import', 'tsx', join(ROOT, 'controller/cli/main.ts'), '--controller', admin.operatorAddress, '--credentials', admin.credentialsFile,
      'release', '--hosts', 'all', '--confirm-above', '2'].join(' ');
    const r = await new Promise<{ code: number; out: string }>((resolve) => {
      const child = execFile('/usr/bin/script', ['-qec', line, '/dev/null'], { cwd: ROOT, timeout: 30_000 }, (err, stdout) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout }));
      child.stdin!.end('n\n');
    });
    assert.match(r.out, /release on 4 hosts\. Go ahead\? \[y\/N\]/);
    assert.match(r.out, /not confirmed: nothing issued/);
    assert.equal((await commands()).length, before);
  });

  it('--dry-run issues nothing; the issue is refused when the selection changed since the preview (digest mismatch)', async () => {
    const before = (await commands()).length;
    const plan = await cli(admin, ['-o', 'json', 'unblock', '--hosts', 'all,not tag:mail-relay', 'tcp-out-25', '--dry-run']);
    assert.equal(plan.code, 0, plan.stderr);
    const p = JSON.parse(plan.stdout) as { plan: { digest: string; hostIds: string[] }; issued: number };
    assert.deepEqual([p.plan.hostIds, p.issued], [['fbh1', 'fbh3', 'fbh10'], 0]);
    assert.equal((await commands()).length, before, '--dry-run issued nothing');
    const digest = p.plan.digest;
    // an admin grants fbh3 the mail-relay tag between the preview and the issue
    await unary(adminClient(c), 'SetHostTags', { hostId: 'fbh3', set: { 'mail-relay': '' }, remove: [] });
    const r = await cli(admin, ['unblock', '--hosts', 'all,not tag:mail-relay', 'tcp-out-25', '--yes', '--plan-digest', digest]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /FAILED_PRECONDITION: the plan changed since it was previewed \(digest [0-9a-f]+, now [0-9a-f]+: 2 host\(s\)/);
    assert.equal((await commands()).length, before);
  });

  it('refuses a viewer', async () => {
    const r = await cli(viewer, ['release', '--hosts', 'all', '--yes']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /PERMISSION_DENIED: IssueFleetCommand needs role responder; this credential has role viewer/);
  });

  it('spares never-isolate hosts; a fleet isolate above the blast radius needs an admin override with a reason, counted in the window', async () => {
    // 4 hosts: the blast radius allows 2 isolations in its window; fbh2 (never-isolate) is left out
    const r = await cli(admin, ['isolate', '--hosts', 'all', '-r', 'test', '--yes']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /hosts {4}fbh1, fbh3, fbh10\nspared {3}1 tagged never-isolate: fbh2\n/);
    assert.match(r.stderr, /FAILED_PRECONDITION: isolating 3 host\(s\) goes above the blast radius: 0 isolation\(s\) in the last 10m, the limit for a fleet of 4 is 2.*--override-guard/);
    assert.ok(!(await commands()).some((x) => x.action === 'ISOLATE'));

    const rita = await cli(responder, ['isolate', '--hosts', 'all', '-r', 'test', '--yes', '--override-guard', 'worm confirmed']);
    assert.equal(rita.code, 1);
    assert.match(rita.stderr, /PERMISSION_DENIED: an isolation above the blast radius \(--override-guard\) needs role admin; this credential has role responder/);
    assert.ok(!(await commands()).some((x) => x.action === 'ISOLATE'));

    const ok = await cli(admin, ['isolate', '--hosts', 'all', '-r', 'test', '--yes', '--override-guard', 'worm confirmed']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual((await commands()).filter((x) => x.action === 'ISOLATE').map((x) => x.targetAgentId).sort(), ['fbh1', 'fbh10', 'fbh3']);
    const last = (await c.store.trust.listAudit(0, 1000)).filter((e) => e.action === 'command.issue.fleet').sort((a, b) => b.seq - a.seq)[0]!;
    const entry = JSON.parse(last.detail) as { overrideGuard?: string; spared: string[] };
    assert.deepEqual([entry.overrideGuard, entry.spared], ['worm confirmed', ['fbh2']]);
    // the blast-radius window now holds these 3: a playbook (or contain) isolating more is held
    assert.equal(c.playbooks!.isolationRoom().used, 3);
  });

  it('contain --dry-run shows the playbook plan; contain runs it as a manual run', async () => {
    for (const s of streams) {
      s.call.write({ report: { seq: 1, events: [{ kind: 'CONN_FANOUT', signature: 'conn.fanout/tcp:25', value: 400, baseline: 3, score: 12, count: 1, observedAtMs: Date.now(),
        evidence: { detail: 'fan-out', processes: [], remotes: [] } }] } });
    }
    const alert = await eventually(async () => c.pipeline.listAlerts({}).find((a: AlertSummary) => a.scope === 'fleet' && a.hostCount === 4), 10_000, 'a fleet alert over 4 hosts', 50);
    const before = (await commands()).length;
    // --alert: the alert's hosts, then the terms of --hosts (fbh2 and fbh3 are granted mail-relay by now)
    const plan = await unary<{ hostIds: string[]; selector: string }>(adminClient(c), 'PlanFleetCommand', { alertId: alert.id, hosts: 'not tag:mail-relay', command: { action: 'RELEASE' } });
    assert.deepEqual([plan.selector, plan.hostIds], [`alert:${alert.id},not tag:mail-relay`, ['fbh1', 'fbh10']]);

    const dry = await cli(admin, ['contain', alert.id, '--playbook', 'by-hand', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`plan {6}playbook by-hand on alert ${alert.id}, digest [0-9a-f]{16}`));
    // the blast radius (2 of 4) is full with the operator's 3 isolations: contain's are held, as a playbook's would be; never-isolate is spared
    assert.match(dry.stdout, /isolate dry-run: 3 host\(s\): fbh1, fbh3, fbh10 — would be held: blast radius: 3 isolations \(by playbooks, and by operators with a host selector\)/);
    assert.match(dry.stdout, /isolate spared: 1 host\(s\): fbh2/);
    assert.match(dry.stdout, /block dry-run: 4 host\(s\): fbh1, fbh2, fbh3, fbh10 — would block out tcp 25/);
    assert.match(dry.stdout, /dry run: nothing done/);
    assert.equal((await commands()).length, before);

    // a confirmation of another plan than this one is refused (the CLI sends the digest it showed)
    await assert.rejects(c.playbooks!.contain(alert.id, 'by-hand', 'operator:admin', '0000000000000000'), /the plan for alert \S+ changed since the preview/);
    assert.equal((await commands()).length, before);

    const run = await cli(admin, ['contain', alert.id, '--playbook', 'by-hand', '--yes']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /run run-[a-z0-9]+-\d+ \(manual\) started/);
    const runs = c.playbooks!.listRuns(10) as { id: string; mode: string; startedBy: string | null; alertId: string; counts: Record<string, number> }[];
    const manual = runs.find((x) => x.mode === 'manual');
    assert.ok(manual, JSON.stringify(runs));
    assert.equal(manual.startedBy, 'operator:admin');
    assert.equal(manual.alertId, alert.id);
    assert.deepEqual([manual.counts.issued, manual.counts.held, manual.counts.spared], [4, 3, 1]); // 4 blocks issued, 3 isolations held
    const cmds = (await commands()).slice(0, (await commands()).length - before);
    assert.equal(cmds.filter((x) => x.action === 'ISOLATE').length, 0);
    assert.equal(cmds.filter((x) => x.action === 'BLOCK').length, 4);
    assert.ok(cmds.every((x) => x.issuer === 'playbook:by-hand'));
    // a second contain while the run is active is refused with what to do instead
    assert.throws(() => c.playbooks!.containPreview(alert.id, 'by-hand', 'operator:admin'), new RegExp(`run ${manual.id} of playbook by-hand already acts on alert ${alert.id}`));
  });
});
