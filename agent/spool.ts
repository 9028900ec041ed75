// The agent's report spool on disk: every report is numbered, appended to a
// checksummed log in the data dir and made durable before the link sends it,
// and trimmed when the controller acks it. The boot id and the last number
// assigned live in the same file, so a restart (kill -9 included) continues
// the same boot's sequence and replays, in order, what was never acked; the
// controller drops duplicates by (host, boot, seq).
//
// A plain file, not SQLite: the agent ships as one bundle without
// node_modules (scripts/build/agent.ts), where a native module cannot load.
//
// Record: u32 LE payload length | u32 LE crc32(type, payload) | u8 type | payload (JSON).
// Types: HEAD {v, bootId, seq, acked} (first record, rewritten on compaction),
// REPORT (the Report), ACK {seq}. Appends are synchronous writes (ordered, and
// in the page cache, so a kill -9 cannot take them back); fdatasync runs off
// the event loop and commits every record written meanwhile as one group.
import { randomUUID } from 'node:crypto';
import {
  closeSync, fdatasync, fdatasyncSync, ftruncateSync, openSync, readFileSync, renameSync, writeSync,
} from 'node:fs';
import * as zlib from 'node:zlib';
import type { Logger } from 'pino';
import type { AnomalyEvent, Report } from '../proto/wire.ts';
import { writeFileAtomic } from '../proto/private-files.ts';

/** CRC-32 (IEEE), from zlib where Node has it (20.15+), else computed here: the agent runs on any Node 20 */
const crc32: (data: Uint8Array) => number = (zlib as { crc32?: (data: Uint8Array) => number }).crc32 ?? (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return (data: Uint8Array) => {
    let c = 0xffffffff;
    for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
})();

const T_HEAD = 1;
const T_REPORT = 2;
const T_ACK = 3;
const HEADER = 9;
/** a record longer than this is damage, not a report (frames are at most 4 MiB) */
const MAX_RECORD = 16 * 1024 * 1024;
/** a file with fewer dead bytes than this is not rewritten (a rewrite syncs on the event loop) */
const COMPACT_AFTER_BYTES = 256 * 1024;
/** how many first reports of each signature overflow keeps whole: an incident's onset */
export const ONSET_REPORTS = 3;

export type SpooledBody = Report & { seq: number };

export interface SpoolRecord {
  report: SpooledBody;
  /** the encoded record, as written */
  bytes: Buffer;
  /** write number: durable once the spool's durable mark reaches it */
  writeNo: number;
  /** set on a synthetic report that stands for several summarised ones */
  summary?: { reports: number; firstSeq: number };
}

export interface SpoolOptions {
  file: string;
  /** bound on the unacked reports' bytes; past it the middle of an incident is summarised */
  maxBytes: number;
  /** fdatasync before a report counts as durable (off: a kill -9 loses nothing, a power cut may) */
  fsync?: boolean;
  log: Logger;
}

export interface SpoolState {
  bootId: string;
  /** the last sequence number assigned */
  seq: number;
  /** the highest sequence number the controller acked */
  acked: number;
  /** unacked reports, oldest first */
  pending: SpooledBody[];
  /** bytes cut from a damaged tail, 0 when the file was whole */
  cutBytes: number;
}

function encode(type: number, payload: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(payload));
  const buf = Buffer.allocUnsafe(HEADER + body.length);
  buf.writeUInt32LE(body.length, 0);
  buf[8] = type;
  body.copy(buf, HEADER);
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
  return buf;
}

interface Parsed { head?: { bootId: string; seq: number; acked: number }; reports: SpooledBody[]; acked: number; goodBytes: number; cutBytes: number }

