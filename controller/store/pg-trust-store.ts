// The trust half of the store on PostgreSQL (see trust-store.ts for what each
// method promises). Where SQLite's one writer made a read-then-write safe, here
// several connections (and controllers) write at once, so such steps lock what
// they read: the enrollment id, the audit head, the admin count.
import { nextEntry, type AuditEntry, type AuditInput } from '../audit/chain.ts';
import type { EnrollmentTokenRecord } from '../trust/tokens.ts';
import type { AgentRecord__Output } from '../../proto/wire.ts';
import type { PgDb } from './pg-db.ts';
import type { EnrollmentReservation, OperatorRecord, TagGrant, TrustStore } from './trust-store.ts';

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

/** Not rolled back by an error: returned from inside a transaction that must roll back. */
class Outcome<T> { constructor(readonly value: T) {} }

export class PgTrustStore implements TrustStore {
  constructor(private readonly db: PgDb) {}

  async getAgent(id: string) {
    const row = (await this.db.query<AgentRow>(`SELECT * FROM agents WHERE id = $1`, [id])).rows[0];
    return row && agentFromRow(row);
  }

  async listAgents() {
    return (await this.db.query<AgentRow>(`SELECT * FROM agents ORDER BY id COLLATE "C"`)).rows.map(agentFromRow);
  }

  async reserveEnrollment(agentId: string, tokenHash: string, nowMs: number): Promise<EnrollmentReservation> {
    try {
      return await this.db.tx(async (q): Promise<EnrollmentReservation> => {
        const existing = (await q<{ reenroll_allowed: number }>(`SELECT reenroll_allowed FROM agents WHERE id = $1 FOR UPDATE`, [agentId])).rows[0];
        if (existing && existing.reenroll_allowed !== 1) return { ok: false, code: 'already_enrolled' };
        const spent = (await q(`UPDATE enrollment_tokens SET used = used + 1
          WHERE hash = $1 AND used < max_uses AND revoked = 0 AND expires_at_ms > $2`, [tokenHash, nowMs])).rowCount;
        if (spent === 0) return { ok: false, code: 'token_spent' };
        if (existing) {
          await q(`UPDATE agents SET reenroll_allowed = 0 WHERE id = $1`, [agentId]);
        } else {
          // a new id has no row to lock: the insert decides, and a loser's token use is rolled back with it
          const held = (await q(`INSERT INTO agents (id, cert_fingerprint, enrolled_at_ms, cert_not_after_ms, revoked, reenroll_allowed)
            VALUES ($1, '', $2, 0, 0, 0) ON CONFLICT (id) DO NOTHING`, [agentId, nowMs])).rowCount;
          if (held === 0) throw new Outcome<EnrollmentReservation>({ ok: false, code: 'already_enrolled' });
        }
        const token = tokenFromRow((await q<TokenRow>(`SELECT * FROM enrollment_tokens WHERE hash = $1`, [tokenHash])).rows[0]!);
        return { ok: true, reenroll: existing !== undefined, token };
      });
    } catch (err) {
      if (err instanceof Outcome) return err.value as EnrollmentReservation;
      throw err;
    }
  }

  async completeEnrollment(a: { id: string; certFingerprint: string; certNotAfterMs: number; atMs: number; token: EnrollmentTokenRecord }) {
    await this.db.tx(async (q) => {
      await q(`UPDATE agents SET cert_fingerprint = $1, enrolled_at_ms = $2, cert_not_after_ms = $3, revoked = 0, reenroll_allowed = 0
        WHERE id = $4`, [a.certFingerprint, a.atMs, a.certNotAfterMs, a.id]);
      // a re-imaged host gets its new token's tags, not the old token's; operators' grants stay
      await q(`DELETE FROM host_tags WHERE host_id = $1 AND source LIKE 'token:%'`, [a.id]);
      for (const [k, v] of Object.entries(a.token.tags)) {
        await q(`INSERT INTO host_tags (host_id, key, value, source, granted_by, granted_at_ms) VALUES ($1, $2, $3, $4, $4, $5)
          ON CONFLICT (host_id, key) DO NOTHING`, [a.id, k, v, `token:${a.token.id}`, a.atMs]);
      }
    });
  }

  async abandonEnrollment(agentId: string, reenroll: boolean, tokenHash: string) {
    await this.db.tx(async (q) => {
      if (reenroll) await q(`UPDATE agents SET reenroll_allowed = 1 WHERE id = $1`, [agentId]);
      else await q(`DELETE FROM agents WHERE id = $1 AND cert_fingerprint = ''`, [agentId]);
      await q(`UPDATE enrollment_tokens SET used = used - 1 WHERE hash = $1 AND used > 0`, [tokenHash]);
    });
  }

  async setAgentRevoked(id: string, revoked: boolean) {
    return ((await this.db.query(`UPDATE agents SET revoked = $1 WHERE id = $2`, [revoked ? 1 : 0, id])).rowCount ?? 0) > 0;
  }

  async allowReenroll(id: string) {
    return ((await this.db.query(`UPDATE agents SET reenroll_allowed = 1 WHERE id = $1`, [id])).rowCount ?? 0) > 0;
  }

