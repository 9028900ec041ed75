// At an anomaly's onset the sample also carries the inbound contacts of the
// moments before, first-seen or not: the connection that carried a worm is
// often a repeat of one that did not (a scanner that came back seconds later),
// and the controller's spread graph picks the contact nearest before the onset,
// so it needs that time, not the first one (ContactTracker.recent).
import type { Anomaly } from '../detect/detector.ts';
import { MAX_CONTACTS_PER_DIRECTION } from './contacts.ts';
import type { Sample, Sampler } from './sampler.ts';

/** How far before the onset's sample inbound contacts are re-sent: an infection shows within an interval or two. */
export const ONSET_LOOKBACK_MS = 30_000;
/** Signatures remembered as active; past it the set starts over (at worst one extra re-send). */
const MAX_ACTIVE = 1024;

export class OnsetContacts {
  private readonly active = new Set<string>();

  constructor(
    private readonly sampler: Sampler,
    private readonly lookbackMs = ONSET_LOOKBACK_MS,
    private readonly maxPerDirection = MAX_CONTACTS_PER_DIRECTION,
  ) {}

  /**
   * When events start a signature not active before, adds the recent inbound
   * contacts to sample.contacts (in place, within the per-direction bound,
   * none listed twice). Returns how many it added.
   */
  add(sample: Sample, events: readonly Anomaly[]): number {
    let onset = false;
    for (const e of events) {
      if (e.cleared) this.active.delete(e.signature);
      else if (!this.active.has(e.signature)) {
        if (this.active.size >= MAX_ACTIVE) this.active.clear();
        this.active.add(e.signature);
        onset = true;
      }
    }
    if (!onset || !sample.contactsTracked || !this.sampler.recentContacts) return 0;
    const key = (c: { protocol: string; remoteAddress: string; port: number }) => `${c.protocol}|${c.remoteAddress}|${c.port}`;
    const listed = new Set(sample.contacts.filter((c) => c.direction === 'IN').map(key));
    const room = this.maxPerDirection - listed.size;
    if (room <= 0) return 0;
    const more = this.sampler.recentContacts('IN', sample.observedAtMs - this.lookbackMs, this.maxPerDirection)
      .filter((c) => !listed.has(key(c))).slice(0, room);
    sample.contacts.push(...more);
    return more.length;
  }
}
