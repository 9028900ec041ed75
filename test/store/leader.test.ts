// Leader election on a real PostgreSQL server (controller/leader.ts): one of
// two controllers leads; when the leader's connection dies the other takes over
// within 10 s (here within about one poll), the old leader learns it first and
// does not take the lock back; a leader that stops hands over at once.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { LeaderElection, openPgLockSession, type LockSession } from '../../controller/leader.ts';
import { testPg } from '../helpers/postgres.ts';
import { eventually } from '../helpers/procs.ts';

interface Candidate { e: LeaderElection; tries: () => number; pid: () => number }

describe('leader election', () => {
  const timeline: string[] = [];
  const all: LeaderElection[] = [];
  after(async () => {
    await Promise.all(all.map((e) => e.stop()));
    await (await testPg()).stop();
  });

  async function candidate(name: string, url: string): Promise<Candidate> {
    let tries = 0;
    let pid = 0;
    const e = new LeaderElection({
      pollMs: 200, checkMs: 500,
      open: async (): Promise<LockSession> => {
        const s = await openPgLockSession(url);
        pid = s.backendPid;
        return { ...s, tryLock: () => { tries++; return s.tryLock(); } };
      },
      onElected: () => timeline.push(`${name} elected`),
      onDeposed: (why) => timeline.push(`${name} deposed: ${why}`),
    });
    all.push(e);
    e.start();
    return { e, tries: () => tries, pid: () => pid };
  }

  it('hands over within 10 s when the leader\'s connection dies, and at once when the leader stops', async () => {
    const { url } = await testPg();
    const a = await candidate('A', url);
    await eventually(async () => a.e.isLeader, 10_000, 'A leads', 20);
    const b = await candidate('B', url);
    const t = b.tries();
    await eventually(async () => b.tries() >= t + 2, 5000, 'B tried twice', 20);
    assert.equal(b.e.isLeader, false, 'one leader at a time');

    // A's connection dies (as when its process is killed, or the server drops it)
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const died = Date.now();
    await admin.query('SELECT pg_terminate_backend($1)', [a.pid()]);
    await eventually(async () => b.e.isLeader, 10_000, 'B leads', 20);
    const handoverMs = Date.now() - died;
    assert.ok(handoverMs < 10_000, `handover in ${handoverMs} ms`);
    assert.equal(timeline[0], 'A elected');
    assert.match(timeline[1]!, /^A deposed: its lock connection (ended|failed)/, 'A learns it lost the lock before B leads');
    assert.equal(timeline[2], 'B elected');
    // A is back with a new connection and keeps trying, but B holds the lock
    const ta = a.tries();
    await eventually(async () => a.tries() >= ta + 2, 5000, 'A tried again', 20);
    assert.equal(a.e.isLeader, false);

    // B stops: A takes over at its next try
    await b.e.stop();
    await eventually(async () => a.e.isLeader, 5000, 'A leads again', 20);
    assert.deepEqual(timeline.slice(3), ['B deposed: stopped', 'A elected']);
    await admin.end();
  });
});
