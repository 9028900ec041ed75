// The simulator's samplers and worm variants in-process, on a virtual clock,
// without a controller: each host's synthetic sampler feeds its real
// DetectorEngine (default thresholds) every 5 s, as the agent's loop would.
// Fast (a few seconds): it checks what the simulated agents report, not what
// the controller makes of it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { detectorConfig } from '../../agent/detect/config.ts';
import type { Sample } from '../../agent/sample/sampler.ts';
import { Background } from '../../scripts/simulate/background.ts';
import { Fleet, type SimHost } from '../../scripts/simulate/fleet.ts';
import { MIRROR_ADDRESS } from '../../scripts/simulate/net.ts';
import { derive } from '../../scripts/simulate/rng.ts';
import { DEFAULT_SCENARIO_OPTIONS, type Scenario, type ScenarioContext, type ScenarioTruth } from '../../scripts/simulate/scenario.ts';
import { scenarioByName } from '../../scripts/simulate/scenarios/index.ts';
import { CONTACT_WINDOW_MS, MAX_CONTACTS_PER_DIRECTION } from '../../scripts/simulate/synthetic-sampler.ts';

const log = pino({ level: 'silent' });
const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

interface Played {
  fleet: Fleet;
  truth: ScenarioTruth;
  /** every sample each host took after the scenario started, with its true time */
  samples: Map<string, { trueAt: number; s: Sample }[]>;
  /** the detectors' events by host */
  signatures: Map<string, string[]>;
  t0: number;
}

/** Plays a scenario for `seconds` of virtual time: 100 ms ticks, each host sampling every intervalMs at its own phase. */
function play(name: string, o: { hosts: number; seconds: number; intervalMs?: number; seed?: number }): Played {
  const intervalMs = o.intervalMs ?? 5000;
  const seed = o.seed ?? 3;
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-sim-contacts-'));
  dirs.push(dir);
  const fleet = new Fleet({ hosts: o.hosts, seed, intervalMs, controller: '127.0.0.1:1', dataDir: dir, log });
  const scenario: Scenario = scenarioByName(name)();
  scenario.configureHosts?.(fleet.hosts, derive(seed, `scenario-hosts:${name}`));
  fleet.prewarm(30);
  const t0 = Date.now();
  const ctx: ScenarioContext = {
    hosts: fleet.hosts, byAddress: fleet.byAddress, controller: { targets: [{ address: '127.0.0.1', port: 1 }], dnsServers: [] },
    random: derive(seed, `scenario:${name}`), options: { ...DEFAULT_SCENARIO_OPTIONS }, log, t0,
  };
  const background = new Background(fleet.hosts, seed, t0);
  scenario.start(ctx, t0);
  const samples = new Map<string, { trueAt: number; s: Sample }[]>(fleet.hosts.map((h) => [h.id, []]));
  const signatures = new Map<string, string[]>(fleet.hosts.map((h) => [h.id, []]));
  const phase = (h: SimHost) => 100 * Math.floor((h.index / fleet.hosts.length) * (intervalMs / 100));
  for (let now = t0 + 100; now <= t0 + o.seconds * 1000; now += 100) {
    background.tick(ctx, now);
    scenario.tick(ctx, now, 100);
    for (const h of fleet.hosts) {
      if ((now - t0 - phase(h)) % intervalMs !== 0) continue;
      const s = h.sampler.sampleAt(now + h.sampler.offsetMs());
      samples.get(h.id)!.push({ trueAt: now, s });
      for (const e of h.engine.observe(s)) if (!e.cleared) signatures.get(h.id)!.push(e.signature);
    }
  }
  return { fleet, truth: scenario.truth(ctx), samples, signatures, t0 };
}

