// Onset-based correlation and the spread graph: each test pins one cause of the
// real-kernel trial where every infected host was detected and nothing acted.
//  1. a cleared one-shot signature (proc.new) still counts for its host;
//  2. events replayed after an outage (onset and clear together) open the alert;
//  3. a 24-host worm with random infection times is propagating (the graph, not timing);
//  4. a roll-out with no contacts between the affected hosts is simultaneous;
//  and patient zero is the tree's root even when a host backdates its clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pipeline } from '../../controller/pipeline/pipeline.ts';
import { classify } from '../../controller/pipeline/alerts.ts';
import { ContactBook } from '../../controller/pipeline/contacts.ts';
import type { Contact__Output } from '../../proto/wire.ts';
import { T0, drive, hostId, makeEvent, recorder, rng, type SimHost, type Signal } from './helpers.ts';

const SHA = 'cd'.repeat(32);
const BINARY: Signal = { kind: 'PROCESS_NEW', signature: `proc.new/sha256:${SHA}`, exe: '/tmp/.x/.q7', sha256: SHA };
const SMTP_FIRST: Signal = { kind: 'CONN_NEW_PORT', signature: 'conn.new-port/tcp:25', port: 25 };
const ip = (i: number) => `10.9.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const host = (i: number, onsetMs: number, offsetMs = 0): SimHost => ({ id: hostId(i), tags: {}, offsetMs, onsetMs });

function pipeline(fleet: number, hook = recorder().hook): Pipeline {
  const p = new Pipeline({ act: hook, correlate: { fleetSize: fleet } });
  for (let i = 0; i < fleet; i++) p.setHostAddresses(hostId(i), [ip(i)]);
  return p;
}

const contact = (direction: 'OUT' | 'IN', remote: string, port: number, at: number): Contact__Output =>
  ({ direction, protocol: 'tcp', remoteAddress: remote, port, firstSeenMs: at });

/** One-shot events: the onset, then its clear one sample (5 s) later, arriving ~50 ms after each. */
function oneShot(h: SimHost, sigs: Signal[], arriveAt?: number) {
  const on = sigs.map((s) => makeEvent(h, s, h.onsetMs, arriveAt ?? h.onsetMs + 50));
  const off = sigs.map((s) => makeEvent(h, s, h.onsetMs + 5000, arriveAt ?? h.onsetMs + 5050, true));
  return [...on, ...off];
}

test('a cleared one-shot signature still counts: three hosts 20 s apart open one alert with all three, the first as patient zero', () => {
  const p = pipeline(50);
  const hosts = [host(1, T0), host(2, T0 + 20_000), host(3, T0 + 40_000)];
  const events = hosts.flatMap((h) => oneShot(h, [BINARY])).sort((a, b) => a.receivedAtMs - b.receivedAtMs);
  drive(p, events, { from: T0, to: T0 + 60_000 });
  const [a, ...rest] = p.listAlerts({ scope: 'fleet' });
  assert.equal(rest.length, 0);
  assert.ok(a, 'the third host opens the master alert although the first two have cleared');
  assert.equal(a.status, 'open', 'one-shot clears do not resolve the incident');
  assert.equal(a.hostCount, 3);
  assert.equal(a.patientZero?.hostId, hostId(1));
  assert.equal(p.getAlert(a.id)!.hosts.every((h) => h.active), true, 'a one-shot clear leaves the host active');
});

test('events replayed after an outage (onset and clear together, minutes late) open the alert they should have; history older than recentMs opens none', () => {
  const p = pipeline(50);
  // four hosts whose onsets were 20-30 s apart, all delivered at once 3 minutes later
  const arrive = T0 + 180_000;
  const hosts = [0, 1, 2, 3].map((i) => host(i, T0 + i * 25_000));
  drive(p, hosts.flatMap((h) => oneShot(h, [BINARY, SMTP_FIRST], arrive)), { from: T0 + 170_000, to: arrive + 10_000 });
  const [a] = p.listAlerts({ scope: 'fleet' });
  assert.ok(a, 'the replay opens a master alert');
  assert.equal(a.hostCount, 4);
  assert.equal(a.patientZero?.hostId, hostId(0));
  assert.equal(a.status, 'open');

  const old = pipeline(50);
  const late = T0 + 30 * 60_000;
  drive(old, hosts.flatMap((h) => oneShot(h, [BINARY], late)), { from: late - 1000, to: late + 10_000 });
  assert.equal(old.listAlerts({ scope: 'fleet' }).length, 0, 'a spread half an hour old is history: stored, no master alert');
});

/** A worm over `fleet` hosts: random infection times, each infection by an already-infected host. */
function randomWorm(fleet: number, seed: number, doublingMs: number) {
  const r = rng(seed);
  const infected: Array<{ i: number; at: number; by: number | null }> = [{ i: 0, at: T0, by: null }];
  const rate = Math.LN2 / doublingMs;
  let t = T0;
  // each infected host makes attempts at a Poisson rate; a hit on a fresh host infects it
  while (infected.length < fleet && t < T0 + 600_000) {
    t += -Math.log(1 - r()) / (rate * infected.length);
    const by = infected[Math.floor(r() * infected.length)]!.i;
    const target = Math.floor(r() * fleet);
    if (infected.some((x) => x.i === target)) continue;
    infected.push({ i: target, at: Math.round(t), by });
  }
  return infected;
}

test('a 24-host worm with random infection times is propagating: the chain of contacts decides, and the tree matches the truth', () => {
  const rec = recorder();
  const p = pipeline(24, rec.hook);
  const truth = randomWorm(24, 11, 10_000);
  const r = rng(5);
  const events = [];
  const contacts: Array<{ from: number; at: number; c: Contact__Output }> = [];
  for (const inf of truth) {
    // detection lags infection by up to one 5 s sample; the contact is seen at the next sample of each end
    const onset = inf.at + Math.round(r() * 5000);
    events.push(...oneShot(host(inf.i, onset), [BINARY, SMTP_FIRST]));
    if (inf.by !== null) {
      contacts.push({ from: inf.by, at: inf.at + Math.round(r() * 2000), c: contact('OUT', ip(inf.i), 25, inf.at) });
      contacts.push({ from: inf.i, at: inf.at + Math.round(r() * 2000), c: contact('IN', ip(inf.by), 25, inf.at) });
    }
  }
  // every agent traces contacts: an empty report says so
  for (let i = 0; i < 24; i++) p.ingestContacts(hostId(i), [], true, 0, T0);
  events.sort((a, b) => a.receivedAtMs - b.receivedAtMs);
  contacts.sort((a, b) => a.at - b.at);
  let ci = 0;
  let nextTick = T0 + 1000;
  for (const e of events) {
    while (ci < contacts.length && contacts[ci]!.at <= e.receivedAtMs) {
      const c = contacts[ci++]!;
      p.ingestContacts(hostId(c.from), [c.c], true, 0, c.at);
    }
    while (nextTick <= e.receivedAtMs) p.tick((nextTick += 1000) - 1000);
    p.ingest(e, e.receivedAtMs);
  }
  for (; ci < contacts.length; ci++) p.ingestContacts(hostId(contacts[ci]!.from), [contacts[ci]!.c], true, 0, contacts[ci]!.at);
  const end = truth.at(-1)!.at + 30_000;
  while (nextTick <= end) p.tick((nextTick += 1000) - 1000);

  const [a] = p.listAlerts({ scope: 'fleet' });
  assert.ok(a);
  assert.equal(a.hostCount, truth.length);
  assert.equal(a.classification, 'propagating');
  assert.equal(a.patientZero?.hostId, hostId(0));
  assert.deepEqual(a.spread.port, { protocol: 'tcp', port: 25 });
  const d = p.getAlert(a.id)!;
  const got = new Set(d.spreadGraph.edges.map((e) => `${e.from}>${e.to}`));
  const want = truth.filter((x) => x.by !== null).map((x) => `${hostId(x.by!)}>${hostId(x.i)}`);
  const right = want.filter((e) => got.has(e)).length;
  assert.ok(right / want.length >= 0.9, `tree edges right: ${right} of ${want.length}`);
  assert.ok(d.spreadGraph.edges.every((e) => e.corroborated), 'each edge was reported by both ends');
  // it turned propagating with few hosts, and said so at once (escalated), not a minute later
  const turned = rec.all.find((t) => t.alert.id === a.id && t.alert.classification === 'propagating')!;
  assert.ok(turned.alert.hostCount <= 8, `propagating from ${turned.alert.hostCount} hosts`);
  // onset timing alone calls this worm a scheduled job: what the graph is for
  const onsets = d.hosts.map((h) => h.onsetMs).sort((x, y) => x - y);
  assert.equal(classify(onsets, 10_000, 60_000), 'simultaneous', 'this seed is one where timing alone is fooled');
});

test('a roll-out from a mirror (contacts only to a non-fleet address) is simultaneous however its onsets fall', () => {
  const p = pipeline(40);
  const r = rng(3);
  const events = [];
  for (let i = 0; i < 24; i++) {
    const onset = T0 + Math.round(r() * 90_000);
    p.ingestContacts(hostId(i), [contact('OUT', '192.0.2.80', 443, onset - 1000)], true, 0, onset);
    events.push(...oneShot(host(i, onset), [BINARY]));
  }
  drive(p, events.sort((a, b) => a.receivedAtMs - b.receivedAtMs), { from: T0, to: T0 + 120_000 });
  const [a] = p.listAlerts({ scope: 'fleet' });
  assert.ok(a);
  assert.equal(a.classification, 'simultaneous');
  assert.notEqual(a.severity, 'critical');
  assert.equal(a.spread.edges, 0);
  assert.equal(a.spread.tracedHosts, 24);
});

test('a host that backdates its events is not patient zero: the tree root is', () => {
  const p = pipeline(20);
  // h0 -> h1 -> h2 -> h3 on tcp/445; h9 claims it saw the binary a minute before anyone
  const chain = [0, 1, 2, 3].map((i) => host(i, T0 + i * 8000));
  for (let i = 0; i < 20; i++) p.ingestContacts(hostId(i), [], true, 0, T0);
  for (let k = 1; k < chain.length; k++) {
    p.ingestContacts(hostId(k - 1), [contact('OUT', ip(k), 445, chain[k]!.onsetMs - 1000)], true, 0, chain[k]!.onsetMs);
  }
  const liar = host(9, T0 + 20_000);
  const events = [...chain.flatMap((h) => oneShot(h, [BINARY]))];
  const lie = makeEvent(liar, BINARY, T0 - 60_000, T0 + 20_050);
  drive(p, [...events, lie].sort((a, b) => a.receivedAtMs - b.receivedAtMs), { from: T0, to: T0 + 60_000 });
  const [a] = p.listAlerts({ scope: 'fleet' });
  assert.ok(a);
  assert.equal(a.hostCount, 5);
  assert.equal(a.patientZero?.hostId, hostId(0));
  assert.equal(a.classification, 'propagating');
  assert.deepEqual(a.spread.port, { protocol: 'tcp', port: 445 });
  assert.ok(!a.spread.graphHosts.includes(hostId(9)), 'the liar made no contact: it is in the alert, not in the graph');
});

test('contacts: an address two hosts claim maps to neither; loopback maps to nothing; times from the future are clamped', () => {
  const b = new ContactBook();
  b.setHostAddresses('a', ['10.0.0.1', '127.0.0.1']);
  b.setHostAddresses('b', ['10.0.0.2']);
  b.setHostAddresses('c', ['10.0.0.2']);
  assert.equal(b.hostOf('10.0.0.1'), 'a');
  assert.equal(b.hostOf('::ffff:10.0.0.1'), 'a');
  assert.equal(b.hostOf('10.0.0.2'), undefined, 'claimed twice: ambiguous');
  assert.equal(b.hostOf('127.0.0.1'), undefined);
  b.add('b', [contact('OUT', '10.0.0.1', 25, T0 + 3_600_000)], true, 0, T0);
  const [l] = [...b.linksInto('a')];
  assert.deepEqual(l?.outAt, [T0], 'a contact stamped in the future counts at its arrival');
  b.add('b', [{ ...contact('OUT', '10.0.0.1', 0, T0), port: 70000 }], true, 0, T0);
  assert.equal(b.stats().refused, 1, 'port 70000 is refused');
});

test('firebreak alert prints the tree generation by generation, with the contact that reached each host and times after patient zero', async () => {
  const { renderSpreadTree } = await import('../../controller/cli/spread-tree.ts');
  const p = pipeline(20);
  const chain = [0, 1, 2, 3].map((i) => host(i, T0 + i * 8000));
  for (let i = 0; i < 20; i++) p.ingestContacts(hostId(i), [], true, 0, T0);
  for (let k = 1; k < chain.length; k++) {
    const at = chain[k]!.onsetMs - 1000;
    p.ingestContacts(hostId(k - 1), [contact('OUT', ip(k), 25, at)], true, 0, at);
    p.ingestContacts(hostId(k), [contact('IN', ip(k - 1), 25, at)], true, 0, at);
  }
  drive(p, chain.flatMap((h) => oneShot(h, [BINARY])).sort((a, b) => a.receivedAtMs - b.receivedAtMs), { from: T0, to: T0 + 40_000 });
  const [a] = p.listAlerts({ scope: 'fleet' });
  const text = renderSpreadTree(p.getAlert(a!.id)!.spreadGraph).join('\n');
  assert.match(text, /spreading on tcp\/25, binary \/tmp\/\.x\/\.q7, sha256 cdcdcdcdcdcdcdcd…, 3 generations deep, patient zero h0000/);
  const order = ['generation 0', 'h0000', 'generation 1', 'h0001', '<- h0000 on tcp/25 at +7.0s (seen from both ends)', 'generation 2', 'h0002', 'generation 3', 'h0003'];
  let at = -1;
  for (const piece of order) {
    const i = text.indexOf(piece, at + 1);
    assert.ok(i > at, `"${piece}" after the previous line in:\n${text}`);
    at = i;
  }
});

test('a fleet-wide job on a busy fleet: a chance chain of two contacts among 30 hosts explains too little to be a spread', () => {
  const p = pipeline(40);
  const r = rng(9);
  for (let i = 0; i < 40; i++) p.ingestContacts(hostId(i), [], true, 0, T0);
  const hosts = Array.from({ length: 30 }, (_, i) => host(i, T0 + 2000 * i + Math.round(r() * 1000)));
  // h3 and h4 happened to reach the next host (a shared server) just before its job started
  for (const k of [4, 5]) {
    const at = hosts[k]!.onsetMs - 500;
    p.ingestContacts(hostId(k - 1), [contact('OUT', ip(k), 5432, at)], true, 0, at);
  }
  drive(p, hosts.flatMap((h) => oneShot(h, [BINARY])).sort((a, b) => a.receivedAtMs - b.receivedAtMs), { from: T0, to: T0 + 90_000 });
  const [a] = p.listAlerts({ scope: 'fleet' });
  assert.ok(a);
  assert.equal(a.spread.edges, 2, 'the chance chain is in the graph');
  assert.equal(a.classification, 'simultaneous', '2 of 29 hosts explained is no spread');
  assert.deepEqual(a.spread.graphHosts, [], 'nothing for a playbook to isolate as "the graph"');
});

test('a worm masked by a roll-out: its own hosts spread (propagating, named as the root cause), the roll-out hosts stay out of the graph', () => {
  const p = pipeline(40);
  const r = rng(4);
  const ROLLOUT: Signal = { kind: 'PROCESS_NEW', signature: `proc.new/sha256:${'ee'.repeat(32)}`, exe: '/usr/bin/agent-v2', sha256: 'ee'.repeat(32) };
  for (let i = 0; i < 40; i++) p.ingestContacts(hostId(i), [], true, 0, T0);
  const events = [];
  // the roll-out: 30 hosts over a minute, each fetching from a mirror outside the fleet
  for (let i = 0; i < 30; i++) {
    const onset = T0 + Math.round(r() * 60_000);
    p.ingestContacts(hostId(i), [contact('OUT', '192.0.2.80', 443, onset - 500)], true, 0, onset);
    events.push(...oneShot(host(i, onset), [ROLLOUT]));
  }
  // the worm starts 20 s in on h2 and spreads on tcp/25 to hosts that also got the roll-out
  const worm = [2, 7, 11, 19, 23, 28];
  const parent = [null, 2, 2, 7, 11, 19];
  worm.forEach((w, k) => {
    const onset = T0 + 20_000 + k * 6000;
    events.push(...oneShot(host(w, onset), [BINARY, SMTP_FIRST]));
    if (parent[k] !== null) {
      const at = onset - 1500;
      p.ingestContacts(hostId(parent[k]!), [contact('OUT', ip(w), 25, at)], true, 0, at);
    }
  });
  drive(p, events.sort((a, b) => a.receivedAtMs - b.receivedAtMs), { from: T0, to: T0 + 120_000 });
  const spreading = p.listAlerts({ scope: 'fleet' }).filter((a) => a.classification === 'propagating');
  assert.equal(spreading.length, 1, JSON.stringify(p.listAlerts({ scope: 'fleet' }).map((a) => [a.rootCause, a.classification, a.hostCount])));
  const a = spreading[0]!;
  assert.equal(a.rootCause, BINARY.signature, 'the worm is named, not the roll-out');
  assert.equal(a.patientZero?.hostId, hostId(2));
  assert.deepEqual([...a.spread.graphHosts].sort(), worm.map(hostId).sort());
  assert.deepEqual(a.spread.port, { protocol: 'tcp', port: 25 });
});

test('checked against the clocks: a host that backdates its events and contacts by 45 s is put back on its peers\' clock, a child of patient zero, not the root', () => {
  const p = pipeline(20);
  for (let i = 0; i < 20; i++) p.ingestContacts(hostId(i), [], true, 0, T0);
  // h0 infects h1 (the rogue) at +5 s; h1 infects h2, h3, h4; h0 also infects h5
  const infections: Array<[number, number, number]> = [[0, 1, 5000], [1, 2, 12_000], [1, 3, 16_000], [1, 4, 20_000], [0, 5, 22_000]];
  const onsets = new Map<number, number>([[0, T0]]);
  for (const [, to, at] of infections) onsets.set(to, T0 + at + 800);
  const lie = (i: number) => (i === 1 ? -45_000 : 0);
  for (const [from, to, at] of infections) {
    const t = T0 + at;
    p.ingestContacts(hostId(from), [contact('OUT', ip(to), 25, t + lie(from))], true, 0, t + 500);
    p.ingestContacts(hostId(to), [contact('IN', ip(from), 25, t + lie(to))], true, 0, t + 500);
  }
  const events = [...onsets].flatMap(([i, on]) => oneShot(host(i, on), [BINARY]).map((e) => ({ ...e, event: { ...e.event, observedAtMs: e.event.observedAtMs + lie(i) } })));
  drive(p, events.sort((a, b) => a.receivedAtMs - b.receivedAtMs), { from: T0, to: T0 + 40_000 });
  const [a] = p.listAlerts({ scope: 'fleet' });
  assert.ok(a);
  assert.equal(a.patientZero?.hostId, hostId(0), 'the liar claimed the earliest onset, the tree says otherwise');
  const d = p.getAlert(a.id)!;
  const parentOf = new Map(d.spreadGraph.nodes.map((n) => [n.hostId, n.parent]));
  assert.equal(parentOf.get(hostId(1)), hostId(0));
  assert.equal(parentOf.get(hostId(3)), hostId(1));
  assert.equal(a.classification, 'propagating');
});

test('a host that backdates only its events (its contacts honest) is no root either: it spread nothing before patient zero reached it', () => {
  const p = pipeline(20);
  for (let i = 0; i < 20; i++) p.ingestContacts(hostId(i), [], true, 0, T0);
  // h0 infects h1 (the liar) at +5 s; h1 then infects h2, h3, h4, h5: a bigger subtree than h0's own
  const infections: Array<[number, number, number]> = [[0, 1, 5000], [1, 2, 12_000], [1, 3, 16_000], [1, 4, 20_000], [1, 5, 22_000]];
  const onsets = new Map<number, number>([[0, T0]]);
  for (const [, to, at] of infections) onsets.set(to, T0 + at + 800);
  for (const [from, to, at] of infections) {
    const t = T0 + at;
    p.ingestContacts(hostId(from), [contact('OUT', ip(to), 25, t)], true, 0, t + 500);
    p.ingestContacts(hostId(to), [contact('IN', ip(from), 25, t)], true, 0, t + 500);
  }
  const events = [...onsets].flatMap(([i, on]) => oneShot(host(i, on), [BINARY]).map((e) => ({ ...e, event: { ...e.event, observedAtMs: e.event.observedAtMs - (i === 1 ? 45_000 : 0) } })));
  drive(p, events.sort((a, b) => a.receivedAtMs - b.receivedAtMs), { from: T0, to: T0 + 40_000 });
  const [a] = p.listAlerts({ scope: 'fleet' });
  assert.ok(a);
  assert.equal(a.patientZero?.hostId, hostId(0));
  const parentOf = new Map(p.getAlert(a.id)!.spreadGraph.nodes.map((n) => [n.hostId, n.parent]));
  assert.equal(parentOf.get(hostId(1)), hostId(0));
});

test('a contained worm leaves four hosts: a rogue backdating by 45 s with one contact seen from both ends is put on the clock its peers agree on, and patient zero is the host that reached it', () => {
  const p = pipeline(100);
  for (let i = 0; i < 100; i++) p.ingestContacts(hostId(i), [], true, 0, T0);
  // h0 infects h1 (the rogue) at +6.7 s; h1 infects h2; h2 infects h3. h0's own outbound
  // list was full of its fan-out to the outside: only h1's inbound records h0 -> h1.
  const infections: Array<[number, number, number]> = [[0, 1, 6700], [1, 2, 7300], [2, 3, 8100]];
  const onsets = new Map<number, number>([[0, T0]]);
  for (const [, to, at] of infections) onsets.set(to, T0 + at + 300);
  const lie = (i: number) => (i === 1 ? -45_000 : 0);
  for (const [from, to, at] of infections) {
    const t = T0 + at;
    if (from !== 0) p.ingestContacts(hostId(from), [contact('OUT', ip(to), 25, t + lie(from))], true, 0, t + 500);
    p.ingestContacts(hostId(to), [contact('IN', ip(from), 25, t + lie(to))], true, 0, t + 500);
  }
  const events = [...onsets].flatMap(([i, on]) => oneShot(host(i, on), [BINARY]).map((e) => ({ ...e, event: { ...e.event, observedAtMs: e.event.observedAtMs + lie(i) } })));
  drive(p, events.sort((a, b) => a.receivedAtMs - b.receivedAtMs), { from: T0, to: T0 + 30_000 });
  const [a] = p.listAlerts({ scope: 'fleet' });
  assert.ok(a);
  const d = p.getAlert(a.id)!;
  const parentOf = new Map(d.spreadGraph.nodes.map((n) => [n.hostId, n.parent]));
  assert.equal(a.patientZero?.hostId, hostId(0), `the rogue claimed the earliest onset; tree ${JSON.stringify(d.spreadGraph.edges.map((e) => `${e.from}>${e.to}`))}`);
  assert.equal(parentOf.get(hostId(1)), hostId(0));
  assert.equal(parentOf.get(hostId(2)), hostId(1));
  assert.equal(parentOf.get(hostId(3)), hostId(2));
  // h2's clock, corroborated by h3, puts the rogue back 45 s: the tree shows its true onset
  const rogueOnset = d.spreadGraph.nodes.find((n) => n.hostId === hostId(1))!.onsetMs;
  assert.ok(Math.abs(rogueOnset - onsets.get(1)!) < 2000, `the rogue's onset on its peers' clock: ${rogueOnset - T0} ms after T0, truly ${onsets.get(1)! - T0}`);
});

test('a rogue backdating everything by 45 s with no contact seen from both ends (a loud worm\'s outbound list is full): its victims\' clocks time what it spread, so the host that reached it is patient zero', () => {
  const p = pipeline(100);
  for (let i = 0; i < 100; i++) p.ingestContacts(hostId(i), [], true, 0, T0);
  // h0 infects h1 (the rogue) at +6.6 s; h1 infects h2, h4, h5; h2 infects h3; h0 infects h6.
  // Only the receiving end records each contact (every sender's outbound list is full).
  const infections: Array<[number, number, number]> = [[0, 1, 6600], [1, 2, 7200], [2, 3, 8000], [1, 4, 21_600], [0, 6, 21_000], [1, 5, 36_000]];
  const onsets = new Map<number, number>([[0, T0]]);
  for (const [, to, at] of infections) onsets.set(to, T0 + at + 300);
  const lie = (i: number) => (i === 1 ? -45_000 : 0);
  for (const [from, to, at] of infections) {
    const t = T0 + at;
    p.ingestContacts(hostId(to), [contact('IN', ip(from), 25, t + lie(to))], true, 0, t + 500);
  }
  const events = [...onsets].flatMap(([i, on]) => oneShot(host(i, on), [BINARY]).map((e) => ({ ...e, event: { ...e.event, observedAtMs: e.event.observedAtMs + lie(i) } })));
  drive(p, events.sort((a, b) => a.receivedAtMs - b.receivedAtMs), { from: T0, to: T0 + 50_000 });
  const [a] = p.listAlerts({ scope: 'fleet' });
  assert.ok(a);
  const d = p.getAlert(a.id)!;
  const parentOf = new Map(d.spreadGraph.nodes.map((n) => [n.hostId, n.parent]));
  assert.equal(a.patientZero?.hostId, hostId(0), `tree ${JSON.stringify(d.spreadGraph.edges.map((e) => `${e.from}>${e.to}`))}`);
  assert.equal(parentOf.get(hostId(1)), hostId(0));
  for (const [from, to] of infections) assert.equal(parentOf.get(hostId(to)), hostId(from), `${hostId(to)}'s parent`);
});

