// The trust half of the store: enrolled agents (with the fingerprint of their
// current certificate, which is how revocation works without a CRL), enrollment
// tokens and operators (hashes only), and the append-only audit chain.
import type Database from 'better-sqlite3';
import { nextEntry, type AuditEntry, type AuditInput } from '../audit/chain.ts';
import type { EnrollmentTokenRecord } from '../trust/tokens.ts';
import type { AgentRecord__Output } from '../../proto/wire.ts';

export interface OperatorRecord {
  name: string;
  role: string;
  tokenHash: string;
}

/** A tag granted to a host: by its enrollment token, by an operator, or an agent's request an admin approved. */
export interface TagGrant {
  key: string;
  value: string;
  /** 'token:<id>', 'operator' or 'approved' */
  source: string;
  grantedBy: string;
  grantedAtMs: number;
}

/** Why an enrollment could not reserve its agent id. */
export type EnrollmentReservation =
  | { ok: true; reenroll: boolean; token: EnrollmentTokenRecord }
  | { ok: false; code: 'already_enrolled' | 'token_spent' };

export interface TrustStore {
  getAgent(id: string): Promise<AgentRecord__Output | undefined>;
  listAgents(): Promise<AgentRecord__Output[]>;
  /**
   * One transaction: the agent id must be new (or allowed to re-enroll) and the token
   * must have a use left, unrevoked and unexpired; then the use is spent and the id
   * is held (a new id with no certificate fingerprint, which no certificate matches;
   * a re-enrolling id loses its permission). Concurrent enrollments of one id: one wins.
   */
  reserveEnrollment(agentId: string, tokenHash: string, nowMs: number): Promise<EnrollmentReservation>;
  /** Records the certificate issued for a reserved id, and the tags its token grants (replacing tags of an earlier token). */
  completeEnrollment(a: { id: string; certFingerprint: string; certNotAfterMs: number; atMs: number; token: EnrollmentTokenRecord }): Promise<void>;
  /** Undoes a reservation whose certificate could not be issued: the id is free (or may re-enroll) again, the token use is refunded. */
  abandonEnrollment(agentId: string, reenroll: boolean, tokenHash: string): Promise<void>;
  setAgentRevoked(id: string, revoked: boolean): Promise<boolean>;
  allowReenroll(id: string): Promise<boolean>;

  addEnrollmentToken(r: EnrollmentTokenRecord): Promise<void>;
  findEnrollmentToken(hash: string): Promise<EnrollmentTokenRecord | undefined>;
  /** Revokes every token with this public id; returns the records (empty when none). */
  revokeEnrollmentToken(id: string): Promise<EnrollmentTokenRecord[]>;

  /** Tags granted to one host (its effective tags), by key. */
  hostTagGrants(hostId: string): Promise<TagGrant[]>;
  /** Effective tags of every host that has any. */
  allHostTags(): Promise<Map<string, Record<string, string>>>;
  /** Grants (set) and withdraws (remove) tags of one host in one transaction; returns the effective tags after. */
  changeHostTags(hostId: string, set: Record<string, string>, remove: string[], source: string, by: string, atMs: number): Promise<Record<string, string>>;

  addOperator(o: OperatorRecord, atMs: number): Promise<void>;
  findOperatorByTokenHash(hash: string): Promise<OperatorRecord | undefined>;
  countOperators(): Promise<number>;
  getOperator(name: string): Promise<OperatorRecord | undefined>;
  /** Removes an operator unless it is the last admin; 'last_admin' then, 'unknown' when there is none by that name. */
  removeOperator(name: string): Promise<'removed' | 'unknown' | 'last_admin'>;
  /** Replaces an operator's token hash (the old token stops working at once); false when unknown. */
  rotateOperator(name: string, tokenHash: string): Promise<boolean>;

  appendAudit(input: AuditInput): Promise<AuditEntry>;
  listAudit(sinceMs: number, limit: number): Promise<AuditEntry[]>;
  /** one entry by its number (a cluster's controllers check that the chain they last saw still holds) */
  auditEntry(seq: number): Promise<AuditEntry | undefined>;
  allAudit(): Promise<AuditEntry[]>;
}

interface AgentRow { id: string; cert_fingerprint: string; enrolled_at_ms: number; cert_not_after_ms: number; revoked: number; reenroll_allowed: number }
interface TokenRow { hash: string; id: string; created_at_ms: number; expires_at_ms: number; max_uses: number; used: number; tags: string; revoked: number }
interface TagRow { host_id: string; key: string; value: string; source: string; granted_by: string; granted_at_ms: number }

const tokenFromRow = (r: TokenRow): EnrollmentTokenRecord => ({
  hash: r.hash, id: r.id, createdAtMs: r.created_at_ms, expiresAtMs: r.expires_at_ms, maxUses: r.max_uses, used: r.used,
  tags: JSON.parse(r.tags) as Record<string, string>, revoked: r.revoked === 1,
});

