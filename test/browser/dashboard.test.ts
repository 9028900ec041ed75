// The web dashboard in a real browser (Debian's chromium, driven by
// playwright-core) against a real controller process with --dashboard-listen,
// a real agent process on the dry-run backend, and synthetic agents over real
// mutual-TLS gRPC playing a worm. One browser for every step; a screenshot of
// each step goes to test-artifacts/browser/.
//   1. an admin logs in with a token
//   2. a simulated outbreak appears live (no reload): the incident, its spread tree, patient zero
//   3. the real agent's host is isolated from its page through the confirm dialog; the agent applies it
//   4. a playbook run held for approval is approved from the runs page
//   5. a viewer sees no action button, and a POST with its session and a valid CSRF token is refused (403)
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { call, operatorClient } from '../../controller/cli/client.ts';
import type { CredentialFile } from '../../controller/credentials.ts';
import { buildDashboard } from '../../scripts/build/dashboard.ts';
import { ROOT, startAgent, startProcess, stopAll, tempDir, type ControllerProc, type Proc } from '../helpers/procs.ts';
import { connectOutbreak, type Outbreak } from './outbreak.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-artifacts/browser');
const REAL = 'fbh-real';
const WORM = ['fbh1', 'fbh2', 'fbh3', 'fbh4', 'fbh5', 'fbh10'];
/** who infected whom: fbh1 is patient zero; three generations after it */
const CHAIN = [null, 0, 1, 0, 1, 2];
/** every isolation this playbook would make waits for a person (max_isolations: 0) */
const HELD_PLAYBOOK = `name: hold-for-approval
description: the browser test's playbook; every isolation waits for an operator's approval
when:
  signatures: ["proc.new/*"]
  classification: propagating
  min_hosts: 3
do:
  - isolate: {}
guards:
  max_isolations: 0
`;

/** The SPKI pin of the dashboard's certificate, after checking in Node that the controller's CA signed it for 127.0.0.1. */
function dashboardPin(port: number, caPem: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca: caPem }, () => {
      const der = s.getPeerCertificate().raw;
      s.end();
      const spki = new X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
      resolve(createHash('sha256').update(spki).digest('base64'));
    });
    s.on('error', reject);
  });
}

