// PostgreSQL store (`pg` pool) behind the same Store interface as SQLite, with
// the same migrations (translated in pg-migrate.ts) and the same rows, so that
// several controllers can share one fleet's state. Selected with
// `firebreak-controller --store postgres://...`; SQLite stays the default.
import type { Logger } from 'pino';
import type {
  AnomalyKind__Output,
  Command__Output,
  CommandStatus__Output,
  CommandView__Output,
  EventView__Output,
  Host__Output,
  StorageHealth__Output,
} from '../../proto/wire.ts';
import { PgDb } from './pg-db.ts';
import { writeReports } from './pg-ingest.ts';
import { PgTrustStore } from './pg-trust-store.ts';
import { commandFromRow, decodeCommand, encodeCommand, HOST_ORDER, hostFromRow, type CommandRow, type EventRow, type HostRow } from './sqlite.ts';
import type {
  CommandFilter,
  CommandUpdate,
  EventFilter,
  HelloRecord,
  HostPatch,
  IngestOutcome,
  PruneOutcome,
  PruneRequest,
  ReportRecord,
  RunJournal,
  Store,
  StoredAck,
  StoredOverride,
  StoredRuns,
} from './store.ts';

export interface PgStoreOptions {
  /** tables in this schema (created if missing) instead of the connection's default */
  schema?: string;
  /** connections in the pool (default 8) */
  poolSize?: number;
  /** files of an existing install in the controller's data dir (installEvidence): the database must then already be Firebreak's */
  existingInstall?: string[];
  log?: Logger;
}

/** How long a count of the events' bytes stands in for the real one (it is a scan of the table). */
const EVENT_BYTES_TTL_MS = 30_000;
/** Reports in one ingest transaction at most. */
const MAX_BATCH = 500;

const RAISE_COUNTER = `INSERT INTO counters (name, value) VALUES ($1, $2)
  ON CONFLICT (name) DO UPDATE SET value = GREATEST(counters.value, EXCLUDED.value)`;

export class PgStore implements Store {
  readonly trust: PgTrustStore;
  private readonly db: PgDb;
  private pending: { r: ReportRecord; resolve: (o: IngestOutcome) => void; reject: (e: unknown) => void }[] = [];
  private flushing = false;
  private eventsPruned = 0;
  /** live bytes of the events (what retention can delete), counted now and then and lowered as batches delete */
  private eventBytes: { bytes: number; atMs: number } | undefined;

  private constructor(db: PgDb) {
    this.db = db;
    this.trust = new PgTrustStore(db);
  }

  /** Connects, creates the schema if named, and migrates; the URL's password is never logged or shown. */
  static async open(url: string, opts: PgStoreOptions = {}): Promise<PgStore> {
    const db = new PgDb(url, { schema: opts.schema, max: opts.poolSize, log: opts.log });
    try {
      await db.migrate(opts.schema, opts.existingInstall);
    } catch (err) {
      await db.close().catch(() => {});
      throw err;
    }
    return new PgStore(db);
  }

  /** Where the store is (URL without password, schema), for messages. */
  get where(): string {
    return this.db.where;
  }

  async recordHello(h: HelloRecord): Promise<{ lastSeq: number }> {
    return this.db.tx(async (q) => {
      await q(`INSERT INTO hosts (id, first_seen_ms, last_seen_ms, online, boot_id, inventory, backend)
        VALUES ($1, $2, $2, 1, $3, $4, $5)
        ON CONFLICT (id) DO UPDATE SET last_seen_ms = $2, online = 1, boot_id = $3, inventory = $4, backend = $5`,
      [h.hostId, h.nowMs, h.bootId, JSON.stringify(h.inventory), h.backend]);
      await q(`INSERT INTO boots (host_id, boot_id, last_seq) VALUES ($1, $2, 0) ON CONFLICT (host_id, boot_id) DO NOTHING`, [h.hostId, h.bootId]);
      const row = (await q<{ last_seq: number }>(`SELECT last_seq FROM boots WHERE host_id = $1 AND boot_id = $2`, [h.hostId, h.bootId])).rows[0]!;
      return { lastSeq: row.last_seq };
    });
  }

