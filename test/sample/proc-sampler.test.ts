// ProcSampler against a small fixture /proc tree (exact values) and against
// the real /proc (sane values; a child we spawn and a loopback connection we
// open show up).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcSampler } from '../../agent/sample/proc-sampler.ts';

const FIXTURE = new URL('../fixtures/proc/basic', import.meta.url).pathname;
const stat = (pid: number, comm: string, ppid: number, ut: number, st: number, start: number, rss: number): string =>
  `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${ut} ${st} 0 0 20 0 1 0 ${start} 100000000 ${rss} 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`;

describe('ProcSampler on a fixture /proc', () => {
  let dir: string;
  let root: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fb-proc-'));
    root = join(dir, 'proc');
    cpSync(FIXTURE, root, { recursive: true, verbatimSymlinks: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fills every field from the files, with rates and new processes on the second sample', async () => {
    let now = 1_700_000_100_000;
    const statfs = async (m: string): Promise<{ totalBytes: number; usedBytes: number }> =>
      m === '/' ? { totalBytes: 100e9, usedBytes: 40e9 } : { totalBytes: 10e9, usedBytes: 1e9 };
    const s = new ProcSampler({ procRoot: root, passwdPath: join(root, 'passwd'), pollMs: 0, now: () => now, statfs });
    try {
      const a = await s.sample();
      assert.equal(a.intervalS, 0);
      assert.equal(a.processCount, 3);
      assert.deepEqual(a.newProcesses, [], 'processes running at start are not new');
      assert.equal(a.memTotalBytes, 1_000_000 * 1024);
      assert.equal(a.memUsedBytes, 400_000 * 1024);
      assert.equal(a.memUsedPct, 40);
      // Real filesystems only, one per device, octal escapes decoded.
      assert.deepEqual(a.disks.map((d) => d.mount), ['/', '/data disk']);
      // The processes already running are offered for learning, kernel threads excluded.
      const existing = s.context().existingProcesses;
      assert.deepEqual(existing.map((p) => p.exe), ['/bin/sh'], 'one entry per distinct executable');

      // Five seconds later: CPU moved, disks moved, a new process, new outbound attempts.
      now += 5000;
      writeFileSync(join(root, 'stat'), 'cpu  1600 0 700 8600 100 0 0 0 0 0\nbtime 1700000000\n');
      writeFileSync(join(root, 'diskstats'), ' 254       0 vda 1100 0 22048 0 600 0 44096 0 0 0 0 0 0 0 0 0 0\n');
      writeFileSync(join(root, '1', 'stat'), stat(1, 'systemd', 0, 300, 50, 10, 2000));
      writeFileSync(join(root, 'net', 'snmp'), 'Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails\nTcp: 1 200 120000 -1 130 5 22\n');
      const worm = join(dir, 'worm');
      writeFileSync(worm, 'hello worm');
      mkdirSync(join(root, '200'));
      writeFileSync(join(root, '200', 'stat'), stat(200, 'worm', 100, 20, 5, 10_000_000, 300));
      writeFileSync(join(root, '200', 'status'), 'Name:\tworm\nUid:\t1000\t1000\t1000\t1000\n');
      symlinkSync(worm, join(root, '200', 'exe'));

      const b = await s.sample();
      assert.equal(b.intervalS, 5);
      assert.equal(Math.round(b.cpuPct * 100) / 100, 57.14); // busy 800 of 1400 jiffies
      assert.equal(b.diskReadBps, (2048 * 512) / 5);
      assert.equal(b.diskWriteBps, (4096 * 512) / 5);
      assert.equal(b.diskReadIops, 20);
      assert.equal(b.diskWriteIops, 20);
      assert.equal(b.processCount, 4);
      assert.equal(b.newProcesses.length, 1);
      const w = b.newProcesses[0]!;
      assert.equal(w.pid, 200);
      assert.equal(w.ppid, 100);
      assert.equal(w.name, 'worm');
      assert.equal(w.exe, worm);
      assert.equal(w.user, 'alice');
      assert.equal(w.startedAtMs, 1_700_000_000_000 + 100_000_000); // 10,000,000 ticks after boot
      assert.equal(w.sha256, createHash('sha256').update('hello worm').digest('hex'));
      assert.equal(w.rssBytes, 300 * 4096);
      // Top process by CPU: systemd used 200 ticks of 500 possible.
      assert.equal(b.topProcesses[0]?.pid, 1);
      assert.equal(b.topProcesses[0]?.cpuPct, 40);
      assert.equal(b.topProcesses[0]?.user, 'root');

      assert.equal(b.connCount, 4);
      assert.equal(b.connEstablished, 2);
      assert.equal(b.connOutbound, 3, 'the inbound ssh session is not outbound');
      assert.equal(b.distinctRemoteAddrs, 3);
      assert.equal(b.distinctRemotePorts, 2);
      assert.deepEqual(b.remotePortCounts, [{ protocol: 'tcp', port: 25, count: 2 }, { protocol: 'tcp', port: 443, count: 1 }]);
      assert.deepEqual(b.listening.map((l) => `${l.protocol} ${l.address}:${l.port}`).sort(),
        ['tcp 0.0.0.0:22', 'tcp 127.0.0.1:8080', 'tcp :::80', 'udp 0.0.0.0:53'].sort());
      assert.equal(b.newOutboundAttempts, 30);
      assert.equal(b.failedOutboundAttempts, 12);
      const remotes = s.context().remotes.map((e) => `${e.address}:${e.port} ${e.state}`).sort();
      assert.deepEqual(remotes, ['10.0.0.12:25 ESTABLISHED', '10.0.0.13:25 SYN_SENT', '10.0.0.14:443 TIME_WAIT']);
    } finally {
      s.close();
    }
  });
});

