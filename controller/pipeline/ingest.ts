// Ingest stage: validates a report from an agent, stores it at most once
// (dedup on host + boot + seq inside the store's transaction) and hands the
// stored events to the next stage. Bad events are refused one by one with a
// precise reason; the rest of the report still counts.
import type { Logger } from 'pino';
import type { AnomalyEvent__Output, MetricsSample__Output, Report__Output } from '../../proto/wire.ts';
import type { Store } from '../store/store.ts';

export const LIMITS = {
  eventsPerReport: 64,
  signatureLength: 200,
  evidenceItems: 32,
  textLength: 1024,
};

const SIGNATURE = /^[a-z][a-z0-9.-]*(\/[A-Za-z0-9:._\/+@-]+)?$/;
const KNOWN_KINDS = new Set([
  'CPU', 'MEMORY', 'DISK_IO', 'DISK_USAGE', 'PROCESS_NEW', 'PROCESS_COUNT', 'CONN_FANOUT', 'CONN_NEW_PORT', 'LISTEN_NEW',
  'ENFORCEMENT_DRIFT',
]);

/** An event as stored, with what the later stages need to correlate it. */
export interface IngestedEvent {
  id: number;
  hostId: string;
  receivedAtMs: number;
  event: AnomalyEvent__Output;
}

export type EventSink = (events: IngestedEvent[]) => void;
/** Receives each new report's sample (for its contacts) before its events go to the EventSink. */
export type SampleSink = (hostId: string, sample: MetricsSample__Output) => void;
/** Told how each report went (metrics); must not throw. */
export interface IngestObserver { stored(seconds: number, events: number): void; duplicate(): void }

/** Returns why an event is refused, or undefined when it is fine. */
export function refuseEvent(e: AnomalyEvent__Output): string | undefined {
  if (!KNOWN_KINDS.has(e.kind)) return `kind ${JSON.stringify(e.kind)} is unknown`;
  if (e.signature.length === 0 || e.signature.length > LIMITS.signatureLength) {
    return `signature is ${e.signature.length} characters; 1-${LIMITS.signatureLength} allowed`;
  }
  if (!SIGNATURE.test(e.signature)) return `signature ${JSON.stringify(e.signature.slice(0, 80))} is malformed`;
  for (const n of [e.value, e.baseline, e.score]) if (!Number.isFinite(n)) return 'value, baseline and score must be finite numbers';
  return undefined;
}

const cut = (s: string) => (s.length > LIMITS.textLength ? s.slice(0, LIMITS.textLength) + '…' : s);
const long = (s: string) => s.length > LIMITS.textLength;

/** Evidence inside the bounds, as almost all is: checked without copying (this runs for every event). */
function withinBounds(ev: NonNullable<AnomalyEvent__Output['evidence']>): boolean {
  if (long(ev.detail) || ev.processes.length > LIMITS.evidenceItems || ev.remotes.length > LIMITS.evidenceItems) return false;
  for (const p of ev.processes) if (long(p.name) || long(p.exe) || long(p.user)) return false;
  for (const r of ev.remotes) if (long(r.address)) return false;
  return true;
}

/** Keeps evidence bounded whatever the agent sent: long lists and strings are cut, not refused. */
function boundEvidence(e: AnomalyEvent__Output): AnomalyEvent__Output {
  if (!e.evidence || withinBounds(e.evidence)) return e;
  return {
    ...e,
    evidence: {
      detail: cut(e.evidence.detail),
      processes: e.evidence.processes.slice(0, LIMITS.evidenceItems).map((p) => ({ ...p, name: cut(p.name), exe: cut(p.exe), user: cut(p.user) })),
      remotes: e.evidence.remotes.slice(0, LIMITS.evidenceItems).map((r) => ({ ...r, address: cut(r.address) })),
    },
  };
}

/**
 * Onset sanity: an event's observed time, on the controller's clock (observed minus
 * the agent's measured clock offset), lies between its arrival minus maxLagMs and its
 * arrival. Outside it the agent's clock or its honesty is off (a rogue agent backdating
 * its events to look like patient zero); the time is clamped to the bound, and the
 * event says so in its evidence.
 */
