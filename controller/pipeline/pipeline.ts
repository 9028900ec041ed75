// The controller's stages after ingest, composed: each stored event is checked against
// the silences (suppress), folded into an incident (correlate), and the alert book turns
// what changed into transitions for the act hook (playbooks, notifications). Beside the
// events, each sample's contacts go to the contact book (contacts), from which the alert
// book draws each incident's spread graph (spread).
// Pure and deterministic: no I/O, no timers, no clock. The caller feeds events, calls
// tick(now) about once a second, and persists toJSON() when it likes.
import type { Logger } from 'pino';
import type { Contact__Output } from '../../proto/wire.ts';
import { AlertBook, AlertError, type AlertsOptions, type AlertsSnapshot } from './alerts.ts';
import { ContactBook, type ContactsOptions, type ContactsSnapshot, type ContactsStats } from './contacts.ts';
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
  contacts?: ContactsOptions;
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
  contacts?: ContactsSnapshot;
}

export interface PipelineStats extends CorrelateStats {
  transitions: number;
  activeAlerts: number;
  contacts: ContactsStats;
}

export class Pipeline {
  readonly silences: Silences;
  readonly book: AlertBook;
  readonly correlator: Correlator;
  readonly contacts: ContactBook;
  private act: ActHook | undefined;
  private lastContactPruneMs = 0;
  private readonly log: Logger | undefined;
  private transitions = 0;

  constructor(opts: PipelineOptions = {}, parts?: { silences: Silences; book: AlertBook; correlator: Correlator; contacts: ContactBook }) {
    this.silences = parts?.silences ?? new Silences(opts.silences);
    this.book = parts?.book ?? new AlertBook(opts.alerts);
    this.correlator = parts?.correlator ?? new Correlator(this.book, opts.correlate);
    this.contacts = parts?.contacts ?? new ContactBook(opts.contacts);
    this.book.contacts = this.contacts;
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

  /** A host's addresses (from its inventory), so contacts to them map to it. */
  setHostAddresses(hostId: string, addresses: readonly string[]): void {
    this.contacts.setHostAddresses(hostId, addresses);
  }

  /** One sample's first-seen contacts from a host (clockOffsetMs: its clock minus ours). */
  ingestContacts(hostId: string, contacts: readonly Contact__Output[], tracked: boolean, clockOffsetMs: number, now: number): void {
    this.contacts.add(hostId, contacts, tracked, clockOffsetMs, now);
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
    if (now - this.lastContactPruneMs >= 60_000) {
      this.lastContactPruneMs = now;
      this.contacts.prune(now);
    }
    this.correlator.tick(now);
    this.book.tick(now);
    this.silences.tick(now);
    this.flush();
  }

  // ------------------------------------------------------------ operator API

  listAlerts(filter: AlertFilter = {}): AlertSummary[] {
    const out: AlertSummary[] = [];
    for (const a of this.book.summaries()) {
      if (filter.scope && a.scope !== filter.scope) continue;
      if (filter.status === 'active' ? a.status === 'resolved' : filter.status && a.status !== filter.status) continue;
      out.push(a);
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
    return this.book.detail(id);
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

  // ------------------------------------------------------------ state stored as it changes

  /**
   * Puts back what the store holds row by row over the (older) correlation snapshot:
   * the alert id high-water mark, acknowledgements, silences. Returns the silence rows
   * it could not read.
   */
  applyStored(s: { nextAlertId?: number; acks: ReadonlyArray<{ alertId: string; by: string; atMs: number }>; silences: readonly unknown[] }): string[] {
    if (s.nextAlertId !== undefined) this.book.reserveIdsBelow(s.nextAlertId);
    for (const a of s.acks) this.book.restoreAck(a.alertId, a.by, a.atMs);
    return this.silences.applyStored(s.silences);
  }

  /** Told the next free alert id as each alert takes one (the controller stores it). */
  onAlertIdAllocated(fn: ((nextId: number) => void) | null): void {
    this.book.onAllocate = fn;
  }

  stats(): PipelineStats {
    const activeAlerts = this.book.activeCount();
    return { ...this.correlator.stats(), transitions: this.transitions, activeAlerts, contacts: this.contacts.stats() };
  }

  // ------------------------------------------------------------ persistence

  /** Plain JSON (no Maps, no functions): store it as text, restore with Pipeline.restore. */
  toJSON(): PipelineSnapshot {
    return { version: 1, silences: this.silences.toJSON(), correlate: this.correlator.toJSON(), alerts: this.book.toJSON(), contacts: this.contacts.toJSON() };
  }

  static restore(snapshot: unknown, opts: PipelineOptions = {}): Pipeline {
    const s = snapshot as PipelineSnapshot | null;
    if (!s || s.version !== 1 || !s.silences || !s.correlate || !s.alerts) {
      throw new AlertError('pipeline snapshot is missing or of an unknown version; start the pipeline empty (alerts rebuild from new events)');
    }
    const silences = Silences.restore(s.silences, opts.silences);
    const book = AlertBook.restore(s.alerts, opts.alerts);
    const correlator = Correlator.restore(s.correlate, book, opts.correlate);
    const contacts = ContactBook.restore(s.contacts, opts.contacts);
    return new Pipeline(opts, { silences, book, correlator, contacts });
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
