// The store interface's promises, on SQLite and on PostgreSQL alike: a report
// stored whole and at most once per (host, boot, seq) even when sent twice at
// once; a command moved only from the statuses named, a fleet action's commands
// stored and marked sent in one go (all or none); counters that never go
// down; expiry, pending delivery, hosts, events, controller state; the trust
// store's one-winner enrollment and unbroken audit chain under concurrency.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { ReportRecord } from '../../controller/store/store.ts';
import { createEnrollmentToken } from '../../controller/trust/tokens.ts';
import type { Command__Output } from '../../proto/wire.ts';
import { forEachStore } from '../helpers/stores.ts';

const T = 1_800_000_000_000; // past 2^32 ms: BIGINT columns must come back as exact numbers
const hello = (hostId: string, bootId = 'boot1', nowMs = T) => ({ hostId, bootId, inventory: { hostname: hostId } as never, backend: 'DRY_RUN' as const, nowMs });
const report = (hostId: string, seq: number, events = 1, bootId = 'boot1'): ReportRecord => ({
  hostId, bootId, seq, receivedAtMs: T + seq, sample: { cpuPct: seq } as never,
  events: Array.from({ length: events }, (_, i) => ({
    kind: 'CPU', signature: `cpu.spike/${i}`, observedAtMs: T + seq, value: 0.5 + i, baseline: 0.25, score: 3, count: 1, cleared: i % 2 === 1,
    evidence: { detail: `it's "quoted" \\ {braces}, 'single' ${seq}/${i}`, processes: [], remotes: [] },
  })) as never,
});
const command = (id: string, hostId: string, issuedAtMs: number, ttlMs = 60_000): Command__Output => ({
  id, targetAgentId: hostId, action: 'ISOLATE', issuer: 'operator:alice', reason: 'test', issuedAtMs, expiresAtMs: issuedAtMs + ttlMs,
  nonce: `n-${id}`, signature: Buffer.from([1, 2, 3, 255]), isolate: { allow: [] } as never, params: 'isolate',
} as Command__Output);