export interface OnsetBounds {
  /** the host's measured offset (agent clock minus controller clock), 0 when unknown */
  clockOffsetMs(hostId: string): number;
  /**
   * How long before its arrival an event may have been observed. Default 15 min: an
   * agent spools reports through an outage, so a live event is seconds old but a
   * replayed one is not; past recentMs (10 min) a clamped replay is history that opens
   * nothing by itself, and it is flagged because its time cannot be checked.
   */
  maxLagMs?: number;
}

export const DEFAULT_ONSET_MAX_LAG_MS = 15 * 60_000;
/** Transit and the offset estimate's own error: a live event a little "after" its arrival is not an outlier. */
const FUTURE_TOLERANCE_MS = 1000;

/** The event with its observed time inside [arrival - maxLag, arrival] on the controller's clock, and why it was moved. */
export function boundOnset(e: AnomalyEvent__Output, receivedAtMs: number, offsetMs: number, maxLagMs: number): { event: AnomalyEvent__Output; note?: string } {
  const observed = Number(e.observedAtMs);
  if (!(observed > 0) || !Number.isFinite(observed) || !Number.isFinite(offsetMs)) return { event: e };
  const onController = observed - offsetMs;
  let bound: number;
  let why: string;
  if (onController > receivedAtMs + FUTURE_TOLERANCE_MS) {
    bound = receivedAtMs;
    why = `${Math.round((onController - receivedAtMs) / 1000)} s after its arrival`;
  } else if (onController < receivedAtMs - maxLagMs) {
    bound = receivedAtMs - maxLagMs;
    why = `${Math.round((receivedAtMs - onController) / 1000)} s before its arrival (at most ${Math.round(maxLagMs / 1000)} s)`;
  } else return { event: e };
  const note = `onset clamped: the agent said it observed this at ${new Date(onController).toISOString()} (controller clock, offset ${Math.round(offsetMs)} ms), ${why}`;
  const ev = e.evidence ?? { detail: '', processes: [], remotes: [] };
  return {
    event: { ...e, observedAtMs: Math.round(bound + offsetMs), evidence: { ...ev, detail: ev.detail ? `${ev.detail}; ${note}` : note } },
    note,
  };
}

export class Ingest {
  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly sink: EventSink = () => {},
    private readonly sampleSink: SampleSink = () => {},
    private readonly observe?: IngestObserver,
    private readonly onsets?: OnsetBounds,
  ) {}

  /** Stores one report; returns true when it was new. */
  async report(hostId: string, bootId: string, report: Report__Output, receivedAtMs: number): Promise<boolean> {
    const t0 = this.observe ? performance.now() : 0;
    const events: AnomalyEvent__Output[] = [];
    for (let i = 0; i < report.events.length; i++) {
      const e = report.events[i]!;
      if (i >= LIMITS.eventsPerReport) {
        this.log.warn({ hostId, seq: report.seq, dropped: report.events.length - i }, `report carries over ${LIMITS.eventsPerReport} events; the rest were refused`);
        break;
      }
      const why = refuseEvent(e);
      if (why) {
        this.log.warn({ hostId, seq: report.seq, index: i }, `event refused: ${why}`);
        continue;
      }
      let ev = boundEvidence(e);
      if (this.onsets) {
        const b = boundOnset(ev, receivedAtMs, this.onsets.clockOffsetMs(hostId), this.onsets.maxLagMs ?? DEFAULT_ONSET_MAX_LAG_MS);
        if (b.note) this.log.warn({ hostId, seq: report.seq, index: i, signature: ev.signature, claimedObservedAtMs: Number(ev.observedAtMs) }, b.note);
        ev = b.event;
      }
      events.push(ev);
    }
    const outcome = await this.store.ingestReport({ hostId, bootId, seq: report.seq, sample: report.sample, events, receivedAtMs });
    if (outcome.duplicate) {
      this.observe?.duplicate();
      return false;
    }
    this.observe?.stored((performance.now() - t0) / 1000, outcome.eventIds.length);
    if (report.sample) this.sampleSink(hostId, report.sample);
    if (outcome.eventIds.length > 0) {
      this.sink(outcome.eventIds.map((id, i) => ({ id, hostId, receivedAtMs, event: events[i]! })));
    }
    return true;
  }
}
