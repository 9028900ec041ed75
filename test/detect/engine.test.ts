// DetectorEngine on deterministic synthetic series: fires on spikes, stays
// silent on noise, drift and a daily ramp, respects warm-up and sustain,
// coalesces repeats, clears, and keeps what it learned across a restart.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptySample, type Sample } from '../../agent/sample/sampler.ts';
import { DetectorEngine, type ObserveContext } from '../../agent/detect/engine.ts';
import { DetectorConfigSchema, detectorConfig } from '../../agent/detect/config.ts';
import type { Anomaly } from '../../agent/detect/detector.ts';
import type { ProcessInfo__Output } from '../../proto/wire.ts';

/** Deterministic noise in [-1, 1). */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 31 - 1;
  };
}

const MB = 1024 * 1024;
let clock = 0;
function sample(over: Partial<Sample> = {}): Sample {
  clock += 5000;
  return {
    ...emptySample(clock), intervalS: 5, cpuPct: 10, memUsedPct: 30, processCount: 200, distinctRemoteAddrs: 3,
    disks: [{ mount: '/', totalBytes: 100e9, usedBytes: 40e9 }], ...over,
  };
}

function feed(e: DetectorEngine, n: number, gen: (i: number) => Partial<Sample>, ctx?: ObserveContext): Anomaly[] {
  const out: Anomaly[] = [];
  for (let i = 0; i < n; i++) out.push(...e.observe(sample(gen(i)), ctx));
  return out;
}