test('a patient zero whose clock a victim vouches for keeps the root: a benign contact that reached it at its onset, from a host infected later out of sight, does not adopt it', () => {
  const p = pipeline(100);
  for (let i = 0; i < 100; i++) p.ingestContacts(hostId(i), [], true, 0, T0);
  // h5 talked to h0 (benign, seen by h0 only) half a second before h0's onset; h5 is infected
  // 15 s later by nothing traced. h0 infects h1 (seen from both ends: a clock that agrees), h3; h1 infects h2.
  p.ingestContacts(hostId(0), [contact('IN', ip(5), 25, T0 - 500)], true, 0, T0);
  const infections: Array<[number, number, number]> = [[0, 1, 12_000], [1, 2, 14_000], [0, 3, 20_000]];
  const onsets = new Map<number, number>([[0, T0], [5, T0 + 15_000]]);
  for (const [, to, at] of infections) onsets.set(to, T0 + at + 300);
  for (const [from, to, at] of infections) {
    const t = T0 + at;
    p.ingestContacts(hostId(from), [contact('OUT', ip(to), 25, t)], true, 0, t + 500);
    p.ingestContacts(hostId(to), [contact('IN', ip(from), 25, t)], true, 0, t + 500);
  }
  const events = [...onsets].flatMap(([i, on]) => oneShot(host(i, on), [BINARY]));
  drive(p, events.sort((a, b) => a.receivedAtMs - b.receivedAtMs), { from: T0, to: T0 + 40_000 });
  const [a] = p.listAlerts({ scope: 'fleet' });
  assert.ok(a);
  const d = p.getAlert(a.id)!;
  assert.equal(a.patientZero?.hostId, hostId(0), `tree ${JSON.stringify(d.spreadGraph.edges.map((e) => `${e.from}>${e.to}`))}`);
  assert.equal(d.spreadGraph.nodes.find((n) => n.hostId === hostId(0))!.parent, null);
});

