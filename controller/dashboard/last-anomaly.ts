// Each host's last anomaly for the dashboard's fleet page: kept in memory as events
// are stored (one Map write per event, beside the correlation it already goes to),
// and looked up once per host from the store (ListEvents, limit 1) for a host this
// controller has seen no event of since it started.
export interface LastAnomaly {
  signature: string;
  /** when the controller received it */
  atMs: number;
}

export class LastAnomalies {
  /** null: looked up, the host has no event */
  private readonly byHost = new Map<string, LastAnomaly | null>();

  record(hostId: string, signature: string, atMs: number): void {
    const cur = this.byHost.get(hostId);
    if (!cur || atMs >= cur.atMs) this.byHost.set(hostId, { signature, atMs });
  }

  /** The last anomaly of each host, asking `lookup` only for hosts not known yet. */
  async of(hostIds: readonly string[], lookup: (hostId: string) => Promise<LastAnomaly | null>): Promise<Map<string, LastAnomaly | null>> {
    for (const id of hostIds) {
      if (this.byHost.has(id)) continue;
      const found = await lookup(id);
      // an event recorded while the lookup ran is newer than what the store gave
      if (!this.byHost.has(id)) this.byHost.set(id, found);
    }
    return new Map(hostIds.map((id) => [id, this.byHost.get(id) ?? null]));
  }
}
