// Each command id is applied at most once. Delivery is at least once (the
// controller re-sends what it has not heard back on), so the agent keeps the
// results of the commands it handled, on disk, and answers a repeat with the
// recorded result instead of applying it again.
//
// A corrupt file is moved aside and the ledger starts empty (with one warning
// naming both files): a command re-sent after that still meets the nonce store,
// which refuses a replay, so nothing is applied twice and the agent keeps running.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { CommandResult } from '../proto/wire.ts';

export class CommandLedger {
  private readonly results = new Map<string, CommandResult>();

  /** `warn` gets one line when the file was corrupt or cannot be written. */
  constructor(private readonly file: string, private readonly max = 2000, private readonly warn: (message: string) => void = () => undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      throw new Error(`command ledger ${file} cannot be read (${code ?? (err as Error).message}): fix its permissions, or move it aside to start with an empty ledger`);
    }
    try {
      const saved = JSON.parse(text) as unknown;
      if (!Array.isArray(saved)) throw new Error('not a list of [id, result] pairs');
      for (const entry of saved as [string, CommandResult][]) {
        if (!Array.isArray(entry) || typeof entry[0] !== 'string') throw new Error('not a list of [id, result] pairs');
        this.results.set(entry[0], entry[1]);
      }
    } catch (err) {
      this.results.clear();
      const aside = `${file}.corrupt-${Date.now()}`;
      let where = `moved aside to ${aside}`;
      try {
        renameSync(file, aside);
      } catch (e) {
        where = `left in place (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
      }
      warn(`command ledger ${file} is corrupt (${(err as Error).message}): ${where}; starting with an empty ledger (replays are still refused by the nonce store)`);
    }
  }

  get(id: string): CommandResult | undefined {
    return this.results.get(id);
  }

  record(id: string, result: CommandResult): void {
    this.results.set(id, result);
    // oldest out first; commands expire long before 2000 newer ones arrive
    while (this.results.size > this.max) this.results.delete(this.results.keys().next().value!);
    const tmp = `${this.file}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify([...this.results]), { mode: 0o600 });
      renameSync(tmp, this.file);
    } catch (err) {
      // kept in memory: a repeat is still answered until the agent restarts
      this.warn(`command ledger ${this.file} cannot be written (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): results are kept in memory only; make the data dir writable`);
    }
  }
}