  async addEnrollmentToken(r: EnrollmentTokenRecord) {
    await this.db.query(`INSERT INTO enrollment_tokens (hash, id, created_at_ms, expires_at_ms, max_uses, used, tags, revoked)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [r.hash, r.id, r.createdAtMs, r.expiresAtMs, r.maxUses, r.used, JSON.stringify(r.tags), r.revoked ? 1 : 0]);
  }

  async findEnrollmentToken(hash: string) {
    const r = (await this.db.query<TokenRow>(`SELECT * FROM enrollment_tokens WHERE hash = $1`, [hash])).rows[0];
    return r && tokenFromRow(r);
  }

  async revokeEnrollmentToken(id: string) {
    return (await this.db.query<TokenRow>(`UPDATE enrollment_tokens SET revoked = 1 WHERE id = $1 RETURNING *`, [id])).rows.map(tokenFromRow);
  }

  async hostTagGrants(hostId: string): Promise<TagGrant[]> {
    return (await this.db.query<TagRow>(`SELECT * FROM host_tags WHERE host_id = $1 ORDER BY key COLLATE "C"`, [hostId])).rows.map((r) => ({
      key: r.key, value: r.value, source: r.source, grantedBy: r.granted_by, grantedAtMs: r.granted_at_ms,
    }));
  }

  async allHostTags() {
    const out = new Map<string, Record<string, string>>();
    for (const r of (await this.db.query<TagRow>(`SELECT host_id, key, value FROM host_tags`)).rows) {
      let t = out.get(r.host_id);
      if (!t) out.set(r.host_id, (t = {}));
      t[r.key] = r.value;
    }
    return out;
  }

  async changeHostTags(hostId: string, set: Record<string, string>, remove: string[], source: string, by: string, atMs: number) {
    return this.db.tx(async (q) => {
      for (const k of remove) await q(`DELETE FROM host_tags WHERE host_id = $1 AND key = $2`, [hostId, k]);
      for (const [k, v] of Object.entries(set)) {
        await q(`INSERT INTO host_tags (host_id, key, value, source, granted_by, granted_at_ms) VALUES ($1, $2, $3, $4, $5, $6)
          ON CONFLICT (host_id, key) DO UPDATE SET value = EXCLUDED.value, source = EXCLUDED.source,
            granted_by = EXCLUDED.granted_by, granted_at_ms = EXCLUDED.granted_at_ms`, [hostId, k, v, source, by, atMs]);
      }
      const tags: Record<string, string> = {};
      for (const r of (await q<TagRow>(`SELECT key, value FROM host_tags WHERE host_id = $1`, [hostId])).rows) tags[r.key] = r.value;
      return tags;
    });
  }

  async addOperator(o: OperatorRecord, atMs: number) {
    await this.db.query(`INSERT INTO operators (name, role, token_hash, created_at_ms) VALUES ($1, $2, $3, $4)
      ON CONFLICT (name) DO UPDATE SET role = EXCLUDED.role, token_hash = EXCLUDED.token_hash`, [o.name, o.role, o.tokenHash, atMs]);
  }

  async findOperatorByTokenHash(hash: string) {
    const r = (await this.db.query<{ name: string; role: string; token_hash: string }>(
      `SELECT name, role, token_hash FROM operators WHERE token_hash = $1`, [hash])).rows[0];
    return r && { name: r.name, role: r.role, tokenHash: r.token_hash };
  }

  async countOperators() {
    return (await this.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM operators`)).rows[0]!.n;
  }

  async getOperator(name: string) {
    const r = (await this.db.query<{ name: string; role: string; token_hash: string }>(
      `SELECT name, role, token_hash FROM operators WHERE name = $1`, [name])).rows[0];
    return r && { name: r.name, role: r.role, tokenHash: r.token_hash };
  }

  async removeOperator(name: string) {
    return this.db.tx(async (q): Promise<'removed' | 'unknown' | 'last_admin'> => {
      // two removals of two admins at once must not both see the other still there
      await q(`LOCK TABLE operators IN SHARE ROW EXCLUSIVE MODE`);
      const r = (await q<{ role: string }>(`SELECT role FROM operators WHERE name = $1`, [name])).rows[0];
      if (!r) return 'unknown';
      // nobody could add an operator again: the controller would need a fresh data dir
      if (r.role === 'admin' && (await q<{ n: number }>(`SELECT COUNT(*) AS n FROM operators WHERE role = 'admin'`)).rows[0]!.n <= 1) return 'last_admin';
      await q(`DELETE FROM operators WHERE name = $1`, [name]);
      return 'removed';
    });
  }

  async rotateOperator(name: string, tokenHash: string) {
    return ((await this.db.query(`UPDATE operators SET token_hash = $1 WHERE name = $2`, [tokenHash, name])).rowCount ?? 0) > 0;
  }

  async appendAudit(input: AuditInput) {
    return this.db.tx(async (q) => {
      // read the head and append under one lock, so two appends (from any controller) never share a predecessor
      await q(`LOCK TABLE audit IN SHARE ROW EXCLUSIVE MODE`);
      const prev = (await q<{ seq: number; hash: string }>(`SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1`)).rows[0];
      const e = nextEntry(prev ?? null, input);
      await q(`INSERT INTO audit (seq, at_ms, actor, action, target, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [e.seq, e.at_ms, e.actor, e.action, e.target, e.detail, e.prev_hash, e.hash]);
      return e;
    });
  }

  async listAudit(sinceMs: number, limit: number) {
    return (await this.db.query<AuditEntry>(`SELECT * FROM audit WHERE at_ms >= $1 ORDER BY seq DESC LIMIT $2`, [sinceMs, limit])).rows;
  }

  async auditEntry(seq: number) {
    return (await this.db.query<AuditEntry>(`SELECT * FROM audit WHERE seq = $1`, [seq])).rows[0];
  }

  async allAudit() {
    // PostgreSQL has no insertion order to read back (SQLite's rowid): seq order; a renumbered row still breaks the hash chain
    return (await this.db.query<AuditEntry>(`SELECT * FROM audit ORDER BY seq`)).rows;
  }
}