test('the infecting contact stamped just after the onset it caused (whole-second kernel stamps, clock correction) beats an older miss, not a contact just before', () => {
  // Seen in the real-kernel lab: h2's connection reached h3 and started the worm, but its
  // stamp fell 300 ms after h3's onset, and h1's harmless contact 8 s earlier was picked.
  const p = pipeline(10);
  for (let i = 0; i < 10; i++) p.ingestContacts(hostId(i), [], true, 0, T0);
  const send = (from: number, to: number, at: number) => {
    p.ingestContacts(hostId(from), [contact('OUT', ip(to), 25, at)], true, 0, at + 500);
    p.ingestContacts(hostId(to), [contact('IN', ip(from), 25, at)], true, 0, at + 500);
  };
  send(0, 1, T0 + 2_000);
  send(0, 2, T0 + 4_000);
  send(1, 3, T0 + 12_000);           // a miss, 8 s before h3's onset
  send(2, 3, T0 + 20_300);           // the infection, stamped 300 ms after the onset
  send(1, 4, T0 + 21_000);           // h4: a contact 1 s before its onset ...
  send(2, 4, T0 + 22_400);           // ... beats one 400 ms after it (weighted 1.6 s)
  const onsets = new Map<number, number>([[0, T0], [1, T0 + 2_300], [2, T0 + 4_300], [3, T0 + 20_000], [4, T0 + 22_000]]);
  const events = [...onsets].flatMap(([i, on]) => oneShot(host(i, on), [BINARY]));
  drive(p, events.sort((a, b) => a.receivedAtMs - b.receivedAtMs), { from: T0, to: T0 + 40_000 });
  const [a] = p.listAlerts({ scope: 'fleet' });
  assert.ok(a);
  const parents = Object.fromEntries(p.getAlert(a.id)!.spreadGraph.nodes.map((n) => [n.hostId, n.parent]));
  assert.equal(parents[hostId(3)], hostId(2), `h3's parent: ${JSON.stringify(parents)}`);
  assert.equal(parents[hostId(4)], hostId(1), `h4's parent: ${JSON.stringify(parents)}`);
});
