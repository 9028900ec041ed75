// A commander option that takes a duration ("90s", "15m") and shows its
// default the way it is written ("default: 5m", not "default: 300000").
// Shared by the three CLIs so they parse and print durations alike.
import { InvalidArgumentError, Option } from 'commander';
import { formatDuration, parseDuration } from './duration.ts';

/** Milliseconds from operator text; a malformed value is a usage error naming the grammar. */
export function durationArg(v: string): number {
  try { return parseDuration(v); } catch (err) { throw new InvalidArgumentError((err as Error).message); }
}

export function durationOption(flags: string, description: string, defaultMs?: number): Option {
  const o = new Option(flags, description).argParser(durationArg);
  return defaultMs === undefined ? o : o.default(defaultMs, formatDuration(defaultMs));
}
