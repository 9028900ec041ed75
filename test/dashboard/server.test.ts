// The dashboard's server over real HTTPS (the controller's CA pinned) in front of
// a real in-process controller (real gRPC listeners, a real SQLite file): login
// and its cookie, the headers every answer carries, the API through the operator
// handlers (roles, audit), CSRF, limits, static files and live updates; then the
// incident actions: a simulated worm (synthetic agents on real mutual-TLS streams,
// test/browser/outbreak.ts) opens a master alert and a playbook run whose
// isolations are all held; ack and approve are previewed, then done.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Controller } from '../../controller/controller.ts';
import type { CredentialFile } from '../../controller/credentials.ts';
import type { Agent } from '../../agent/agent.ts';
import type { CommandView__Output, OperatorClient } from '../../proto/wire.ts';
import { createEnrollmentToken } from '../../controller/trust/tokens.ts';
import { eventually, tempDir, type ControllerProc } from '../helpers/procs.ts';
import { connectOutbreak, type Outbreak } from '../browser/outbreak.ts';
import { adminClient, enroll, inProcessAgent, inventory, startInProcessController, unary } from '../helpers/inproc.ts';
import { DashboardClient, type EventStream } from './client.ts';

const HELD = `name: hold-all
description: every isolation waits for an operator's approval
when:
  signatures: ["proc.new/*"]
  classification: propagating
  min_hosts: 3
do:
  - isolate: {}
guards:
  max_isolations: 0
`;

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