function parse(buf: Buffer): Parsed {
  const out: Parsed = { reports: [], acked: 0, goodBytes: 0, cutBytes: 0 };
  let off = 0;
  while (off < buf.length) {
    if (buf.length - off < HEADER) break;
    const len = buf.readUInt32LE(off);
    if (len > MAX_RECORD || off + HEADER + len > buf.length) break;
    if (crc32(buf.subarray(off + 8, off + HEADER + len)) !== buf.readUInt32LE(off + 4)) break;
    let payload: Record<string, unknown>;
    try { payload = JSON.parse(buf.toString('utf8', off + HEADER, off + HEADER + len)); } catch { break; }
    const type = buf[off + 8];
    if (type === T_HEAD && off === 0 && typeof payload.bootId === 'string') {
      out.head = { bootId: payload.bootId, seq: Number(payload.seq) || 0, acked: Number(payload.acked) || 0 };
      out.acked = out.head.acked;
    } else if (type === T_REPORT && out.head && Number.isSafeInteger(payload.seq)) {
      out.reports.push(payload as unknown as SpooledBody);
    } else if (type === T_ACK && out.head && Number.isSafeInteger(payload.seq)) {
      out.acked = Math.max(out.acked, payload.seq as number);
    } else {
      break;
    }
    off += HEADER + len;
  }
  out.goodBytes = off;
  out.cutBytes = buf.length - off;
  return out;
}

/** Renames a file the spool cannot use, so a new spool does not overwrite it; the new name, or undefined. */
function moveAside(file: string, why: string): string | undefined {
  const to = `${file}.${why}-${Date.now()}`;
  try { renameSync(file, to); return to; } catch { return undefined; }
}

/** Reads a spool file without changing it: for the fault bench and for tests. */
export function inspectSpool(file: string): SpoolState | undefined {
  let buf: Buffer;
  try { buf = readFileSync(file); } catch { return undefined; }
  const p = parse(buf);
  if (!p.head) return undefined;
  const pending = p.reports.filter((r) => r.seq > p.acked);
  const seq = Math.max(p.head.seq, ...p.reports.map((r) => r.seq));
  return { bootId: p.head.bootId, seq, acked: p.acked, pending, cutBytes: p.cutBytes };
}

export class Spool {
  bootId: string;
  /** the last sequence number assigned */
  seq: number;
  /** the highest sequence number the controller acked */
  acked: number;
  /** the last sequence number assigned before this process opened the spool */
  readonly openSeq: number;
  /** called (outside any caller's stack) when more records became durable */
  onDurable: (() => void) | undefined;
  /** reports up to this seq are on the wire (set by the link): overflow leaves them whole */
  inFlight = 0;
  private records: SpoolRecord[] = [];
  private liveBytes = 0;
  private fileBytes = 0;
  private fd: number | undefined;
  private writeNo = 0;
  private durableNo = 0;
  private syncing = false;
  /** an fd replaced by compaction while its fdatasync was in flight: closed when that returns */
  private retired: number[] = [];
  private readonly fsync: boolean;
  /** an ack not yet in the file */
  private ackUnwritten = false;
  /** the file could not be written: said once, until a rewrite succeeds again */
  private degraded = false;

  private constructor(private readonly opts: SpoolOptions, state: { bootId: string; seq: number; acked: number; pending: SpooledBody[] }) {
    this.bootId = state.bootId;
    this.seq = state.seq;
    this.openSeq = state.seq;
    this.acked = state.acked;
    this.fsync = opts.fsync ?? true;
    for (const report of state.pending) this.push({ report, bytes: encode(T_REPORT, report), writeNo: 0 });
  }

  /**
   * Opens (or creates) the spool. A damaged tail is cut and logged once,
   * naming the file. When the file cannot be written (read-only data dir,
   * permissions) the spool runs in memory and says so: reports are still
   * sent, only a restart would lose the unacked ones.
   */
  static open(opts: SpoolOptions): Spool {
    const { file, log } = opts;
    let buf: Buffer | undefined;
    try {
      buf = readFileSync(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        const aside = moveAside(file, 'unreadable');
        log.error({ file, err: (err as Error).message, movedTo: aside },
          `report spool ${file} is unreadable (${code}); ${aside ? `moved to ${aside}` : 'left in place'} and a new spool started, so the unacked reports it held are not sent. Check the file's permissions`);
      }
    }
    const p = buf ? parse(buf) : undefined;
    let state: { bootId: string; seq: number; acked: number; pending: SpooledBody[] } = { bootId: randomUUID(), seq: 0, acked: 0, pending: [] };
    if (p?.head) {
      const pending = p.reports.filter((r) => r.seq > p.acked);
      state = { bootId: p.head.bootId, seq: Math.max(p.head.seq, ...p.reports.map((r) => r.seq)), acked: p.acked, pending };
      if (p.cutBytes > 0) {
        log.warn({ file, cutBytes: p.cutBytes, atOffset: p.goodBytes, lastSeq: state.seq },
          `report spool ${file} had a damaged tail (checksum or length): ${p.cutBytes} bytes cut; a crash mid-write leaves this, and a report is sent only once it is written whole`);
      }
    } else if (buf && buf.length > 0) {
      const aside = moveAside(file, 'corrupt');
      log.warn({ file, bytes: buf.length, movedTo: aside }, `report spool ${file} has no valid header (not a Firebreak spool, or damaged from its first byte); ${aside ? `moved to ${aside}` : 'replaced'}, and a new spool with a new boot id started`);
    }
    const spool = new Spool(opts, state);
    spool.rewrite();
    return spool;
  }

