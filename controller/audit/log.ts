// The audit log: every operator action, playbook action, enrollment,
// revocation and denied call, appended to a hash chain in the store. The head
// (last seq and hash) is also written to a file beside the database, so that
// deleting the newest rows is caught too, not only edits inside the chain.
//
// Continuity: each append checks that the entry it chained onto is the head this
// controller recorded. If it is not (the newest rows were deleted, or the head file
// was), the log raises an alarm: an error line, a counter, and an
// 'audit.discontinuity' entry that `audit verify` reports from then on. The head is
// also copied on a schedule to an anchor file (meant for another mount), so a
// rewrite of both the database and the head file is caught by verify too.
//
// Refused calls (denied operator calls, refused enrollments and agent streams) are
// not one entry each: they are counted per peer address and minute and written as
// one 'calls.refused' entry per peer and minute, under the peer's address (what the
// transport saw), never under the id the caller claimed. A flood costs rows per
// minute, not per call.
import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { DISCONTINUITY_ACTION, verifyChain, type AuditEntry, type ChainVerdict } from './chain.ts';
import type { TrustStore } from '../store/trust-store.ts';
import { writeFileAtomic } from '../../proto/private-files.ts';

export { DISCONTINUITY_ACTION };
export const REFUSED_ACTION = 'calls.refused';

type Head = { seq: number; hash: string };

export interface AuditLogOptions {
  /** a copy of the head written every anchorIntervalMs, e.g. on another mount; verify checks the chain still holds it */
  anchorFile?: string;
  anchorIntervalMs?: number;
  /** told of each entry appended (the dashboard's live updates); must be cheap */
  onAppend?: (seq: number) => void;
  /**
   * Other controllers append to the same log (a cluster): entries past this one's head are theirs,
   * and it is a cut only when the entry it recorded no longer holds the hash it recorded.
   */
  shared?: boolean;
}

export interface Refusal {
  /** the transport's peer ("10.0.0.5:51234", "[fd00::5]:51234", "ipv4:..."); the entry is filed under its address */
  peer: string;
  /** what was refused: 'rpc.denied', 'agent.enroll.refused', 'agent.refused' */
  action: string;
  /** who the caller said it was (an agent id, an operator): kept as a sample, never as the actor */
  claimed?: string;
  code?: string;
  reason: string;
}

interface RefusalBucket {
  minuteMs: number;
  peer: string;
  count: number;
  firstAtMs: number;
  lastAtMs: number;
  byAction: Record<string, number>;
  codes: Record<string, number>;
  claimed: string[];
  reasons: string[];
}

/** Distinct peers kept per minute; more go into one '*' bucket so a spoofed-source flood cannot grow memory. */
const MAX_PEERS_PER_MINUTE = 2000;
const SAMPLES = 8;

/** The address of a peer string, without its port: what a refusal is filed under. */
export function peerAddress(peer: string): string {
  const p = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(p);
  if (bracketed) return bracketed[1]!.replace(/^::ffff:/, '');
  // "1.2.3.4:5" has one colon; a bare IPv6 address with a port ("::1:5") has several: the last part is the port
  const parts = p.split(':');
  if (parts.length === 2) return parts[0]!;
  if (parts.length > 2 && /^\d+$/.test(parts.at(-1)!)) return parts.slice(0, -1).join(':').replace(/^::ffff:/, '');
  return p || 'unknown';
}

export class AuditLog {
  /** the newest head not yet written to the head file */
  private unflushed: Head | undefined;
  /** the head this controller recorded last (head file at open, then every append); undefined until loaded */
  private tip: Head | null | undefined;
  /** appends run one at a time, so each one's check sees the one before it */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly refusals = new Map<string, RefusalBucket>();
  private refusalTimer: NodeJS.Timeout | undefined;
  private anchorTimer: NodeJS.Timeout | undefined;
  private anchored: Head | undefined;
  /** what this controller last wrote to (or found in) the head file */
  private written: Head | undefined;
  /** discontinuities found since start (the counter operators and tests read) */
  alarms = 0;
  /** refused calls counted since start, and the entries they cost */
  refusedCalls = 0;
  refusalEntries = 0;
  /** the newest entry's number as this controller last wrote or found it (0 before the first) */
  get headSeq(): number {
    return this.written?.seq ?? 0;
  }

  constructor(
    private readonly store: TrustStore,
    private readonly headFile: string,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    private readonly opts: AuditLogOptions = {},
  ) {}

