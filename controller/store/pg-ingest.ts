// A batch of reports written to PostgreSQL in a fixed number of statements,
// whatever its size: the boots' marks read and row-locked (in key order, so
// two controllers' batches never wait on each other in a circle), which
// reports are new decided here in the order they were handed over (a report is
// new when its seq is past its boot's mark, which it then moves), then all
// their events in one insert and the marks and hosts in one update each.
// Called inside the batch's transaction: all of it is stored, or none.
import type { Query } from './pg-db.ts';
import type { IngestOutcome, ReportRecord } from './store.ts';

const MARKS = {
  name: 'firebreak_ingest_marks',
  text: `SELECT b.host_id, b.boot_id, b.last_seq FROM boots b
    JOIN unnest($1::text[], $2::text[]) AS k(host_id, boot_id) ON b.host_id = k.host_id AND b.boot_id = k.boot_id
    ORDER BY b.host_id, b.boot_id FOR UPDATE OF b`,
};

const EVENTS = {
  name: 'firebreak_ingest_events',
  text: `INSERT INTO events (host_id, boot_id, seq, idx, received_at_ms, observed_at_ms, kind, signature, value, baseline, score, count, cleared, evidence)
    SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[], $5::bigint[], $6::bigint[], $7::text[], $8::text[],
      $9::float8[], $10::float8[], $11::float8[], $12::int[], $13::int[], $14::text[])
    RETURNING id, host_id, boot_id, seq, idx`,
};

const BOOTS = {
  name: 'firebreak_ingest_boots',
  text: `UPDATE boots b SET last_seq = k.seq FROM unnest($1::text[], $2::text[], $3::bigint[]) AS k(host_id, boot_id, seq)
    WHERE b.host_id = k.host_id AND b.boot_id = k.boot_id`,
};

const HOSTS = {
  name: 'firebreak_ingest_hosts',
  text: `UPDATE hosts h SET reports = h.reports + k.reports, events = h.events + k.events, last_seen_ms = GREATEST(h.last_seen_ms, k.seen),
      last_sample = COALESCE(k.sample, h.last_sample)
    FROM unnest($1::text[], $2::int[], $3::int[], $4::bigint[], $5::text[]) AS k(id, reports, events, seen, sample)
    WHERE h.id = k.id`,
};

const key = (hostId: string, bootId: string) => `${hostId}\u0000${bootId}`;

export async function writeReports(q: Query, reports: ReportRecord[]): Promise<IngestOutcome[]> {
  const boots = new Map<string, { hostId: string; bootId: string }>();
  for (const r of reports) boots.set(key(r.hostId, r.bootId), { hostId: r.hostId, bootId: r.bootId });
  const wanted = [...boots.values()];
  const marks = new Map<string, number>();
  for (const m of (await q<{ host_id: string; boot_id: string; last_seq: number }>({
    ...MARKS, values: [wanted.map((b) => b.hostId), wanted.map((b) => b.bootId)],
  })).rows) marks.set(key(m.host_id, m.boot_id), m.last_seq);

  // new or not, in the order handed over; a boot never said hello has no mark: nothing of it is stored
  const fresh: boolean[] = reports.map((r) => {
    const k = key(r.hostId, r.bootId);
    const mark = marks.get(k);
    if (mark === undefined || r.seq <= mark) return false;
    marks.set(k, r.seq);
    return true;
  });
  const stored = reports.filter((_, i) => fresh[i]);
  if (stored.length === 0) return reports.map(() => ({ duplicate: true, eventIds: [] }));

  const cols: unknown[][] = Array.from({ length: 14 }, () => []);
  for (const r of stored) {
    r.events.forEach((e, idx) => {
      const row = [r.hostId, r.bootId, r.seq, idx, r.receivedAtMs, e.observedAtMs, e.kind, e.signature, e.value, e.baseline, e.score,
        e.count, e.cleared ? 1 : 0, JSON.stringify(e.evidence ?? {})];
      row.forEach((v, c) => cols[c]!.push(v));
    });
  }
  // matched by their unique key, not by the order rows come back in
  const ids = new Map<string, number>();
  if (cols[0]!.length > 0) {
    for (const e of (await q<{ id: number; host_id: string; boot_id: string; seq: number; idx: number }>({ ...EVENTS, values: cols })).rows) {
      ids.set(`${key(e.host_id, e.boot_id)}\u0000${e.seq}\u0000${e.idx}`, e.id);
    }
  }

  const storedBoots = new Set(stored.map((r) => key(r.hostId, r.bootId)));
  const moved = [...boots.entries()].filter(([k]) => storedBoots.has(k));
  await q({ ...BOOTS, values: [moved.map(([, b]) => b.hostId), moved.map(([, b]) => b.bootId), moved.map(([k]) => marks.get(k))] });

  const hosts = new Map<string, { reports: number; events: number; seen: number; sample: string | null }>();
  for (const r of stored) {
    const h = hosts.get(r.hostId) ?? { reports: 0, events: 0, seen: 0, sample: null };
    h.reports++;
    h.events += r.events.length;
    h.seen = Math.max(h.seen, r.receivedAtMs);
    if (r.sample) h.sample = JSON.stringify(r.sample); // the latest report's sample wins
    hosts.set(r.hostId, h);
  }
  const hs = [...hosts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  await q({ ...HOSTS, values: [hs.map(([id]) => id), hs.map(([, h]) => h.reports), hs.map(([, h]) => h.events), hs.map(([, h]) => h.seen), hs.map(([, h]) => h.sample)] });

  return reports.map((r, i) => fresh[i]
    ? { duplicate: false, eventIds: r.events.map((_, idx) => ids.get(`${key(r.hostId, r.bootId)}\u0000${r.seq}\u0000${idx}`)!) }
    : { duplicate: true, eventIds: [] });
}