describe('dashboard server', () => {
  const dir = tempDir();
  const dist = join(dir.path, 'dist');
  let c: Controller;
  let admin: OperatorClient;
  const tokens: Record<string, string> = {};
  let agent: Agent;

  const commandsOf = async (hostId: string) => (await unary<{ commands: CommandView__Output[] }>(admin, 'ListCommands', { hostId, limit: 100 })).commands;
  const auditEntries = async () => (await unary<{ entries: { actor: string; action: string; target: string; detail: string }[] }>(admin, 'ListAudit', { limit: 1000 })).entries;

  before(async () => {
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Firebreak</title><script type="module" src="/app.js"></script>');
    writeFileSync(join(dist, 'app.js'), 'console.log("firebreak")');
    writeFileSync(join(dist, 'app.css'), 'body{margin:0}');
    writeFileSync(join(dir.path, 'secret.txt'), 'outside the dist dir');
    symlinkSync(join(dir.path, 'secret.txt'), join(dist, 'leak.txt'));
    c = await startInProcessController(join(dir.path, 'ctl'), { dashboardListen: '127.0.0.1:0', dashboardDir: dist });
    admin = adminClient(c);
    for (const role of ['viewer', 'responder', 'responder-gone']) {
      tokens[role] = (await unary<{ token: string }>(admin, 'AddOperator', { name: `${role}-1`, role: role.replace(/-gone$/, '') })).token;
    }
    for (const id of ['fbh1', 'fbh10', 'fbh2']) {
      await c.store.recordHello({ hostId: id, bootId: 'boot-0001', inventory: { ...inventory, arch: 'x64', hostname: id }, backend: 'DRY_RUN', nowMs: Date.now() });
    }
    // a real agent (real mTLS link, signed commands) on the dry-run backend
    ({ agent } = inProcessAgent(c, await enroll(c, 'web-1', dir.path), join(dir.path, 'web-1')));
    await agent.start();
    await eventually(async () => c.gateway.online.has('web-1'), 5000, 'web-1 online', 20);
  });

  after(async () => {
    await agent?.stop();
    admin?.close();
    await c?.stop();
    dir.remove();
  });

  it('logs in with an operator token: a Secure, HttpOnly, SameSite=Strict session cookie, and the name, role and CSRF token', async () => {
    const b = new DashboardClient(c);
    const a = await b.login(tokens.viewer!);
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.name, 'viewer-1');
    assert.equal(a.json.role, 'viewer');
    assert.match(a.json.csrf, /^[A-Za-z0-9_-]{20,}$/);
    const cookie = ([] as string[]).concat(a.headers['set-cookie'] ?? [])[0] ?? '';
    assert.match(cookie, /^fb_session=[A-Za-z0-9_-]{43}; /, 'the cookie is 32 random bytes, base64url');
    for (const flag of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/', 'Max-Age=28800']) assert.ok(cookie.split('; ').includes(flag), `${flag} in ${cookie}`);
    const me = await b.get('/api/me');
    assert.equal(me.status, 200, me.text);
    assert.deepEqual(me.json, { name: 'viewer-1', role: 'viewer', csrf: a.json.csrf });
    const out = await b.post('/api/logout');
    assert.equal(out.status, 200, out.text);
    assert.deepEqual(out.json, {});
    assert.match(String(out.headers['set-cookie']), /^fb_session=; .*Max-Age=0/);
    assert.equal((await b.get('/api/me')).status, 401, 'the session is gone, not only the cookie');
  });

  it('refuses a bad token with 401 and no cookie, and a request without a session with 401', async () => {
    const b = new DashboardClient(c);
    const bad = await b.login('fbo_' + 'A'.repeat(43));
    assert.equal(bad.status, 401);
    assert.match(bad.json.error, /not known to this controller/);
    assert.equal(bad.headers['set-cookie'], undefined);
    const junk = await b.login('letmein');
    assert.equal(junk.status, 401);
    assert.match(junk.json.error, /that is not an operator token/);
    const anon = await b.get('/api/hosts');
    assert.equal(anon.status, 401);
    assert.match(anon.json.error, /not logged in/);
  });

  it('puts the CSP and the other security headers on every answer; no-store on the API', async () => {
    const b = new DashboardClient(c);
    await b.login(tokens.viewer!);
    for (const path of ['/', '/app.js', '/api/me', '/api/nothing-here', '/hosts/fbh1']) {
      const a = await b.get(path);
      assert.equal(a.headers['content-security-policy'], CSP, path);
      assert.equal(a.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(a.headers['referrer-policy'], 'no-referrer', path);
      assert.match(String(a.headers['strict-transport-security']), /max-age=\d+/, path);
      if (path.startsWith('/api/')) assert.equal(a.headers['cache-control'], 'no-store', path);
    }
  });

  it('lists hosts in natural order (fbh2 before fbh10), as `firebreak hosts -o json` does', async () => {
    const b = new DashboardClient(c);
    await b.login(tokens.viewer!);
    const a = await b.get('/api/hosts');
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(a.json.hosts.map((h: { id: string }) => h.id), ['fbh1', 'fbh2', 'fbh10', 'web-1']);
    // the JSON is the operator API's as a gRPC client decodes it (the CLI's -o json)
    const viaGrpc = await unary<{ hosts: { id: string }[] }>(admin, 'ListHosts', {});
    const still = (hs: { id: string }[]) => hs.filter((x) => x.id.startsWith('fbh'));
    assert.deepEqual(still(a.json.hosts).map(({ lastAnomaly, ...rest }: { id: string; lastAnomaly?: unknown }) => (assert.equal(lastAnomaly, null), rest)),
      JSON.parse(JSON.stringify(still(viaGrpc.hosts))), 'the same JSON, plus lastAnomaly (none: these hosts sent no event)');
    const h = a.json.hosts[0];
    assert.equal(h.backend, 'DRY_RUN', 'enums as strings, the CLI\'s JSON');
    assert.deepEqual(h.tags, {});
    // ?tag= filters on granted tags, with the fleet selectors' meaning of tag:KEY[=VALUE]
    await unary(admin, 'SetHostTags', { hostId: 'fbh10', set: { role: 'web' }, remove: [] });
    const ids = async (q: string) => (await b.get(`/api/hosts?${q}`)).json.hosts.map((x: { id: string }) => x.id);
    assert.deepEqual(await ids('tag=role=web'), ['fbh10']);
    assert.deepEqual(await ids('tag=role'), ['fbh10']);
    assert.deepEqual(await ids('tag=role=db'), []);
    assert.deepEqual(await ids('tag=role=web&tag=never-isolate'), []);
    const bad = await b.get('/api/hosts?tag=' + encodeURIComponent('Bad Key'));
    assert.equal(bad.status, 400, bad.text);
  });

  it('serves the built page with its content types; unknown pages get index.html; no way out of dist', async () => {
    const b = new DashboardClient(c);
    const index = await b.get('/');
    assert.equal(index.status, 200);
    assert.match(String(index.headers['content-type']), /^text\/html/);
    assert.match(index.text, /<title>Firebreak<\/title>/);
    const js = await b.get('/app.js');
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    assert.match(String((await b.get('/app.css')).headers['content-type']), /^text\/css/);
    const route = await b.get('/incidents/F3');
    assert.equal(route.status, 200);
    assert.match(route.text, /<title>Firebreak<\/title>/, 'client routes get the page');
    assert.equal((await b.get('/missing.js')).status, 404);
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/leak.txt']) {
      const a = await b.get(path);
      assert.equal(a.status, 404, `${path}: ${a.status} ${a.text}`);
      assert.doesNotMatch(a.text, /outside the dist dir/);
    }
  });

  it('refuses a viewer\'s isolate (and its dry run) with 403, creates no command, and audits the refusal like a gRPC one', async () => {
    const b = new DashboardClient(c);
    await b.login(tokens.viewer!);
    const before = await commandsOf('web-1');
    for (const body of [{ reason: 'viewer tries', dryRun: true }, { reason: 'viewer tries' }]) {
      const a = await b.post('/api/hosts/web-1/isolate', body);
      assert.equal(a.status, 403, a.text);
      assert.match(a.json.error, /IssueCommand needs role responder; this credential has role viewer/);
    }
    assert.equal((await commandsOf('web-1')).length, before.length, 'no command was created');
    await c.audit.flushRefused();
    const refused = (await auditEntries()).filter((e) => e.action === 'calls.refused' && e.actor === 'peer:127.0.0.1')
      .map((e) => JSON.parse(e.detail) as { byAction: Record<string, number>; codes: Record<string, number>; claimed: string[] });
    assert.ok(refused.some((d) => d.byAction['rpc.denied']! >= 2 && d.codes.PERMISSION_DENIED! >= 2 && d.claimed.includes('operator:viewer-1 IssueCommand')),
      `the refusal is in the audit log: ${JSON.stringify(refused)}`);
  });

  it('previews an isolate on dryRun without creating a command, then isolates for real; the agent applies it and the stream says so', async () => {
    const b = new DashboardClient(c);
    await b.login(tokens.responder!);
    const stream = await b.events();
    assert.equal(stream.status, 200);
    const before = await commandsOf('web-1');
    const auditBefore = (await auditEntries()).filter((e) => e.action === 'command.issue').length;
    const dry = await b.post('/api/hosts/web-1/isolate', { reason: 'worm on tcp/25', dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.match(dry.json.preview.summary, /^Isolate web-1 .*every connection in and out is cut except its link to the controller/);
    assert.match(dry.json.preview.summary, /dry-run backend/);
    assert.deepEqual(dry.json.preview.changes, [{ target: 'web-1', what: 'isolation', from: 'off', to: 'isolated' }]);
    assert.equal((await commandsOf('web-1')).length, before.length, 'a dry run creates no command');
    assert.equal((await auditEntries()).filter((e) => e.action === 'command.issue').length, auditBefore, 'and audits no command');

    const real = await b.post('/api/hosts/web-1/isolate', { reason: 'worm on tcp/25' }, { origin: b.origin });
    assert.equal(real.status, 200, real.text);
    const id = real.json.command.id as string;
    assert.equal(real.json.command.action, 'ISOLATE');
    assert.equal(real.json.command.issuer, 'operator:responder-1');
    assert.ok((await commandsOf('web-1')).some((v) => v.command!.id === id));
    await eventually(async () => stream.events.some((e) => e.event === 'commands' && e.data.ids.includes(id)), 5000, `a commands event naming ${id}`, 20);
    const done = await unary<CommandView__Output>(admin, 'WaitCommand', { commandId: id, timeoutMs: 10_000 });
    assert.equal(done.status, 'APPLIED', done.resultMessage);
    const page = await eventually(async () => {
      const h = await b.get('/api/hosts/web-1');
      return h.json.host.enforcement?.isolated ? h : undefined;
    }, 10_000, 'web-1 shown isolated', 50);
    assert.equal(page.json.commands[0].command.id, id);
    assert.equal(page.json.commands[0].status, 'APPLIED');
    assert.ok(Array.isArray(page.json.events));
    // after the isolation the release preview reads the state it changes
    const rel = await b.post('/api/hosts/web-1/release', { dryRun: true });
    assert.deepEqual(rel.json.preview.changes, [{ target: 'web-1', what: 'isolation', from: 'isolated', to: 'off' }]);
    stream.close();
  });

  it('refuses a state change without the JSON type, the CSRF header, the right CSRF token or with another Origin (403, saying which)', async () => {
    const b = new DashboardClient(c);
    await b.login(tokens.responder!);
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'x-csrf-token': '' }, /X-CSRF-Token header is missing/],
      [{ 'x-csrf-token': 'not-the-token' }, /X-CSRF-Token does not match/],
      [{ origin: 'https://evil.example' }, /Origin "https:\/\/evil.example" is not this dashboard's own/],
      [{ 'content-type': 'text/plain' }, /Content-Type must be application\/json/],
    ];
    const before = await commandsOf('fbh2');
    for (const [headers, why] of cases) {
      const a = await b.post('/api/hosts/fbh2/block', { port: 25, protocol: 'tcp', direction: 'outbound', reason: 'csrf' }, headers);
      assert.equal(a.status, 403, `${JSON.stringify(headers)}: ${a.text}`);
      assert.match(a.json.error, why);
    }
    assert.equal((await commandsOf('fbh2')).length, before.length);
    // the same request with everything right is accepted (so the refusals above are the checks, not the route)
    const ok = await b.post('/api/hosts/fbh2/block', { port: 25, protocol: 'tcp', direction: 'outbound', reason: 'csrf' }, { origin: b.origin });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.command.block.block.id, 'tcp-out-25');
  });

  it('refuses a body over 64 KiB with 413, declared or streamed', async () => {
    const b = new DashboardClient(c);
    await b.login(tokens.responder!);
    const big = JSON.stringify({ reason: 'x'.repeat(70 * 1024) });
    const streamed = await b.send('/api/hosts/fbh1/isolate', { method: 'POST', raw: big });
    assert.equal(streamed.status, 413, streamed.text);
    assert.match(streamed.json.error, /larger than 65536 bytes/);
    const declared = await b.send('/api/hosts/fbh1/isolate', { method: 'POST', raw: big, headers: { 'content-length': String(Buffer.byteLength(big)) } });
    assert.equal(declared.status, 413);
    // a declared size over the limit is refused before any of the body is read (here the body never comes)
    const early = await new Promise<number>((resolve, reject) => {
      const req = httpsRequest({
        host: '127.0.0.1', port: c.dashboardPort, path: '/api/hosts/fbh1/isolate', method: 'POST', ca: c.trust.caCertPem, servername: 'localhost', agent: false,
        headers: { 'content-type': 'application/json', 'content-length': String(10 * 1024 * 1024), cookie: `fb_session=${b.cookie}`, 'x-csrf-token': b.csrf! },
      }, (res) => { resolve(res.statusCode ?? 0); res.resume(); req.destroy(); });
      req.on('error', reject);
      req.setTimeout(3000, () => req.destroy(new Error('no answer within 3 s to a 10 MiB declared body')));
      req.write('{"reason":');
    });
    assert.equal(early, 413);
    assert.equal((await commandsOf('fbh1')).length, 0);
  });

  it('previews and adds a silence; maps unknown ids to 404 and a run without playbooks to 409', async () => {
    const b = new DashboardClient(c);
    await b.login(tokens.responder!);
    const dry = await b.post('/api/silences', { matchers: ['signature=disk.io', 'tag:role=backup'], duration: '2h', comment: 'nightly backup', dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.match(dry.json.preview.summary, /events matching signature=disk.io AND tag:role=backup are stored but open or escalate no alert/);
    assert.deepEqual((await b.get('/api/silences')).json.silences, []);
    const bad = await b.post('/api/silences', { matchers: ['nonsense'], duration: '2h', dryRun: true });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /matcher 'nonsense' is malformed/);
    const real = await b.post('/api/silences', { matchers: ['signature=disk.io'], duration: '2h', comment: 'nightly backup' });
    assert.equal(real.status, 200, real.text);
    assert.equal((await b.get('/api/silences')).json.silences[0].id, real.json.id);
    assert.equal((await b.get('/api/hosts/nope-1')).status, 404);
    assert.equal((await b.get('/api/alerts/F999')).status, 404);
    const runs = await b.get('/api/runs');
    assert.equal(runs.status, 409);
    assert.match(runs.json.error, /playbooks are not enabled/);
  });

  it('holds at most 4 live-update streams per session', async () => {
    const b = new DashboardClient(c);
    await b.login(tokens.viewer!);
    const open = await Promise.all([1, 2, 3, 4].map(() => b.events()));
    assert.deepEqual(open.map((s) => s.status), [200, 200, 200, 200]);
    const fifth = await b.events();
    assert.equal(fifth.status, 429);
    open[0]!.close();
    await eventually(async () => (await b.events()).status === 200, 3000, 'a stream slot is free again once one closes', 50);
    for (const s of open) s.close();
  });

  it('refuses connections from one address past 32 at accept, and counts them', async () => {
    const socks = Array.from({ length: 40 }, () => {
      const s = connect({ host: '127.0.0.1', port: c.dashboardPort });
      const rec = { s, closed: false };
      s.on('close', () => { rec.closed = true; });
      s.on('error', () => {});
      return rec;
    });
    try {
      await eventually(async () => socks.filter((x) => x.closed).length >= 8, 5000, 'the connections past 32 reset', 20);
      const counted = (await c.metrics.connectionsRejected.get()).values.find((v) => v.labels.listener === 'dashboard' && v.labels.reason === 'per_source');
      assert.ok((counted?.value ?? 0) >= 8, JSON.stringify(counted));
    } finally {
      for (const x of socks) x.s.destroy();
    }
    // once they are closed, the address is served again
    await eventually(async () => (await new DashboardClient(c).get('/api/me').catch(() => ({ status: 0 }))).status === 401, 5000, 'served again', 20);
  });

  it('ends a session at once when its operator is removed: the next call is 401 and its live stream closes', async () => {
    const b = new DashboardClient(c);
    await b.login(tokens['responder-gone']!);
    assert.equal((await b.get('/api/me')).status, 200);
    const stream = await b.events();
    assert.equal(stream.status, 200);
    await unary(admin, 'RemoveOperator', { name: 'responder-gone-1' });
    // the removal's audit entry is a change: the stream's session is checked before it is told
    await eventually(async () => stream.ended, 5000, 'the stream of the removed operator ends', 20);
    const me = await b.get('/api/me');
    assert.equal(me.status, 401);
    const again = await b.post('/api/hosts/fbh1/isolate', { reason: 'gone' });
    assert.equal(again.status, 401);
  });
});