  /** Checks the database against the recorded head (and anchor) now, not only at the next append, and starts anchoring. */
  async open(): Promise<void> {
    await this.serial(async () => {
      this.loadTip();
      const last = (await this.store.listAudit(0, 1))[0];
      const found = last ? { seq: last.seq, hash: last.hash } : null;
      const why = this.discontinuity(found, true) ?? (await this.anchorProblem(found));
      if (why) await this.alarm(why, found);
    });
    if (this.opts.anchorFile) {
      this.writeAnchor();
      this.anchorTimer = setInterval(() => this.writeAnchor(), this.opts.anchorIntervalMs ?? 60_000);
      this.anchorTimer.unref();
    }
  }

  /** Before the anchor is overwritten at start: does the log still hold the head it recorded? */
  private async anchorProblem(last: Head | null): Promise<string | undefined> {
    const file = this.opts.anchorFile;
    if (!file || !existsSync(file)) return undefined;
    let a: Head;
    try {
      a = parseHead(readFileSync(file, 'utf8'), file);
    } catch (err) {
      return (err as Error).message;
    }
    if (!last || last.seq < a.seq) return `the log ends at entry ${last?.seq ?? 0} but the anchor ${file} recorded entry ${a.seq}: the newest entries were deleted (and the head file rewritten to match)`;
    // the anchor lags the head by at most an interval's appends; a longer gap is left to verify
    const gap = last.seq - a.seq + 1;
    if (gap > 100_000) return undefined;
    const e = (await this.store.listAudit(0, gap)).find((x) => x.seq === a.seq);
    if (!e || e.hash !== a.hash) return `entry ${a.seq} differs from the one the anchor ${file} recorded: the log was rewritten from there`;
    return undefined;
  }

  /** Writes what is pending (this minute's refusals, the head, the anchor); on shutdown, before the store closes. */
  async close(): Promise<void> {
    clearInterval(this.anchorTimer);
    clearTimeout(this.refusalTimer);
    this.refusalTimer = undefined;
    this.flushRefusals(Infinity);
    await this.queue;
    this.flush();
    this.writeAnchor();
  }

  /** Writes the refusals counted so far now, without waiting for their minute to close (tests, verify). */
  async flushRefused(): Promise<void> {
    this.flushRefusals(Infinity);
    await this.queue;
  }

  append(actor: string, action: string, target: string, detail: unknown = {}): Promise<AuditEntry> {
    return this.serial(() => this.appendNow(actor, action, target, detail));
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.queue.then(fn);
    this.queue = p.catch(() => {});
    return p;
  }

  private async appendNow(actor: string, action: string, target: string, detail: unknown): Promise<AuditEntry> {
    if (this.tip === undefined) this.loadTip();
    const e = await this.store.appendAudit({ at_ms: this.now(), actor, action, target, detail });
    const found = e.seq > 1 ? { seq: e.seq - 1, hash: e.prev_hash } : null;
    const why = this.opts.shared && this.tip && found && found.seq > this.tip.seq
      ? await this.sharedDiscontinuity(this.tip) : this.discontinuity(found, false);
    this.advance(e);
    if (why) await this.alarm(`${why}; entry ${e.seq} (${action}) was then appended after entry ${found?.seq ?? 0}`, found);
    return e;
  }

  /** Why `found` (the database's last entry before this append) does not continue the recorded head, if it does not. */
  private discontinuity(found: Head | null, atOpen: boolean): string | undefined {
    const tip = this.tip;
    if (tip === null || tip === undefined) {
      // no head recorded: fine for an empty log; a log with entries and no head file lost its head file
      if (found && tip === null) return `the audit head file ${this.headFile} is missing while the log holds ${found.seq} entries: it was deleted`;
      return undefined;
    }
    if (!found) return `the log is empty but the recorded head is entry ${tip.seq}: every entry was deleted`;
    if (found.seq === tip.seq && found.hash === tip.hash) return undefined;
    // at open the head file may lag by one turn of the event loop (a crash before it was written): a longer log is not a cut
    if (atOpen && found.seq > tip.seq) return undefined;
    if (found.seq < tip.seq) return `the log ended at entry ${found.seq} but the recorded head is entry ${tip.seq}: entries ${found.seq + 1}-${tip.seq} were deleted`;
    return `the log's last entry is ${found.seq} (${found.hash.slice(0, 12)}) but the recorded head is entry ${tip.seq} (${tip.hash.slice(0, 12)}): the log was rewritten`;
  }

