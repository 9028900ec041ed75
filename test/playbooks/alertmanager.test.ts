// notify's `format: alertmanager` against a real HTTP receiver on 127.0.0.1: the body is
// Alertmanager's webhook payload (version 4) field for field, `firing` when the run starts,
// firing-with-the-old-labels-resolved on an escalation, `resolved` with the same labels and
// fingerprint when the alert resolves; retries stay bounded, and a receiver that never
// answers holds up no isolation of the same pass.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fingerprint } from '../../controller/playbooks/alertmanager.ts';
import { PlaybookEngine } from '../../controller/playbooks/engine.ts';
import { parsePlaybook } from '../../controller/playbooks/loader.ts';
import { webhookNotifier } from '../../controller/playbooks/notify.ts';
import { fleetHosts, makeFleet, members, playbooks, RecordingPorts, summary, T0, transition } from './helpers.ts';

const PAYLOAD_KEYS = ['alerts', 'commonAnnotations', 'commonLabels', 'externalURL', 'groupKey', 'groupLabels', 'receiver', 'status', 'truncatedAlerts', 'version'];
const ALERT_KEYS = ['annotations', 'endsAt', 'fingerprint', 'generatorURL', 'labels', 'startsAt', 'status'];

describe('notify format: alertmanager', () => {
  let server: Server;
  let base = '';
  const plans = new Map<string, number[]>();
  const received: Array<{ path: string; body: any }> = [];

  before(async () => {
    server = createServer((req, res) => {
      const path = req.url ?? '/';
      if (path === '/hang') return; // accepts, never answers: the client's timeout ends it
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => {
        received.push({ path, body: JSON.parse(data) });
        const plan = plans.get(path) ?? [200];
        const status = plan.length > 1 ? plan.shift()! : plan[0]!;
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const bodies = (path: string) => received.filter((r) => r.path === path).map((r) => r.body);

  test('the schema: format, receiver, labels and external_url are checked', () => {
    const pb = (notify: string) => parsePlaybook(`name: t\nwhen: { signatures: ["*"] }\ndo:\n  - notify: ${notify}\n`, 't.yaml');
    const ok = pb('{ url: "http://x/h", format: alertmanager, receiver: secops, labels: { team: sec }, external_url: "${FB_URL}" }');
    assert.equal(ok.ok, true, JSON.stringify(!ok.ok && ok.errors));
    const dflt = pb('{ url: "http://x/h" }');
    assert.ok(dflt.ok && dflt.playbook.do[0]!.kind === 'notify' && dflt.playbook.do[0]!.format === 'firebreak');
    const msg = (r: ReturnType<typeof pb>) => (r.ok ? '' : r.errors.map((e) => e.message).join('; '));
    assert.match(msg(pb('{ url: "http://x/h", format: pagerduty }')), /format must be 'firebreak' or 'alertmanager'/);
    assert.match(msg(pb('{ url: "http://x/h", receiver: r }')), /receiver applies to format: alertmanager only/);
    assert.match(msg(pb('{ url: "http://x/h", format: alertmanager, labels: { severity: low } }')), /labels may not set .*severity/);
    assert.match(msg(pb('{ url: "http://x/h", format: alertmanager, external_url: "ftp://x" }')), /external_url "ftp:\/\/x" is not an http\(s\) URL/);
  });

  test("fingerprint is Prometheus' label-set fingerprint", () => {
    // the vector of prometheus/common model/signature_test.go
    assert.equal(BigInt(`0x${fingerprint({ name: 'garland, briggs', fear: 'love is not enough' })}`), 5799056148416392346n);
    assert.equal(fingerprint({}), 'cbf29ce484222325');
  });

  test('firing on open, firing + old labels resolved on escalation, resolved on resolve; a 503 is retried', async () => {
    plans.set('/am', [503, 200]);
    const text = `name: tell-am
when: { signatures: ["conn.fanout/*"] }
do:
  - notify: { url: "\${HOOK}/am", format: alertmanager, receiver: secops, labels: { team: sec }, external_url: "https://fb.example:8443/", attempts: 3 }
`;
    const ports = new RecordingPorts();
    const engine = new PlaybookEngine({ ports: { issue: ports.issue.bind(ports), audit: ports.audit.bind(ports), notify: webhookNotifier({ baseDelayMs: 1 }) }, env: { HOOK: base } });
    engine.setPlaybooks(playbooks(text));
    const fleet = makeFleet(fleetHosts(10), { 'a-7': members(0, 4, 'conn.fanout/tcp:25') });
    const open = summary({ id: 'a-7', signatures: ['conn.fanout/tcp:25'], severity: 'warning' });
    open.patientZero = { hostId: 'h000', onsetMs: T0 };
    const [run] = await engine.onTransition(transition('opened', open, []), fleet, T0 + 1000);
    assert.equal(run!.actions[0]!.status, 'issued', run!.actions[0]!.reason);
    assert.equal(run!.actions[0]!.notify?.attempts, 2, 'the 503 was retried once');

    let got = bodies('/am');
    assert.equal(got.length, 2, 'the 503 and the retry');
    const firing = got[1];
    assert.deepEqual(Object.keys(firing).sort(), PAYLOAD_KEYS);
    assert.equal(firing.version, '4');
    assert.equal(firing.status, 'firing');
    assert.equal(firing.receiver, 'secops');
    assert.equal(firing.truncatedAlerts, 0);
    assert.equal(firing.externalURL, 'https://fb.example:8443/');
    assert.deepEqual(firing.groupLabels, { alertname: 'FirebreakIncident', alert_id: 'a-7' });
    assert.equal(firing.groupKey, '{}:{alert_id="a-7", alertname="FirebreakIncident"}');
    assert.equal(firing.alerts.length, 1);
    const a = firing.alerts[0];
    assert.deepEqual(Object.keys(a).sort(), ALERT_KEYS);
    assert.equal(a.status, 'firing');
    assert.deepEqual(a.labels, {
      alertname: 'FirebreakIncident', severity: 'warning', alert_id: 'a-7', scope: 'fleet', classification: 'propagating',
      signature: 'conn.fanout/tcp:25', port: 'tcp/25', patient_zero: 'h000', playbook: 'tell-am', team: 'sec',
    });
    assert.match(a.annotations.summary, /propagating conn\.fanout\/tcp:25 on 4 hosts, first host h000/);
    assert.match(a.annotations.description, /Firebreak fleet alert a-7 \(warning\)/);
    assert.equal(a.startsAt, new Date(T0).toISOString());
    assert.equal(a.endsAt, '0001-01-01T00:00:00Z');
    assert.equal(a.generatorURL, 'https://fb.example:8443/alerts/a-7');
    assert.equal(a.fingerprint, fingerprint(a.labels));
    assert.deepEqual(firing.commonLabels, a.labels);
    assert.deepEqual(firing.commonAnnotations, a.annotations);

    // an update changes no label: nothing is posted
    await engine.onTransition(transition('updated', { ...open, hostCount: 6 }, ['h004', 'h005']), fleet, T0 + 2000);
    assert.equal(bodies('/am').length, 2);

    // an escalation to critical: the new label set fires, the old one ends
    const critical = { ...open, severity: 'critical' as const, hostCount: 8 };
    await engine.onTransition(transition('escalated', critical, []), fleet, T0 + 3000);
    got = bodies('/am');
    assert.equal(got.length, 3);
    assert.equal(got[2].status, 'firing');
    assert.equal(got[2].groupKey, firing.groupKey, 'the same group');
    assert.deepEqual(got[2].alerts.map((x: any) => [x.status, x.labels.severity]), [['firing', 'critical'], ['resolved', 'warning']]);
    assert.equal(got[2].alerts[1].fingerprint, a.fingerprint);
    assert.equal(got[2].alerts[1].endsAt, new Date(T0 + 3000).toISOString());
    assert.equal(got[2].commonLabels.severity, undefined, 'severity differs between the two alerts');
    const newFp = got[2].alerts[0].fingerprint;

    // resolved: the last firing labels, resolved, endsAt = the alert's resolution
    const resolved = { ...critical, status: 'resolved' as const, resolvedAtMs: T0 + 60_000, resolvedReason: 'quiet' as const };
    await engine.onTransition(transition('resolved', resolved, []), fleet, T0 + 61_000);
    got = bodies('/am');
    assert.equal(got.length, 4);
    const r = got[3];
    assert.equal(r.status, 'resolved');
    assert.equal(r.groupKey, firing.groupKey);
    assert.equal(r.alerts.length, 1);
    assert.equal(r.alerts[0].status, 'resolved');
    assert.equal(r.alerts[0].fingerprint, newFp);
    assert.equal(r.alerts[0].labels.severity, 'critical');
    assert.equal(r.alerts[0].startsAt, new Date(T0).toISOString());
    assert.equal(r.alerts[0].endsAt, new Date(T0 + 60_000).toISOString());
    const done = engine.getRun(run!.id)!;
    assert.equal(done.status, 'finished');
    assert.deepEqual(done.actions.map((x) => [x.status, x.alertmanager?.status]), [['issued', 'firing'], ['issued', 'firing'], ['issued', 'resolved']]);
  });

  test('a receiver that never answers: bounded attempts, and the isolation of the same pass is not held up', async () => {
    const text = `name: iso-am
when: { signatures: ["conn.fanout/*"] }
do:
  - notify: { url: "${base}/hang", format: alertmanager, attempts: 2, timeout: 300ms }
  - isolate: {}
`;
    const ports = new RecordingPorts();
    let notifyDone = 0;
    const real = webhookNotifier({ baseDelayMs: 50 });
    const issuedAt: number[] = [];
    const engine = new PlaybookEngine({
      ports: {
        issue: async (h, req, by) => {
          issuedAt.push(notifyDone);
          return ports.issue(h, req, by);
        },
        audit: ports.audit.bind(ports),
        notify: async (url, body, opts) => {
          try {
            return await real(url, body, opts);
          } finally {
            notifyDone++;
          }
        },
      },
      env: {},
      blastRadius: { minHosts: 10 },
    });
    engine.setPlaybooks(playbooks(text));
    const fleet = makeFleet(fleetHosts(10), { 'a-9': members(0, 3, 'conn.fanout/tcp:445') });
    const started = Date.now();
    const [run] = await engine.onTransition(transition('opened', summary({ id: 'a-9', signatures: ['conn.fanout/tcp:445'] }), []), fleet, T0);
    assert.equal(ports.hostsOf('ISOLATE').length, 3, JSON.stringify(run!.actions.map((x) => x.reason)));
    assert.deepEqual(issuedAt, [0, 0, 0], 'every isolation went out before the webhook gave up');
    const n = run!.actions.find((x) => x.kind === 'notify')!;
    assert.equal(n.status, 'failed');
    assert.match(n.reason, /gave up after 2 attempts/);
    assert.equal(n.notify?.attempts, 2);
    assert.ok(Date.now() - started < 5000, 'two 300 ms attempts and one 50 ms wait');
  });
});
