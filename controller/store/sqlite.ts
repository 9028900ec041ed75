// SQLite store (better-sqlite3, WAL) in the controller's data dir. Calls are
// synchronous underneath but exposed through the asynchronous Store interface.
import { statfsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type {
  AnomalyKind__Output,
  Command__Output,
  CommandStatus__Output,
  CommandView__Output,
  EventView__Output,
  Host__Output,
  MetricsSample__Output,
  StorageHealth__Output,
} from '../../proto/wire.ts';
import { MIGRATIONS } from './migrations.ts';
import { checkOpened, guardMethods, preflight, toStorageError } from './sqlite-open.ts';
import { StorageError, StorageOutage } from './storage-error.ts';
import { SqliteTrustStore } from './trust-store.ts';
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

export interface HostRow {
  id: string; first_seen_ms: number; last_seen_ms: number; online: number; inventory: string; backend: string;
  enforcement: string | null; health: string | null; last_sample: string | null; reports: number; events: number;
  clock_offset_ms: number;
}
export interface EventRow {
  id: number; host_id: string; received_at_ms: number; observed_at_ms: number; kind: string; signature: string;
  value: number; baseline: number; score: number; count: number; cleared: number; evidence: string;
}
export interface CommandRow {
  id: string; body: string; status: string; result_message: string; rules: string; state: string | null; updated_at_ms: number;
}

export const HOST_ORDER = new Intl.Collator('en', { numeric: true });
const TERMINAL: CommandStatus__Output[] = ['APPLIED', 'FAILED', 'EXPIRED', 'ROLLED_BACK'];
export const isTerminal = (s: CommandStatus__Output): boolean => TERMINAL.includes(s);

export interface SqliteStoreOptions {
  /** files of an existing install beside the database (installEvidence): it must then already be Firebreak's */
  existingInstall?: string[];
  /** where the store says, once per episode, that it stopped or resumed taking writes */
  log?: Logger;
  /** how often a store that stopped taking writes tries a small one, to notice space came back (default 2 s) */
  probeEveryMs?: number;
  /** how often each host's newest sample is written to hosts.last_sample (default 5 s, an agent's report interval) */
  sampleWriteMs?: number;
}

/** WAL pages after which the store's own connection checkpoints (on the event loop), if the checkpoint thread lags. */
const CHECKPOINT_BACKSTOP_PAGES = 16_000;
/** How often the checkpoint thread copies the WAL back into the database (PASSIVE: it never blocks a writer). */
const CHECKPOINT_EVERY_MS = 200;

// The checkpoint thread: its own connection to the file, a PASSIVE checkpoint on a timer. Errors (a full
// disk) are left to the store's connection to notice and report; the thread tries again next time.
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const db = new Database(workerData.file, { fileMustExist: true });
const t = setInterval(() => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} }, workerData.everyMs);
parentPort.on('message', () => { clearInterval(t); try { db.close(); } catch {} parentPort.close(); });
`;

/** Below this much free space on its disk a full store does not even try a probe write. */
const PROBE_MIN_FREE_BYTES = 1024 * 1024;

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  readonly file: string;
  /** how long the integrity check at open took */
  readonly checkMs: number;
  private readonly log: Logger | undefined;
  /** while the store cannot take writes: one episode, logged when it starts and when it ends */
  private readonly outage: StorageOutage;
  private eventsPruned = 0;
  readonly trust: SqliteTrustStore;
  private pendingReports: { r: ReportRecord; resolve: (o: IngestOutcome) => void; reject: (e: unknown) => void }[] = [];
  /**
   * Each host's newest stored sample not yet in hosts.last_sample. Rewriting a sample's JSON
   * with every report cost more than the report's events; it is shown, never counted, so it
   * is written at most once per sampleWriteMs per host, and on close. Reads see it at once.
   */
  private readonly samples = new Map<string, MetricsSample__Output>();
  private readonly sampleTimer: NodeJS.Timeout;
  private checkpointer: Worker | undefined;
  private readonly stmt;
  /** statements whose SQL depends on the call's shape (which columns, how many statuses), prepared once per shape */
  private readonly shaped = new Map<string, Database.Statement>();

  constructor(file: string, opts: SqliteStoreOptions = {}) {
    this.file = file;
    this.log = opts.log;
    this.outage = new StorageOutage({
      log: opts.log, where: { file },
      meanwhile: (e) => e.kind === 'damaged' ? 'writes and some reads fail until it is restored' :
        'writes are refused (agents keep their reports and retry; operator changes fail) and reads are still served',
      probe: { everyMs: opts.probeEveryMs ?? 2000, write: () => this.probe() },
    });
    this.sampleTimer = setInterval(() => {
      try { this.writeSamples(); } catch { /* a full or damaged store was noted by storageError; the samples wait */ }
    }, opts.sampleWriteMs ?? 5000);
    this.sampleTimer.unref();
    // never initialise over an install whose database is missing, empty, damaged or foreign
    preflight(file, opts.existingInstall ?? []);
    let db: Database.Database | undefined;
    const started = performance.now();
    try {
      db = new Database(file);
      db.pragma('busy_timeout = 5000');
      checkOpened(db, file, opts.existingInstall ?? [], Math.max(...MIGRATIONS.map((m) => m.version)));
      this.checkMs = performance.now() - started;
      this.db = db;
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL'); // WAL + NORMAL: durable across process crashes, fast
      // Checkpoints run on a thread of their own (startCheckpointer); this connection checkpoints only
      // past 64 MB of WAL, if that thread lags or died. A checkpoint fsyncs the database: on the event
      // loop it held the agents' streams (bench:ingest, 200 streams, quiet machine: 5,985 reports/s at
      // 62% of a core with checkpoints here, 8,313 at 94% without). The WAL file is cut back to 64 MB.
      this.db.pragma(`wal_autocheckpoint = ${CHECKPOINT_BACKSTOP_PAGES}`);
      this.db.pragma('journal_size_limit = 67108864');
      this.migrate();
    } catch (err) {
      db?.close();
      throw toStorageError(err, file);
    }
    this.trust = new SqliteTrustStore(this.db);
    const p = (sql: string) => this.db.prepare(sql);
    this.stmt = {
      helloUpsert: p(`INSERT INTO hosts (id, first_seen_ms, last_seen_ms, online, boot_id, inventory, backend)
        VALUES (@id, @now, @now, 1, @bootId, @inventory, @backend)
        ON CONFLICT (id) DO UPDATE SET last_seen_ms = @now, online = 1, boot_id = @bootId,
          inventory = @inventory, backend = @backend`),
      bootUpsert: p(`INSERT INTO boots (host_id, boot_id, last_seq) VALUES (?, ?, 0) ON CONFLICT (host_id, boot_id) DO NOTHING`),
      bootGet: p(`SELECT last_seq FROM boots WHERE host_id = ? AND boot_id = ?`),
      bootSet: p(`UPDATE boots SET last_seq = ? WHERE host_id = ? AND boot_id = ? AND last_seq < ?`),
      setOnline: p(`UPDATE hosts SET online = ?, last_seen_ms = MAX(last_seen_ms, ?) WHERE id = ?`),
      allOffline: p(`UPDATE hosts SET online = 0 WHERE online = 1`),
      hostReport: p(`UPDATE hosts SET reports = reports + ?, events = events + ?, last_seen_ms = MAX(last_seen_ms, ?) WHERE id = ?`),
      hostSample: p(`UPDATE hosts SET last_sample = ? WHERE id = ?`),
      eventInsert: p(`INSERT INTO events (host_id, boot_id, seq, idx, received_at_ms, observed_at_ms, kind, signature,
        value, baseline, score, count, cleared, evidence) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`),
      hostGet: p(`SELECT * FROM hosts WHERE id = ?`),
      hostExists: p(`SELECT 1 FROM hosts WHERE id = ?`),
      hostList: p(`SELECT * FROM hosts ORDER BY id`),
      cmdInsert: p(`INSERT INTO commands (id, host_id, body, issued_at_ms, expires_at_ms, status, updated_at_ms)
        VALUES (?, ?, ?, ?, ?, 'QUEUED', ?)`),
      cmdGet: p(`SELECT * FROM commands WHERE id = ?`),
      cmdPending: p(`SELECT body FROM commands WHERE host_id = ? AND status IN ('QUEUED', 'SENT') AND expires_at_ms > ?
        ORDER BY issued_at_ms, id`),
      cmdExpiring: p(`SELECT id FROM commands WHERE status IN ('QUEUED', 'SENT') AND expires_at_ms <= ?`),
    };
    // from here on every SQLite error names the file and says what to do; outages are noted once
    const convert = (err: unknown) => this.storageError(err);
    guardMethods(this, convert);
    guardMethods(this.trust, convert);
    this.startCheckpointer();
  }

  /** The checkpoint thread (CHECKPOINTER); if it cannot start or dies, this connection checkpoints every 16 MB again. */
  private startCheckpointer(): void {
    const fallBack = (err: unknown) => {
      this.checkpointer = undefined;
      this.log?.warn({ err, file: this.file }, 'no checkpoint thread: the store checkpoints on its own connection, on the event loop');
      try { this.db.pragma('wal_autocheckpoint = 4000'); } catch { /* closed */ }
    };
    try {
      const w = new Worker(CHECKPOINTER, {
        eval: true, execArgv: [],
        workerData: { module: createRequire(import.meta.url).resolve('better-sqlite3'), file: this.file, everyMs: CHECKPOINT_EVERY_MS },
      });
      w.unref();
      w.on('error', (err) => { if (this.checkpointer === w) fallBack(err); });
      w.on('exit', (code) => { if (this.checkpointer === w) fallBack(new Error(`checkpoint thread exited with ${code}`)); });
      this.checkpointer = w;
    } catch (err) {
      fallBack(err);
    }
  }

  private migrate(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms BIGINT NOT NULL)`);
    const done = new Set(
      (this.db.prepare(`SELECT version FROM schema_migrations`).all() as { version: number }[]).map((r) => r.version),
    );
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.prepare(`INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)`).run(m.version, m.name, Date.now());
      })();
    }
  }

  async recordHello(h: HelloRecord): Promise<{ lastSeq: number }> {
    return this.db.transaction(() => {
      this.stmt.helloUpsert.run({
        id: h.hostId, now: h.nowMs, bootId: h.bootId, inventory: JSON.stringify(h.inventory), backend: h.backend,
      });
      this.stmt.bootUpsert.run(h.hostId, h.bootId);
      const row = this.stmt.bootGet.get(h.hostId, h.bootId) as { last_seq: number };
      return { lastSeq: row.last_seq };
    })();
  }

  async setOnline(hostId: string, online: boolean, atMs: number): Promise<void> {
    this.stmt.setOnline.run(online ? 1 : 0, atMs, hostId);
  }

  async markAllOffline(): Promise<void> {
    this.stmt.allOffline.run();
  }

  async patchHost(hostId: string, patch: HostPatch): Promise<void> {
    const sets: string[] = [];
    const args: unknown[] = [];
    if (patch.lastSeenMs !== undefined) { sets.push('last_seen_ms = MAX(last_seen_ms, ?)'); args.push(patch.lastSeenMs); }
    if (patch.enforcement) { sets.push('enforcement = ?'); args.push(JSON.stringify(patch.enforcement)); }
    if (patch.health) { sets.push('health = ?'); args.push(JSON.stringify(patch.health)); }
    if (patch.clockOffsetMs !== undefined) { sets.push('clock_offset_ms = ?'); args.push(patch.clockOffsetMs); }
    if (sets.length === 0) return;
    this.prepared(`UPDATE hosts SET ${sets.join(', ')} WHERE id = ?`).run(...args, hostId);
  }

  /**
   * Reports that arrive in the same turn of the event loop (from many agents) are
   * written in one transaction: each commit appends the touched pages to the
   * WAL, so one commit per report would write the same pages thousands of times
   * a second. Each report is still stored whole and at most once.
   */
  ingestReport(r: ReportRecord): Promise<IngestOutcome> {
    return new Promise((resolve, reject) => {
      this.pendingReports.push({ r, resolve, reject });
      if (this.pendingReports.length === 1) setImmediate(() => this.flushReports());
    });
  }

  private flushReports(): void {
    const batch = this.pendingReports;
    this.pendingReports = [];
    let outcomes: IngestOutcome[];
    try {
      outcomes = this.db.transaction(() => {
        // each host's counters once per batch: its row is rewritten once, not once per report
        const hosts = new Map<string, { reports: number; events: number; lastMs: number }>();
        const out = batch.map(({ r }) => {
          const o = this.writeReport(r);
          if (o.duplicate) return o;
          const h = hosts.get(r.hostId);
          if (h) { h.reports++; h.events += r.events.length; h.lastMs = Math.max(h.lastMs, r.receivedAtMs); }
          else hosts.set(r.hostId, { reports: 1, events: r.events.length, lastMs: r.receivedAtMs });
          return o;
        });
        for (const [id, h] of hosts) this.stmt.hostReport.run(h.reports, h.events, h.lastMs, id);
        return out;
      })();
    } catch (err) {
      const e = this.storageError(err);
      if (e instanceof StorageError) this.outage.refusedMore(batch.length - 1);
      for (const p of batch) p.reject(e);
      return;
    }
    batch.forEach((p, i) => {
      if (!outcomes[i]!.duplicate && p.r.sample) this.samples.set(p.r.hostId, p.r.sample);
      p.resolve(outcomes[i]!);
    });
  }

  private writeReport(r: ReportRecord): IngestOutcome {
    // the seq check and the writes share the transaction: a report is stored whole, once
    const changed = this.stmt.bootSet.run(r.seq, r.hostId, r.bootId, r.seq).changes;
    if (changed === 0) return { duplicate: true, eventIds: [] };
    const eventIds = r.events.map((e, idx) => Number(this.stmt.eventInsert.run(
      r.hostId, r.bootId, r.seq, idx, r.receivedAtMs, e.observedAtMs, e.kind, e.signature, e.value, e.baseline,
      e.score, e.count, e.cleared ? 1 : 0, JSON.stringify(e.evidence ?? {}),
    ).lastInsertRowid));
    return { duplicate: false, eventIds };
  }

  /** The samples kept since the last write, to hosts.last_sample in one transaction. */
  private writeSamples(): void {
    if (this.samples.size === 0) return;
    this.db.transaction(() => {
      for (const [id, sample] of this.samples) this.stmt.hostSample.run(JSON.stringify(sample), id);
    })();
    this.samples.clear();
  }

  /** A host as stored, with its newest sample if that is not written yet. */
  private hostOf(row: HostRow): Host__Output {
    const h = hostFromRow(row);
    const sample = this.samples.get(row.id);
    if (sample) h.lastSample = sample;
    return h;
  }

  /** Heartbeats patch hosts a thousand times a second at 5,000 hosts: preparing each time cost more than running. */
  private prepared(sql: string): Database.Statement {
    let s = this.shaped.get(sql);
    if (!s) this.shaped.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  async hostExists(hostId: string): Promise<boolean> {
    return this.stmt.hostExists.get(hostId) !== undefined;
  }

  async getHost(hostId: string): Promise<Host__Output | undefined> {
    const row = this.stmt.hostGet.get(hostId) as HostRow | undefined;
    return row && this.hostOf(row);
  }

  async listHosts(): Promise<Host__Output[]> {
    // natural order (fbh2 before fbh10): how operators count their hosts
    return (this.stmt.hostList.all() as HostRow[]).map((r) => this.hostOf(r)).sort((x, y) => HOST_ORDER.compare(x.id, y.id));
  }

  async listEvents(f: EventFilter): Promise<EventView__Output[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.hostId) { where.push('host_id = ?'); args.push(f.hostId); }
    if (f.sinceMs) { where.push('received_at_ms >= ?'); args.push(f.sinceMs); }
    if (f.signaturePrefix) { where.push('signature >= ? AND signature < ?'); args.push(f.signaturePrefix, f.signaturePrefix + '\uffff'); }
    const sql = `SELECT * FROM events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, f.limit) as EventRow[]).map((r) => ({
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
    this.stmt.cmdInsert.run(c.id, c.targetAgentId, encodeCommand(c), c.issuedAtMs, c.expiresAtMs, atMs);
  }

  async insertCommands(cs: readonly Command__Output[], atMs: number): Promise<void> {
    this.db.transaction(() => {
      for (const c of cs) this.stmt.cmdInsert.run(c.id, c.targetAgentId, encodeCommand(c), c.issuedAtMs, c.expiresAtMs, atMs);
    })();
  }

  async markCommandsSent(ids: readonly string[], atMs: number): Promise<void> {
    const st = this.prepared(`UPDATE commands SET status = 'SENT', updated_at_ms = ? WHERE id = ? AND status = 'QUEUED'`);
    this.db.transaction(() => {
      for (const id of ids) st.run(atMs, id);
    })();
  }

  async getCommand(id: string): Promise<CommandView__Output | undefined> {
    const row = this.stmt.cmdGet.get(id) as CommandRow | undefined;
    return row && commandFromRow(row);
  }

  async listCommands(f: CommandFilter): Promise<CommandView__Output[]> {
    const where = [...(f.hostId ? ['host_id = ?'] : []), ...(f.sinceMs !== undefined ? ['issued_at_ms >= ?'] : [])];
    const sql = `SELECT * FROM commands ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY issued_at_ms DESC, id DESC LIMIT ?`;
    const args = [...(f.hostId ? [f.hostId] : []), ...(f.sinceMs !== undefined ? [f.sinceMs] : []), f.limit];
    return (this.db.prepare(sql).all(...args) as CommandRow[]).map(commandFromRow);
  }

  async pendingCommands(hostId: string, nowMs: number): Promise<Command__Output[]> {
    return (this.stmt.cmdPending.all(hostId, nowMs) as { body: string }[]).map((r) => decodeCommand(r.body));
  }

  async updateCommand(id: string, from: CommandStatus__Output[], u: CommandUpdate): Promise<boolean> {
    const placeholders = from.map(() => '?').join(', ');
    const res = this.prepared(
      `UPDATE commands SET status = ?, result_message = COALESCE(?, result_message), rules = COALESCE(?, rules),
         state = COALESCE(?, state), updated_at_ms = ? WHERE id = ? AND status IN (${placeholders})`,
    ).run(u.status, u.message ?? null, u.rules ? JSON.stringify(u.rules) : null, u.state ? JSON.stringify(u.state) : null,
      u.atMs, id, ...from);
    return res.changes > 0;
  }

  async expireCommands(nowMs: number): Promise<string[]> {
    return this.db.transaction(() => {
      const ids = (this.stmt.cmdExpiring.all(nowMs) as { id: string }[]).map((r) => r.id);
      for (const id of ids) {
        this.db.prepare(`UPDATE commands SET status = 'EXPIRED', result_message = ?, updated_at_ms = ? WHERE id = ?`)
          .run('expired before the agent applied it', nowMs, id);
      }
      return ids;
    })();
  }

  // ------------------------------------------------------------ state written as it changes

  async raiseCounter(name: string, value: number): Promise<void> {
    this.prepared(`INSERT INTO counters (name, value) VALUES (?, ?)
      ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)`).run(name, value);
  }

  async getCounter(name: string): Promise<number | undefined> {
    return (this.prepared(`SELECT value FROM counters WHERE name = ?`).get(name) as { value: number } | undefined)?.value;
  }

  async putAck(a: StoredAck): Promise<void> {
    this.prepared(`INSERT INTO alert_acks (alert_id, by_name, at_ms) VALUES (?, ?, ?)
      ON CONFLICT (alert_id) DO UPDATE SET by_name = excluded.by_name, at_ms = excluded.at_ms`).run(a.alertId, a.by, a.atMs);
  }

  async listAcks(madeAfterMs: number): Promise<StoredAck[]> {
    this.prepared(`DELETE FROM alert_acks WHERE at_ms <= ?`).run(madeAfterMs);
    return (this.prepared(`SELECT alert_id, by_name, at_ms FROM alert_acks`).all() as { alert_id: string; by_name: string; at_ms: number }[])
      .map((r) => ({ alertId: r.alert_id, by: r.by_name, atMs: r.at_ms }));
  }

  async putSilence(id: string, body: string, endsAtMs: number, atMs: number): Promise<void> {
    this.prepared(`INSERT INTO silences (id, body, ends_at_ms, updated_at_ms) VALUES (?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET body = excluded.body, ends_at_ms = excluded.ends_at_ms, updated_at_ms = excluded.updated_at_ms`)
      .run(id, body, endsAtMs, atMs);
  }

  async listSilences(endedAfterMs: number): Promise<string[]> {
    this.prepared(`DELETE FROM silences WHERE ends_at_ms <= ?`).run(endedAfterMs);
    return (this.prepared(`SELECT body FROM silences ORDER BY id`).all() as { body: string }[]).map((r) => r.body);
  }

  async putPlaybookOverride(o: StoredOverride): Promise<void> {
    this.prepared(`INSERT INTO playbook_overrides (name, enabled, by_name, at_ms) VALUES (?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, by_name = excluded.by_name, at_ms = excluded.at_ms`)
      .run(o.name, o.enabled ? 1 : 0, o.by, o.atMs);
  }

  async listPlaybookOverrides(): Promise<StoredOverride[]> {
    return (this.prepared(`SELECT name, enabled, by_name, at_ms FROM playbook_overrides`).all() as { name: string; enabled: number; by_name: string; at_ms: number }[])
      .map((r) => ({ name: r.name, enabled: r.enabled === 1, by: r.by_name, atMs: r.at_ms }));
  }

  async writeRunJournal(j: RunJournal): Promise<void> {
    const run = this.prepared(`INSERT INTO playbook_runs (id, playbook, status, started_at_ms, updated_at_ms, body) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET status = excluded.status, updated_at_ms = excluded.updated_at_ms, body = excluded.body`);
    const action = this.prepared(`INSERT INTO playbook_run_actions (run_id, seq, body) VALUES (?, ?, ?)
      ON CONFLICT (run_id, seq) DO UPDATE SET body = excluded.body`);
    const iso = this.prepared(`INSERT INTO playbook_isolations (playbook, at_ms) VALUES (?, ?)`);
    const delRun = this.prepared(`DELETE FROM playbook_runs WHERE id = ?`);
    const delActions = this.prepared(`DELETE FROM playbook_run_actions WHERE run_id = ?`);
    const counter = this.prepared(`INSERT INTO counters (name, value) VALUES (?, ?)
      ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)`);
    this.db.transaction(() => {
      for (const r of j.runs) run.run(r.id, r.playbook, r.status, r.startedAtMs, r.updatedAtMs, r.body);
      for (const a of j.actions) action.run(a.runId, a.seq, a.body);
      for (const i of j.isolations) iso.run(i.playbook, i.atMs);
      for (const id of j.deletedRuns) { delRun.run(id); delActions.run(id); }
      for (const [name, value] of j.counters) counter.run(name, value);
    })();
  }

  async loadRuns(isolationsSinceMs: number): Promise<StoredRuns> {
    return this.db.transaction(() => {
      this.prepared(`DELETE FROM playbook_isolations WHERE at_ms <= ?`).run(isolationsSinceMs);
      const actions = new Map<string, string[]>();
      for (const a of this.prepared(`SELECT run_id, body FROM playbook_run_actions ORDER BY run_id, seq`).all() as { run_id: string; body: string }[]) {
        let l = actions.get(a.run_id);
        if (!l) actions.set(a.run_id, (l = []));
        l.push(a.body);
      }
      const runs = (this.prepared(`SELECT id, body FROM playbook_runs ORDER BY started_at_ms, id`).all() as { id: string; body: string }[])
        .map((r) => ({ body: r.body, actions: actions.get(r.id) ?? [] }));
      const isolations = (this.prepared(`SELECT playbook, at_ms FROM playbook_isolations ORDER BY at_ms, id`).all() as { playbook: string; at_ms: number }[])
        .map((r) => ({ playbook: r.playbook, atMs: r.at_ms }));
      return { runs, isolations };
    })();
  }

  async getState(key: string): Promise<string | undefined> {
    return (this.db.prepare(`SELECT value FROM state WHERE key = ?`).get(key) as { value: string } | undefined)?.value;
  }

  async putState(key: string, value: string, atMs: number): Promise<void> {
    this.db.prepare(`INSERT INTO state (key, value, updated_at_ms) VALUES (?, ?, ?)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms`).run(key, value, atMs);
  }

  // ------------------------------------------------------------ storage health and retention

  /** A SQLite error as a StorageError naming the file; an outage (full disk, damaged file) starts an episode. */
  private storageError(err: unknown): unknown {
    if (err instanceof StorageError || !(err instanceof Database.SqliteError)) return err;
    const e = toStorageError(err, this.file) as StorageError;
    if (e.blocksWrites) this.outage.note(e);
    return e;
  }

  /** A small write that needs new pages, committed: when it works, the store takes writes again. */
  private probe(): boolean {
    try {
      const fs = statfsSync(dirname(this.file));
      if (fs.bavail * fs.bsize < PROBE_MIN_FREE_BYTES) return false;
    } catch { /* no statfs here: let the write decide */ }
    try {
      const pad = 'x'.repeat(2 * (this.db.pragma('page_size', { simple: true }) as number));
      this.db.transaction(() => {
        this.prepared(`INSERT INTO state (key, value, updated_at_ms) VALUES ('storage.probe', ?, ?)
          ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(pad, Date.now());
        this.prepared(`DELETE FROM state WHERE key = 'storage.probe'`).run();
      })();
      return true;
    } catch {
      return false; // still failing: the episode goes on, nothing more to say
    }
  }

  private usedBytes(): number {
    const size = this.db.pragma('page_size', { simple: true }) as number;
    return ((this.db.pragma('page_count', { simple: true }) as number) - (this.db.pragma('freelist_count', { simple: true }) as number)) * size;
  }

  async storageHealth(): Promise<StorageHealth__Output> {
    let sizeBytes = 0;
    let usedBytes = 0;
    let oldestEventMs = 0;
    try {
      sizeBytes = (this.db.pragma('page_count', { simple: true }) as number) * (this.db.pragma('page_size', { simple: true }) as number);
      usedBytes = this.usedBytes();
      oldestEventMs = (this.prepared(`SELECT received_at_ms AS t FROM events ORDER BY id LIMIT 1`).get() as { t: number } | undefined)?.t ?? 0;
    } catch { /* a damaged store still answers with its state */ }
    return {
      ...this.outage.health(), file: this.file, sizeBytes, usedBytes, oldestEventMs, eventsPruned: this.eventsPruned,
    };
  }

  /**
   * Ids grow with arrival, so the oldest events are the lowest ids: one batch
   * scans at most `batch` rows from the start and deletes the prefix a rule
   * allows, in one short statement.
   */
  async pruneEvents(p: PruneRequest): Promise<PruneOutcome> {
    const started = performance.now();
    const over = this.usedBytes() > p.maxBytes;
    const cutoff = over ? Math.max(p.ageCutoffMs, p.sizeCutoffMs) : p.ageCutoffMs;
    const rows = this.prepared(`SELECT id, received_at_ms AS t FROM events ORDER BY id LIMIT ?`).all(p.batch) as { id: number; t: number }[];
    let last: { id: number; t: number } | undefined;
    for (const r of rows) {
      if (r.t >= cutoff) break;
      last = r;
    }
    let deleted = 0;
    if (last) deleted = this.prepared(`DELETE FROM events WHERE id <= ?`).run(last.id).changes;
    this.eventsPruned += deleted;
    return {
      deleted, rule: deleted === 0 ? null : last!.t >= p.ageCutoffMs ? 'size' : 'age',
      usedBytes: this.usedBytes(), ms: performance.now() - started,
    };
  }

  /**
   * A hard cap on the database (SQLite max_page_count, this connection only):
   * writes past it fail as on a full disk. Undefined lifts it. SQLite never
   * sets it below the current size. Tests use it to make a real SQLITE_FULL.
   */
  setSizeLimit(bytes: number | undefined): void {
    const pageSize = this.db.pragma('page_size', { simple: true }) as number;
    this.db.pragma(`max_page_count = ${bytes === undefined ? 4294967294 : Math.max(1, Math.floor(bytes / pageSize))}`);
  }

  async close(): Promise<void> {
    this.outage.close();
    clearInterval(this.sampleTimer);
    const w = this.checkpointer;
    this.checkpointer = undefined;
    if (w) {
      // held until it has closed its connection (at most 2 s), so the process does not end under it
      w.ref();
      let timer: NodeJS.Timeout | undefined;
      const gone = new Promise((resolve) => w.once('exit', resolve));
      w.postMessage('stop');
      await Promise.race([gone, new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
      clearTimeout(timer);
      await w.terminate();
    }
    try { this.writeSamples(); } catch (err) { this.log?.warn({ err }, 'the hosts\' newest samples were not written at close (shown again after their next report)'); }
    this.db.close();
  }
}

// Commands are stored as their full wire form, so what is re-delivered after a
// restart is byte for byte what was signed.
export function encodeCommand(c: Command__Output): string {
  return JSON.stringify({ ...c, signature: c.signature.toString('base64') });
}

export function decodeCommand(body: string): Command__Output {
  const raw = JSON.parse(body) as Omit<Command__Output, 'signature'> & { signature: string };
  return { ...raw, signature: Buffer.from(raw.signature, 'base64') };
}

export function hostFromRow(r: HostRow): Host__Output {
  return {
    id: r.id,
    online: r.online === 1,
    lastSeenMs: r.last_seen_ms,
    firstSeenMs: r.first_seen_ms,
    inventory: JSON.parse(r.inventory),
    backend: r.backend as Host__Output['backend'],
    enforcement: r.enforcement ? JSON.parse(r.enforcement) : null,
    lastSample: r.last_sample ? JSON.parse(r.last_sample) : null,
    reports: r.reports,
    events: r.events,
    clockOffsetMs: r.clock_offset_ms,
    health: r.health ? JSON.parse(r.health) : null,
    // granted tags live in the trust store (host_tags); the operator API fills these in
    tags: {},
    requestedTags: {},
  };
}

export function commandFromRow(r: CommandRow): CommandView__Output {
  return {
    command: decodeCommand(r.body),
    status: r.status as CommandStatus__Output,
    resultMessage: r.result_message,
    updatedAtMs: r.updated_at_ms,
    rules: JSON.parse(r.rules),
    state: r.state ? JSON.parse(r.state) : null,
  };
}