  /** In a shared log: does the entry this controller recorded last still hold its hash? */
  private async sharedDiscontinuity(tip: Head): Promise<string | undefined> {
    const e = await this.store.auditEntry(tip.seq);
    if (!e) return `the recorded head is entry ${tip.seq} but the log no longer holds it: entries were deleted`;
    if (e.hash !== tip.hash) return `entry ${tip.seq} now has hash ${e.hash.slice(0, 12)} but was recorded as ${tip.hash.slice(0, 12)}: the log was rewritten`;
    return undefined;
  }

  private async alarm(why: string, found: Head | null): Promise<void> {
    this.alarms++;
    this.log.error({ headFile: this.headFile, recordedHead: this.tip, found }, `AUDIT LOG DISCONTINUITY: ${why}; run 'firebreak audit verify' and restore the data dir from a backup or investigate who wrote to it`);
    const e = await this.store.appendAudit({
      at_ms: this.now(), actor: 'system', action: DISCONTINUITY_ACTION, target: 'audit',
      detail: { why, recordedHead: this.tip ?? null, found },
    });
    this.advance(e);
  }

  private advance(e: AuditEntry): void {
    this.tip = { seq: e.seq, hash: e.hash };
    // The head file is written once per turn of the event loop, not once per entry: a playbook
    // blocking a port on 5,000 hosts appends 5,000 entries, and a file write each cost more
    // than the entries. A head that lags by a turn still verifies (a prefix of the chain).
    if (!this.unflushed) setImmediate(() => this.flush());
    this.unflushed = this.tip;
    this.opts.onAppend?.(e.seq);
  }

  /** The head file as recorded: null when there is none. */
  private readHead(): Head | null {
    if (!existsSync(this.headFile)) return null;
    return parseHead(readFileSync(this.headFile, 'utf8'), this.headFile);
  }

  private loadTip(): void {
    try {
      this.tip = this.readHead();
      this.written = this.tip ?? undefined;
    } catch (err) {
      this.log.error({ err, file: this.headFile }, 'the audit head file is unreadable; treating it as missing');
      this.tip = null;
    }
  }

  /** Whether the head file still holds what this controller wrote there last. */
  private headFileProblem(): string | undefined {
    const w = this.written;
    if (!w) return undefined;
    let h: Head | null;
    try {
      h = this.readHead();
    } catch (err) {
      h = null;
      this.written = undefined;
      return (err as Error).message;
    }
    if (h && h.seq === w.seq && h.hash === w.hash) return undefined;
    this.written = undefined; // one alarm per loss, not one per flush
    return h ? `the audit head file ${this.headFile} was replaced: it held entry ${w.seq}, now entry ${h.seq}` : `the audit head file ${this.headFile} was deleted (it held entry ${w.seq})`;
  }

  /** Writes the newest head to the head file now. */
  flush(): void {
    const head = this.unflushed;
    if (!head) return;
    const lost = this.headFileProblem();
    if (lost) this.serial(() => this.alarm(lost, null)).catch((err) => this.log.error({ err }, 'audit append failed'));
    this.unflushed = undefined;
    try {
      // whole or not at all: a half-written head would look like a deleted one
      writeFileAtomic(this.headFile, JSON.stringify(head));
      this.written = head;
    } catch (err) {
      this.log.error({ err, file: this.headFile }, 'could not record the audit head; verify will not catch deleted newest entries');
    }
  }

  private writeAnchor(): void {
    const file = this.opts.anchorFile;
    const tip = this.tip;
    if (!file || !tip || (this.anchored && this.anchored.seq === tip.seq && this.anchored.hash === tip.hash)) return;
    try {
      writeFileAtomic(file, JSON.stringify({ ...tip, atMs: this.now() }));
      this.anchored = tip;
    } catch (err) {
      this.log.error({ err, file }, 'could not write the audit anchor; a rewrite of both the database and the head file would go unnoticed');
    }
  }

  /** Appends without letting a failure break the caller's flow; the failure is logged. */
  record(actor: string, action: string, target: string, detail: unknown = {}): void {
    this.append(actor, action, target, detail).catch((err) => this.log.error({ err, actor, action, target }, 'audit append failed'));
  }

