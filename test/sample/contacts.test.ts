// Contact tracing: the tracker alone (first seen once, again after the window,
// bounded with a dropped count, loopback left out), the socket tables of a
// fixture /proc (both directions), and the kernel counting sampler's sets
// (parsed times, merged with the tables', read for inbound traffic too).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Contact__Output } from '../../proto/wire.ts';
import { ContactTracker } from '../../agent/sample/contacts.ts';
import { OnsetContacts } from '../../agent/sample/onset-contacts.ts';
import type { Anomaly } from '../../agent/detect/detector.ts';
import { KernelCountingSampler, parseCountTable, renderCountTable, type CountReader, type KernelCounts } from '../../agent/sample/kernel-count.ts';
import { ProcSampler, type SampleContext } from '../../agent/sample/proc-sampler.ts';
import type { TcpCounters } from '../../agent/sample/procfs.ts';
import { emptySample, type Sample } from '../../agent/sample/sampler.ts';

const FIXTURE = new URL('../fixtures/proc/basic', import.meta.url).pathname;
const MIN = 60_000;
const names = (list: Contact__Output[]): string[] => list.map((c) => `${c.direction} ${c.remoteAddress} ${c.port}`).sort();

describe('ContactTracker', () => {
  it('reports a contact once, not while it keeps being seen, and again after an absence longer than the window', () => {
    const t = new ContactTracker({ windowMs: 10 * MIN });
    let now = 1_000_000;
    assert.equal(t.see('OUT', 'tcp', '10.0.0.2', 25, now), true);
    assert.equal(t.see('OUT', 'tcp', '10.0.0.2', 25, now), false, 'a second socket to the same place in the same sample');
    assert.deepEqual(t.take(), { contacts: [{ direction: 'OUT', protocol: 'tcp', remoteAddress: '10.0.0.2', port: 25, firstSeenMs: now }], dropped: 0 });
    // A long-lived connection seen every minute for half an hour: never news again.
    for (let i = 0; i < 30; i++) {
      now += MIN;
      assert.equal(t.see('OUT', 'tcp', '10.0.0.2', 25, now), false, `still the same contact after ${i + 1} min`);
    }
    assert.deepEqual(t.take(), { contacts: [], dropped: 0 });
    // The same address on another port, or from the other direction, is another contact.
    assert.equal(t.see('OUT', 'tcp', '10.0.0.2', 587, now), true);
    assert.equal(t.see('IN', 'tcp', '10.0.0.2', 25, now), true);
    t.take();
    // Gone for 11 minutes, then back: reported again, with its new first-seen time.
    now += 11 * MIN;
    assert.equal(t.see('OUT', 'tcp', '10.0.0.2', 25, now, now - 300), true);
    assert.deepEqual(t.take().contacts, [{ direction: 'OUT', protocol: 'tcp', remoteAddress: '10.0.0.2', port: 25, firstSeenMs: now - 300 }]);
    // Back after 9 minutes only: not news.
    now += 9 * MIN;
    assert.equal(t.see('OUT', 'tcp', '10.0.0.2', 587, now), true, '587 was last seen 20 min ago');
    assert.equal(t.see('OUT', 'tcp', '10.0.0.2', 25, now), false, '25 was seen 9 min ago');
  });

  it('lists at most maxPerDirection per direction per take and counts the rest as dropped, once', () => {
    const t = new ContactTracker({ maxPerDirection: 64 });
    for (let i = 0; i < 100; i++) t.see('OUT', 'tcp', `10.1.${i >> 8}.${i & 255}`, 445, 5000);
    for (let i = 0; i < 10; i++) t.see('IN', 'tcp', `10.2.0.${i}`, 22, 5000);
    const a = t.take();
    assert.equal(a.contacts.filter((c) => c.direction === 'OUT').length, 64);
    assert.equal(a.contacts.filter((c) => c.direction === 'IN').length, 10, 'the outbound flood leaves inbound room');
    assert.equal(a.dropped, 36);
    // The dropped ones were seen: the next sample does not list them as new.
    for (let i = 0; i < 100; i++) t.see('OUT', 'tcp', `10.1.${i >> 8}.${i & 255}`, 445, 10_000);
    assert.deepEqual(t.take(), { contacts: [], dropped: 0 });
  });

  it('remembers at most maxRemembered contacts, forgetting the least recently seen', () => {
    const t = new ContactTracker({ maxRemembered: 3 });
    for (const [i, a] of ['10.0.0.1', '10.0.0.2', '10.0.0.3'].entries()) t.see('OUT', 'tcp', a, 80, 1000 + i);
    t.see('OUT', 'tcp', '10.0.0.1', 80, 2000); // seen again: now the most recent
    t.see('OUT', 'tcp', '10.0.0.4', 80, 2001); // pushes out 10.0.0.2
    assert.equal(t.remembered, 3);
    t.take();
    assert.equal(t.see('OUT', 'tcp', '10.0.0.1', 80, 2002), false);
    assert.equal(t.see('OUT', 'tcp', '10.0.0.2', 80, 2003), true, 'forgotten, so new again');
  });

  it('leaves out loopback and unspecified addresses, and remembers without reporting when asked', () => {
    const t = new ContactTracker();
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1', '0.0.0.0', '::']) {
      assert.equal(t.see('IN', 'tcp', a, 22, 1000), false, a);
    }
    assert.equal(t.see('OUT', 'tcp', '192.0.2.7', 443, 1000, 1000, false), true);
    assert.deepEqual(t.take(), { contacts: [], dropped: 0 });
    assert.equal(t.see('OUT', 'tcp', '192.0.2.7', 443, 2000), false, 'primed: already known');
    assert.equal(t.remembered, 1);
  });
});

