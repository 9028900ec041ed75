// A real agent process killed -9 with unacked reports (the controller frozen)
// loses nothing: after the restart every report number it assigned reaches the
// controller's store, once, in the same boot (the graceful stop during an
// outage is in link.test.ts, in process: an agent start here costs ~4 s). The controller runs in this process on real gRPC and SQLite so
// the test can freeze its store and count what it takes.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Controller } from '../../controller/controller.ts';
import { createEnrollmentToken } from '../../controller/trust/tokens.ts';
import { startInProcessController } from '../helpers/inproc.ts';
import { eventually, startProcess, stopAll, stopProcess, tempDir, type Proc } from '../helpers/procs.ts';

interface Taken { stored: Map<string, number>; frozen: boolean }

/** Counts each report the store takes by (boot, seq); while frozen, the store takes one more and then hangs (a frozen controller). */
function watchIngest(c: Controller, taken: Taken): void {
  const store = c.store as unknown as { ingestReport: (r: { bootId: string; seq: number }) => Promise<{ duplicate: boolean }> };
  const orig = store.ingestReport.bind(store);
  store.ingestReport = async (r) => {
    const out = await orig(r);
    if (!out.duplicate) { const k = `${r.bootId}/${r.seq}`; taken.stored.set(k, (taken.stored.get(k) ?? 0) + 1); }
    // stored but never acked: the agent must send it again, and the store must not take it twice
    if (taken.frozen) await new Promise(() => {});
    return out;
  };
}

/** the (boot, seq) of every report an agent process assigned, from its debug log */
function assigned(p: Proc): { boot: string; seq: number }[] {
  return p.logs.flatMap((l) => {
    try { const j = JSON.parse(l); return j.msg === 'report spooled' ? [{ boot: String(j.boot), seq: Number(j.seq) }] : []; } catch { return []; }
  });
}

test('kill -9 with unacked reports, the controller frozen then restarted: every report reaches the controller once', async (t) => {
  const dir = tempDir(); t.after(() => dir.remove());
  t.after(() => stopAll());
  const ctlDir = join(dir.path, 'ctl');
  const taken: Taken = { stored: new Map(), frozen: false };
  let c = await startInProcessController(ctlDir);
  t.after(() => c.stop());
  watchIngest(c, taken);
  const port = c.agentPort;
  const { token, record } = createEnrollmentToken({ now: Date.now(), uses: 1 });
  await c.store.trust.addEnrollmentToken(record);
  const agentDir = join(dir.path, 'agent');
  const args = (first: boolean) => [
    'run', '-d', agentDir, '-c', `127.0.0.1:${port}`, '--id', 'a1', '--interval', '500ms', '--backend', 'dry-run', '--log-level', 'debug',
    ...(first ? ['--enroll-address', `127.0.0.1:${c.enrollPort}`, '--enroll-token', token, '--ca-pin', c.trust.caFingerprint] : []),
  ];
  const spooledAfter = (p: Proc, n: number) => {
    const from = assigned(p).length;
    return eventually(async () => assigned(p).length >= from + n, 10_000, `${n} more reports spooled`, 50);
  };

  // 1. connected, then the controller freezes: reports are sent and not acked; kill -9
  const a1 = startProcess('agent/main.ts', args(true));
  await a1.waitFor((l) => l.msg === 'connected to controller', 30_000);
  await eventually(async () => taken.stored.size >= 1, 10_000, 'a first report stored');
  taken.frozen = true;
  await spooledAfter(a1, 3);
  await stopProcess(a1, 'SIGKILL');
  // 2. the controller restarts; the agent starts again and replays
  await c.stop();
  taken.frozen = false;
  // the agent takes seconds to start: the controller is back long before it dials
  const a2 = startProcess('agent/main.ts', args(false));
  c = await startInProcessController(ctlDir, { agentListen: `127.0.0.1:${port}` });
  watchIngest(c, taken);
  const before = assigned(a1);
  await spooledAfter(a2, 1);
  const boots = new Set([...before, ...assigned(a2)].map((r) => r.boot));
  assert.equal(boots.size, 1, `one boot across restarts, got ${[...boots].join(', ')}`);
  const boot = [...boots][0]!;
  const max = Math.max(...before.map((r) => r.seq));
  await eventually(async () => {
    for (let s = 1; s <= max; s++) if (!taken.stored.has(`${boot}/${s}`)) return false;
    return true;
  }, 15_000, `reports 1-${max} of boot ${boot} stored`, 100);
  await stopProcess(a2, 'SIGTERM');
  const missing = before.filter((r) => !taken.stored.has(`${boot}/${r.seq}`)).map((r) => r.seq);
  assert.deepEqual(missing, [], 'assigned but not stored');
  assert.deepEqual([...taken.stored.entries()].filter(([, n]) => n !== 1), [], 'stored more than once');
  t.diagnostic(`${max} reports assigned before the last start, all stored once`);
});