  /** Counts a refused call under its peer's address; written as one entry per peer and minute. */
  refused(r: Refusal): void {
    this.refusedCalls++;
    const t = this.now();
    const minuteMs = Math.floor(t / 60_000) * 60_000;
    let peer = peerAddress(r.peer);
    let key = `${minuteMs}|${peer}`;
    let b = this.refusals.get(key);
    if (!b && this.refusals.size >= MAX_PEERS_PER_MINUTE) {
      peer = '*';
      key = `${minuteMs}|*`;
      b = this.refusals.get(key);
    }
    if (!b) {
      b = { minuteMs, peer, count: 0, firstAtMs: t, lastAtMs: t, byAction: {}, codes: {}, claimed: [], reasons: [] };
      this.refusals.set(key, b);
    }
    b.count++;
    b.lastAtMs = t;
    b.byAction[r.action] = (b.byAction[r.action] ?? 0) + 1;
    if (r.code) b.codes[r.code] = (b.codes[r.code] ?? 0) + 1;
    const claimed = r.claimed?.slice(0, 128);
    if (claimed && b.claimed.length < SAMPLES && !b.claimed.includes(claimed)) b.claimed.push(claimed);
    const reason = r.reason.slice(0, 300);
    if (b.reasons.length < 3 && !b.reasons.includes(reason)) b.reasons.push(reason);
    if (!this.refusalTimer) {
      // just after the minute closes, so its buckets are complete
      this.refusalTimer = setTimeout(() => { this.refusalTimer = undefined; this.flushRefusals(this.now()); }, minuteMs + 60_000 - t + 50);
      this.refusalTimer.unref();
    }
  }

  /** Writes the buckets of minutes that closed before `beforeMs` (Infinity: all, e.g. on shutdown). */
  private flushRefusals(beforeMs: number): void {
    for (const [key, b] of this.refusals) {
      if (b.minuteMs + 60_000 > beforeMs) continue;
      this.refusals.delete(key);
      this.refusalEntries++;
      this.record(`peer:${b.peer}`, REFUSED_ACTION, b.peer, {
        minute: new Date(b.minuteMs).toISOString(), count: b.count, firstAtMs: b.firstAtMs, lastAtMs: b.lastAtMs,
        byAction: b.byAction, codes: b.codes, claimed: b.claimed, reasons: b.reasons,
      });
    }
    if (this.refusals.size > 0 && !this.refusalTimer && beforeMs !== Infinity) {
      this.refusalTimer = setTimeout(() => { this.refusalTimer = undefined; this.flushRefusals(this.now()); }, 60_000);
      this.refusalTimer.unref();
    }
  }

  async verify(): Promise<ChainVerdict> {
    // a lost head file becomes a discontinuity entry (reported from then on), then the head is written again
    const lost = this.headFileProblem();
    if (lost) await this.serial(() => this.alarm(lost, null));
    await this.queue;
    this.flush();
    let head: Head | null;
    try {
      head = this.readHead();
    } catch (err) {
      return { ok: false, seq: 0, problem: 'head_missing', reason: (err as Error).message };
    }
    const entries = await this.store.allAudit();
    if (!head && entries.length > 0) {
      return {
        ok: false, seq: 0, problem: 'head_missing',
        reason: `the audit head file ${this.headFile} is missing: the newest entries cannot be checked (it was deleted, or the data dir was restored without it)`,
      };
    }
    const anchors: { seq: number; hash: string; source: string }[] = [];
    const file = this.opts.anchorFile;
    if (file) {
      if (!existsSync(file)) {
        if (entries.length > 0 && this.anchored) {
          return { ok: false, seq: 0, problem: 'anchor_mismatch', reason: `the audit anchor ${file} is missing: it was deleted` };
        }
      } else {
        try {
          anchors.push({ ...parseHead(readFileSync(file, 'utf8'), file), source: `the anchor ${file}` });
        } catch (err) {
          return { ok: false, seq: 0, problem: 'anchor_mismatch', reason: (err as Error).message };
        }
      }
    }
    return verifyChain(entries, { ...(head ? { expectHead: head } : {}), anchors });
  }
}

function parseHead(text: string, file: string): Head {
  let h: unknown;
  try {
    h = JSON.parse(text);
  } catch {
    throw new Error(`the audit head in ${file} is not JSON: it was damaged or replaced`);
  }
  const o = h as Partial<Head>;
  if (!o || typeof o.seq !== 'number' || typeof o.hash !== 'string' || !/^[0-9a-f]{64}$/.test(o.hash)) {
    throw new Error(`the audit head in ${file} has no seq and hash: it was damaged or replaced`);
  }
  return { seq: o.seq, hash: o.hash };
}