  /** unacked reports, oldest first */
  get pending(): readonly SpoolRecord[] {
    return this.records;
  }

  get bytes(): number {
    return this.liveBytes;
  }

  /** true when the spool only lives in memory (its file could not be written) */
  get inMemory(): boolean {
    return this.fd === undefined;
  }

  isDurable(r: SpoolRecord): boolean {
    return r.writeNo <= this.durableNo;
  }

  /** Numbers a report and appends it; it is sent once durable. */
  append(body: Omit<Report, 'seq'>): number {
    const report: SpooledBody = { ...body, seq: ++this.seq };
    const rec: SpoolRecord = { report, bytes: encode(T_REPORT, report), writeNo: 0 };
    this.push(rec);
    // the latest ack rides along with the next report: one write, no syscall per ack
    this.write(this.ackUnwritten ? Buffer.concat([this.ackRecord(), rec.bytes]) : rec.bytes);
    rec.writeNo = this.writeNo;
    if (this.liveBytes > this.opts.maxBytes) this.overflow();
    this.commit();
    return report.seq;
  }

  /** The controller has stored every report up to seq. */
  ack(seq: number): void {
    if (seq <= this.acked) return;
    this.acked = seq;
    let n = 0;
    while (n < this.records.length && this.records[n]!.report.seq <= seq) this.liveBytes -= this.records[n++]!.bytes.length;
    if (n > 0) this.records.splice(0, n);
    // an ack need not be durable (a lost one only means a resend the controller drops, and
    // its welcome names its mark anyway): written with the next report, or at close
    this.ackUnwritten = true;
    // compaction rewrites only the live records, so it runs when most of the file is dead
    if (this.fileBytes > COMPACT_AFTER_BYTES && this.fileBytes > 2 * this.liveBytes + 4096) this.rewrite();
  }

  /**
   * The controller holds numbers of this boot that the spool never assigned
   * (the file lost its tail, or a backup of the data dir was restored): the
   * reports numbered since this process opened the spool would be taken for
   * duplicates. They were never sent (sending starts after the first welcome),
   * so they are renumbered after the controller's mark. Returns how many.
   */
  renumberAfter(controllerSeq: number): number {
    if (controllerSeq <= this.openSeq) return 0;
    const fresh = this.records.filter((r) => r.report.seq > this.openSeq);
    // what this spool held before the start was sent in order before the controller's mark: stored
    this.ack(this.openSeq);
    let next = controllerSeq;
    for (const r of fresh) {
      r.report = { ...r.report, seq: ++next };
      this.liveBytes -= r.bytes.length;
      r.bytes = encode(T_REPORT, r.report);
      this.liveBytes += r.bytes.length;
    }
    this.seq = next;
    this.rewrite();
    return fresh.length;
  }

  /** Commits what is written and closes the file; the unacked reports stay for the next start. */
  close(): void {
    if (this.fd === undefined) return;
    if (this.ackUnwritten) this.write(this.ackRecord());
    try { if (this.fsync) fdatasyncSync(this.fd); } catch { /* closing anyway */ }
    if (!this.syncing) closeSync(this.fd); else this.retired.push(this.fd);
    this.fd = undefined;
  }

  private ackRecord(): Buffer {
    this.ackUnwritten = false;
    return encode(T_ACK, { seq: this.acked });
  }

  private push(rec: SpoolRecord): void {
    this.records.push(rec);
    this.liveBytes += rec.bytes.length;
  }

  private write(buf: Buffer): void {
    this.writeNo++;
    if (this.fd === undefined) return;
    try {
      writeSync(this.fd, buf);
      this.fileBytes += buf.length;
    } catch (err) {
      this.degrade(err as Error, 'append to');
    }
  }