describe('dashboard incident actions (playbooks on, no built page)', () => {
  const dir = tempDir();
  let c: Controller;
  let outbreak: Outbreak;
  let b: DashboardClient;
  let viewer: DashboardClient;
  let alertId = '';
  let runId = '';
  let stream: EventStream;

  before(async () => {
    const pb = join(dir.path, 'playbooks');
    mkdirSync(pb);
    writeFileSync(join(pb, 'hold.yaml'), HELD);
    c = await startInProcessController(join(dir.path, 'ctl'), { dashboardListen: '127.0.0.1:0', dashboardDir: join(dir.path, 'no-dist'), playbookDir: pb });
    const { token, record } = createEnrollmentToken({ now: Date.now(), uses: 10 });
    await c.store.trust.addEnrollmentToken(record);
    const ctl = { agentAddress: `127.0.0.1:${c.agentPort}`, enrollAddress: `127.0.0.1:${c.enrollPort}`, enrollToken: token, caFingerprint: c.trust.caFingerprint } as ControllerProc;
    outbreak = await connectOutbreak(ctl, join(dir.path, 'worm'), ['fbh1', 'fbh2', 'fbh3', 'fbh4', 'fbh10'], [null, 0, 1, 0, 1]);
    b = new DashboardClient(c);
    viewer = new DashboardClient(c);
    const admin = adminClient(c);
    const viewerToken = (await unary<{ token: string }>(admin, 'AddOperator', { name: 'night-viewer', role: 'viewer' })).token;
    admin.close();
    await b.login((JSON.parse(readFileSync(c.credentialsFile, 'utf8')) as CredentialFile).token);
    await viewer.login(viewerToken);
    // read before the worm: each host's "no anomaly" is known, so what the page shows later came with the events
    assert.ok((await b.get('/api/hosts')).json.hosts.every((h: { lastAnomaly: unknown }) => h.lastAnomaly === null));
    stream = await viewer.events();
    await outbreak.spread(100);
    const run = await eventually(async () => {
      const runs = (await b.get('/api/runs')).json.runs as { id: string; alertId: string; counts: Record<string, number> }[];
      return runs.find((r) => (r.counts.held ?? 0) >= 3);
    }, 15_000, 'a run with its isolations held', 100);
    runId = run.id;
    alertId = run.alertId;
  });

  after(async () => {
    stream?.close();
    outbreak?.close();
    await c?.stop();
    dir.remove();
  });

  it('told the open stream of the new anomalies, the alert, the run and the audit entries, each kind coalesced', async () => {
    const kinds = () => new Set(stream.events.map((e) => e.event));
    await eventually(async () => ['hosts', 'alerts', 'runs', 'audit'].every((k) => kinds().has(k)), 5000, `hosts, alerts, runs and audit events (got ${[...kinds()]})`, 20);
    const ids = (kind: string) => new Set(stream.events.filter((e) => e.event === kind).flatMap((e) => e.data.ids as string[]));
    assert.ok(['fbh1', 'fbh2', 'fbh3', 'fbh4', 'fbh10'].every((h) => ids('hosts').has(h)), [...ids('hosts')].join(','));
    assert.ok(ids('alerts').has(alertId));
    assert.ok(ids('runs').has(runId));
    // dozens of reports, coalesced to at most one event per kind per 250 ms
    const hosts = stream.events.filter((e) => e.event === 'hosts');
    const spanMs = hosts.at(-1)!.atMs - stream.openedAtMs;
    assert.ok(hosts.length <= spanMs / 250 + 1, `${hosts.length} hosts events in ${spanMs} ms`);
  });

  it('shows the master alert as `firebreak alert <id> -o json` does: patient zero, spread tree, timeline', async () => {
    const list = await b.get('/api/alerts');
    assert.ok(list.json.alerts.some((a: { id: string }) => a.id === alertId));
    const a = await b.get(`/api/alerts/${alertId}`);
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.scope, 'fleet');
    assert.equal(a.json.patientZero.hostId, 'fbh1');
    assert.ok(Array.isArray(a.json.spreadGraph.nodes) && Array.isArray(a.json.spreadGraph.edges), JSON.stringify(a.json.spreadGraph));
    assert.ok(a.json.timeline.length >= 1);
  });

  it('shows each host\'s last anomaly, from the events as they arrive and from the store for hosts seen before', async () => {
    const check = async () => {
      const hosts = (await b.get('/api/hosts')).json.hosts as { id: string; lastAnomaly: { signature: string; atMs: number } | null }[];
      assert.deepEqual(hosts.map((h) => h.id), ['fbh1', 'fbh2', 'fbh3', 'fbh4', 'fbh10']);
      for (const h of hosts) {
        assert.ok(h.lastAnomaly, `${h.id} has a last anomaly`);
        assert.match(h.lastAnomaly.signature, /^(proc\.new|conn\.new-port)\//);
        assert.ok(Date.now() - h.lastAnomaly.atMs < 60_000);
      }
      return hosts.map((h) => h.lastAnomaly);
    };
    const live = await check();
    // as after a restart: nothing in memory, so each host's is read from the store once
    (c.lastAnomalies as unknown as { byHost: Map<string, unknown> }).byHost.clear();
    assert.deepEqual(await check(), live);
    assert.deepEqual((await b.get('/api/hosts/fbh2')).json.host.lastAnomaly, live[1]);
  });

  it('previews an ack without acknowledging, refuses a viewer, then acknowledges', async () => {
    const dry = await b.post(`/api/alerts/${alertId}/ack`, { dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.match(dry.json.preview.summary, new RegExp(`^Acknowledge alert ${alertId} .*it stays open`));
    assert.deepEqual(dry.json.preview.changes, [{ target: alertId, what: 'status', from: 'open', to: 'acknowledged' }]);
    assert.equal((await b.get(`/api/alerts/${alertId}`)).json.status, 'open', 'a dry run acknowledges nothing');
    for (const body of [{ dryRun: true }, {}]) assert.equal((await viewer.post(`/api/alerts/${alertId}/ack`, body)).status, 403);
    const real = await b.post(`/api/alerts/${alertId}/ack`, {});
    assert.equal(real.status, 200, real.text);
    assert.equal(real.json.status, 'acknowledged');
    assert.equal((await b.get(`/api/alerts/${alertId}`)).json.acknowledgedBy, 'admin');
  });

  it('previews an approval as the held isolations it releases, changes nothing, then approves', async () => {
    const before = (await b.get(`/api/runs/${runId}`)).json as { actions: { status: string; hostId: string }[] };
    const held = before.actions.filter((a) => a.status === 'held').map((a) => a.hostId).sort();
    assert.ok(held.length >= 3);
    const dry = await b.post(`/api/runs/${runId}/approve`, { dryRun: true });
    assert.equal(dry.status, 200, dry.text);
    assert.match(dry.json.preview.summary, new RegExp(`^Approve run ${runId} of playbook hold-all: its ${held.length} held action\\(s\\) are executed now \\(isolating `));
    assert.deepEqual(dry.json.preview.changes.map((ch: { target: string }) => ch.target).sort(), held);
    assert.ok(dry.json.preview.changes.every((ch: { from: string; to: string }) => ch.from.startsWith('held: ') && ch.to === 'isolated'));
    const still = (await b.get(`/api/runs/${runId}`)).json as { approvedBy: string | null; actions: { status: string }[] };
    assert.equal(still.approvedBy, null, 'a dry run approves nothing');
    assert.equal(still.actions.filter((a) => a.status === 'held').length, held.length);
    assert.equal((await viewer.post(`/api/runs/${runId}/approve`, { dryRun: true })).status, 403);
    const real = await b.post(`/api/runs/${runId}/approve`, {});
    assert.equal(real.status, 200, real.text);
    assert.equal(real.json.approvedBy, 'operator:admin');
    assert.equal(real.json.actions.filter((a: { status: string }) => a.status === 'held').length, 0);
    const again = await b.post(`/api/runs/${runId}/approve`, { dryRun: true });
    assert.equal(again.status, 400);
    assert.match(again.json.error, /holds nothing to approve/);
  });

  it('answers 503 naming the build command when the page is not built', async () => {
    const a = await b.get('/');
    assert.equal(a.status, 503);
    assert.match(a.text, /dashboard not built: run npm run build:dashboard/);
  });

  // last: it locks this address out of logins for 5 minutes
  it('refuses logins from an address with 429 after 10 failures, even with the right token', async () => {
    const x = new DashboardClient(c);
    for (let i = 0; i < 10; i++) assert.equal((await x.login(`fbo_${String(i).padStart(43, 'x')}`)).status, 401);
    const a = await x.login((JSON.parse(readFileSync(c.credentialsFile, 'utf8')) as CredentialFile).token);
    assert.equal(a.status, 429);
    assert.match(a.json.error, /too many failed logins from 127.0.0.1/);
    assert.ok(Number(a.headers['retry-after']) > 0);
  });
});