describe('the dashboard in a real browser', { timeout: 60_000 }, () => {
  const dir = tempDir('firebreak-browser-');
  let ctl: ControllerProc;
  let agent: Proc;
  let outbreak: Outbreak;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let base = '';
  let admin: CredentialFile;
  let viewerToken = '';
  const consoleErrors: string[] = [];
  let shotNo = 0;
  const shot = async (name: string) => { await page.screenshot({ path: join(SHOTS, `${String(++shotNo).padStart(2, '0')}-${name}.png`), fullPage: true }); };
  const testid = (id: string) => page.getByTestId(id);
  /** A step; when it fails, the page as it was goes to test-artifacts/browser/FAILED-<n>.png. */
  const step = (name: string, fn: () => Promise<void>) => it(name, async () => {
    try {
      await fn();
    } catch (err) {
      await page?.screenshot({ path: join(SHOTS, `FAILED-${name.split('.')[0]}.png`), fullPage: true }).catch(() => {});
      throw err;
    }
  });

  const t0 = Date.now();
  const mark = (what: string) => { if (process.env.FIREBREAK_TEST_TIMING) process.stderr.write(`[browser test] ${what} at ${Date.now() - t0} ms\n`); };
  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`NEEDS chromium: ${CHROMIUM} is missing, and the dashboard's tests drive a real browser. Install it as root: apt-get install -y chromium (or npm run setup as root)`);
    }
    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    const pb = join(dir.path, 'playbooks');
    mkdirSync(pb);
    writeFileSync(join(pb, 'held.yaml'), HELD_PLAYBOOK);
    // the page under test is built from the sources as they are now (~0.3 s), not a stale dist/
    const dataDir = join(dir.path, 'ctl');
    const [, proc] = await Promise.all([
      buildDashboard(),
      startProcess('controller/main.ts', ['-d', dataDir, '--listen', '127.0.0.1:0', '--enroll-listen', '127.0.0.1:0', '--operator-listen', '127.0.0.1:0',
        '--heartbeat-interval', '1s', '--dashboard-listen', '127.0.0.1:0', '--playbooks', pb]),
    ]);
    const ready = await proc.waitFor((l) => l.msg === 'controller ready', 30_000);
    const port = Number(ready.dashboardPort);
    assert.ok(port > 0, `the controller's ready line names its dashboard port: ${JSON.stringify(ready)}`);
    base = `https://127.0.0.1:${port}`;
    mark('controller ready');
    admin = JSON.parse(readFileSync(String(ready.credentials), 'utf8')) as CredentialFile;
    const client = operatorClient(`127.0.0.1:${ready.operatorPort}`, admin);
    // the enrollment token through the API in this process (helpers' startController runs the CLI for it: a second or two)
    const enroll = await call<object, { token: string }>(client, 'CreateEnrollmentToken', { uses: 100, ttlS: 600 });
    ctl = { ...proc, agentAddress: `127.0.0.1:${ready.agentPort}`, enrollAddress: `127.0.0.1:${ready.enrollPort}`, operatorAddress: `127.0.0.1:${ready.operatorPort}`,
      caFingerprint: String(ready.caFingerprint), credentialsFile: String(ready.credentials), dataDir, enrollToken: enroll.token };
    const pin = await dashboardPin(port, admin.caCertPem);
    [agent, outbreak, viewerToken, browser] = await Promise.all([
      startAgent(REAL, ctl, join(dir.path, 'agent')).finally(() => mark('real agent connected')),
      connectOutbreak(ctl, join(dir.path, 'worm'), WORM, CHAIN).finally(() => mark('synthetic agents connected')),
      call<object, { token: string }>(client, 'AddOperator', { name: 'night-viewer', role: 'viewer' }).then((r) => r.token),
      // Chromium trusts exactly the dashboard's key, which Node checked against the controller's CA
      chromium.launch({ executablePath: CHROMIUM, args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
        '--disable-background-networking', '--no-first-run', `--ignore-certificate-errors-spki-list=${pin}`] }).finally(() => mark('browser launched')),
    ]);
    client.close();
    mark('agent, outbreak agents, viewer and browser ready');
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
  });

  after(async () => {
    outbreak?.close();
    await browser?.close();
    await stopAll();
    dir.remove();
  });

  step('1. an admin logs in with a token and sees the fleet', async () => {
    await page.goto(`${base}/`);
    await testid('login-token').fill('not-a-token');
    await testid('login-submit').click();
    await testid('login-error').waitFor();
    await testid('login-token').fill(admin.token);
    await testid('login-submit').click();
    await assertText(testid('whoami'), /admin \(admin\)/);
    await testid(`host-row-${REAL}`).waitFor();
    await assertText(testid('live-status'), /^live$/);
    // natural order: fbh2 before fbh10
    const ids = await page.locator('[data-testid^="host-row-"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-testid')!.slice('host-row-'.length)));
    assert.ok(ids.indexOf('fbh2') < ids.indexOf('fbh10'), `natural sort: ${ids.join(', ')}`);
    await shot('fleet-after-login');
  });

  step('2. a simulated outbreak appears live: the incident, its timeline and its spread tree with patient zero', async () => {
    await testid('nav-incidents').click();
    await testid('incidents-table').waitFor();
    // a marker that a reload would wipe: the incident must arrive by the live stream
    await page.evaluate(() => { (window as unknown as { notReloaded: boolean }).notReloaded = true; });
    await outbreak.spread();
    const row = page.locator('[data-testid^="incident-row-"]').first();
    await row.waitFor({ timeout: 15_000 });
    assert.equal(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true, 'the incident appeared without a reload');
    await assertText(row, /critical|warning/);
    await shot('incident-live');
    await row.getByRole('link').click();
    await testid('spread-tree').waitFor();
    // the tree grows as reports arrive: wait for all six hosts in it
    await page.waitForFunction(() => document.querySelectorAll('[data-testid^="tree-node-"]').length === 6, undefined, { timeout: 15_000 });
    await assertText(testid('incident-patient-zero'), /fbh1/);
    assert.match(await testid('tree-node-fbh1').getAttribute('class') ?? '', /zero/);
    assert.equal(await testid('tree-node-fbh1').getAttribute('data-generation'), '0');
    assert.equal(await testid('tree-node-fbh3').getAttribute('data-generation'), '2');
    assert.equal(await testid('tree-node-fbh10').getAttribute('data-generation'), '3');
    await assertText(testid('patient-zero'), /patient zero/);
    await testid('timeline').locator('canvas').first().waitFor();
    await assertText(testid('incident-evidence'), /\/tmp\/\.x\/mailer/);
    await shot('incident-spread-tree');
    // the fleet names each infected host's last anomaly
    await testid('nav-fleet').click();
    await assertText(testid('host-row-fbh10'), /(proc\.new|conn\.new-port)\//);
    await shot('fleet-last-anomaly');
  });

  step('3. isolates the real agent\'s host from its page through the confirm dialog, and the agent applies it', async () => {
    await page.goto(`${base}/#/hosts/${REAL}`);
    await assertText(testid('host-isolation'), /^off$/);
    await testid('action-isolate').click();
    await testid('field-reason').fill('worm on tcp/25, from the browser test');
    await testid('action-preview').click();
    await assertText(testid('preview-summary'), /isolat/i);
    await assertText(testid('preview-changes'), new RegExp(REAL));
    await shot('isolate-preview');
    // the preview changed nothing: no command was stored for the host (a real POST stores one before it answers)
    const before = await page.evaluate(`fetch('/api/hosts/${REAL}').then((r) => r.json())`) as { commands: unknown[]; host: { enforcement: { isolated: boolean } } };
    assert.deepEqual([before.commands.length, before.host.enforcement.isolated], [0, false], 'the dry run issued no command');
    await testid('action-confirm').click();
    await agent.waitFor((l) => l.status === 'APPLIED' && /isolat/i.test(String(l.msg)), 15_000);
    await page.locator('[data-testid="command-row"][data-action="ISOLATE"][data-status="APPLIED"]').waitFor({ timeout: 15_000 });
    await assertText(testid('host-isolation'), /^isolated/, 15_000);
    // an isolated host offers the way back, not a second isolation
    await testid('action-release').waitFor();
    assert.equal(await testid('action-isolate').count(), 0);
    await shot('isolated');
  });

  step('4. approves a playbook run held for approval', async () => {
    await testid('nav-runs').click();
    const row = page.locator('[data-testid^="run-row-"][data-held]:not([data-held="0"])').first();
    await row.waitFor({ timeout: 15_000 });
    const runId = (await row.getAttribute('data-testid'))!.slice('run-row-'.length);
    await testid(`action-approve-${runId}`).click();
    await assertText(testid('preview-summary'), /approv|isolat/i);
    await shot('approve-preview');
    await testid('action-confirm').click();
    await page.locator(`[data-testid="run-row-${runId}"][data-held="0"]`).waitFor({ timeout: 15_000 });
    await assertText(testid(`run-row-${runId}`), /approved by (operator:)?admin/);
    await shot('run-approved');
  });

  step('5. a viewer sees no action button, and a POST with its own session and CSRF token is refused 403', async () => {
    await testid('logout').click();
    await testid('login-token').fill(viewerToken);
    await testid('login-submit').click();
    await assertText(testid('whoami'), /night-viewer \(viewer\)/);
    for (const route of [`#/hosts/${REAL}`, '#/incidents', '#/runs']) {
      await page.goto(`${base}/${route}`);
      await page.locator(route === '#/runs' ? '[data-testid="runs-table"]' : route === '#/incidents' ? '[data-testid="incidents-table"]' : '[data-testid="host-isolation"]').waitFor();
      if (route === '#/incidents') {
        await page.locator('[data-testid^="incident-row-"] a').first().click();
        await testid('spread-tree').waitFor();
      }
      assert.equal(await page.locator('[data-testid^="action-"]').count(), 0, `no action button for a viewer on ${route}`);
      await shot(`viewer-no-buttons-${route.split('/')[1]}`);
    }
    // as source text: tsx would wrap a function literal in helpers the page does not have
    const refused = await page.evaluate(`(async () => {
      const me = await (await fetch('/api/me')).json();
      const post = (path, body) => fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': me.csrf }, body: JSON.stringify(body) })
        .then(async (r) => ({ status: r.status, body: await r.json() }));
      return {
        role: me.role,
        isolate: await post('/api/hosts/${REAL}/isolate', { reason: 'viewer tries' }),
        dryRun: await post('/api/hosts/${REAL}/release', { reason: 'viewer tries', dryRun: true }),
      };
    })()`) as { role: string; isolate: { status: number; body: { error?: string } }; dryRun: { status: number; body: { error?: string } } };
    assert.equal(refused.role, 'viewer');
    assert.equal(refused.isolate.status, 403, JSON.stringify(refused.isolate));
    assert.match(refused.isolate.body.error ?? '', /role/);
    assert.equal(refused.dryRun.status, 403, JSON.stringify(refused.dryRun));
    await testid('nav-audit').click();
    await testid('audit-forbidden').waitFor();
    // the host is still isolated: the refused call changed nothing
    await page.goto(`${base}/#/hosts/${REAL}`);
    await assertText(testid('host-isolation'), /^isolated/);
    assert.deepEqual(consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e)), [], 'no CSP violation');
  });
});

/** Waits (bounded) until the element's text matches. */
async function assertText(loc: Locator, re: RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = (await loc.textContent({ timeout: Math.max(1, deadline - Date.now()) }).catch(() => null)) ?? '';
    if (re.test(last.trim())) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`expected text ${re} within ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`);
}
