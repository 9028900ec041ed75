// Each command id is applied at most once. Delivery is at least once (the
// controller re-sends what it has not heard back on), so the agent keeps the
// results of the commands it handled, on disk, and answers a repeat with the
// recorded result instead of applying it again.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { CommandResult } from '../proto/wire.ts';

export class CommandLedger {
  private readonly results = new Map<string, CommandResult>();

  constructor(private readonly file: string, private readonly max = 2000) {
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as [string, CommandResult][];
      for (const [id, r] of saved) this.results.set(id, r);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`command ledger ${file} is unreadable: ${(err as Error).message}; move it aside to start fresh`);
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
    writeFileSync(tmp, JSON.stringify([...this.results]), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}
