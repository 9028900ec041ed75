// Each host's last anomaly for the dashboard's fleet page: kept in memory as events
// are stored (one Map write per event, beside the correlation it already goes to),
// and read from the store once for a host this controller has seen no event of
// since it started (see fill()).
import type { EventView__Output } from '../../proto/wire.ts';

export interface LastAnomaly {
  signature: string;
  /** when the controller received it */
  atMs: number;
}

/** Events read at once to fill many hosts with one query, before asking host by host. */
export const FILL_BATCH = 2000;

export class LastAnomalies {
  /** null: read from the store, the host has no event */
  private readonly byHost = new Map<string, LastAnomaly | null>();

  record(hostId: string, signature: string, atMs: number): void {
    const cur = this.byHost.get(hostId);
    if (!cur || atMs >= cur.atMs) this.byHost.set(hostId, { signature, atMs });
  }

  /**
   * The last anomaly of each host. Hosts not known yet are filled from the store: none for a
   * host whose event count is 0, then the newest FILL_BATCH events of the fleet (one query),
   * then `events(hostId, 1)` for each host still unknown.
   */
  async of(hosts: readonly { id: string; events: number }[], events: (hostId: string, limit: number) => Promise<EventView__Output[]>): Promise<Map<string, LastAnomaly | null>> {
    const seen = new Map<string, LastAnomaly | null>();
    let unknown = hosts.filter((h) => !this.byHost.has(h.id));
    for (const h of unknown) if (h.events === 0) seen.set(h.id, null);
    unknown = unknown.filter((h) => h.events > 0);
    if (unknown.length > 1) {
      for (const e of await events('', FILL_BATCH)) if (e.event && !seen.has(e.hostId)) seen.set(e.hostId, { signature: e.event.signature, atMs: e.receivedAtMs });
    }
    for (const h of unknown) {
      if (seen.has(h.id)) continue;
      const e = (await events(h.id, 1))[0];
      seen.set(h.id, e?.event ? { signature: e.event.signature, atMs: e.receivedAtMs } : null);
    }
    // an event recorded while the store was read is newer than what it gave
    for (const [id, v] of seen) if (!this.byHost.has(id)) this.byHost.set(id, v);
    return new Map(hosts.map((h) => [h.id, this.byHost.get(h.id) ?? null]));
  }
}
