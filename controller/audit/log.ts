// The audit log: every operator action, playbook action, enrollment,
// revocation and denied call, appended to a hash chain in the store. The head
// (last seq and hash) is also written to a file beside the database, so that
// deleting the newest rows is caught too, not only edits inside the chain.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { verifyChain, type AuditEntry, type ChainVerdict } from './chain.ts';
import type { TrustStore } from '../store/trust-store.ts';

export class AuditLog {
  /** the newest head not yet written to the head file */
  private head: { seq: number; hash: string } | undefined;

  constructor(
    private readonly store: TrustStore,
    private readonly headFile: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async append(actor: string, action: string, target: string, detail: unknown = {}): Promise<AuditEntry> {
    const e = await this.store.appendAudit({ at_ms: this.now(), actor, action, target, detail });
    // The head file is written once per turn of the event loop, not once per entry: a playbook
    // blocking a port on 5,000 hosts appends 5,000 entries, and a file write each cost more
    // than the entries. A head that lags by a turn still verifies (a prefix of the chain).
    if (!this.head) setImmediate(() => this.flush());
    this.head = { seq: e.seq, hash: e.hash };
    return e;
  }

  /** Writes the newest head to the head file now (also on shutdown). */
  flush(): void {
    const head = this.head;
    if (!head) return;
    this.head = undefined;
    try {
      writeFileSync(this.headFile, JSON.stringify(head), { mode: 0o600 });
    } catch (err) {
      this.log.error({ err, file: this.headFile }, 'could not record the audit head; verify will not catch deleted newest entries');
    }
  }

  /** Appends without letting a failure break the caller's flow; the failure is logged. */
  record(actor: string, action: string, target: string, detail: unknown = {}): void {
    this.append(actor, action, target, detail).catch((err) => this.log.error({ err, actor, action, target }, 'audit append failed'));
  }

  async verify(): Promise<ChainVerdict> {
    this.flush();
    let expectHead: { seq: number; hash: string } | undefined;
    try {
      expectHead = JSON.parse(readFileSync(this.headFile, 'utf8'));
    } catch {
      expectHead = undefined;
    }
    return verifyChain(await this.store.allAudit(), expectHead ? { expectHead } : {});
  }
}