function proc(pid: number, exe: string, sha256 = ''): ProcessInfo__Output {
  return { pid, ppid: 1, name: exe.split('/').pop() ?? '', exe, user: 'root', startedAtMs: 0, cpuPct: 0, rssBytes: 0, sha256 };
}

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe('DetectorEngine metrics', () => {
  it('fires cpu.spike on a spike with evidence, and nothing before', () => {
    const e = new DetectorEngine({ config: detectorConfig() });
    const r = rng(1);
    assert.deepEqual(feed(e, 40, () => ({ cpuPct: 10 + 3 * r() })), []);
    const top = [proc(4242, '/usr/bin/burn')];
    const ev = e.observe(sample({ cpuPct: 85, topProcesses: top }));
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.signature, 'cpu.spike');
    assert.equal(ev[0]!.kind, 'CPU');
    assert.equal(ev[0]!.value, 85);
    assert.ok(ev[0]!.baseline > 5 && ev[0]!.baseline < 15);
    assert.ok(ev[0]!.score >= 6);
    assert.equal(ev[0]!.count, 1);
    assert.equal(ev[0]!.evidence?.processes[0]?.pid, 4242);
  });

  it('stays silent on noise, slow drift and a daily load ramp', () => {
    const r = rng(2);
    const noise = new DetectorEngine({ config: detectorConfig() });
    assert.deepEqual(feed(noise, 2000, () => ({ cpuPct: 30 + 10 * r(), memUsedPct: 50 + 3 * r(), processCount: 300 + Math.round(10 * r()),
      diskWriteBps: 5 * MB + 4 * MB * r(), distinctRemoteAddrs: 20 + Math.round(8 * r()) })), []);

    const drift = new DetectorEngine({ config: detectorConfig() });
    // CPU 10% → 70%, memory 30% → 80%, processes 200 → 500 over ~40 minutes.
    assert.deepEqual(feed(drift, 500, (i) => ({ cpuPct: 10 + 0.12 * i + 3 * r(), memUsedPct: 30 + 0.1 * i + r(),
      processCount: 200 + Math.round(0.6 * i) })), []);

    const daily = new DetectorEngine({ config: detectorConfig() });
    // One day at 5 s: night 5%, afternoon peak 75%, with noise; disk fills by 2 GB over the day.
    const day = 17280;
    assert.deepEqual(feed(daily, day, (i) => {
      const load = (1 - Math.cos((2 * Math.PI * i) / day)) / 2;
      return { cpuPct: 5 + 70 * load + 4 * r(), memUsedPct: 40 + 20 * load + r(), processCount: 250 + Math.round(100 * load),
        distinctRemoteAddrs: 10 + Math.round(150 * load + 5 * r()), newOutboundAttempts: Math.round(200 * load),
        disks: [{ mount: '/', totalBytes: 100e9, usedBytes: 40e9 + i * 120_000 }] };
    }), []);
  });

  it('respects warm-up: a spike while learning is not an anomaly', () => {
    const e = new DetectorEngine({ config: detectorConfig({ warmup: 12 }) });
    assert.deepEqual(feed(e, 5, () => ({ cpuPct: 10 })), []);
    assert.deepEqual(e.observe(sample({ cpuPct: 95 })), []);
  });

  it('respects sustain: a moderate rise fires on its second sample, one blip never', () => {
    const e = new DetectorEngine({ config: detectorConfig() });
    const r = rng(3);
    feed(e, 40, () => ({ cpuPct: 10 + r() }));
    // +30 points: above the 25 floor, below the strong 37.5 that skips sustain.
    assert.deepEqual(e.observe(sample({ cpuPct: 40 })), [], 'one blip');
    assert.deepEqual(feed(e, 3, () => ({ cpuPct: 10 })), []);
    assert.deepEqual(e.observe(sample({ cpuPct: 40 })), []);
    const second = e.observe(sample({ cpuPct: 41 }));
    assert.deepEqual(second.map((a) => a.signature), ['cpu.spike']);
  });

  it('keeps an absolute floor: 1% → 3% CPU is not an anomaly however flat the baseline', () => {
    const e = new DetectorEngine({ config: detectorConfig() });
    feed(e, 50, () => ({ cpuPct: 1 }));
    assert.deepEqual(feed(e, 5, () => ({ cpuPct: 3 })), []);
  });

  it('coalesces a lasting anomaly: one event, repeats with a count, then cleared', () => {
    const e = new DetectorEngine({ config: detectorConfig({ repeatEvery: 4, clearAfter: 2 }) });
    feed(e, 30, () => ({ cpuPct: 10 }));
    const during = feed(e, 9, () => ({ cpuPct: 90 }));
    assert.deepEqual(during.map((a) => [a.signature, a.count, a.cleared]), [
      ['cpu.spike', 1, false], // starts
      ['cpu.spike', 4, false], // four repeats later
      ['cpu.spike', 4, false],
    ]);
    const end = feed(e, 3, () => ({ cpuPct: 10 }));
    assert.deepEqual(end.map((a) => [a.signature, a.cleared]), [['cpu.spike', true]]);
    // It can start again afterwards.
    assert.equal(e.observe(sample({ cpuPct: 90 }))[0]?.count, 1);
  });

  it('sees disk usage jumps and drops (disk.usage), and disk write bursts (disk.io)', () => {
    const e = new DetectorEngine({ config: detectorConfig() });
    let used = 40e9;
    const r = rng(4);
    feed(e, 30, () => ({ diskWriteBps: 2 * MB + MB * r(), disks: [{ mount: '/', totalBytes: 100e9, usedBytes: (used += 1e6) }] }));
    const fill = e.observe(sample({ diskWriteBps: 120 * MB, disks: [{ mount: '/', totalBytes: 100e9, usedBytes: (used += 500 * MB) }] }));
    assert.deepEqual(fill.map((a) => a.signature).sort(), ['disk.io', 'disk.usage']);
    const du = fill.find((a) => a.signature === 'disk.usage')!;
    assert.equal(du.kind, 'DISK_USAGE');
    assert.equal(du.value, 500 * MB);
    assert.match(du.evidence?.detail ?? '', /^\/: \+500 MB/);
    feed(e, 3, () => ({ diskWriteBps: 2 * MB, disks: [{ mount: '/', totalBytes: 100e9, usedBytes: used }] }));
    const del = e.observe(sample({ disks: [{ mount: '/', totalBytes: 100e9, usedBytes: (used -= 500 * MB) }] }));
    assert.deepEqual(del.filter((a) => !a.cleared).map((a) => [a.signature, a.value]), [['disk.usage', -500 * MB]]);
  });

  it('sees a 500 MB fill that straddles two samples (250 MB in each) as one disk.usage change', () => {
    const e = new DetectorEngine({ config: detectorConfig() });
    let used = 40e9;
    feed(e, 30, () => ({ disks: [{ mount: '/', totalBytes: 100e9, usedBytes: (used += 1e6) }] }));
    const first = e.observe(sample({ disks: [{ mount: '/', totalBytes: 100e9, usedBytes: (used += 250 * MB) }] }));
    assert.equal(first.filter((a) => a.signature === 'disk.usage').length, 0, '250 MB alone is under the floor');
    const second = e.observe(sample({ disks: [{ mount: '/', totalBytes: 100e9, usedBytes: (used += 250 * MB) }] }));
    const du = second.find((a) => a.signature === 'disk.usage');
    assert.ok(du, 'the two halves make one 500 MB change');
    assert.equal(du.value, 500 * MB);
    assert.match(du.evidence?.detail ?? '', /\+500 MB in two samples/);
  });
});