  /** Makes what is written durable: at once without fsync, else in one group per fdatasync. */
  private commit(): void {
    if (!this.fsync || this.fd === undefined) {
      this.durableNo = this.writeNo;
      this.notify();
      return;
    }
    if (this.syncing) return;
    this.syncing = true;
    const target = this.writeNo;
    const fd = this.fd;
    fdatasync(fd, (err) => {
      this.syncing = false;
      for (const old of this.retired.splice(0)) { try { closeSync(old); } catch { /* already gone */ } }
      if (err && fd === this.fd) this.degrade(err, 'sync');
      this.durableNo = Math.max(this.durableNo, err ? this.writeNo : target);
      this.notify();
      if (this.writeNo > this.durableNo) this.commit();
    });
  }

  private notify(): void {
    const cb = this.onDurable;
    if (cb) queueMicrotask(cb);
  }

  /**
   * Writes the live records to a new file (temp, fsync, rename, fsync dir)
   * under a fresh header that carries the boot id and the last number
   * assigned, so both survive when every report is acked.
   */
  private rewrite(): void {
    const { file } = this.opts;
    try {
      const parts = [encode(T_HEAD, { v: 1, bootId: this.bootId, seq: this.seq, acked: this.acked }), ...this.records.map((r) => r.bytes)];
      this.ackUnwritten = false;
      const buf = Buffer.concat(parts);
      writeFileAtomic(file, buf, { durable: this.fsync });
      const next = openSync(file, 'a', 0o600);
      if (this.fd !== undefined) {
        if (this.syncing) this.retired.push(this.fd); else closeSync(this.fd);
      }
      this.fd = next;
      this.fileBytes = buf.length;
      if (this.degraded) {
        this.degraded = false;
        this.opts.log.info({ file }, `report spool ${file} is written again`);
      }
    } catch (err) {
      this.degrade(err as Error, 'rewrite');
    }
    // everything live is in the new file, committed
    this.durableNo = this.writeNo;
    this.notify();
  }

  private degrade(err: Error, what: string): void {
    if (!this.degraded) {
      this.degraded = true;
      const { file } = this.opts;
      this.opts.log.error({ file, err: err.message },
        `cannot ${what} report spool ${file}: ${err.message}. Reports are kept in memory and still sent, but a restart would lose the unacked ones; free disk space or fix the data dir's permissions`);
    }
    if (this.fd !== undefined) {
      // a partial record would read as a damaged tail at the next start
      try { ftruncateSync(this.fd, this.fileBytes); } catch { /* the file is given up anyway */ }
      if (this.syncing) this.retired.push(this.fd); else try { closeSync(this.fd); } catch { /* gone */ }
    }
    this.fd = undefined;
  }

  /**
   * Over the bound: each signature's first reports (an incident's onset) and
   * the newest quarter stay whole; the runs of reports between them become one
   * synthetic report each, whose events carry per-signature counts. Onsets are
   * only ever merged (never dropped) when nothing else is left, and then logged.
   */
  private overflow(): void {
    const target = this.opts.maxBytes * 0.75;
    const runs: string[] = [];
    const merged: Record<string, number> = {};
    // last pass: nothing but onsets is left (a scan: every report a new signature), so signatures
    // are counted by family (`conn.new-port/tcp:8443` → `conn.new-port`), which always fits
    const passes = [{ onsets: ONSET_REPORTS, newest: this.opts.maxBytes / 4, coarse: false }, { onsets: 1, newest: 0, coarse: false }, { onsets: 1, newest: 0, coarse: true }];
    for (const pass of passes) {
      if (this.liveBytes <= target) break;
      const keep = this.protectedSet(pass.onsets, pass.newest, pass.coarse);
      const out: SpoolRecord[] = [];
      let run: SpoolRecord[] = [];
      const flush = () => {
        for (const chunk of bySignatureBudget(run, pass.coarse)) {
          if (chunk.length > 1 || (chunk.length === 1 && !chunk[0]!.summary && this.liveBytes > target)) {
            const s = summarise(chunk, pass.coarse);
            this.liveBytes += s.bytes.length - chunk.reduce((n, r) => n + r.bytes.length, 0);
            out.push(s);
            runs.push(`${s.summary!.firstSeq}-${s.report.seq}`);
            for (const r of chunk) for (const e of r.report.events ?? []) { const k = keyOf(e.signature, pass.coarse); merged[k] = (merged[k] ?? 0) + (e.count || 1); }
          } else out.push(...chunk);
        }
        run = [];
      };
      for (const r of this.records) {
        if (keep.has(r) || this.liveBytes <= target) { flush(); out.push(r); } else run.push(r);
      }
      flush();
      this.records = out;
    }
    if (runs.length === 0) return;
    this.opts.log.warn({ file: this.opts.file, maxBytes: this.opts.maxBytes, runs: runs.slice(0, 20), moreRuns: Math.max(0, runs.length - 20), signatures: merged },
      'report spool full while the controller is away: reports between incident onsets summarised (counts per signature kept)');
    this.rewrite();
  }

