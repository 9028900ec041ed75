// Content hash of executables, so one worm dropped under random names on each
// host is still one signature. Hashing is the one costly read the sampler
// does: it runs only for an executable never hashed before (cached by
// device+inode+mtime+size), skips files above a size bound, and streams so it
// never holds the event loop for long.
import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';

export interface ExeHasherOptions {
  /** Files above this are not hashed (the path is the signature then). Default 64 MiB. */
  maxBytes?: number;
  /** Cached entries kept; the oldest are dropped beyond it. Default 4096. */
  maxEntries?: number;
}

export class ExeHasher {
  private readonly cache = new Map<string, Promise<string>>();
  private readonly maxBytes: number;
  private readonly maxEntries: number;
  /** Files actually read and hashed, for tests and the benchmark. */
  hashed = 0;

  constructor(opts: ExeHasherOptions = {}) {
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.maxEntries = opts.maxEntries ?? 4096;
  }

  /**
   * sha256 hex of the file at `path`, or '' when it cannot be read or is too
   * big. Pass /proc/<pid>/exe to hash what the process really runs, even when
   * the file was deleted or replaced after it started.
   */
  async hash(path: string): Promise<string> {
    let key: string;
    try {
      const st = await fsp.stat(path);
      if (!st.isFile() || st.size > this.maxBytes) return '';
      key = `${st.dev}:${st.ino}:${st.mtimeMs}:${st.size}`;
    } catch {
      return '';
    }
    let p = this.cache.get(key);
    if (!p) {
      p = this.compute(path);
      this.cache.set(key, p);
      if (this.cache.size > this.maxEntries) {
        const oldest = this.cache.keys().next().value;
        if (oldest !== undefined) this.cache.delete(oldest);
      }
    }
    return p;
  }

  private compute(path: string): Promise<string> {
    this.hashed++;
    return new Promise((resolve) => {
      const h = createHash('sha256');
      let read = 0;
      const s = createReadStream(path, { highWaterMark: 64 * 1024 });
      s.on('data', (chunk) => {
        read += chunk.length;
        // The file grew past the bound while we read it: give up, path it is.
        if (read > this.maxBytes) {
          s.destroy();
          resolve('');
          return;
        }
        h.update(chunk);
      });
      s.on('error', () => resolve(''));
      s.on('end', () => resolve(h.digest('hex')));
    });
  }
}
