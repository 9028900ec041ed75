// The webhook notifier against a real HTTP server on 127.0.0.1: retries with exponential
// backoff, bounded attempts, no retry on a 4xx refusal. Waits are injected (recorded, not slept).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhookNotifier } from '../../controller/playbooks/notify.ts';
import { PlaybookEngine } from '../../controller/playbooks/engine.ts';
import { fleetHosts, makeFleet, members, playbooks, RecordingPorts, summary, T0, transition } from './helpers.ts';

describe('webhook notify', () => {
  let server: Server;
  let base = '';
  /** Per path: the statuses to answer in turn (the last one repeats). */
  const plans = new Map<string, number[]>();
  const received: Array<{ path: string; body: any; type: string | undefined }> = [];

  before(async () => {
    server = createServer((req, res) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        const path = req.url ?? '/';
        received.push({ path, body: data ? JSON.parse(data) : null, type: req.headers['content-type'] });
        const plan = plans.get(path) ?? [200];
        const status = plan.length > 1 ? plan.shift()! : plan[0]!;
        res.writeHead(status, { 'content-type': 'text/plain' }).end(String(status));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const count = (path: string) => received.filter((r) => r.path === path).length;

  test('fails twice, then succeeds: three attempts, backoff doubles', async () => {
    plans.set('/flaky', [503, 500, 200]);
    const waits: number[] = [];
    const notify = webhookNotifier({ baseDelayMs: 100, sleep: async (ms) => void waits.push(ms) });
    const r = await notify(`${base}/flaky`, { hello: 'world' }, { attempts: 5, timeoutMs: 2000 });
    assert.deepEqual(r, { ok: true, attempts: 3, status: 200, error: null, delaysMs: [100, 200] });
    assert.deepEqual(waits, [100, 200]);
    assert.equal(count('/flaky'), 3);
    const last = received.filter((x) => x.path === '/flaky').at(-1)!;
    assert.deepEqual(last.body, { hello: 'world' });
    assert.equal(last.type, 'application/json');
  });

  test('bounded: gives up after the attempts, saying why', async () => {
    plans.set('/down', [502]);
    const notify = webhookNotifier({ baseDelayMs: 10, maxDelayMs: 25, sleep: async () => {} });
    const r = await notify(`${base}/down`, {}, { attempts: 4 });
    assert.equal(r.ok, false);
    assert.equal(r.attempts, 4);
    assert.deepEqual(r.delaysMs, [10, 20, 25, 25].slice(0, 3));
    assert.match(r.error ?? '', /HTTP 502 \(gave up after 4 attempts\)/);
    assert.equal(count('/down'), 4);
  });

  test('a 4xx refusal is not retried', async () => {
    plans.set('/nope', [404]);
    const notify = webhookNotifier({ sleep: async () => {} });
    const r = await notify(`${base}/nope`, {}, { attempts: 5 });
    assert.equal(r.attempts, 1);
    assert.match(r.error ?? '', /HTTP 404; not retried/);
  });

  test('through a playbook: the alert is posted as JSON; an unset URL variable skips with a reason', async () => {
    plans.set('/hook', [500, 200]);
    const text = `name: tell
when: { signatures: ["conn.fanout/*"] }
do:
  - notify: { url: "\${HOOK_BASE}/hook", attempts: 3 }
`;
    const ports = new RecordingPorts();
    const notify = webhookNotifier({ baseDelayMs: 1 });
    const engine = new PlaybookEngine({ ports: { issue: ports.issue.bind(ports), audit: ports.audit.bind(ports), notify }, env: { HOOK_BASE: base } });
    engine.setPlaybooks(playbooks(text));
    const fleet = makeFleet(fleetHosts(10), { 'a-1': members(0, 4, 'conn.fanout/tcp:25') });
    const [run] = await engine.onTransition(transition('opened', summary({ signatures: ['conn.fanout/tcp:25'] }), []), fleet, T0);
    const a = run!.actions[0]!;
    assert.equal(a.status, 'issued', a.reason);
    assert.equal(a.notify?.attempts, 2);
    const body = received.filter((x) => x.path === '/hook').at(-1)!.body;
    assert.equal(body.playbook, 'tell');
    assert.equal(body.alert.id, 'a-1');
    assert.equal(body.alert.rootCause, 'conn.fanout/tcp:25');
    assert.equal(body.runId, run!.id);

    const unset = new PlaybookEngine({ ports, env: {} });
    unset.setPlaybooks(playbooks(text));
    const [run2] = await unset.onTransition(transition('opened', summary({ signatures: ['conn.fanout/tcp:25'] }), []), fleet, T0);
    assert.equal(ports.notified.length, 0);
    assert.equal(run2!.actions[0]!.status, 'skipped');
    assert.match(run2!.actions[0]!.reason, /needs \$\{HOOK_BASE\}, which is not set/);
  });
});
