// Sensing end to end: a real agent process reading the real /proc learns this
// host, then a real CPU burner and a real burst of outbound connections become
// anomaly events at the controller, with their signature and evidence, shown
// by `firebreak events`. Thresholds come from the agent's config file, with a
// short warm-up so the test does not wait a minute (the defaults are in
// agent/detect/config.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import type { EventView__Output } from '../../proto/wire.ts';
import { cli, cliJson, eventually, startAgent, startController, stopAll, tempDir, type ControllerProc } from '../helpers/procs.ts';

describe('sensing: real anomalies reach the controller', () => {
  const dir = tempDir();
  let ctl: ControllerProc;
  let burner: ChildProcess | undefined;
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  const events = (prefix: string) => cliJson<EventView__Output[]>(ctl, ['events', '--host', 'sensor', '--signature', prefix]);

  before(async () => {
    ctl = await startController(join(dir.path, 'controller'));
    const agentDir = join(dir.path, 'sensor');
    mkdirSync(agentDir, { recursive: true });
    // a fast-forgetting baseline (alpha 0.3 instead of 0.05), so the agent's own start-up burst of
    // CPU is out of its baseline after a dozen 1 s samples instead of a minute
    writeFileSync(join(agentDir, 'agent.json'), JSON.stringify({ detect: { warmup: 4, learningSamples: 2, alpha: 0.3 } }));
    await startAgent('sensor', ctl, agentDir);
    // let the baselines learn this host as it is, after the start-up burst
    await new Promise((r) => setTimeout(r, 12_000));
  });

  after(async () => {
    burner?.kill('SIGKILL');
    for (const s of sockets) s.destroy();
    for (const s of servers) s.close();
    await stopAll();
    dir.remove();
  });

  it('reports a CPU burner as cpu.spike with the burning process as evidence', async () => {
    burner = spawn(process.execPath, ['-e', 'const end = Date.now() + 60000; while (Date.now() < end) {}'], { stdio: 'ignore' });
    const ev = await eventually(async () => (await events('cpu.spike')).find((e) => !e.event!.cleared), 20_000, 'a cpu.spike event', 1000);
    assert.equal(ev.event!.kind, 'CPU');
    const procs = ev.event!.evidence!.processes;
    assert.ok(procs.some((p) => p.pid === burner!.pid), `the burner (pid ${burner!.pid}) is named: ${JSON.stringify(procs.map((p) => [p.pid, p.name]))}`);
    burner.kill('SIGKILL');
    burner = undefined;
  });

  it('reports a burst of 300 outbound connections as conn.fanout with remote endpoints as evidence', async () => {
    // half go to listeners that accept, half to ports where nothing listens (refused at once)
    const open: number[] = [];
    for (let i = 0; i < 3; i++) {
      const srv = createServer((s) => { sockets.push(s); s.on('error', () => {}); });
      await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
      servers.push(srv);
      open.push((srv.address() as { port: number }).port);
    }
    const closed = open.map((p) => p + 1000);
    const attempts = [];
    for (let i = 0; i < 300; i++) {
      // accepted ones go to our listeners on 127.0.0.1, refused ones to distinct loopback addresses
      const accept = i % 2 === 0;
      const host = accept ? '127.0.0.1' : `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
      const port = accept ? open[i % open.length]! : closed[i % closed.length]!;
      attempts.push(new Promise<void>((resolve) => {
        const s = connect({ host, port });
        sockets.push(s);
        s.on('connect', () => resolve());
        s.on('error', () => resolve());
        setTimeout(resolve, 2000);
      }));
    }
    await Promise.all(attempts);
    const ev = await eventually(async () => (await events('conn.fanout')).find((e) => !e.event!.cleared), 20_000, 'a conn.fanout event', 1000);
    assert.equal(ev.event!.kind, 'CONN_FANOUT');
    assert.match(ev.event!.signature, /^conn\.fanout\/tcp:\d+$/);
    assert.ok(ev.event!.score > 0, `scored: ${JSON.stringify(ev.event)}`);
    assert.match(ev.event!.evidence!.detail, /new outbound attempts|distinct remote/);
    assert.ok(ev.event!.evidence!.remotes.length > 0 && ev.event!.evidence!.remotes.length <= 10, 'bounded remote endpoints as evidence');
    const table = await cli(ctl, ['events', '--host', 'sensor']);
    assert.match(table.stdout, /conn\.fanout\/tcp:\d+/);
    assert.match(table.stdout, /cpu\.spike/);
  });
});