const agentFromRow = (r: AgentRow): AgentRecord__Output => ({
  id: r.id, certFingerprint: r.cert_fingerprint, enrolledAtMs: r.enrolled_at_ms, certNotAfterMs: r.cert_not_after_ms,
  revoked: r.revoked === 1, reenrollAllowed: r.reenroll_allowed === 1,
});

export class SqliteTrustStore implements TrustStore {
  constructor(private readonly db: Database.Database) {}

  async getAgent(id: string) {
    const row = this.db.prepare(`SELECT * FROM agents WHERE id = ?`).get(id) as AgentRow | undefined;
    return row && agentFromRow(row);
  }

  async listAgents() {
    return (this.db.prepare(`SELECT * FROM agents ORDER BY id`).all() as AgentRow[]).map(agentFromRow);
  }

  async reserveEnrollment(agentId: string, tokenHash: string, nowMs: number): Promise<EnrollmentReservation> {
    return this.db.transaction((): EnrollmentReservation => {
      const existing = this.db.prepare(`SELECT reenroll_allowed FROM agents WHERE id = ?`).get(agentId) as { reenroll_allowed: number } | undefined;
      if (existing && existing.reenroll_allowed !== 1) return { ok: false, code: 'already_enrolled' };
      const spent = this.db.prepare(`UPDATE enrollment_tokens SET used = used + 1
        WHERE hash = ? AND used < max_uses AND revoked = 0 AND expires_at_ms > ?`).run(tokenHash, nowMs).changes;
      if (spent === 0) return { ok: false, code: 'token_spent' };
      if (existing) this.db.prepare(`UPDATE agents SET reenroll_allowed = 0 WHERE id = ?`).run(agentId);
      else {
        this.db.prepare(`INSERT INTO agents (id, cert_fingerprint, enrolled_at_ms, cert_not_after_ms, revoked, reenroll_allowed)
          VALUES (?, '', ?, 0, 0, 0)`).run(agentId, nowMs);
      }
      const token = tokenFromRow(this.db.prepare(`SELECT * FROM enrollment_tokens WHERE hash = ?`).get(tokenHash) as TokenRow);
      return { ok: true, reenroll: existing !== undefined, token };
    })();
  }

  async completeEnrollment(a: { id: string; certFingerprint: string; certNotAfterMs: number; atMs: number; token: EnrollmentTokenRecord }) {
    this.db.transaction(() => {
      this.db.prepare(`UPDATE agents SET cert_fingerprint = ?, enrolled_at_ms = ?, cert_not_after_ms = ?, revoked = 0, reenroll_allowed = 0
        WHERE id = ?`).run(a.certFingerprint, a.atMs, a.certNotAfterMs, a.id);
      // a re-imaged host gets its new token's tags, not the old token's; operators' grants stay
      this.db.prepare(`DELETE FROM host_tags WHERE host_id = ? AND source LIKE 'token:%'`).run(a.id);
      const put = this.db.prepare(`INSERT INTO host_tags (host_id, key, value, source, granted_by, granted_at_ms) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (host_id, key) DO NOTHING`);
      for (const [k, v] of Object.entries(a.token.tags)) put.run(a.id, k, v, `token:${a.token.id}`, `token:${a.token.id}`, a.atMs);
    })();
  }

  async abandonEnrollment(agentId: string, reenroll: boolean, tokenHash: string) {
    this.db.transaction(() => {
      if (reenroll) this.db.prepare(`UPDATE agents SET reenroll_allowed = 1 WHERE id = ?`).run(agentId);
      else this.db.prepare(`DELETE FROM agents WHERE id = ? AND cert_fingerprint = ''`).run(agentId);
      this.db.prepare(`UPDATE enrollment_tokens SET used = used - 1 WHERE hash = ? AND used > 0`).run(tokenHash);
    })();
  }

  async setAgentRevoked(id: string, revoked: boolean) {
    return this.db.prepare(`UPDATE agents SET revoked = ? WHERE id = ?`).run(revoked ? 1 : 0, id).changes > 0;
  }

  async allowReenroll(id: string) {
    return this.db.prepare(`UPDATE agents SET reenroll_allowed = 1 WHERE id = ?`).run(id).changes > 0;
  }

  async addEnrollmentToken(r: EnrollmentTokenRecord) {
    this.db.prepare(`INSERT INTO enrollment_tokens (hash, id, created_at_ms, expires_at_ms, max_uses, used, tags, revoked)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`).run(r.hash, r.id, r.createdAtMs, r.expiresAtMs, r.maxUses, r.used, JSON.stringify(r.tags), r.revoked ? 1 : 0);
  }

  async findEnrollmentToken(hash: string) {
    const r = this.db.prepare(`SELECT * FROM enrollment_tokens WHERE hash = ?`).get(hash) as TokenRow | undefined;
    return r && tokenFromRow(r);
  }

