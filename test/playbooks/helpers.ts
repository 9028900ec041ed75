// Fixtures for the playbook tests: alert transitions as the pipeline emits them, a fleet,
// and ports that record every call (the engine's component boundary).
import { fileURLToPath } from 'node:url';
import type { IssueCommandRequest__Output } from '../../proto/wire.ts';
import type { AlertSummary, AlertTransition, Classification, Severity, TransitionType } from '../../controller/pipeline/stage-types.ts';
import { PlaybookEngine, type PlaybookEngineOptions, type PlaybookPorts } from '../../controller/playbooks/engine.ts';
import { parsePlaybook, type LoadResult } from '../../controller/playbooks/loader.ts';
import { staticFleet, type AlertHost, type FleetHost } from '../../controller/playbooks/match.ts';
import type { NotifyRequestOptions, NotifyResult } from '../../controller/playbooks/notify.ts';

export const T0 = 1_800_000_000_000;
export const SHIPPED_DIR = fileURLToPath(new URL('../../playbooks/', import.meta.url));

export interface IssueCall {
  hostId: string;
  request: IssueCommandRequest__Output;
  issuer: string;
}

export interface AuditCall {
  actor: string;
  action: string;
  target: string;
  detail: any;
}

export class RecordingPorts implements PlaybookPorts {
  issued: IssueCall[] = [];
  audits: AuditCall[] = [];
  notified: Array<{ url: string; body: any; opts?: NotifyRequestOptions }> = [];
  /** Hosts whose commands the fake Commands refuses (like an unknown host). */
  refuse = new Set<string>();
  private n = 0;

  async issue(hostId: string, request: IssueCommandRequest__Output, issuer: string): Promise<{ commandId: string }> {
    this.issued.push({ hostId, request, issuer });
    if (this.refuse.has(hostId)) throw new Error(`unknown host '${hostId}'`);
    return { commandId: `cmd-${++this.n}` };
  }

  audit(actor: string, action: string, target: string, detail: unknown): void {
    this.audits.push({ actor, action, target, detail });
  }

  async notify(url: string, body: unknown, opts?: NotifyRequestOptions): Promise<NotifyResult> {
    this.notified.push({ url, body, opts });
    return { ok: true, attempts: 1, status: 200, error: null, delaysMs: [] };
  }

  of(action: string): IssueCall[] {
    return this.issued.filter((c) => c.request.action === action);
  }

  hostsOf(action: string): string[] {
    return this.of(action).map((c) => c.hostId).sort();
  }

  clear(): void {
    this.issued = [];
    this.audits = [];
    this.notified = [];
  }
}

export const hid = (i: number): string => `h${String(i).padStart(3, '0')}`;

/** n hosts h000..; tags by index. */
export function fleetHosts(n: number, tags: (i: number) => Record<string, string | undefined> = () => ({})): FleetHost[] {
  return Array.from({ length: n }, (_, i) => ({ id: hid(i), tags: Object.fromEntries(Object.entries(tags(i)).filter((e): e is [string, string] => e[1] !== undefined)), online: true }));
}

export function makeFleet(hosts: FleetHost[], alertHosts: Record<string, AlertHost[]> = {}) {
  return staticFleet(hosts, alertHosts);
}

export function summary(o: {
  id?: string;
  signatures: string[];
  classification?: Classification;
  severity?: Severity;
  hostCount?: number;
  status?: AlertSummary['status'];
  resolvedReason?: AlertSummary['resolvedReason'];
  mergedInto?: string | null;
  remotePorts?: string[];
}): AlertSummary {
  const id = o.id ?? 'a-1';
  return {
    id,
    scope: 'fleet',
    status: o.status ?? 'open',
    severity: o.severity ?? 'critical',
    classification: o.classification ?? 'propagating',
    flapping: false,
    spread: { root: null, port: null, edges: 0, generations: 0, graphHosts: [], tracedHosts: 0 },
    rootCause: o.signatures[0] ?? '',
    signatures: o.signatures.map((signature, i) => ({
      signature, kind: 'CONN_FANOUT', rank: 90 - i, anchor: true, events: 10, hosts: o.hostCount ?? 4, firstSeenMs: T0, lastSeenMs: T0,
    })),
    patientZero: null,
    hostCount: o.hostCount ?? 4,
    coreHostCount: 0,
    firstSeenMs: T0,
    lastSeenMs: T0,
    openedAtMs: T0,
    resolvedAtMs: o.status === 'resolved' ? T0 : null,
    resolvedReason: o.resolvedReason ?? null,
    mergedInto: o.mergedInto ?? null,
    acknowledgedAtMs: null,
    acknowledgedBy: null,
    eventCount: 40,
    occurrences: 40,
    suppressedEvents: 0,
    doublingTimeMs: 10_000,
    timelineBucketMs: 1000,
    timeline: [],
    evidence: { exe: [], sha256: [], remotePorts: (o.remotePorts ?? []).map((value) => ({ value, count: 5 })) },
  };
}

export function transition(type: TransitionType, alert: AlertSummary, newHosts: string[], atMs = T0): AlertTransition {
  return { type, atMs, alert, newHosts, previousSeverity: null };
}

/** Alert members h[from..to) all showing sig. */
export function members(from: number, to: number, sig: string | string[]): AlertHost[] {
  const sigs = Array.isArray(sig) ? sig : [sig];
  return Array.from({ length: to - from }, (_, k) => ({ hostId: hid(from + k), signatures: sigs }));
}

/** A LoadResult from playbook texts (throws with the issues when one is refused). */
export function playbooks(...texts: string[]): LoadResult {
  return {
    errors: [],
    playbooks: texts.map((text, i) => {
      const r = parsePlaybook(text, `pb${i}.yaml`);
      if (!r.ok) throw new Error(r.errors.map((e) => `${e.line}: ${e.message}`).join('\n'));
      return { file: `pb${i}.yaml`, playbook: r.playbook, loadedAtMs: T0, stale: null };
    }),
  };
}

/** The percentage tests run without the small-fleet floor (minHosts 1); the floor has its own test. */
export function engineWith(load: LoadResult, ports: RecordingPorts, opts: Partial<PlaybookEngineOptions> = {}): PlaybookEngine {
  const e = new PlaybookEngine({ ports, env: {}, ...opts, blastRadius: { minHosts: 1, ...opts.blastRadius } });
  e.setPlaybooks(load);
  return e;
}

export const ISOLATE_ALL = `
name: iso
mode: enforce
when:
  signatures: [conn.fanout/*]
do:
  - isolate: {}
`;
