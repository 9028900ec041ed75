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

export interface TrustStore {
  getAgent(id: string): Promise<AgentRecord__Output | undefined>;
  listAgents(): Promise<AgentRecord__Output[]>;
  /** Records a newly issued certificate: a new agent, or one an operator allowed to re-enroll. */
  enrollAgent(a: { id: string; certFingerprint: string; certNotAfterMs: number; atMs: number }): Promise<void>;
  setAgentRevoked(id: string, revoked: boolean): Promise<boolean>;
  allowReenroll(id: string): Promise<boolean>;

  addEnrollmentToken(r: EnrollmentTokenRecord): Promise<void>;
  findEnrollmentToken(hash: string): Promise<EnrollmentTokenRecord | undefined>;
  /** Uses one enrollment of a token, atomically; false when none is left. */
  consumeEnrollmentToken(hash: string): Promise<boolean>;

  addOperator(o: OperatorRecord, atMs: number): Promise<void>;
  findOperatorByTokenHash(hash: string): Promise<OperatorRecord | undefined>;
  countOperators(): Promise<number>;

  appendAudit(input: AuditInput): Promise<AuditEntry>;
  listAudit(sinceMs: number, limit: number): Promise<AuditEntry[]>;
  allAudit(): Promise<AuditEntry[]>;
}

interface AgentRow { id: string; cert_fingerprint: string; enrolled_at_ms: number; cert_not_after_ms: number; revoked: number; reenroll_allowed: number }
interface TokenRow { hash: string; id: string; created_at_ms: number; expires_at_ms: number; max_uses: number; used: number; tags: string; revoked: number }

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

  async enrollAgent(a: { id: string; certFingerprint: string; certNotAfterMs: number; atMs: number }) {
    this.db.prepare(`INSERT INTO agents (id, cert_fingerprint, enrolled_at_ms, cert_not_after_ms, revoked, reenroll_allowed)
      VALUES (?, ?, ?, ?, 0, 0) ON CONFLICT (id) DO UPDATE SET cert_fingerprint = excluded.cert_fingerprint,
      enrolled_at_ms = excluded.enrolled_at_ms, cert_not_after_ms = excluded.cert_not_after_ms, revoked = 0, reenroll_allowed = 0`)
      .run(a.id, a.certFingerprint, a.atMs, a.certNotAfterMs);
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
    return r && {
      hash: r.hash, id: r.id, createdAtMs: r.created_at_ms, expiresAtMs: r.expires_at_ms, maxUses: r.max_uses, used: r.used,
      tags: JSON.parse(r.tags) as Record<string, string>, revoked: r.revoked === 1,
    };
  }

  async consumeEnrollmentToken(hash: string) {
    return this.db.prepare(`UPDATE enrollment_tokens SET used = used + 1 WHERE hash = ? AND used < max_uses AND revoked = 0`).run(hash).changes > 0;
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

  async allAudit() {
    // in insertion (rowid) order, so a renumbered or moved row shows up as out of order
    return this.db.prepare(`SELECT * FROM audit ORDER BY rowid`).all() as AuditEntry[];
  }
}
