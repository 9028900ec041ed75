// Loaded with `--import` into an agent process by bench:faults, after tsx: it
// records every report number the agent's link assigns, one line per report
// (`<ms> <bootId> <seq>`), written straight to the file so a kill -9 of the
// agent cannot take back what was recorded. The bench compares these lines
// with what the controller's SQLite store holds. The agent's code is not
// changed: its Link class is wrapped from outside, so the same probe measures
// the build before and after a change (FB_PROBE_ROOT names the build).
import { openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = process.env.FB_PROBE_ROOT;
const file = process.env.FB_PROBE_FILE;
if (!root || !file) throw new Error('report-probe: set FB_PROBE_ROOT (the build under test) and FB_PROBE_FILE (where to record)');

// the same URL the agent imports, so this is the same module instance
const mod = (await import(pathToFileURL(join(root, 'agent/link.ts')).href)) as { Link?: { prototype: Record<string, unknown> } };
const proto = mod.Link?.prototype;
const original = proto?.report;
if (!proto || typeof original !== 'function') throw new Error(`report-probe: ${root}/agent/link.ts has no Link.prototype.report to record`);

const fd = openSync(file, 'a');
proto.report = function (this: { bootId?: unknown }, ...args: unknown[]): unknown {
  const out = (original as (...a: unknown[]) => unknown).apply(this, args);
  const record = (seq: unknown) => { writeSync(fd, `${Date.now()} ${String(this.bootId)} ${Number(seq)}\n`); };
  if (out && typeof (out as Promise<unknown>).then === 'function') (out as Promise<unknown>).then(record, () => {});
  else record(out);
  return out;
};