describe('ProcSampler on the real /proc', () => {
  const children: ChildProcess[] = [];
  let server: net.Server | undefined;
  let client: net.Socket | undefined;
  after(() => {
    for (const c of children) c.kill('SIGKILL');
    client?.destroy();
    server?.close();
  });

  it('gives sane host values, sees a child we spawn and a loopback connection we open', async () => {
    // tableMinGapMs 0: our one connect is enough to make the next sample read the socket tables.
    const s = new ProcSampler({ pollMs: 0, tableMinGapMs: 0 });
    try {
      const a = await s.sample();
      assert.ok(a.memTotalBytes > 0 && a.memUsedBytes > 0 && a.memUsedBytes < a.memTotalBytes);
      assert.ok(a.processCount > 1);
      assert.ok(a.disks.length >= 1 && a.disks.every((d) => d.totalBytes >= d.usedBytes));

      const child = spawn('sleep', ['30'], { stdio: 'ignore' });
      children.push(child);
      server = net.createServer((c) => c.on('error', () => undefined));
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
      const port = (server.address() as net.AddressInfo).port;
      client = net.connect(port, '127.0.0.1');
      await new Promise<void>((r, j) => { client!.once('connect', () => r()); client!.once('error', j); });
      await new Promise((r) => setTimeout(r, 100));

      const b = await s.sample();
      assert.ok(b.intervalS > 0);
      assert.ok(b.cpuPct >= 0 && b.cpuPct <= 100);
      const mine = b.newProcesses.find((p) => p.pid === child.pid);
      assert.ok(mine, `the spawned sleep (pid ${child.pid}) is among the new processes`);
      const sleepPath = realpathSync('/usr/bin/sleep');
      assert.equal(mine.exe, sleepPath);
      assert.equal(mine.sha256, createHash('sha256').update(readFileSync(sleepPath)).digest('hex'));
      assert.ok(b.listening.some((l) => l.protocol === 'tcp' && l.port === port), 'our listener is listed');
      assert.ok(b.connOutbound >= 1 && b.connEstablished >= 2);
      assert.ok(s.context().remotes.some((e) => e.address === '127.0.0.1' && e.port === port && e.state === 'ESTABLISHED'));
      assert.ok(b.newOutboundAttempts >= 1, 'the kernel counted our connect');
      const owners = s.context().ownersOfRemotePort(port);
      assert.ok(owners.some((p) => p.pid === process.pid), 'the socket maps back to this process');
    } finally {
      s.close();
    }
  });
});