  /** The records overflow must keep whole: each signature's (or family's) first `onsets` reports, what is on the wire, and the newest `newestBytes`. */
  private protectedSet(onsets: number, newestBytes: number, coarse: boolean): Set<SpoolRecord> {
    const keep = new Set<SpoolRecord>();
    const seen = new Map<string, number>();
    for (const r of this.records) {
      for (const e of r.report.events ?? []) {
        const key = keyOf(e.signature, coarse);
        const n = seen.get(key) ?? 0;
        // a summary already stands for many reports: it is never an onset
        if (n < onsets && !r.summary) keep.add(r);
        seen.set(key, n + 1);
      }
    }
    for (const r of this.records) if (r.report.seq <= this.inFlight) keep.add(r);
    let bytes = 0;
    for (let i = this.records.length - 1; i >= 0 && bytes < newestBytes; i--) {
      keep.add(this.records[i]!);
      bytes += this.records[i]!.bytes.length;
    }
    return keep;
  }
}

/** the controller refuses events past 64 in one report (controller/pipeline/ingest.ts LIMITS) */
export const SUMMARY_MAX_EVENTS = 64;

/** Splits a run so that no summary carries more than SUMMARY_MAX_EVENTS signatures. */
function bySignatureBudget(run: SpoolRecord[], coarse: boolean): SpoolRecord[][] {
  const chunks: SpoolRecord[][] = [];
  let chunk: SpoolRecord[] = [];
  let sigs = new Set<string>();
  for (const r of run) {
    const mine = new Set((r.report.events ?? []).map((e) => keyOf(e.signature, coarse)));
    const union = new Set([...sigs, ...mine]);
    if (chunk.length > 0 && union.size > SUMMARY_MAX_EVENTS) {
      chunks.push(chunk);
      chunk = [];
      sigs = mine;
    } else sigs = union;
    chunk.push(r);
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** A signature, or its family (the part before '/') when counting coarsely. */
function keyOf(signature: string | undefined, coarse: boolean): string {
  const sig = signature ?? '';
  return coarse ? sig.split('/')[0]! : sig;
}

/** One synthetic report for a run: the run's last seq (so order holds), one event per signature (or family) with its count. */
function summarise(run: SpoolRecord[], coarse: boolean): SpoolRecord {
  const first = run[0]!;
  const last = run[run.length - 1]!;
  const bySig = new Map<string, AnomalyEvent>();
  let reports = 0;
  for (const r of run) {
    reports += r.summary?.reports ?? 1;
    for (const e of r.report.events ?? []) {
      const key = keyOf(e.signature, coarse);
      const had = bySig.get(key);
      if (!had) { bySig.set(key, { ...e, signature: key, count: e.count || 1 }); continue; }
      had.count = (had.count || 1) + (e.count || 1);
      had.value = Math.max(Number(had.value ?? 0), Number(e.value ?? 0));
      had.score = Math.max(Number(had.score ?? 0), Number(e.score ?? 0));
      had.baseline = e.baseline;
      had.cleared = e.cleared;
    }
  }
  const firstSeq = first.summary?.firstSeq ?? first.report.seq;
  const detail = `summary of ${reports} reports (seq ${firstSeq}-${last.report.seq}) spooled while the controller was away${coarse ? ', counted by signature family' : ''}; count is the events merged`;
  const events = [...bySig.values()].map((e) => ({ ...e, evidence: { ...(e.evidence ?? {}), detail } }));
  const report: SpooledBody = { seq: last.report.seq, events };
  return { report, bytes: encode(T_REPORT, report), writeNo: 0, summary: { reports, firstSeq } };
}
