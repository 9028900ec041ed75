// The audit log: every operator action, playbook action, enrollment,
// revocation and denied call, appended to a hash chain in the store. The head
// (last seq and hash) is also written to a file beside the database, so that
// deleting the newest rows is caught too, not only edits inside the chain.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { verifyChain, type AuditEntry, type ChainVerdict } from './chain.ts';
import type { TrustStore } from '../store/trust-store.ts';

export class AuditLog {
  constructor(
    private readonly store: TrustStore,
    private readonly headFile: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async append(actor: string, action: string, target: string, detail: unknown = {}): Promise<AuditEntry> {
    const e = await this.store.appendAudit({ at_ms: this.now(), actor, action, target, detail });
    try {
      writeFileSync(this.headFile, JSON.stringify({ seq: e.seq, hash: e.hash }), { mode: 0o600 });
    } catch (err) {
      this.log.error({ err, file: this.headFile }, 'could not record the audit head; verify will not catch deleted newest entries');
    }
    return e;
  }

  /** Appends without letting a failure break the caller's flow; the failure is logged. */
  record(actor: string, action: string, target: string, detail: unknown = {}): void {
    this.append(actor, action, target, detail).catch((err) => this.log.error({ err, actor, action, target }, 'audit append failed'));
  }

  async verify(): Promise<ChainVerdict> {
    let expectHead: { seq: number; hash: string } | undefined;
    try {
      expectHead = JSON.parse(readFileSync(this.headFile, 'utf8'));
    } catch {
      expectHead = undefined;
    }
    return verifyChain(await this.store.allAudit(), expectHead ? { expectHead } : {});
  }
}
