// The dashboard's server over real HTTPS (the controller's CA pinned) in front of
// a real in-process controller (real gRPC listeners, a real SQLite file): login
// and its cookie, the headers every answer carries, the API through the operator
// handlers (roles, audit), CSRF, limits, static files and live updates.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Controller } from '../../controller/controller.ts';
import type { CredentialFile } from '../../controller/credentials.ts';
import type { OperatorClient } from '../../proto/wire.ts';
import { tempDir } from '../helpers/procs.ts';
import { adminClient, inventory, startInProcessController, unary } from '../helpers/inproc.ts';
import { DashboardClient } from './client.ts';

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

describe('dashboard server', () => {
  const dir = tempDir();
  const dist = join(dir.path, 'dist');
  let c: Controller;
  let admin: OperatorClient;
  let adminToken: string;
  const tokens: Record<string, string> = {};

  before(async () => {
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Firebreak</title><script type="module" src="/app.js"></script>');
    writeFileSync(join(dist, 'app.js'), 'console.log("firebreak")');
    writeFileSync(join(dist, 'app.css'), 'body{margin:0}');
    writeFileSync(join(dir.path, 'secret.txt'), 'outside the dist dir');
    c = await startInProcessController(join(dir.path, 'ctl'), { dashboardListen: '127.0.0.1:0', dashboardDir: dist });
    admin = adminClient(c);
    adminToken = (JSON.parse(readFileSync(c.credentialsFile, 'utf8')) as CredentialFile).token;
    for (const role of ['viewer', 'responder']) {
      tokens[role] = (await unary<{ token: string }>(admin, 'AddOperator', { name: `${role}-1`, role })).token;
    }
    for (const id of ['fbh1', 'fbh10', 'fbh2']) {
      await c.store.recordHello({ hostId: id, bootId: 'boot-0001', inventory: { ...inventory, arch: 'x64', hostname: id }, backend: 'DRY_RUN', nowMs: Date.now() });
    }
  });

  after(async () => {
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
  });

  it('refuses a bad token with 401 and no cookie, and a request without a session with 401', async () => {
    const b = new DashboardClient(c);
    const bad = await b.login('fbo_' + 'A'.repeat(43));
    assert.equal(bad.status, 401);
    assert.match(bad.json.error, /not known to this controller/);
    assert.equal(bad.headers['set-cookie'], undefined);
    const junk = await b.login('letmein');
    assert.equal(junk.status, 401);
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
    assert.deepEqual(a.json.hosts.map((h: { id: string }) => h.id), ['fbh1', 'fbh2', 'fbh10']);
    const h = a.json.hosts[0];
    assert.equal(h.backend, 'DRY_RUN', 'enums as strings, the CLI\'s JSON');
    assert.deepEqual(h.tags, {});
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
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt']) {
      const a = await b.get(path);
      assert.equal(a.status, 404, `${path}: ${a.status} ${a.text}`);
      assert.doesNotMatch(a.text, /outside the dist dir/);
    }
  });
});

describe('dashboard server without a built page', () => {
  const dir = tempDir();
  let c: Controller;
  before(async () => {
    c = await startInProcessController(join(dir.path, 'ctl'), { dashboardListen: '127.0.0.1:0', dashboardDir: join(dir.path, 'no-dist') });
  });
  after(async () => {
    await c?.stop();
    dir.remove();
  });

  it('answers 503 naming the build command', async () => {
    const a = await new DashboardClient(c).get('/');
    assert.equal(a.status, 503);
    assert.match(a.text, /dashboard not built: run npm run build:dashboard/);
  });
});