describe('DetectorEngine executables, ports and fan-out', () => {
  const learned = (config = {}): DetectorEngine => {
    const e = new DetectorEngine({ config: detectorConfig({ learningSamples: 3, ...config }) });
    feed(e, 20, () => ({}));
    return e;
  };

  it('reports a new executable by content hash, higher from a world-writable dir, once', () => {
    const e = learned();
    const ev = e.observe(sample({ newProcesses: [proc(10, '/tmp/.x/kworker', 'ab'.repeat(32)), proc(11, '/tmp/.x/kworker', 'ab'.repeat(32))] }));
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.signature, `proc.new/sha256:${'ab'.repeat(32)}`);
    assert.equal(ev[0]!.kind, 'PROCESS_NEW');
    assert.equal(ev[0]!.score, 3);
    assert.equal(ev[0]!.value, 2);
    assert.equal(ev[0]!.evidence?.processes.length, 2);
    // The same content under another name is the same executable: known now.
    assert.deepEqual(e.observe(sample({ newProcesses: [proc(12, '/var/tmp/other', 'ab'.repeat(32))] })).filter((a) => !a.cleared), []);
    const normal = e.observe(sample({ newProcesses: [proc(13, '/opt/app/bin/app', 'cd'.repeat(32))] }));
    assert.equal(normal[0]?.score, 1);
    const unreadable = e.observe(sample({ newProcesses: [proc(14, '/opt/secret/bin')] }));
    assert.equal(unreadable[0]?.signature, 'proc.new/path:/opt/secret/bin');
  });

  it('reports a new script by its hash with its interpreter named, and a new interpreter binary on its own', () => {
    const e = learned();
    const node = proc(0, '/usr/bin/node', 'aa'.repeat(32));
    e.observe(sample(), { existingProcesses: [node] });
    const script = (pid: number, path: string, interp = node): [ProcessInfo__Output, [number, ProcessInfo__Output]] =>
      [{ ...proc(pid, path, 'bb'.repeat(32)), name: 'node' }, [pid, { ...interp, pid }]];
    const [a, ai] = script(20, '/home/u/.cache-x/.abc');
    const [b, bi] = script(21, '/srv/.q');
    const ev = e.observe(sample({ newProcesses: [a, b] }), { interpreters: new Map([ai, bi]) });
    assert.deepEqual(ev.map((x) => [x.signature, x.value, x.score]), [[`proc.new/sha256:${'bb'.repeat(32)}`, 2, 3]], 'hidden: the higher score');
    assert.equal(ev[0]!.evidence?.detail, 'new script /home/u/.cache-x/.abc run by /usr/bin/node (hidden)');
    // A known script under a fake "python3" binary: the binary is the news.
    const fake = proc(0, '/tmp/python3', 'cc'.repeat(32));
    const [c, ci] = script(22, '/opt/job.py', fake);
    const ev2 = e.observe(sample({ newProcesses: [c] }), { interpreters: new Map([ci]) });
    assert.deepEqual(ev2.filter((x) => !x.cleared).map((x) => [x.signature, x.score, x.evidence?.detail]),
      [[`proc.new/sha256:${'cc'.repeat(32)}`, 3, 'new executable /tmp/python3 (in a world-writable directory)']]);
  });

  it('learns first: executables, ports and listeners seen in the learning period raise nothing later', () => {
    const e = new DetectorEngine({ config: detectorConfig({ learningSamples: 5 }) });
    const ctx: ObserveContext = { existingProcesses: [proc(1, '/usr/sbin/sshd', 'ee'.repeat(32))],
      remotes: [{ address: '10.0.0.9', port: 5432, protocol: 'tcp', state: 'ESTABLISHED' }] };
    const ev = e.observe(sample({ newProcesses: [proc(20, '/usr/bin/cron', 'ff'.repeat(32))],
      listening: [{ address: '0.0.0.0', port: 22, protocol: 'tcp', state: 'LISTEN' }] }), ctx);
    assert.deepEqual(ev, []);
    feed(e, 10, () => ({}));
    const later = e.observe(sample({ newProcesses: [proc(30, '/usr/sbin/sshd', 'ee'.repeat(32)), proc(31, '/usr/bin/cron', 'ff'.repeat(32))],
      listening: [{ address: '0.0.0.0', port: 22, protocol: 'tcp', state: 'LISTEN' }] }),
    { remotes: [{ address: '10.0.0.9', port: 5432, protocol: 'tcp', state: 'ESTABLISHED' }] });
    assert.deepEqual(later, []);
  });

  it('reports a new outbound port and a new listener, not loopback or ephemeral ones', () => {
    const e = learned();
    const ev = e.observe(sample({ listening: [
      { address: '0.0.0.0', port: 4444, protocol: 'tcp', state: 'LISTEN' },
      { address: '127.0.0.1', port: 5555, protocol: 'tcp', state: 'LISTEN' },
    ] }), { remotes: [
      { address: '10.1.2.3', port: 25, protocol: 'tcp', state: 'SYN_SENT' },
      { address: '127.0.0.1', port: 6000, protocol: 'tcp', state: 'ESTABLISHED' },
      { address: '10.1.2.4', port: 45000, protocol: 'tcp', state: 'ESTABLISHED' },
    ] });
    assert.deepEqual(ev.map((a) => [a.kind, a.signature]).sort(), [
      ['CONN_NEW_PORT', 'conn.new-port/tcp:25'], ['LISTEN_NEW', 'listen.new/tcp:4444'],
    ]);
    assert.equal(ev.find((a) => a.kind === 'CONN_NEW_PORT')?.evidence?.remotes[0]?.address, '10.1.2.3');
  });

  it('reports a burst of new remote ports (a port scan) as one conn.new-port/tcp:many event, and learns them', () => {
    const e = learned();
    const ep = (port: number, host = 7) => ({ address: `10.0.0.${host}`, port, protocol: 'tcp', state: 'SYN_SENT' });
    const scan = Array.from({ length: 63 }, (_, i) => ep(1000 + i));
    scan.push(ep(1022, 8)); // a port hit twice: the busiest, whose owners are the evidence
    const asked: number[] = [];
    const ev = e.observe(sample(), { remotes: scan, ownersOfRemotePort: (port) => { asked.push(port); return [proc(77, '/usr/bin/nmap')]; } });
    assert.deepEqual(ev.map((a) => [a.kind, a.signature, a.value]), [['CONN_NEW_PORT', 'conn.new-port/tcp:many', 63]]);
    assert.deepEqual(asked, [1022]);
    assert.equal(ev[0]!.evidence?.processes[0]?.pid, 77);
    assert.deepEqual(ev[0]!.evidence?.remotes.map((r) => r.port), Array.from({ length: 10 }, (_, i) => 1000 + i), 'one endpoint per port, bounded');
    assert.match(ev[0]!.evidence?.detail ?? '', /63 new remote ports .*: 1000, 1001, .*, 1062$/);
    // The controller accepts the signature.
    assert.match('conn.new-port/tcp:many', /^[a-z][a-z0-9.-]*(\/[A-Za-z0-9:._\/+@-]+)?$/);
    // Learned: the same ports again raise nothing new (only the burst's clear).
    assert.deepEqual(e.observe(sample(), { remotes: scan }).filter((a) => !a.cleared), []);
    // A few new ports (up to the threshold) still each get their own event: a worm's port 25 stays visible.
    const few = e.observe(sample(), { remotes: [ep(25), ...Array.from({ length: 7 }, (_, i) => ep(100 + i))] });
    assert.equal(few.filter((a) => !a.cleared).length, 8);
    assert.ok(few.some((a) => a.signature === 'conn.new-port/tcp:25'));
    // The threshold is the config's.
    const strict = learned({ newPort: { burst: 2 } });
    assert.deepEqual(strict.observe(sample(), { remotes: [ep(25), ep(26), ep(27)] }).map((a) => [a.signature, a.value]), [['conn.new-port/tcp:many', 3]]);
  });

  it('reports fan-out with the dominant new remote port and bounded evidence', () => {
    const e = learned();
    const r = rng(5);
    feed(e, 30, () => ({ distinctRemoteAddrs: 4 + Math.round(2 * r()), newOutboundAttempts: 3 }));
    const remotes = Array.from({ length: 300 }, (_, i) => ({ address: `10.9.${i >> 8}.${i & 255}`, port: 25, protocol: 'tcp', state: 'SYN_SENT' }));
    const ev = e.observe(sample({ distinctRemoteAddrs: 300, newOutboundAttempts: 300, failedOutboundAttempts: 150 }),
      { remotes, newRemotePorts: new Map([[25, 300], [443, 2]]), ownersOfRemotePort: () => [proc(666, '/tmp/w', 'aa'.repeat(32))] });
    const fan = ev.find((a) => a.kind === 'CONN_FANOUT');
    assert.ok(fan, JSON.stringify(ev.map((a) => a.signature)));
    assert.equal(fan.signature, 'conn.fanout/tcp:25');
    assert.equal(fan.value, 300);
    assert.ok((fan.evidence?.remotes.length ?? 0) <= 10 && (fan.evidence?.remotes.length ?? 0) > 0);
    assert.equal(fan.evidence?.processes[0]?.pid, 666);
  });

  it('reports a scan of closed ports by its failed attempts (TRW) even with few remotes in the tables', () => {
    const e = learned();
    feed(e, 30, () => ({ newOutboundAttempts: 5, failedOutboundAttempts: 0 }));
    // 40 refused attempts and nothing established: below the failed-attempts floor, but the walk crosses.
    const ev = e.observe(sample({ newOutboundAttempts: 40, failedOutboundAttempts: 40 }));
    assert.deepEqual(ev.map((a) => a.signature), ['conn.fanout/tcp:0']);
    assert.match(ev[0]!.evidence?.detail ?? '', /40 failed/);
    // A service retrying one dead peer (few failures) stays quiet.
    const calm = learned();
    feed(calm, 30, () => ({ newOutboundAttempts: 5, failedOutboundAttempts: 0 }));
    assert.deepEqual(feed(calm, 50, () => ({ newOutboundAttempts: 5, failedOutboundAttempts: 5 })), []);
  });
});

