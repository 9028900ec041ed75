// ProcSampler against a small fixture /proc tree (exact values) and against
// the real /proc (sane values; a child we spawn and a loopback connection we
// open show up).
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcSampler } from '../../agent/sample/proc-sampler.ts';
import { killAll, spawnOrphan } from './orphan.ts';

const FIXTURE = new URL('../fixtures/proc/basic', import.meta.url).pathname;

/** Pids whose parent is ppid, from /proc. */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const st = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === ppid) out.push(Number(name));
    } catch {
      // exited
    }
  }
  return out;
}
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
  const orphans: number[] = [];
  let server: net.Server | undefined;
  let client: net.Socket | undefined;
  after(() => {
    for (const c of children) c.kill('SIGKILL');
    killAll(orphans);
    client?.destroy();
    server?.close();
  });

  it('gives sane host values, sees a new process and a loopback connection we open', async () => {
    // tableMinGapMs 0: our one connect is enough to make the next sample read the socket tables.
    const s = new ProcSampler({ pollMs: 0, tableMinGapMs: 0 });
    try {
      const a = await s.sample();
      assert.ok(a.memTotalBytes > 0 && a.memUsedBytes > 0 && a.memUsedBytes < a.memTotalBytes);
      assert.ok(a.processCount > 1);
      assert.ok(a.disks.length >= 1 && a.disks.every((d) => d.totalBytes >= d.usedBytes));

      // Not our child: the sampler's own descendants are never new processes (next test).
      const sleeper = spawnOrphan('sleep', ['30']);
      orphans.push(sleeper);
      server = net.createServer((c) => c.on('error', () => undefined));
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
      const port = (server.address() as net.AddressInfo).port;
      client = net.connect(port, '127.0.0.1');
      await new Promise<void>((r, j) => { client!.once('connect', () => r()); client!.once('error', j); });
      await new Promise((r) => setTimeout(r, 100));

      const b = await s.sample();
      assert.ok(b.intervalS > 0);
      assert.ok(b.cpuPct >= 0 && b.cpuPct <= 100);
      const mine = b.newProcesses.find((p) => p.pid === sleeper);
      assert.ok(mine, `the spawned sleep (pid ${sleeper}) is among the new processes`);
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

  it("never reports the agent's own children or grandchildren as new processes (as enforcement's nft would be)", async () => {
    const s = new ProcSampler({ pollMs: 0 });
    try {
      await s.sample();
      const child = spawn('sleep', ['30'], { stdio: 'ignore' });
      // A grandchild through a shell, as `sh -c nft ...` would be ('; true' keeps sh from exec'ing sleep).
      const shell = spawn('sh', ['-c', 'sleep 31; true'], { stdio: 'ignore' });
      children.push(child, shell);
      const stranger = spawnOrphan('sleep', ['32']);
      orphans.push(stranger);
      let grandchild: number | undefined;
      for (let i = 0; i < 100 && grandchild === undefined; i++) {
        grandchild = childrenOf(shell.pid!)[0];
        if (grandchild === undefined) await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(grandchild !== undefined, 'the shell started its sleep');

      const b = await s.sample();
      const pids = b.newProcesses.map((p) => p.pid);
      assert.ok(pids.includes(stranger), 'a process that is not ours is new');
      for (const pid of [child.pid!, shell.pid!, grandchild]) assert.ok(!pids.includes(pid), `our descendant ${pid} is not new`);
    } finally {
      s.close();
    }
  });
});

describe("ProcSampler: the agent's descendants on a fixture /proc", () => {
  it('counts them in processCount but reports only the processes outside its tree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-proc-'));
    const root = join(dir, 'proc');
    cpSync(FIXTURE, root, { recursive: true, verbatimSymlinks: true });
    let now = 1_700_000_100_000;
    // The agent is pid 100 here.
    const s = new ProcSampler({ procRoot: root, passwdPath: join(root, 'passwd'), pollMs: 0, now: () => now, selfPid: 100,
      statfs: async () => ({ totalBytes: 1, usedBytes: 0 }) });
    try {
      assert.equal((await s.sample()).processCount, 3);
      const add = (pid: number, comm: string, ppid: number): void => {
        mkdirSync(join(root, String(pid)));
        writeFileSync(join(root, String(pid), 'stat'), stat(pid, comm, ppid, 1, 1, 20_000 + pid, 100));
        writeFileSync(join(root, String(pid), 'status'), 'Uid:\t0\t0\t0\t0\n');
        symlinkSync('/bin/sh', join(root, String(pid), 'exe'));
      };
      add(300, 'sh', 100); // the agent's child
      add(290, 'nft', 300); // its grandchild (a lower pid: read before its parent)
      add(310, 'cron', 1); // someone else's
      add(311, 'job', 310);
      now += 5000;
      const b = await s.sample();
      assert.equal(b.processCount, 7, 'every process counts');
      assert.deepEqual(b.newProcesses.map((p) => p.pid).sort(), [310, 311]);
    } finally {
      s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ProcSampler: what a calm sample skips, and what makes it read again', () => {
  let dir: string;
  let root: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fb-proc-'));
    root = join(dir, 'proc');
    cpSync(FIXTURE, root, { recursive: true, verbatimSymlinks: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const hostStat = (busy: number, idle: number): string => `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0\nbtime 1700000000\n`;
  const addProc = (pid: number, comm: string, ticks: number): void => {
    mkdirSync(join(root, String(pid)), { recursive: true });
    writeFileSync(join(root, String(pid), 'stat'), stat(pid, comm, 1, ticks, 0, 500 + pid, 100));
    writeFileSync(join(root, String(pid), 'status'), 'Name:\tx\nUid:\t0\t0\t0\t0\n');
  };

  it('skips idle processes between their turns, reads new ones at once, and every process when the busy cores jump', async () => {
    let now = 1_700_000_100_000;
    for (let pid = 1000; pid < 1030; pid++) addProc(pid, `idle${pid}`, 7);
    writeFileSync(join(root, 'stat'), hostStat(1000, 9000));
    const s = new ProcSampler({ procRoot: root, passwdPath: join(root, 'passwd'), pollMs: 0, now: () => now, idleEvery: 6,
      statfs: async () => ({ totalBytes: 1, usedBytes: 0 }), maxKeptFds: 0 });
    try {
      await s.sample();
      // Host CPU moves by 0.1 core per sample: calm.
      let busy = 1000;
      let idle = 9000;
      const calm = async () => {
        now += 5000;
        busy += 50;
        idle += 950;
        writeFileSync(join(root, 'stat'), hostStat(busy, idle));
        const before = s.pidReads;
        const out = await s.sample();
        return { out, reads: s.pidReads - before };
      };
      await calm(); // every process is read once more: which ones are idle is learned here
      const c = await calm();
      assert.equal(c.out.processCount, 33, 'skipped processes still count');
      assert.ok(c.reads < 15, `a calm sample reads few of the 33 processes (read ${c.reads})`);

      // A new process is read (and reported) at once.
      addProc(2000, 'newcomer', 0);
      const n = await calm();
      assert.deepEqual(n.out.newProcesses.map((p) => p.pid), [2000]);

      // An idle process wakes up and burns a core: the host's busy cores jump by 1, so every process is read.
      now += 5000;
      busy += 550;
      idle += 450;
      writeFileSync(join(root, 'stat'), hostStat(busy, idle));
      writeFileSync(join(root, '1017', 'stat'), stat(1017, 'idle1017', 1, 7 + 500, 0, 1517, 100));
      const before = s.pidReads;
      const j = await s.sample();
      assert.equal(s.pidReads - before, 34, 'all 34 processes read');
      assert.equal(j.topProcesses[0]?.pid, 1017, 'the process that woke up is named');
      // Its ticks are averaged over the time since its last read (it was skipped once): 500 ticks in 10 s.
      assert.equal(j.topProcesses[0]?.cpuPct, 50);
      // From now on it is read every sample: its own rate.
      now += 5000;
      busy += 550;
      idle += 450;
      writeFileSync(join(root, 'stat'), hostStat(busy, idle));
      writeFileSync(join(root, '1017', 'stat'), stat(1017, 'idle1017', 1, 7 + 1000, 0, 1517, 100));
      const k = await s.sample();
      assert.equal(k.topProcesses[0]?.pid, 1017);
      assert.equal(k.topProcesses[0]?.cpuPct, 100);
    } finally {
      s.close();
    }
  });

  it('leaves the socket tables unread while the kernel socket counters stand still, and reads them when they move', async () => {
    let now = 1_700_000_100_000;
    const sockstat = (inuse: number): void => writeFileSync(join(root, 'net', 'sockstat'), `sockets: used 9\nTCP: inuse ${inuse} orphan 0 tw 0 alloc ${inuse} mem 3\nUDP: inuse 1 mem 0\n`);
    sockstat(6);
    const s = new ProcSampler({ procRoot: root, passwdPath: join(root, 'passwd'), pollMs: 0, now: () => now,
      tableMaxAgeMs: 10_000, tableMaxIdleMs: 120_000, statfs: async () => ({ totalBytes: 1, usedBytes: 0 }) });
    try {
      await s.sample();
      assert.equal(s.tableReads, 1);
      // 20 s later, past the 10 s age, nothing opened, accepted or closed: the last figures stand.
      now += 20_000;
      writeFileSync(join(root, 'net', 'sockstat'), readFileSync(join(root, 'net', 'sockstat'), 'utf8').replace('mem 3', 'mem 40'));
      const quiet = await s.sample();
      assert.equal(s.tableReads, 1, 'not read again: only socket memory moved');
      assert.equal(quiet.connCount, 4);

      // A new listener appears: TCP inuse moves, the next sample reads the tables and lists it.
      const tcp = readFileSync(join(root, 'net', 'tcp'), 'utf8');
      writeFileSync(join(root, 'net', 'tcp'), `${tcp}   6: 00000000:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1006 1 0000000000000000 100 0 0 10 0\n`);
      sockstat(7);
      now += 5000;
      const moved = await s.sample();
      assert.equal(s.tableReads, 2);
      assert.ok(moved.listening.some((l) => l.port === 3000), 'the new listener on port 3000 is listed');

      // Still: read once tableMaxIdleMs passed, however quiet.
      now += 120_000;
      await s.sample();
      assert.equal(s.tableReads, 3);
    } finally {
      s.close();
    }
  });
});