describe('simulated contact tracing and worm variants (in-process, virtual clock)', () => {
  test('quiet mailer: its hosts stay under every per-host fan-out floor, so the defence cannot rely on fan-out; its new binary still shows', () => {
    const p = play('quiet-mailer', { hosts: 120, seconds: 45 });
    const c = detectorConfig();
    const infected = p.truth.affected;
    assert.ok(infected.length >= 6, `the mailer spread (${infected.length} infected in 45 s at doubling 10 s)`);
    for (const a of infected) {
      const h = p.fleet.byId.get(a.hostId)!;
      const after = p.samples.get(a.hostId)!.filter((x) => x.trueAt > a.atMs + 5000);
      for (const { s } of after) {
        // new SMTP peers per 5 s sample: a handful, nowhere near the 50-address floor
        const smtpOut = s.contacts.filter((k) => k.direction === 'OUT' && k.port === 25).length;
        assert.ok(smtpOut <= 8, `${a.hostId}: ${smtpOut} new SMTP peers in one sample`);
        assert.ok(s.distinctRemoteAddrs < h.sampler.profile.remoteAddrs + c.fanout.floor / 2, `${a.hostId}: ${s.distinctRemoteAddrs} distinct remotes`);
        assert.ok(s.failedOutboundAttempts < c.trw.minFailures, `${a.hostId}: ${s.failedOutboundAttempts} failed attempts`);
      }
      const sigs = p.signatures.get(a.hostId)!;
      assert.ok(!sigs.some((x) => x.startsWith('conn.fanout')), `${a.hostId} raised no fan-out: ${sigs.join(' ')}`);
    }
    // what is left to see: the one hash of the dropped binary, on every host that ran long enough
    const seen = infected.filter((a) => a.atMs < p.t0 + 35_000);
    const withExe = seen.filter((a) => p.signatures.get(a.hostId)!.some((x) => x.startsWith('proc.new/sha256:')));
    assert.equal(withExe.length, seen.length, 'the new binary is seen on every infected host');
    const exes = new Set(infected.map((a) => p.fleet.byId.get(a.hostId)!.sampler.effect('worm')?.process?.exe));
    assert.equal(exes.size, infected.length, 'a random name per host');
  });

  test('contacts: A reports OUT to B, B reports IN from A, on the worm\'s port, first seen by B\'s onset; deduped and bounded like the agent', () => {
    const p = play('quiet-mailer', { hosts: 120, seconds: 40 });
    const byId = p.fleet.byId;
    // infections a sample of both ends has followed
    const edges = p.truth.affected.filter((a) => a.by !== null && a.atMs <= p.t0 + 35_000);
    assert.ok(edges.length >= 4, `infections to check (${edges.length})`);
    const contactsOf = (id: string) => p.samples.get(id)!.flatMap((x) => x.s.contacts);
    for (const e of edges) {
      const a = byId.get(e.by!)!;
      const b = byId.get(e.hostId)!;
      const out = contactsOf(a.id).find((k) => k.direction === 'OUT' && k.remoteAddress === b.ip && k.port === 25);
      const inn = contactsOf(b.id).find((k) => k.direction === 'IN' && k.remoteAddress === a.ip && k.port === 25);
      assert.ok(out, `${a.id} reports OUT to ${b.id}`);
      assert.ok(inn, `${b.id} reports IN from ${a.id}`);
      // the contact is first seen at (or before, when A met B earlier) B's infection; clocks are true here
      assert.ok(out.firstSeenMs <= e.atMs && inn.firstSeenMs <= e.atMs, 'first seen no later than the infection');
    }
    for (const h of p.fleet.hosts) {
      const seen = new Map<string, number>();
      for (const { s } of p.samples.get(h.id)!) {
        assert.equal(s.contactsTracked, true);
        for (const dir of ['IN', 'OUT']) assert.ok(s.contacts.filter((k) => k.direction === dir).length <= MAX_CONTACTS_PER_DIRECTION);
        for (const k of s.contacts) {
          const key = `${k.direction}|${k.remoteAddress}|${k.port}`;
          const last = seen.get(key);
          assert.ok(last === undefined || k.firstSeenMs - last > CONTACT_WINDOW_MS, `${h.id}: ${key} listed twice within 10 minutes`);
          seen.set(key, k.firstSeenMs);
        }
      }
    }
    // benign background: some hosts contact shared servers inside the fleet too
    const fleetIps = new Set(p.fleet.hosts.map((h) => h.ip));
    const benignInside = p.fleet.hosts.filter((h) => !p.truth.affected.some((a) => a.hostId === h.id))
      .flatMap((h) => contactsOf(h.id)).filter((k) => k.direction === 'OUT' && fleetIps.has(k.remoteAddress));
    assert.ok(benignInside.length > 0, 'background contacts between fleet hosts');
  });

  test('fast scanner: bounded lists, the rest counted as dropped; roll-out contacts go to a mirror outside the fleet', () => {
    const p = play('fast-scanner', { hosts: 60, seconds: 20 });
    const pz = p.truth.affected[0]!.hostId;
    const s = p.samples.get(pz)!.filter((x) => x.trueAt > p.t0 + 5000).map((x) => x.s);
    assert.ok(s.some((x) => x.contactsDropped > 0), 'a 40-a-second scan overflows the 64-contact list');
    assert.ok(s.every((x) => x.contacts.filter((k) => k.direction === 'OUT').length <= MAX_CONTACTS_PER_DIRECTION));
    const r = play('rollout', { hosts: 40, seconds: 70 });
    const mirror = r.fleet.hosts.filter((h) => r.samples.get(h.id)!.some((x) => x.s.contacts.some((k) => k.remoteAddress === MIRROR_ADDRESS)));
    assert.ok(mirror.length >= r.truth.affected.length * 0.9, `hosts that fetched from the mirror: ${mirror.length} of ${r.truth.affected.length}`);
    assert.ok(!r.fleet.byAddress.has(MIRROR_ADDRESS), 'the mirror is not a fleet host');
  });

  test('skewed clocks: a skewed host stamps samples and contacts on its own clock; the rogue backdates', () => {
    const p = play('skewed-clocks', { hosts: 80, seconds: 25 });
    const skewed = p.fleet.hosts.filter((h) => h.clock.skewMs !== 0);
    assert.ok(skewed.length > 10, `some hosts are skewed (${skewed.length})`);
    assert.ok(skewed.every((h) => Math.abs(h.clock.skewMs) <= 30_000));
    for (const h of skewed.slice(0, 5)) {
      for (const x of p.samples.get(h.id)!) assert.equal(x.s.observedAtMs - x.trueAt, h.clock.skewMs - h.clock.backdateMs);
    }
    const rogueId = p.truth.extra['rogueHost'] as string;
    const rogue = p.fleet.byId.get(rogueId)!;
    assert.equal(rogue.clock.backdateMs, 45_000);
    assert.notEqual(p.truth.affected[0]!.hostId, rogueId, 'the rogue is not patient zero');
    assert.equal(p.truth.affected[1]?.hostId, rogueId, 'the rogue is patient zero\'s first victim');
    const pz = p.fleet.byId.get(p.truth.affected[0]!.hostId)!;
    const inFromPz = p.samples.get(rogueId)!.flatMap((x) => x.s.contacts).find((k) => k.direction === 'IN' && k.remoteAddress === pz.ip);
    assert.ok(inFromPz && inFromPz.firstSeenMs <= p.truth.affected[1]!.atMs + rogue.clock.skewMs - 45_000, 'its IN contact is backdated');
  });
});
