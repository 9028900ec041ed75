// Prometheus metrics of one controller, on a listener of their own
// (`--metrics-listen`, off unless set). Hot paths only bump counters and
// observe histograms; what is a state (hosts, alerts, runs, isolations) is read
// from its owner when Prometheus scrapes, so nothing is counted twice.
import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the gauges read at scrape time, from the parts that own it. */
export interface MetricsSources {
  hosts(): Promise<{ online: number; offline: number; isolated: number; withBlocks: number; throttled: number; stateLost: number }>;
  alerts(): { scope: string; status: string; severity: string }[];
  runs(): { status: string; mode: string }[];
  audit(): { entries: number; alarms: number; refusedCalls: number };
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export class ControllerMetrics {
  readonly registry = new Registry();
  readonly reports = new Counter({
    name: 'firebreak_reports_total', help: 'Agent reports received, by outcome (stored, duplicate).', labelNames: ['outcome'] as const, registers: [this.registry],
  });
  readonly events = new Counter({ name: 'firebreak_events_total', help: 'Anomaly events stored.', registers: [this.registry] });
  readonly ingestSeconds = new Histogram({
    name: 'firebreak_ingest_seconds', help: 'Time to validate and store one report.', buckets: LATENCY_BUCKETS, registers: [this.registry],
  });
  readonly eventToAlertSeconds = new Histogram({
    name: 'firebreak_event_to_alert_seconds', help: 'From an event reaching the controller to the master alert it opened or escalated.',
    buckets: LATENCY_BUCKETS, registers: [this.registry],
  });
  readonly commandsIssued = new Counter({
    name: 'firebreak_commands_issued_total', help: 'Commands issued, by action and issuer kind (operator, playbook).',
    labelNames: ['action', 'issuer'] as const, registers: [this.registry],
  });
  readonly commandResults = new Counter({
    name: 'firebreak_command_results_total', help: 'Commands that reached a final status, by action and status.',
    labelNames: ['action', 'status'] as const, registers: [this.registry],
  });
  readonly connectionsRejected = new Counter({
    name: 'firebreak_connections_rejected_total', help: 'Connections or streams refused, by listener and reason.',
    labelNames: ['listener', 'reason'] as const, registers: [this.registry],
  });

  constructor(src: MetricsSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'firebreak_controller_' });
    const reg = [this.registry];
    // two gauges read the host list: one read per scrape (it is the fleet's size)
    let hostsRead: { at: number; value: ReturnType<MetricsSources['hosts']> } | undefined;
    const sources: MetricsSources = {
      ...src,
      hosts: () => {
        if (!hostsRead || Date.now() - hostsRead.at > 1000) hostsRead = { at: Date.now(), value: src.hosts() };
        return hostsRead.value;
      },
    };
    new Gauge({
      name: 'firebreak_hosts', help: 'Known hosts, by state (online, offline).', labelNames: ['state'] as const, registers: reg,
      async collect() {
        const h = await sources.hosts();
        this.set({ state: 'online' }, h.online);
        this.set({ state: 'offline' }, h.offline);
      },
    });
    new Gauge({
      name: 'firebreak_enforcement_hosts', help: 'Hosts whose last reported enforcement holds a measure, by measure (isolated, blocks, throttle; state_lost: the agent lost its saved state, isolation unknown).',
      labelNames: ['measure'] as const, registers: reg,
      async collect() {
        const h = await sources.hosts();
        this.set({ measure: 'isolated' }, h.isolated);
        this.set({ measure: 'blocks' }, h.withBlocks);
        this.set({ measure: 'throttle' }, h.throttled);
        this.set({ measure: 'state_lost' }, h.stateLost);
      },
    });
    new Gauge({
      name: 'firebreak_alerts', help: 'Alerts held by the correlator, by scope, status and severity.',
      labelNames: ['scope', 'status', 'severity'] as const, registers: reg,
      collect() {
        this.reset();
        for (const a of sources.alerts()) this.inc({ scope: a.scope, status: a.status, severity: a.severity });
      },
    });
    new Gauge({
      name: 'firebreak_audit_entries', help: 'Entries in the audit log (the head entry\'s number).', registers: reg,
      collect() { this.set(sources.audit().entries); },
    });
    new Gauge({
      name: 'firebreak_audit_discontinuities', help: 'Times since start the audit log did not continue its recorded head (an alarm: entries deleted or rewritten).', registers: reg,
      collect() { this.set(sources.audit().alarms); },
    });
    new Gauge({
      name: 'firebreak_refused_calls', help: 'Unauthenticated or denied calls since start (audited one entry per peer and minute).', registers: reg,
      collect() { this.set(sources.audit().refusedCalls); },
    });
    new Gauge({
      name: 'firebreak_playbook_runs', help: 'Playbook runs kept, by status (active, finished) and mode (enforce, dry-run).',
      labelNames: ['status', 'mode'] as const, registers: reg,
      collect() {
        this.reset();
        for (const r of sources.runs()) this.inc({ status: r.status, mode: r.mode });
      },
    });
  }

  /** Serves GET /metrics on addr (host:port; port 0 picks one); resolves with the bound port. */
  listen(addr: string, log: Logger): Promise<{ server: Server; port: number }> {
    const m = /^(.*):(\d+)$/.exec(addr);
    if (!m) return Promise.reject(new Error(`--metrics-listen '${addr}' is not HOST:PORT, e.g. 127.0.0.1:9464`));
    const host = m[1]!.replace(/^\[|\]$/g, '');
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
        return;
      }
      this.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        (err: Error) => {
          log.error({ err }, 'collecting metrics failed');
          res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${err.message}\n`);
        },
      );
    });
    // a scraper that opens and idles must not hold sockets forever
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    server.keepAliveTimeout = 5_000;
    server.maxConnections = 64;
    return new Promise((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`cannot listen for metrics on ${addr}: ${err.message}`)));
      server.listen(Number(m[2]), host, () => {
        const a = server.address();
        resolve({ server, port: typeof a === 'object' && a ? a.port : Number(m[2]) });
      });
    });
  }
}

/** "operator:alice" → operator, "playbook:mass-mailer" → playbook: bounded label values. */
export function issuerKind(issuer: string): string {
  const kind = issuer.split(':')[0] ?? '';
  return ['operator', 'playbook', 'system'].includes(kind) ? kind : 'other';
}
