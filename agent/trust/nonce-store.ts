// Nonces of accepted commands, persisted in the agent's data dir so a restart does
// not reopen the replay window. Bounded: entries are pruned once their command
// could no longer be accepted (expiry + skew). If the store is full of live
// entries, the oldest is evicted and every command issued at or before it is
// refused from then on ("floor"), so eviction never lets a replay through.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DEFAULT_CLOCK_SKEW_MS } from '../../proto/command-signing.ts';
import { writeFileAtomic } from '../../proto/private-files.ts';

export interface NonceEntry {
  nonce: string;
  issuedAtMs: number;
  expiresAtMs: number;
}

export interface NonceStoreOptions {
  /** Bound on remembered nonces; default 10000 (commands are rare). */
  maxEntries?: number;
  skewMs?: number;
  /** Used only when the file is unreadable, to set the floor. */
  now?: number;
  /** Called when the file was corrupt and the store started over with a floor. */
  onCorrupt?: (message: string) => void;
}

interface FileShape {
  version: 1;
  floorMs: number;
  entries: NonceEntry[];
}

export class NonceStore {
  private readonly entries = new Map<string, NonceEntry>();
  private floorMs = 0;
  private readonly maxEntries: number;
  private readonly skewMs: number;

  private constructor(private readonly file: string, opts: NonceStoreOptions) {
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.skewMs = opts.skewMs ?? DEFAULT_CLOCK_SKEW_MS;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new Error(`nonce store maxEntries must be a positive integer, got ${this.maxEntries}`);
  }

  /**
   * Opens (or starts) the store at file. A missing file is a fresh agent. A corrupt
   * file may have held nonces of commands still valid, so the store starts empty
   * but refuses every command issued up to now + skew: the controller re-issues.
   */
  static open(file: string, opts: NonceStoreOptions = {}): NonceStore {
    const store = new NonceStore(file, opts);
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw new Error(`nonce store ${file} cannot be read (${code ?? (err as Error).message}): fix its permissions, or move it aside (the agent then refuses commands issued before its start once)`);
    }
    if (text !== undefined) {
      try {
        store.load(JSON.parse(text));
      } catch (err) {
        store.entries.clear();
        store.floorMs = (opts.now ?? Date.now()) + store.skewMs;
        opts.onCorrupt?.(`nonce store ${file} is unreadable (${(err as Error).message}); starting empty and refusing commands issued before ${new Date(store.floorMs).toISOString()}`);
        store.save();
      }
    }
    return store;
  }

  private load(data: unknown): void {
    const d = data as Partial<FileShape>;
    if (!d || d.version !== 1 || !Array.isArray(d.entries) || typeof d.floorMs !== 'number') throw new Error('unexpected content');
    this.floorMs = d.floorMs;
    for (const e of d.entries) {
      if (typeof e?.nonce !== 'string' || typeof e.issuedAtMs !== 'number' || typeof e.expiresAtMs !== 'number') throw new Error('malformed entry');
      this.entries.set(e.nonce, { nonce: e.nonce, issuedAtMs: e.issuedAtMs, expiresAtMs: e.expiresAtMs });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Commands issued at or before this are refused (see the file comment). */
  get floor(): number {
    return this.floorMs;
  }

  /** True when a command with this nonce and window must be treated as already seen. */
  has(nonce: string, window: { issuedAtMs: number }): boolean {
    return this.entries.has(nonce) || window.issuedAtMs <= this.floorMs;
  }

  /**
   * The seenNonce of checkCommandTrust: returns true for a replay; otherwise
   * records the nonce durably (before the command is applied) and returns false.
   */
  checkAndRemember(nonce: string, window: { issuedAtMs: number; expiresAtMs: number }, now: number): boolean {
    if (this.has(nonce, window)) return true;
    this.prune(now, false);
    while (this.entries.size >= this.maxEntries) this.evictOldest();
    this.entries.set(nonce, { nonce, issuedAtMs: window.issuedAtMs, expiresAtMs: window.expiresAtMs });
    this.save();
    return false;
  }

  /** Drops entries whose command can no longer be accepted anyway. */
  prune(now: number, persist = true): number {
    let dropped = 0;
    for (const [k, e] of this.entries) {
      if (e.expiresAtMs + this.skewMs < now) {
        this.entries.delete(k);
        dropped++;
      }
    }
    if (dropped > 0 && persist) this.save();
    return dropped;
  }

  private evictOldest(): void {
    let oldest: NonceEntry | undefined;
    for (const e of this.entries.values()) if (!oldest || e.issuedAtMs < oldest.issuedAtMs) oldest = e;
    if (!oldest) return;
    this.entries.delete(oldest.nonce);
    this.floorMs = Math.max(this.floorMs, oldest.issuedAtMs);
  }

  /** Write to a temp file, fsync, rename: a crash leaves the old or the new file, never half. */
  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const data: FileShape = { version: 1, floorMs: this.floorMs, entries: [...this.entries.values()] };
    writeFileAtomic(this.file, JSON.stringify(data), { durable: true });
  }
}