forEachStore((name, open) => {
  it('stores a report whole and once per (host, boot, seq), also when the same report arrives twice at once', async () => {
    const s = await open();
    assert.deepEqual(await s.recordHello(hello('h1')), { lastSeq: 0 });
    const first = await s.ingestReport(report('h1', 1, 3));
    assert.equal(first.duplicate, false);
    assert.equal(first.eventIds.length, 3);
    assert.ok(first.eventIds.every((id, i) => i === 0 || id > first.eventIds[i - 1]!), 'event ids grow in report order');
    assert.deepEqual(await s.ingestReport(report('h1', 1, 3)), { duplicate: true, eventIds: [] });
    // the same seq from two streams in one go (a reconnect racing the old stream), and an older one
    const race = await Promise.all([s.ingestReport(report('h1', 2, 2)), s.ingestReport(report('h1', 2, 2)), s.ingestReport(report('h1', 1))]);
    assert.deepEqual(race.map((o) => o.duplicate), [false, true, true]);
    const events = await s.listEvents({ hostId: 'h1', limit: 100 });
    assert.equal(events.length, 5, 'three events of seq 1, two of seq 2, nothing twice');
    const e = events.find((x) => x.id === first.eventIds[1])!;
    assert.ok(e.event);
    assert.equal(e.receivedAtMs, T + 1);
    assert.deepEqual([e.event.kind, e.event.signature, e.event.value, e.event.baseline, e.event.cleared], ['CPU', 'cpu.spike/1', 1.5, 0.25, true]);
    assert.match(e.event.evidence!.detail, /it's "quoted" \\ \{braces\}, 'single' 1\/1/);
    const h = (await s.getHost('h1'))!;
    assert.deepEqual([h.reports, h.events, h.lastSeenMs, (h.lastSample as { cpuPct: number }).cpuPct], [2, 5, T + 2, 2]);
    // a new boot starts at 0; the old boot's mark stays
    assert.deepEqual(await s.recordHello(hello('h1', 'boot2')), { lastSeq: 0 });
    assert.deepEqual(await s.recordHello(hello('h1', 'boot1')), { lastSeq: 2 });
    // a report for a boot never said hello is not stored
    assert.equal((await s.ingestReport(report('h1', 1, 1, 'ghost'))).duplicate, true);
  });

  it('many reports from many hosts at once: each stored once, none lost', async () => {
    const s = await open();
    for (let h = 0; h < 10; h++) await s.recordHello(hello(`m${h}`));
    const sends = [];
    for (let seq = 1; seq <= 30; seq++) for (let h = 0; h < 10; h++) sends.push(s.ingestReport(report(`m${h}`, seq)), s.ingestReport(report(`m${h}`, seq)));
    const out = await Promise.all(sends);
    assert.equal(out.filter((o) => !o.duplicate).length, 300);
    assert.equal(new Set(out.flatMap((o) => o.eventIds)).size, 300);
    assert.deepEqual((await s.listHosts()).map((x) => x.reports), Array(10).fill(30));
    assert.deepEqual((await s.listHosts()).map((x) => (x.lastSample as { cpuPct: number }).cpuPct), Array(10).fill(30), 'the latest report\'s sample');
  });

  it('hosts: online marks, patches, natural order, events filtered by host, time and signature prefix', async () => {
    const s = await open();
    for (const id of ['fbh10', 'fbh2', 'fbh1']) await s.recordHello(hello(id));
    assert.deepEqual((await s.listHosts()).map((h) => h.id), ['fbh1', 'fbh2', 'fbh10']);
    assert.equal(await s.hostExists('fbh2'), true);
    assert.equal(await s.hostExists('nope'), false);
    assert.equal(await s.getHost('nope'), undefined);
    await s.setOnline('fbh2', false, T + 5);
    await s.setOnline('fbh1', false, T - 5); // never moves last-seen back
    await s.patchHost('fbh1', { clockOffsetMs: -12.5, enforcement: { isolated: true } as never, lastSeenMs: T + 9 });
    const [h1, h2] = [(await s.getHost('fbh1'))!, (await s.getHost('fbh2'))!];
    assert.deepEqual([h1.online, h1.lastSeenMs, h1.clockOffsetMs, h1.enforcement?.isolated, h1.firstSeenMs], [false, T + 9, -12.5, true, T]);
    assert.deepEqual([h2.online, h2.lastSeenMs], [false, T + 5]);
    await s.markAllOffline(T + 10);
    assert.ok((await s.listHosts()).every((h) => !h.online));

    await s.ingestReport({ ...report('fbh1', 1), events: [{ ...report('fbh1', 1).events[0]!, signature: 'conn.fanout/tcp:25' }] });
    await s.ingestReport({ ...report('fbh1', 2), events: [{ ...report('fbh1', 2).events[0]!, signature: 'conn.fanoutx' }] });
    await s.ingestReport({ ...report('fbh2', 3), events: [{ ...report('fbh2', 3).events[0]!, signature: 'conn.fanout/tcp:445' }] });
    const sigs = async (f: Parameters<typeof s.listEvents>[0]) => (await s.listEvents(f)).map((e) => e.event!.signature);
    assert.deepEqual(await sigs({ signaturePrefix: 'conn.fanout/', limit: 10 }), ['conn.fanout/tcp:445', 'conn.fanout/tcp:25']);
    assert.deepEqual(await sigs({ hostId: 'fbh1', limit: 10 }), ['conn.fanoutx', 'conn.fanout/tcp:25']);
    assert.deepEqual(await sigs({ sinceMs: T + 2, limit: 10 }), ['conn.fanout/tcp:445', 'conn.fanoutx']);
    assert.deepEqual(await sigs({ limit: 1 }), ['conn.fanout/tcp:445']);
  });

  it('commands: stored byte for byte, moved only from the named statuses (one winner at once), expired, delivered oldest first', async () => {
    const s = await open();
    await s.insertCommand(command('c2', 'h1', T + 2), T + 2);
    await s.insertCommand(command('c1', 'h1', T + 1), T + 1);
    await s.insertCommand(command('c3', 'h2', T + 3, 10), T + 3);
    const v = (await s.getCommand('c1'))!;
    assert.deepEqual(v.command, command('c1', 'h1', T + 1));
    assert.deepEqual([v.status, v.resultMessage, v.rules, v.state], ['QUEUED', '', [], null]);
    assert.deepEqual((await s.pendingCommands('h1', T)).map((c) => c.id), ['c1', 'c2']);

    const moves = await Promise.all(Array.from({ length: 5 }, () => s.updateCommand('c1', ['QUEUED'], { status: 'SENT', atMs: T + 5 })));
    assert.equal(moves.filter(Boolean).length, 1, 'one of five concurrent QUEUED -> SENT wins');
    assert.equal(await s.updateCommand('c1', ['QUEUED'], { status: 'FAILED', atMs: T + 6 }), false);
    assert.equal(await s.updateCommand('c1', ['QUEUED', 'SENT'], {
      status: 'APPLIED', message: 'isolated', rules: ['r1', 'r2'], state: { isolated: true } as never, atMs: T + 7,
    }), true);
    const done = (await s.getCommand('c1'))!;
    assert.deepEqual([done.status, done.resultMessage, done.rules, done.state?.isolated, done.updatedAtMs], ['APPLIED', 'isolated', ['r1', 'r2'], true, T + 7]);
    // a later update without a message keeps the one stored
    await s.updateCommand('c1', ['APPLIED'], { status: 'ROLLED_BACK', atMs: T + 8 });
    assert.equal((await s.getCommand('c1'))!.resultMessage, 'isolated');

    assert.deepEqual(await s.expireCommands(T + 100), ['c3']);
    assert.deepEqual(await s.expireCommands(T + 100), []);
    assert.equal((await s.getCommand('c3'))!.status, 'EXPIRED');
    assert.deepEqual((await s.listCommands({ limit: 10 })).map((c) => c.command!.id), ['c3', 'c2', 'c1']);
    assert.deepEqual((await s.listCommands({ hostId: 'h1', limit: 1 })).map((c) => c.command!.id), ['c2']);
    assert.deepEqual((await s.listCommands({ sinceMs: T + 2, limit: 10 })).map((c) => c.command!.id), ['c3', 'c2'], 'issued at or after');
    assert.deepEqual((await s.listCommands({ hostId: 'h1', sinceMs: T + 2, limit: 10 })).map((c) => c.command!.id), ['c2']);
    assert.deepEqual((await s.pendingCommands('h1', T)).map((c) => c.id), ['c2']);
    assert.deepEqual(await s.pendingCommands('h1', T + 2 + 60_000), [], 'past its expiry: not delivered');
    assert.equal(await s.getCommand('nope'), undefined);
  });

  it('commands in batches (a fleet action): all stored or none; QUEUED -> SENT together, other statuses left as they are', async () => {
    const s = await open();
    assert.ok(s.insertCommands && s.markCommandsSent, `${name} batches command writes`);
    const fleet = Array.from({ length: 1000 }, (_, i) => command(`f${i}`, `h${i}`, T + i));
    await s.insertCommands(fleet, T + 1);
    await s.insertCommands([], T + 1);
    assert.equal((await s.listCommands({ limit: 2000 })).length, 1000);
    const v = (await s.getCommand('f999'))!;
    assert.deepEqual([v.command, v.status, v.updatedAtMs], [command('f999', 'h999', T + 999), 'QUEUED', T + 1], 'stored byte for byte, queued');
    assert.deepEqual((await s.pendingCommands('h7', T)).map((c) => c.id), ['f7']);

    // one id already stored: the whole batch is refused, nothing of it stored
    await assert.rejects(s.insertCommands([command('new1', 'h1', T), command('f3', 'h3', T), command('new2', 'h2', T)], T + 2));
    assert.equal(await s.getCommand('new1'), undefined);
    assert.equal(await s.getCommand('new2'), undefined);

    // f1 already answered, f2 expired meanwhile: a late markCommandsSent must not move them back
    assert.equal(await s.updateCommand('f1', ['QUEUED'], { status: 'APPLIED', message: 'isolated', atMs: T + 3 }), true);
    assert.equal(await s.updateCommand('f2', ['QUEUED'], { status: 'EXPIRED', atMs: T + 3 }), true);
    await s.markCommandsSent(['f0', 'f1', 'f2', 'f500', 'nope'], T + 4);
    await s.markCommandsSent([], T + 5);
    const st = async (id: string) => { const c = (await s.getCommand(id))!; return [c.status, c.updatedAtMs]; };
    assert.deepEqual(await st('f0'), ['SENT', T + 4]);
    assert.deepEqual(await st('f500'), ['SENT', T + 4]);
    assert.deepEqual(await st('f1'), ['APPLIED', T + 3], 'an applied command is not marked SENT');
    assert.deepEqual(await st('f2'), ['EXPIRED', T + 3], 'an expired command is not marked SENT');
    assert.deepEqual(await st('f3'), ['QUEUED', T + 1], 'a command not named stays queued');
    assert.equal(await s.getCommand('nope'), undefined, 'an unknown id creates nothing');
    // a command SENT already: marked again, it keeps its first time
    await s.markCommandsSent(['f0'], T + 9);
    assert.deepEqual(await st('f0'), ['SENT', T + 4]);
  });

  it('controller state: counters only rise (also when raised at once), acks, silences, overrides, snapshots', async () => {
    const s = await open();
    assert.equal(await s.getCounter('alert_next_id'), undefined);
    await Promise.all([7, 3, 12, 5].map((v) => s.raiseCounter('alert_next_id', v)));
    await s.raiseCounter('alert_next_id', 2);
    assert.equal(await s.getCounter('alert_next_id'), 12);
    await s.raiseCounter('big', T);
    assert.equal(await s.getCounter('big'), T);

    await s.putAck({ alertId: 'A1', by: 'alice', atMs: T });
    await s.putAck({ alertId: 'A2', by: 'bob', atMs: T + 10 });
    await s.putAck({ alertId: 'A1', by: 'carol', atMs: T + 20 });
    assert.deepEqual((await s.listAcks(T + 15)).map((a) => [a.alertId, a.by]), [['A1', 'carol']]);
    assert.deepEqual((await s.listAcks(0)).length, 1, 'older acks were deleted');

    await s.putSilence('s2', '{"b":2}', T + 100, T);
    await s.putSilence('s1', '{"a":1}', T + 50, T);
    await s.putSilence('s1', '{"a":2}', T + 200, T + 1);
    assert.deepEqual(await s.listSilences(T + 150), ['{"a":2}']);

    await s.putPlaybookOverride({ name: 'contain', enabled: false, by: 'alice', atMs: T });
    await s.putPlaybookOverride({ name: 'contain', enabled: true, by: 'bob', atMs: T + 1 });
    assert.deepEqual(await s.listPlaybookOverrides(), [{ name: 'contain', enabled: true, by: 'bob', atMs: T + 1 }]);

    assert.equal(await s.getState('pipeline'), undefined);
    await s.putState('pipeline', '{"v":1}', T);
    await s.putState('pipeline', '{"v":2}', T + 1);
    assert.equal(await s.getState('pipeline'), '{"v":2}');
  });

  it('playbook runs: one journal in one transaction, read back in order; deleted runs go with their actions', async () => {
    const s = await open();
    await s.writeRunJournal({
      runs: [{ id: 'r2', playbook: 'p', status: 'running', startedAtMs: T + 2, updatedAtMs: T + 2, body: 'R2' },
        { id: 'r1', playbook: 'p', status: 'running', startedAtMs: T + 1, updatedAtMs: T + 1, body: 'R1' }],
      actions: [{ runId: 'r1', seq: 2, body: 'a1.2' }, { runId: 'r1', seq: 1, body: 'a1.1' }, { runId: 'r2', seq: 1, body: 'a2.1' }],
      isolations: [{ playbook: 'p', atMs: T }, { playbook: 'p', atMs: T + 100 }],
      deletedRuns: [], counters: [['run_seq', 2]],
    });
    await s.writeRunJournal({
      runs: [{ id: 'r1', playbook: 'p', status: 'finished', startedAtMs: T + 1, updatedAtMs: T + 9, body: 'R1!' }],
      actions: [{ runId: 'r1', seq: 1, body: 'a1.1!' }], isolations: [], deletedRuns: ['r2'], counters: [['run_seq', 1]],
    });
    const got = await s.loadRuns(T + 50);
    assert.deepEqual(got.runs, [{ body: 'R1!', actions: ['a1.1!', 'a1.2'] }]);
    assert.deepEqual(got.isolations, [{ playbook: 'p', atMs: T + 100 }]);
    assert.equal(await s.getCounter('run_seq'), 2);
  });

  it('reopened (a restart): everything is still there', async () => {
    const s = await open('restart');
    await s.recordHello(hello('h1'));
    await s.ingestReport(report('h1', 4));
    await s.insertCommand(command('c1', 'h1', T), T);
    await s.close();
    const again = await open('restart');
    assert.deepEqual(await again.recordHello(hello('h1')), { lastSeq: 4 });
    assert.equal((await again.listEvents({ limit: 10 })).length, 1);
    assert.equal((await again.getCommand('c1'))!.status, 'QUEUED');
    assert.equal((await again.storageHealth()).state, 'ok');
  });

  it('trust: one of six concurrent enrollments of one id wins and the losers spend nothing; audit appends at once form one chain', async () => {
    const s = await open();
    const t = s.trust;
    const { record } = createEnrollmentToken({ now: T, uses: 10, tags: { role: 'mail' } });
    await t.addEnrollmentToken(record);
    const six = await Promise.all(Array.from({ length: 6 }, () => t.reserveEnrollment('racer', record.hash, T)));
    assert.equal(six.filter((r) => r.ok).length, 1);
    assert.equal((await t.findEnrollmentToken(record.hash))!.used, 1);
    assert.deepEqual((await t.listAgents()).map((a) => a.id), ['racer']);

    const entries = await Promise.all(Array.from({ length: 20 }, (_, i) => t.appendAudit({ actor: 'operator:alice', action: 'x', target: `t${i}`, at_ms: T + i })));
    assert.deepEqual(entries.map((e) => e.seq).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
    const all = await t.allAudit();
    for (let i = 1; i < all.length; i++) assert.equal(all[i]!.prev_hash, all[i - 1]!.hash, `entry ${all[i]!.seq} follows ${all[i - 1]!.seq}`);

    await t.addOperator({ name: 'a1', role: 'admin', tokenHash: 'h1' }, T);
    await t.addOperator({ name: 'a2', role: 'admin', tokenHash: 'h2' }, T);
    const removed = await Promise.all([t.removeOperator('a1'), t.removeOperator('a2')]);
    assert.deepEqual(removed.sort(), ['last_admin', 'removed'], 'two admins removed at once: one stays');
    assert.equal(await t.countOperators(), 1);
  });

  if (name === 'postgres') {
    it('says where it is without the password, and refuses a newer schema', async () => {
      const { PgStore } = await import('../../controller/store/postgres.ts');
      const { testPg } = await import('../helpers/postgres.ts');
      const url = new URL((await testPg()).url);
      url.password = 'hunter2';
      const err = await PgStore.open(url.toString().replace(/^postgres:\/\/[^@]*@/, 'postgres://nobody:hunter2@'), { schema: 'nope' })
        .then(() => undefined, (e: Error) => e);
      assert.ok(err, 'a login as an unknown role is refused');
      assert.doesNotMatch(err.message, /hunter2/, err.message);
      assert.match(err.message, /\*\*\*/);

      const s = await open('newer');
      await s.raiseCounter('x', 1);
      await s.close();
      const pg = (await import('pg')).default;
      const schema = (s as unknown as { where: string }).where.match(/schema (\w+)/)![1]!;
      const c = new pg.Client({ connectionString: (await testPg()).url });
      await c.connect();
      await c.query(`INSERT INTO ${schema}.schema_migrations VALUES (9999, 'future', 0)`);
      await c.end();
      await assert.rejects(open('newer'), /written by a newer Firebreak \(schema version 9999/);
    });

    it('an empty database beside an existing install is refused, and nothing is created', async () => {
      const { PgStore } = await import('../../controller/store/postgres.ts');
      const { testPg } = await import('../helpers/postgres.ts');
      const url = (await testPg()).url;
      const schema = `t${process.pid}_install`;
      await assert.rejects(PgStore.open(url, { schema, existingInstall: ['trust/ca.crt', 'audit.head'] }),
        /the database holds no Firebreak data, but the data dir already holds a Firebreak install \(trust\/ca\.crt, audit\.head\)\. .*Nothing was changed/);
      const pg = (await import('pg')).default;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      assert.equal((await c.query(`SELECT 1 FROM pg_namespace WHERE nspname = $1`, [schema])).rowCount, 0, 'no schema, no tables made');
      const fresh = await PgStore.open(url, { schema }); // a first start: no install yet
      await fresh.close();
      const again = await PgStore.open(url, { schema, existingInstall: ['trust/ca.crt'] }); // a restart of that install
      await again.close();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    });
  }
});