describe('DetectorEngine persistence and config', () => {
  it('survives a restart: baselines, known executables and the learning period', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fb-detect-'));
    dirs.push(dir);
    const a = new DetectorEngine({ dataDir: dir, config: detectorConfig() });
    const r = rng(6);
    feed(a, 30, () => ({ cpuPct: 10 + 2 * r() }), { existingProcesses: [proc(1, '/usr/sbin/sshd', 'ee'.repeat(32))] });
    a.observe(sample({ newProcesses: [proc(50, '/opt/tool', '12'.repeat(32))] }));
    a.save();

    const b = new DetectorEngine({ dataDir: dir, config: detectorConfig() });
    assert.equal(b.sampleCount, 31);
    // Warm at once: the first sample after the restart can fire.
    const ev = b.observe(sample({ cpuPct: 90, newProcesses: [proc(51, '/opt/tool', '12'.repeat(32)), proc(52, '/usr/sbin/sshd', 'ee'.repeat(32))] }));
    assert.deepEqual(ev.map((x) => x.signature), ['cpu.spike']);
    const freshDir = mkdtempSync(join(tmpdir(), 'fb-detect-'));
    dirs.push(freshDir);
    const fresh = new DetectorEngine({ dataDir: freshDir, config: detectorConfig() });
    assert.equal(fresh.sampleCount, 0);
  });

  it('has a zod schema with defaults the agent config can embed', () => {
    const d = DetectorConfigSchema.parse({});
    assert.equal(d.warmup, 12);
    assert.equal(d.cpu.floor, 25);
    assert.equal(d.cpu.sustain, 2);
    assert.equal(d.newPort.maxPort, 32767);
    const o = DetectorConfigSchema.parse({ cpu: { floor: 40 } });
    assert.equal(o.cpu.floor, 40);
    assert.equal(o.cpu.z, 6);
    assert.throws(() => DetectorConfigSchema.parse({ alpha: 2 }));
  });
});