  async setOnline(hostId: string, online: boolean, atMs: number): Promise<void> {
    await this.db.query(`UPDATE hosts SET online = $1, last_seen_ms = GREATEST(last_seen_ms, $2) WHERE id = $3`, [online ? 1 : 0, atMs, hostId]);
  }

  async markAllOffline(): Promise<void> {
    await this.db.query(`UPDATE hosts SET online = 0 WHERE online = 1`);
  }

  async patchHost(hostId: string, patch: HostPatch): Promise<void> {
    const sets: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => `$${args.push(v)}`;
    if (patch.lastSeenMs !== undefined) sets.push(`last_seen_ms = GREATEST(last_seen_ms, ${arg(patch.lastSeenMs)})`);
    if (patch.enforcement) sets.push(`enforcement = ${arg(JSON.stringify(patch.enforcement))}`);
    if (patch.health) sets.push(`health = ${arg(JSON.stringify(patch.health))}`);
    if (patch.clockOffsetMs !== undefined) sets.push(`clock_offset_ms = ${arg(patch.clockOffsetMs)}`);
    if (sets.length === 0) return;
    await this.db.query(`UPDATE hosts SET ${sets.join(', ')} WHERE id = ${arg(hostId)}`, args);
  }

  /**
   * Reports queue while one transaction is in flight and go in the next one
   * together: one commit for many reports, as on SQLite, in a fixed number of
   * statements (pg-ingest.ts). One transaction at a time from this controller.
   */
  ingestReport(r: ReportRecord): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      this.pending.push({ r, resolve, reject });
      if (!this.flushing) {
        // the reports of this event-loop turn go in the first transaction together
        this.flushing = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Batches in the order handed over, one at a time: a later seq stored first would make an earlier one a duplicate. */
  private async flush(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending.splice(0, MAX_BATCH);
        try {
          const outcomes = await this.db.tx((q) => writeReports(q, batch.map((p) => p.r)));
          batch.forEach((p, i) => p.resolve(outcomes[i]!));
        } catch (err) {
          // what queued behind a refused report fails with it: stored after it, a later seq
          // would make the resent refused one a duplicate (agents resend all; spools keep them)
          for (const p of [...batch, ...this.pending.splice(0)]) p.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  async hostExists(hostId: string): Promise<boolean> {
    return (await this.db.query(`SELECT 1 FROM hosts WHERE id = $1`, [hostId])).rowCount! > 0;
  }

  async getHost(hostId: string): Promise<Host__Output | undefined> {
    const row = (await this.db.query<HostRow>(`SELECT * FROM hosts WHERE id = $1`, [hostId])).rows[0];
    return row && hostFromRow(row);
  }

  async listHosts(): Promise<Host__Output[]> {
    return (await this.db.query<HostRow>(`SELECT * FROM hosts`)).rows.map(hostFromRow).sort((x, y) => HOST_ORDER.compare(x.id, y.id));
  }

  async listEvents(f: EventFilter): Promise<EventView__Output[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => `$${args.push(v)}`;
    if (f.hostId) where.push(`host_id = ${arg(f.hostId)}`);
    if (f.sinceMs) where.push(`received_at_ms >= ${arg(f.sinceMs)}`);
    // byte order, as SQLite compares: a locale's collation would put other signatures inside the range
    if (f.signaturePrefix) where.push(`signature COLLATE "C" >= ${arg(f.signaturePrefix)} AND signature COLLATE "C" < ${arg(f.signaturePrefix + '\uffff')}`);
    const sql = `SELECT * FROM events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ${arg(f.limit)}`;
    return (await this.db.query<EventRow>(sql, args)).rows.map((r) => ({
      id: r.id,
      hostId: r.host_id,
      receivedAtMs: r.received_at_ms,
      event: {
        kind: r.kind as AnomalyKind__Output,
        signature: r.signature, observedAtMs: r.observed_at_ms, value: r.value, baseline: r.baseline, score: r.score,
        count: r.count, cleared: r.cleared === 1, evidence: JSON.parse(r.evidence),
      },
    }));
  }

  async insertCommand(c: Command__Output, atMs: number): Promise<void> {
    await this.db.query(`INSERT INTO commands (id, host_id, body, issued_at_ms, expires_at_ms, status, updated_at_ms)
      VALUES ($1, $2, $3, $4, $5, 'QUEUED', $6)`, [c.id, c.targetAgentId, encodeCommand(c), c.issuedAtMs, c.expiresAtMs, atMs]);
  }

  /**
   * A fleet action's commands in one statement (its own transaction: all stored or none), the rows
   * passed as one array per column, so 1,000 commands are one round trip and one commit, not 1,000.
   */
  async insertCommands(cs: readonly Command__Output[], atMs: number): Promise<void> {
    if (cs.length === 0) return;
    await this.db.query(`INSERT INTO commands (id, host_id, body, issued_at_ms, expires_at_ms, status, updated_at_ms)
      SELECT k.id, k.host_id, k.body, k.issued, k.expires, 'QUEUED', $6
      FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[]) AS k(id, host_id, body, issued, expires)`,
    [cs.map((c) => c.id), cs.map((c) => c.targetAgentId), cs.map(encodeCommand), cs.map((c) => c.issuedAtMs), cs.map((c) => c.expiresAtMs), atMs]);
  }

  /** QUEUED → SENT for many commands in one statement; a command no longer queued (applied, expired) is left as it is. */
  async markCommandsSent(ids: readonly string[], atMs: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.query(`UPDATE commands SET status = 'SENT', updated_at_ms = $1 WHERE id = ANY($2::text[]) AND status = 'QUEUED'`, [atMs, ids]);
  }

  async getCommand(id: string): Promise<CommandView__Output | undefined> {
    const row = (await this.db.query<CommandRow>(`SELECT * FROM commands WHERE id = $1`, [id])).rows[0];
    return row && commandFromRow(row);
  }

  async listCommands(f: CommandFilter): Promise<CommandView__Output[]> {
    const args: unknown[] = [];
    const where: string[] = [];
    if (f.hostId) where.push(`host_id = $${args.push(f.hostId)}`);
    if (f.sinceMs !== undefined) where.push(`issued_at_ms >= $${args.push(f.sinceMs)}`);
    const rows = await this.db.query<CommandRow>(`SELECT * FROM commands ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY issued_at_ms DESC, id COLLATE "C" DESC LIMIT $${args.push(f.limit)}`, args);
    return rows.rows.map(commandFromRow);
  }

  async pendingCommands(hostId: string, nowMs: number): Promise<Command__Output[]> {
    return (await this.db.query<{ body: string }>(`SELECT body FROM commands WHERE host_id = $1 AND status IN ('QUEUED', 'SENT')
      AND expires_at_ms > $2 ORDER BY issued_at_ms, id COLLATE "C"`, [hostId, nowMs])).rows.map((r) => decodeCommand(r.body));
  }

  async updateCommand(id: string, from: CommandStatus__Output[], u: CommandUpdate): Promise<boolean> {
    // one statement: the status check and the change cannot be split by another writer
    const r = await this.db.query(`UPDATE commands SET status = $1, result_message = COALESCE($2, result_message), rules = COALESCE($3, rules),
      state = COALESCE($4, state), updated_at_ms = $5 WHERE id = $6 AND status = ANY($7::text[])`,
    [u.status, u.message ?? null, u.rules ? JSON.stringify(u.rules) : null, u.state ? JSON.stringify(u.state) : null, u.atMs, id, from]);
    return (r.rowCount ?? 0) > 0;
  }

  async expireCommands(nowMs: number): Promise<string[]> {
    return (await this.db.query<{ id: string }>(`UPDATE commands SET status = 'EXPIRED', result_message = $1, updated_at_ms = $2
      WHERE status IN ('QUEUED', 'SENT') AND expires_at_ms <= $2 RETURNING id`, ['expired before the agent applied it', nowMs])).rows.map((r) => r.id);
  }

  // ------------------------------------------------------------ state written as it changes

  async raiseCounter(name: string, value: number): Promise<void> {
    await this.db.query(RAISE_COUNTER, [name, value]);
  }

  async getCounter(name: string): Promise<number | undefined> {
    return (await this.db.query<{ value: number }>(`SELECT value FROM counters WHERE name = $1`, [name])).rows[0]?.value;
  }

  async putAck(a: StoredAck): Promise<void> {
    await this.db.query(`INSERT INTO alert_acks (alert_id, by_name, at_ms) VALUES ($1, $2, $3)
      ON CONFLICT (alert_id) DO UPDATE SET by_name = EXCLUDED.by_name, at_ms = EXCLUDED.at_ms`, [a.alertId, a.by, a.atMs]);
  }

  async listAcks(madeAfterMs: number): Promise<StoredAck[]> {
    await this.db.query(`DELETE FROM alert_acks WHERE at_ms <= $1`, [madeAfterMs]);
    return (await this.db.query<{ alert_id: string; by_name: string; at_ms: number }>(`SELECT alert_id, by_name, at_ms FROM alert_acks`)).rows
      .map((r) => ({ alertId: r.alert_id, by: r.by_name, atMs: r.at_ms }));
  }

  async putSilence(id: string, body: string, endsAtMs: number, atMs: number): Promise<void> {
    await this.db.query(`INSERT INTO silences (id, body, ends_at_ms, updated_at_ms) VALUES ($1, $2, $3, $4)
      ON CONFLICT (id) DO UPDATE SET body = EXCLUDED.body, ends_at_ms = EXCLUDED.ends_at_ms, updated_at_ms = EXCLUDED.updated_at_ms`,
    [id, body, endsAtMs, atMs]);
  }

  async listSilences(endedAfterMs: number): Promise<string[]> {
    await this.db.query(`DELETE FROM silences WHERE ends_at_ms <= $1`, [endedAfterMs]);
    return (await this.db.query<{ body: string }>(`SELECT body FROM silences ORDER BY id COLLATE "C"`)).rows.map((r) => r.body);
  }

  async putPlaybookOverride(o: StoredOverride): Promise<void> {
    await this.db.query(`INSERT INTO playbook_overrides (name, enabled, by_name, at_ms) VALUES ($1, $2, $3, $4)
      ON CONFLICT (name) DO UPDATE SET enabled = EXCLUDED.enabled, by_name = EXCLUDED.by_name, at_ms = EXCLUDED.at_ms`,
    [o.name, o.enabled ? 1 : 0, o.by, o.atMs]);
  }

  async listPlaybookOverrides(): Promise<StoredOverride[]> {
    return (await this.db.query<{ name: string; enabled: number; by_name: string; at_ms: number }>(
      `SELECT name, enabled, by_name, at_ms FROM playbook_overrides`)).rows
      .map((r) => ({ name: r.name, enabled: r.enabled === 1, by: r.by_name, atMs: r.at_ms }));
  }

  async writeRunJournal(j: RunJournal): Promise<void> {
    await this.db.tx(async (q) => {
      for (const r of j.runs) {
        await q(`INSERT INTO playbook_runs (id, playbook, status, started_at_ms, updated_at_ms, body) VALUES ($1, $2, $3, $4, $5, $6)
          ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, updated_at_ms = EXCLUDED.updated_at_ms, body = EXCLUDED.body`,
        [r.id, r.playbook, r.status, r.startedAtMs, r.updatedAtMs, r.body]);
      }
      for (const a of j.actions) {
        await q(`INSERT INTO playbook_run_actions (run_id, seq, body) VALUES ($1, $2, $3)
          ON CONFLICT (run_id, seq) DO UPDATE SET body = EXCLUDED.body`, [a.runId, a.seq, a.body]);
      }
      for (const i of j.isolations) await q(`INSERT INTO playbook_isolations (playbook, at_ms) VALUES ($1, $2)`, [i.playbook, i.atMs]);
      for (const id of j.deletedRuns) {
        await q(`DELETE FROM playbook_runs WHERE id = $1`, [id]);
        await q(`DELETE FROM playbook_run_actions WHERE run_id = $1`, [id]);
      }
      for (const [name, value] of j.counters) await q(RAISE_COUNTER, [name, value]);
    });
  }

  async loadRuns(isolationsSinceMs: number): Promise<StoredRuns> {
    return this.db.tx(async (q) => {
      await q(`DELETE FROM playbook_isolations WHERE at_ms <= $1`, [isolationsSinceMs]);
      const actions = new Map<string, string[]>();
      for (const a of (await q<{ run_id: string; body: string }>(`SELECT run_id, body FROM playbook_run_actions ORDER BY run_id, seq`)).rows) {
        let l = actions.get(a.run_id);
        if (!l) actions.set(a.run_id, (l = []));
        l.push(a.body);
      }
      const runs = (await q<{ id: string; body: string }>(`SELECT id, body FROM playbook_runs ORDER BY started_at_ms, id COLLATE "C"`)).rows
        .map((r) => ({ body: r.body, actions: actions.get(r.id) ?? [] }));
      const isolations = (await q<{ playbook: string; at_ms: number }>(`SELECT playbook, at_ms FROM playbook_isolations ORDER BY at_ms, id`)).rows
        .map((r) => ({ playbook: r.playbook, atMs: r.at_ms }));
      return { runs, isolations };
    });
  }

  async getState(key: string): Promise<string | undefined> {
    return (await this.db.query<{ value: string }>(`SELECT value FROM state WHERE key = $1`, [key])).rows[0]?.value;
  }

  async putState(key: string, value: string, atMs: number): Promise<void> {
    await this.db.query(`INSERT INTO state (key, value, updated_at_ms) VALUES ($1, $2, $3)
      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at_ms = EXCLUDED.updated_at_ms`, [key, value, atMs]);
  }

  // ------------------------------------------------------------ storage health and retention

  /**
   * PostgreSQL does not shrink its files when rows go (VACUUM makes the space
   * reusable), so the size rule counts the live events' bytes, not the files:
   * counted by a scan at most every 30 s, lowered by what each batch deletes.
   */
  private async liveEventBytes(): Promise<number> {
    const now = Date.now();
    if (!this.eventBytes || now - this.eventBytes.atMs > EVENT_BYTES_TTL_MS) {
      const r = await this.db.query<{ b: number }>(`SELECT COALESCE(SUM(pg_column_size(e.*)), 0)::bigint AS b FROM events e`);
      this.eventBytes = { bytes: r.rows[0]!.b, atMs: now };
    }
    return this.eventBytes.bytes;
  }

  async storageHealth(): Promise<StorageHealth__Output> {
    let sizeBytes = 0;
    let usedBytes = 0;
    let oldestEventMs = 0;
    try {
      sizeBytes = (await this.db.query<{ b: number }>(`SELECT pg_database_size(current_database())::bigint AS b`)).rows[0]!.b;
      usedBytes = await this.liveEventBytes();
      oldestEventMs = (await this.db.query<{ t: number }>(`SELECT received_at_ms AS t FROM events ORDER BY id LIMIT 1`)).rows[0]?.t ?? 0;
    } catch { /* an unreachable server still answers with its state */ }
    return {
      ...this.db.outage.health(), file: this.db.where, sizeBytes, usedBytes, oldestEventMs, eventsPruned: this.eventsPruned,
    };
  }

  /** As on SQLite: ids grow with arrival, one batch deletes the prefix of at most `batch` rows a rule allows. */
  async pruneEvents(p: PruneRequest): Promise<PruneOutcome> {
    const started = performance.now();
    const over = (await this.liveEventBytes()) > p.maxBytes;
    const cutoff = over ? Math.max(p.ageCutoffMs, p.sizeCutoffMs) : p.ageCutoffMs;
    const rows = (await this.db.query<{ id: number; t: number }>(`SELECT id, received_at_ms AS t FROM events ORDER BY id LIMIT $1`, [p.batch])).rows;
    let last: { id: number; t: number } | undefined;
    for (const r of rows) {
      if (r.t >= cutoff) break;
      last = r;
    }
    let deleted = 0;
    if (last) {
      const d = (await this.db.query<{ n: number; b: number }>(`WITH d AS (DELETE FROM events WHERE id <= $1 RETURNING pg_column_size(events.*) AS b)
        SELECT COUNT(*)::bigint AS n, COALESCE(SUM(b), 0)::bigint AS b FROM d`, [last.id])).rows[0]!;
      deleted = d.n;
      if (this.eventBytes) this.eventBytes.bytes = Math.max(0, this.eventBytes.bytes - d.b);
    }
    this.eventsPruned += deleted;
    return {
      deleted, rule: deleted === 0 ? null : last!.t >= p.ageCutoffMs ? 'size' : 'age',
      usedBytes: await this.liveEventBytes(), ms: performance.now() - started,
    };
  }

  async close(): Promise<void> {
    // reports queued before close are written first
    while (this.flushing) await new Promise((r) => setImmediate(r));
    await this.db.close();
  }
}