  async revokeEnrollmentToken(id: string) {
    return this.db.transaction(() => {
      this.db.prepare(`UPDATE enrollment_tokens SET revoked = 1 WHERE id = ?`).run(id);
      return (this.db.prepare(`SELECT * FROM enrollment_tokens WHERE id = ?`).all(id) as TokenRow[]).map(tokenFromRow);
    })();
  }

  async hostTagGrants(hostId: string): Promise<TagGrant[]> {
    return (this.db.prepare(`SELECT * FROM host_tags WHERE host_id = ? ORDER BY key`).all(hostId) as TagRow[]).map((r) => ({
      key: r.key, value: r.value, source: r.source, grantedBy: r.granted_by, grantedAtMs: r.granted_at_ms,
    }));
  }

  async allHostTags() {
    const out = new Map<string, Record<string, string>>();
    for (const r of this.db.prepare(`SELECT host_id, key, value FROM host_tags`).all() as TagRow[]) {
      let t = out.get(r.host_id);
      if (!t) out.set(r.host_id, (t = {}));
      t[r.key] = r.value;
    }
    return out;
  }

  async changeHostTags(hostId: string, set: Record<string, string>, remove: string[], source: string, by: string, atMs: number) {
    return this.db.transaction(() => {
      const del = this.db.prepare(`DELETE FROM host_tags WHERE host_id = ? AND key = ?`);
      for (const k of remove) del.run(hostId, k);
      const put = this.db.prepare(`INSERT INTO host_tags (host_id, key, value, source, granted_by, granted_at_ms) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (host_id, key) DO UPDATE SET value = excluded.value, source = excluded.source,
          granted_by = excluded.granted_by, granted_at_ms = excluded.granted_at_ms`);
      for (const [k, v] of Object.entries(set)) put.run(hostId, k, v, source, by, atMs);
      const tags: Record<string, string> = {};
      for (const r of this.db.prepare(`SELECT key, value FROM host_tags WHERE host_id = ?`).all(hostId) as TagRow[]) tags[r.key] = r.value;
      return tags;
    })();
  }

  async addOperator(o: OperatorRecord, atMs: number) {
    this.db.prepare(`INSERT INTO operators (name, role, token_hash, created_at_ms) VALUES (?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET role = excluded.role, token_hash = excluded.token_hash`).run(o.name, o.role, o.tokenHash, atMs);
  }

  async findOperatorByTokenHash(hash: string) {
    const r = this.db.prepare(`SELECT name, role, token_hash FROM operators WHERE token_hash = ?`).get(hash) as
      { name: string; role: string; token_hash: string } | undefined;
    return r && { name: r.name, role: r.role, tokenHash: r.token_hash };
  }

  async countOperators() {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM operators`).get() as { n: number }).n;
  }

  async getOperator(name: string) {
    const r = this.db.prepare(`SELECT name, role, token_hash FROM operators WHERE name = ?`).get(name) as
      { name: string; role: string; token_hash: string } | undefined;
    return r && { name: r.name, role: r.role, tokenHash: r.token_hash };
  }

  async removeOperator(name: string) {
    return this.db.transaction((): 'removed' | 'unknown' | 'last_admin' => {
      const r = this.db.prepare(`SELECT role FROM operators WHERE name = ?`).get(name) as { role: string } | undefined;
      if (!r) return 'unknown';
      // nobody could add an operator again: the controller would need a fresh data dir
      if (r.role === 'admin' && (this.db.prepare(`SELECT COUNT(*) AS n FROM operators WHERE role = 'admin'`).get() as { n: number }).n <= 1) return 'last_admin';
      this.db.prepare(`DELETE FROM operators WHERE name = ?`).run(name);
      return 'removed';
    })();
  }

  async rotateOperator(name: string, tokenHash: string) {
    return this.db.prepare(`UPDATE operators SET token_hash = ? WHERE name = ?`).run(tokenHash, name).changes > 0;
  }

  async appendAudit(input: AuditInput) {
    // read the head and append in one transaction, so two appends never share a predecessor
    return this.db.transaction(() => {
      const prev = this.db.prepare(`SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`).get() as { seq: number; hash: string } | undefined;
      const e = nextEntry(prev ?? null, input);
      this.db.prepare(`INSERT INTO audit (seq, at_ms, actor, action, target, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(e.seq, e.at_ms, e.actor, e.action, e.target, e.detail, e.prev_hash, e.hash);
      return e;
    })();
  }

  async listAudit(sinceMs: number, limit: number) {
    return this.db.prepare(`SELECT * FROM audit WHERE at_ms >= ? ORDER BY seq DESC LIMIT ?`).all(sinceMs, limit) as AuditEntry[];
  }

  async auditEntry(seq: number) {
    return this.db.prepare(`SELECT * FROM audit WHERE seq = ?`).get(seq) as AuditEntry | undefined;
  }

  async allAudit() {
    // in insertion (rowid) order, so a renumbered or moved row shows up as out of order
    return this.db.prepare(`SELECT * FROM audit ORDER BY rowid`).all() as AuditEntry[];
  }
}
