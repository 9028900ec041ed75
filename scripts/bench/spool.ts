// Cost of the agent's on-disk report spool (agent/spool.ts) per report: the
// append (encode, checksum, write), with and without fdatasync, one report at
// a time (each waits for its own sync, as an agent reporting every few seconds
// does) and in a burst (one sync commits the group). Also the ack with its
// compaction. Writes in a temp dir; pass --dir to measure another disk.
//   npx tsx scripts/bench/spool.ts [--reports 2000] [--dir /var/lib/x] [--json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Spool } from '../../agent/spool.ts';
import type { Report } from '../../proto/wire.ts';

const { values } = parseArgs({ options: { reports: { type: 'string', default: '2000' }, dir: { type: 'string' }, json: { type: 'boolean', default: false } } });
const n = Number(values.reports);
const base = mkdtempSync(join(values.dir ?? tmpdir(), 'firebreak-spool-bench-'));
const log = pino({ level: 'silent' });

/** a report the size of a real one: a sample with ten top processes and two events */
function body(i: number): Omit<Report, 'seq'> {
  const proc = (p: number) => ({ pid: p, name: `proc-${p}`, exe: `/usr/bin/proc-${p}`, cpuPct: 1.5, rssBytes: 1e6, user: 'root', cmdline: `proc-${p} --flag value` });
  return {
    sample: { observedAtMs: Date.now(), intervalS: 5, cpuPct: 12.5, memUsedPct: 40, memUsedBytes: 4e9, memTotalBytes: 8e9, processCount: 200, topProcesses: Array.from({ length: 10 }, (_, k) => proc(k + i)) },
    events: [1, 2].map((k) => ({ kind: 'CONN_FANOUT' as const, signature: `conn.fanout/tcp:${k}`, observedAtMs: Date.now(), value: 40, baseline: 2, score: 9, count: 1 })),
  };
}

async function durable(s: Spool): Promise<void> {
  while (s.pending.some((r) => !s.isDurable(r))) await new Promise<void>((r) => { s.onDurable = r; });
}

interface Row { mode: string; fsync: boolean; usPerReport: number; bytesPerReport: number }
const rows: Row[] = [];

for (const fsync of [false, true]) {
  for (const mode of ['one at a time', 'burst', 'ack + compaction']) {
    const file = join(base, `spool-${fsync}-${mode.replace(/\W+/g, '-')}.log`);
    const s = Spool.open({ file, maxBytes: 1 << 30, fsync, log });
    const count = fsync && mode === 'one at a time' ? Math.min(n, 300) : n;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      s.append(body(i));
      if (mode === 'one at a time') await durable(s);
      if (mode === 'ack + compaction') s.ack(s.seq);
    }
    await durable(s);
    const us = Number(process.hrtime.bigint() - t0) / 1000 / count;
    const bytes = mode === 'ack + compaction' ? 0 : s.bytes / count;
    rows.push({ mode, fsync, usPerReport: Math.round(us * 10) / 10, bytesPerReport: Math.round(bytes) });
    s.close();
  }
}
rmSync(base, { recursive: true, force: true });

if (values.json) console.log(JSON.stringify({ reports: n, dir: values.dir ?? tmpdir(), rows }, null, 2));
else {
  console.log(`spool write cost, ${n} reports (one-at-a-time with fsync: ${Math.min(n, 300)}), in ${values.dir ?? tmpdir()}`);
  console.log('mode                fsync  µs/report  bytes/report');
  for (const r of rows) console.log(`${r.mode.padEnd(20)}${String(r.fsync).padEnd(7)}${String(r.usPerReport).padStart(9)}  ${String(r.bytesPerReport || '-').padStart(12)}`);
}
