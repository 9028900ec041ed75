// The controller's stages after ingest, composed: each stored event is checked against
// the silences (suppress), folded into an incident (correlate), and the alert book turns
// what changed into transitions for the act hook (playbooks, notifications).
// Pure and deterministic: no I/O, no timers, no clock. The caller feeds events, calls
// tick(now) about once a second, and persists toJSON() when it likes.
import type { Logger } from 'pino';
import { AlertBook, AlertError, type AlertsOptions, type AlertsSnapshot } from './alerts.ts';
import { Correlator, type CorrelateOptions, type CorrelateSnapshot, type CorrelateStats } from './correlate.ts';
import { Silences, type SilencesOptions, type SilencesSnapshot } from './suppress.ts';
import {
  severityRank,
  type ActHook,
  type AlertDetail,
  type AlertScope,
  type AlertStatus,
  type AlertSummary,
  type AlertTransition,
  type PipelineEvent,
  type SilenceSpec,
  type SilenceView,
} from './stage-types.ts';

export { AlertError } from './alerts.ts';
export { SilenceError, parseMatcher } from './suppress.ts';

export interface PipelineOptions {
  correlate?: CorrelateOptions;
  alerts?: AlertsOptions;
  silences?: SilencesOptions;
  /** Receives every transition, synchronously, in order. Errors it throws are logged, not raised. */
  act?: ActHook;
  log?: Logger;
}

export interface AlertFilter {
  scope?: AlertScope;
  /** 'active' = open or acknowledged. */
  status?: AlertStatus | 'active';
  limit?: number;
}

export interface PipelineSnapshot {
  version: 1;
  silences: SilencesSnapshot;
  correlate: CorrelateSnapshot;
  alerts: AlertsSnapshot;
}

export interface PipelineStats extends CorrelateStats {
  transitions: number;
  activeAlerts: number;
}

export class Pipeline {
  readonly silences: Silences;
  readonly book: AlertBook;
  readonly correlator: Correlator;
  private act: ActHook | undefined;
  private readonly log: Logger | undefined;
  private transitions = 0;

  constructor(opts: PipelineOptions = {}, parts?: { silences: Silences; book: AlertBook; correlator: Correlator }) {
    this.silences = parts?.silences ?? new Silences(opts.silences);
    this.book = parts?.book ?? new AlertBook(opts.alerts);
    this.correlator = parts?.correlator ?? new Correlator(this.book, opts.correlate);
    this.act = opts.act;
    this.log = opts.log;
  }

  /** Plugs in (or replaces) the act hook: the playbook work attaches here. */
  setActHook(hook: ActHook | undefined): void {
    this.act = hook;
  }

  /** Hosts enrolled in the fleet; generic signatures need a share of it. */
  setFleetSize(n: number): void {
    this.correlator.setFleetSize(n);
  }

  /** Feeds one stored event; returns whether a silence muted it. */
  ingest(e: PipelineEvent, now: number): { muted: boolean; silenceId: string | null } {
    const silence = this.silences.match(e, now);
    this.correlator.ingest(e, now, silence !== undefined);
    this.flush();
    return { muted: silence !== undefined, silenceId: silence?.id ?? null };
  }

  ingestMany(events: Iterable<PipelineEvent>, now: number): void {
    for (const e of events) this.correlator.ingest(e, now, this.silences.match(e, now) !== undefined);
    this.flush();
  }

  /** Periodic work; run about once a second with the controller's time. */
  tick(now: number): void {
    this.correlator.tick(now);
    this.book.tick(now);
    this.silences.tick(now);
    this.flush();
  }

  // ------------------------------------------------------------ operator API

  listAlerts(filter: AlertFilter = {}): AlertSummary[] {
    const out: AlertSummary[] = [];
    for (const a of this.book.records()) {
      if (filter.scope && a.scope !== filter.scope) continue;
      if (filter.status === 'active' ? a.status === 'resolved' : filter.status && a.status !== filter.status) continue;
      out.push(this.book.summary(a));
    }
    out.sort(
      (x, y) =>
        Number(x.status === 'resolved') - Number(y.status === 'resolved') ||
        Number(x.scope === 'host') - Number(y.scope === 'host') ||
        severityRank(y.severity) - severityRank(x.severity) ||
        y.lastSeenMs - x.lastSeenMs,
    );
    return filter.limit ? out.slice(0, filter.limit) : out;
  }

  /** Timeline, hosts (with corrected onsets), patient zero, signatures, evidence. */
  getAlert(id: string): AlertDetail | undefined {
    const a = this.book.get(id);
    return a ? this.book.detail(a) : undefined;
  }

  acknowledge(id: string, by: string, now: number): AlertSummary {
    const s = this.book.acknowledge(id, by, now);
    this.flush();
    return s;
  }

  addSilence(spec: SilenceSpec, now: number): SilenceView {
    return this.silences.add(spec, now);
  }

  expireSilence(id: string, now: number): SilenceView {
    return this.silences.expire(id, now);
  }

  listSilences(now: number): SilenceView[] {
    return this.silences.list(now);
  }

  stats(): PipelineStats {
    let activeAlerts = 0;
    for (const _ of this.book.activeRecords()) activeAlerts++;
    return { ...this.correlator.stats(), transitions: this.transitions, activeAlerts };
  }

  // ------------------------------------------------------------ persistence

  /** Plain JSON (no Maps, no functions): store it as text, restore with Pipeline.restore. */
  toJSON(): PipelineSnapshot {
    return { version: 1, silences: this.silences.toJSON(), correlate: this.correlator.toJSON(), alerts: this.book.toJSON() };
  }

  static restore(snapshot: unknown, opts: PipelineOptions = {}): Pipeline {
    const s = snapshot as PipelineSnapshot | null;
    if (!s || s.version !== 1 || !s.silences || !s.correlate || !s.alerts) {
      throw new AlertError('pipeline snapshot is missing or of an unknown version; start the pipeline empty (alerts rebuild from new events)');
    }
    const silences = Silences.restore(s.silences, opts.silences);
    const book = AlertBook.restore(s.alerts, opts.alerts);
    const correlator = Correlator.restore(s.correlate, book, opts.correlate);
    return new Pipeline(opts, { silences, book, correlator });
  }

  private flush(): void {
    const ts: AlertTransition[] = this.book.drain();
    this.transitions += ts.length;
    if (!this.act) return;
    for (const t of ts) {
      try {
        this.act(t);
      } catch (err) {
        this.log?.error({ err, alertId: t.alert.id, type: t.type }, 'act hook failed on an alert transition; the pipeline goes on');
      }
    }
  }
}