// Fixture rows. IPv4 addresses are little-endian hex words; IPv6 four of them.
const row = (sl: number, local: string, remote: string, st: string, inode: number): string =>
  `  ${sl}: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000     0        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;
const snmp = (activeOpens: number, passiveOpens: number): string =>
  'Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n'
  + `Tcp: 1 200 120000 -1 ${activeOpens} ${passiveOpens} 10 0 2 1000 1000 0 0 0 0\n`;

describe('inbound contacts re-sent at an onset', () => {
  const event = (signature: string, at: number, cleared = false): Anomaly => ({
    kind: 'PROCESS_NEW', signature, observedAtMs: at, value: 1, baseline: 0, score: 9, count: 1, cleared,
    evidence: { processes: [], remotes: [], detail: '' },
  });
  // A scanner that reached this host once without effect, then came back 40 s later
  // and infected it: the first time alone would make the graph pick a later intruder.
  function scannerThenOnset() {
    const tracker = new ContactTracker();
    const t0 = 5_000_000;
    tracker.see('IN', 'tcp', '10.0.0.7', 445, t0);
    tracker.see('IN', 'tcp', '10.0.0.9', 22, t0 + 1_000);
    tracker.take();
    tracker.see('IN', 'tcp', '10.0.0.7', 445, t0 + 40_000);   // the repeat that carried it: not first-seen
    tracker.see('IN', 'tcp', '10.0.0.8', 445, t0 + 42_000);   // first-seen, already in the sample
    const sample: Sample = { ...emptySample(t0 + 45_000), contactsTracked: true, contacts: tracker.take().contacts };
    const sampler = { sample: async () => sample, recentContacts: tracker.recent.bind(tracker) };
    return { tracker, sample, sampler, t0 };
  }

  it('adds the recent inbound contacts with their latest times when a signature starts, none listed twice', () => {
    const { sample, sampler, t0 } = scannerThenOnset();
    assert.deepEqual(names(sample.contacts), ['IN 10.0.0.8 445'], 'the tracker alone reports only first-seen contacts');
    const onset = new OnsetContacts(sampler, 30_000);
    assert.equal(onset.add(sample, [event('proc.new/sha256:ab', t0 + 45_000)]), 1);
    assert.deepEqual(names(sample.contacts), ['IN 10.0.0.7 445', 'IN 10.0.0.8 445'], 'the repeat within the lookback, not the one from 44 s before');
    assert.equal(sample.contacts.find((c) => c.remoteAddress === '10.0.0.7')!.firstSeenMs, t0 + 40_000, 'stamped with its latest connection');
  });

  it('adds nothing while a signature goes on, after it cleared only at its next start, or within a full bound', () => {
    const { sample, sampler, t0 } = scannerThenOnset();
    const onset = new OnsetContacts(sampler, 30_000);
    onset.add({ ...sample, contacts: [] }, [event('cpu.spike', t0)]);
    assert.equal(onset.add(sample, [event('cpu.spike', t0 + 45_000)]), 0, 'a repeat of an active signature');
    assert.equal(onset.add(sample, [event('cpu.spike', t0 + 45_000, true)]), 0, 'a clear');
    assert.equal(onset.add({ ...sample, contacts: [] }, [event('cpu.spike', t0 + 45_000)]), 2, 'the same signature starting again');
    assert.equal(onset.add({ ...sample, contactsTracked: false, contacts: [] }, [event('disk.write', t0 + 45_000)]), 0, 'a sampler not tracing contacts');
    const full = new OnsetContacts(sampler, 30_000, 1);
    assert.equal(full.add(sample, [event('proc.new/x', t0 + 45_000)]), 0, 'the sample already lists the bound');
  });
});

describe('contacts from the socket tables of a fixture /proc', () => {
  let dir: string;
  let root: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'fb-contacts-'));
    root = join(dir, 'proc');
    cpSync(FIXTURE, root, { recursive: true, verbatimSymlinks: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reports new inbound (to a listening port) and outbound (to the remote port) connections once, loopback left out', async () => {
    let now = 1_700_000_100_000;
    // tableMinGapMs 0: each new outbound attempt (ActiveOpens) makes the next sample read the tables.
    const s = new ProcSampler({ procRoot: root, passwdPath: join(root, 'passwd'), pollMs: 0, now: () => now, tableMinGapMs: 0,
      statfs: async () => ({ totalBytes: 1, usedBytes: 0 }), contactWindowMs: 15 * MIN, tableMaxAgeMs: MIN, tableMaxIdleMs: 5 * MIN });
    try {
      // The first sample only learns what was open before: the fixture's ssh session in, three connections out.
      const a = await s.sample();
      assert.equal(a.contactsTracked, true);
      assert.deepEqual(a.contacts, []);
      assert.equal(a.contactsDropped, 0);

      // New: an inbound ssh session from 10.0.0.20 (ESTABLISHED), an inbound web request over
      // IPv6 to :::80 from 2001:db8::5 already closing (TIME_WAIT on our side), a SYN_RECV
      // to 22 from 10.0.0.21, an outbound submission to 10.0.0.30:587, and on loopback
      // a client of our 8080 listener (both its ends): no contact.
      appendFileSync(join(root, 'net', 'tcp'), row(6, '0A00000A:0016', '1400000A:E001', '01', 2001)
        + row(7, '0A00000A:0016', '1500000A:E002', '03', 0)
        + row(8, '0A00000A:C35A', '1E00000A:024B', '01', 2002)
        + row(9, '0100007F:C35B', '0100007F:1F90', '01', 2003)
        + row(10, '0100007F:1F90', '0100007F:C35B', '01', 2004));
      appendFileSync(join(root, 'net', 'tcp6'), row(1, '0000000000000000000000000A00000A:0050', 'B80D0120000000000000000005000000:D001', '06', 0));
      writeFileSync(join(root, 'net', 'snmp'), snmp(103, 7));
      now += 5000;
      const b = await s.sample();
      assert.equal(s.tableReads, 2);
      assert.deepEqual(names(b.contacts), ['IN 10.0.0.20 22', 'IN 10.0.0.21 22', 'IN 2001:db8::5 80', 'OUT 10.0.0.30 587']);
      assert.ok(b.contacts.every((c) => c.protocol === 'tcp' && c.firstSeenMs === now));
      assert.equal(b.contactsDropped, 0);

      // Read again with nothing new: the same connections are no news.
      writeFileSync(join(root, 'net', 'snmp'), snmp(104, 7));
      now += 5000;
      const c = await s.sample();
      assert.equal(s.tableReads, 3);
      assert.deepEqual(c.contacts, []);
      assert.equal(c.contactsTracked, true);

      // 10.0.0.30 disconnects; back after 20 minutes (past the 15-minute window): reported again.
      // 10.0.0.20's session lasted all along: not reported again.
      const tcp = readFileSync(join(root, 'net', 'tcp'), 'utf8');
      writeFileSync(join(root, 'net', 'tcp'), tcp.split('\n').filter((l) => !l.includes(':024B')).join('\n'));
      writeFileSync(join(root, 'net', 'snmp'), snmp(105, 7));
      now += 5000;
      assert.deepEqual((await s.sample()).contacts, []);
      for (let i = 1; i <= 4; i++) {
        writeFileSync(join(root, 'net', 'snmp'), snmp(105 + i, 7));
        now += 5 * MIN;
        assert.deepEqual((await s.sample()).contacts, [], `nothing new ${i * 5} min later`);
      }
      writeFileSync(join(root, 'net', 'tcp'), tcp);
      writeFileSync(join(root, 'net', 'snmp'), snmp(120, 7));
      now += 5000;
      assert.deepEqual(names((await s.sample()).contacts), ['OUT 10.0.0.30 587']);
    } finally {
      s.close();
    }
  });

  it('bounds each direction per sample and counts the excess', async () => {
    let now = 1_700_000_100_000;
    const s = new ProcSampler({ procRoot: root, passwdPath: join(root, 'passwd'), pollMs: 0, now: () => now, tableMinGapMs: 0,
      statfs: async () => ({ totalBytes: 1, usedBytes: 0 }), maxContactsPerDirection: 2 });
    try {
      await s.sample();
      let rows = '';
      for (let i = 0; i < 5; i++) rows += row(20 + i, `0A00000A:${(0xD000 + i).toString(16).toUpperCase()}`, `${(0x40 + i).toString(16).toUpperCase()}00000A:01BD`, '02', 0);
      appendFileSync(join(root, 'net', 'tcp'), rows);
      writeFileSync(join(root, 'net', 'snmp'), snmp(200, 20));
      now += 5000;
      const b = await s.sample();
      assert.equal(b.contacts.length, 2);
      assert.ok(b.contacts.every((c) => c.direction === 'OUT' && c.port === 445));
      assert.equal(b.contactsDropped, 3);
    } finally {
      s.close();
    }
  });
});

describe('contacts from the kernel count sets', () => {
  it('renders an input chain beside the output one, at the same priority, accept-only', () => {
    const t = renderCountTable(5);
    assert.match(t, /set in4 \{ type ipv4_addr \. inet_service; flags dynamic, timeout; timeout 60s;/);
    assert.match(t, /set in6 \{ type ipv6_addr \. inet_service;/);
    assert.match(t, /type filter hook input priority filter - 20; policy accept;/);
    assert.match(t, /iif != "lo" meta nfproto ipv4 tcp flags & \(syn \| ack\) == syn update @in4 \{ ip saddr \. tcp dport \}/);
    assert.doesNotMatch(t, /\b(drop|reject)\b/);
  });

  it('parses both directions, with first-seen times from the remaining timeout, and counts outbound only', () => {
    const json = JSON.stringify({ nftables: [
      { metainfo: { version: '1.0.6' } },
      { set: { family: 'inet', name: 'out4', table: 'firebreak_count', timeout: 5, elem: [{ elem: { val: { concat: ['10.0.0.9', 25] }, expires: 3 } }] } },
      { set: { family: 'inet', name: 'out6', table: 'firebreak_count', timeout: 5 } },
      { set: { family: 'inet', name: 'in4', table: 'firebreak_count', timeout: 60, elem: [
        { elem: { val: { concat: ['10.0.0.7', 22] }, expires: 50 } },
        { elem: { val: { concat: ['10.0.0.8', 25] }, expires: 59 } },
      ] } },
      { set: { family: 'inet', name: 'in6', table: 'firebreak_count', timeout: 60, elem: [{ elem: { val: { concat: ['fd77::1', 80] }, expires: 30 } }] } },
    ] });
    const k = parseCountTable(json, 100_000);
    assert.equal(k.destinations, 1, 'inbound elements are no outbound destinations');
    assert.deepEqual(k.perPort, [{ port: 25, count: 1 }]);
    assert.deepEqual(k.contacts, [
      { direction: 'OUT', address: '10.0.0.9', port: 25, firstSeenMs: 100_000 - 1500 },
      { direction: 'IN', address: '10.0.0.7', port: 22, firstSeenMs: 100_000 - 9500 },
      { direction: 'IN', address: '10.0.0.8', port: 25, firstSeenMs: 100_000 - 500 },
      { direction: 'IN', address: 'fd77::1', port: 80, firstSeenMs: 100_000 - 29_500 },
    ]);
    assert.equal(k.readAtMs, 100_000);
  });

  // A sampler standing in for ProcSampler: its sample, tracker and TCP counters are set by the test.
  class FakeInner {
    contacts = new ContactTracker({ maxPerDirection: 3 });
    tcp: TcpCounters = { activeOpens: 0, attemptFails: 0, passiveOpens: 0, outRsts: 0 };
    next: Sample = emptySample(0);
    async sample(): Promise<Sample> {
      const t = this.contacts.take();
      return { ...this.next, contacts: t.contacts, contactsDropped: t.dropped, contactsTracked: true };
    }
    context(): SampleContext {
      return { existingProcesses: [], remotes: [], newRemotePorts: new Map(), ownersOfRemotePort: () => [] };
    }
    tcpCounters(): TcpCounters {
      return this.tcp;
    }
  }
  const counts = (contacts: KernelCounts['contacts'], readAtMs: number): KernelCounts =>
    ({ destinations: 0, distinctAddrs: 0, perPort: [], endpoints: [], contacts, readAtMs });

  it('merges the sets with the tables through one tracker, within the bound, and reads for inbound traffic alone', async () => {
    const inner = new FakeInner();
    let reads = 0;
    let next = counts([], 0);
    const counter: CountReader = { windowS: 5, read: async () => { reads++; return next; }, remove: async () => {} };
    const k = new KernelCountingSampler(inner, counter, (err) => { throw err; });
    const t0 = Date.now();

    // First sample: always read.
    next = counts([{ direction: 'IN', address: '10.0.0.7', port: 22, firstSeenMs: t0 - 2000 }], t0);
    const a = await k.sample();
    assert.equal(reads, 1);
    assert.deepEqual(a.contacts, [{ direction: 'IN', protocol: 'tcp', remoteAddress: '10.0.0.7', port: 22, firstSeenMs: t0 - 2000 }]);

    // No outbound attempt, no inbound counter moved, the last read is fresh: not read.
    inner.next = { ...emptySample(0), intervalS: 5 };
    assert.deepEqual((await k.sample()).contacts, []);
    assert.equal(reads, 1);

    // An accepted connection (PassiveOpens moved): read, though nothing went out. The tables
    // saw 10.0.0.8 too (reported by them, once); 10.0.0.7's element is still in the set (no news).
    inner.tcp = { ...inner.tcp, passiveOpens: 1 };
    inner.contacts.see('IN', 'tcp', '10.0.0.8', 25, t0 + 1000);
    next = counts([
      { direction: 'IN', address: '10.0.0.7', port: 22, firstSeenMs: t0 - 2000 },
      { direction: 'IN', address: '10.0.0.8', port: 25, firstSeenMs: t0 + 900 },
      { direction: 'IN', address: '10.0.0.9', port: 25, firstSeenMs: t0 + 950 },
      { direction: 'IN', address: '10.0.0.10', port: 25, firstSeenMs: t0 + 960 },
      { direction: 'IN', address: '10.0.0.11', port: 25, firstSeenMs: t0 + 970 },
      { direction: 'OUT', address: '127.0.0.1', port: 8080, firstSeenMs: t0 + 970 },
    ], t0 + 3000);
    const c = await k.sample();
    assert.equal(reads, 2);
    assert.deepEqual(names(c.contacts), ['IN 10.0.0.10 25', 'IN 10.0.0.8 25', 'IN 10.0.0.9 25'], 'three listed (the bound), loopback left out');
    assert.equal(c.contacts.find((x) => x.remoteAddress === '10.0.0.8')?.firstSeenMs, t0 + 1000, 'the tables reported it first');
    assert.equal(c.contactsDropped, 1);
    assert.equal(c.contactsTracked, true);
  });

  it('skips elements already in the set at the previous read, even when the tracker forgot them', async () => {
    const inner = new FakeInner();
    inner.contacts = new ContactTracker({ maxRemembered: 1, maxPerDirection: 64 });
    let next = counts([], 0);
    const counter: CountReader = { windowS: 5, read: async () => next, remove: async () => {} };
    const k = new KernelCountingSampler(inner, counter, (err) => { throw err; });
    const t0 = Date.now();
    const scan = Array.from({ length: 10 }, (_, i) => ({ direction: 'OUT' as const, address: `10.9.0.${i}`, port: 445, firstSeenMs: t0 - 3000 }));
    next = counts(scan, t0);
    assert.equal((await k.sample()).contacts.length, 10);
    // 5 s later the same elements are still in the set, and one new: only that one is news.
    inner.next = { ...emptySample(0), intervalS: 5, newOutboundAttempts: 1 };
    next = counts([...scan, { direction: 'OUT', address: '10.9.1.1', port: 445, firstSeenMs: t0 + 4000 }], t0 + 5000);
    const b = await k.sample();
    assert.deepEqual(names(b.contacts), ['OUT 10.9.1.1 445']);
    assert.equal(b.contactsDropped, 0);
  });
});
