// The correlation feed (controller/cluster/feed.ts) on a real PostgreSQL server:
// rows appended by several controllers can commit out of id order; the leader's
// reader must apply them in id order and skip none: a row that commits after a
// larger id is waited for, and an id that never commits (a rolled-back insert)
// is passed over once the wait is up.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { FEED_DDL, FeedTail, FeedWriter, GAP_WAIT_MS, type FeedItem } from '../../controller/cluster/feed.ts';
import { silent } from '../helpers/inproc.ts';
import { testPg } from '../helpers/postgres.ts';
import { eventually } from '../helpers/procs.ts';

const tagRow = (host: string): FeedItem[] => [{ k: 'tags', host, tags: {} }];

describe('the correlation feed', () => {
  const schema = `fbfeed_${randomBytes(4).toString('hex')}`;
  let pool: pg.Pool;
  let admin: pg.Client;

  before(async () => {
    const { url } = await testPg();
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    pool = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
    await pool.query(FEED_DDL);
  });
  after(async () => {
    await pool.end();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    await (await testPg()).stop();
  });

  it('applies rows in id order, waits for one that commits late, and passes over one rolled back', async () => {
    const applied: string[] = [];
    const tail = new FeedTail({ pool, log: silent, now: Date.now, pollMs: 50, apply: (items) => { for (const it of items) applied.push((it as { host: string }).host); } }, 0);
    tail.start();
    try {
      // id 1 is taken by a transaction that has not committed; id 2 commits first
      const slow = await pool.connect();
      await slow.query('BEGIN');
      await slow.query(`INSERT INTO cluster_feed (node, at_ms, body) VALUES ('a', 0, $1)`, [JSON.stringify(tagRow('first'))]);
      const writer = new FeedWriter({ pool, node: 'b', channel: 'firebreak_test_feed', log: silent, now: Date.now });
      writer.push(tagRow('second')[0]!);
      await writer.flush();
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(applied, [], 'id 2 waits while id 1 may still commit');
      await slow.query('COMMIT');
      slow.release();
      await eventually(async () => applied.length === 2, 5000, 'both rows', 20);
      assert.deepEqual(applied, ['first', 'second'], 'in id order');

      // id 3 rolls back; id 4 is applied once the wait for 3 is up, not before
      const lost = await pool.connect();
      await lost.query('BEGIN');
      await lost.query(`INSERT INTO cluster_feed (node, at_ms, body) VALUES ('a', 0, $1)`, [JSON.stringify(tagRow('never'))]);
      await lost.query('ROLLBACK');
      lost.release();
      const t0 = Date.now();
      writer.push(tagRow('fourth')[0]!);
      await writer.flush();
      await eventually(async () => applied.length === 3, GAP_WAIT_MS + 5000, 'the row after the rolled-back id', 20);
      const waited = Date.now() - t0;
      assert.deepEqual(applied, ['first', 'second', 'fourth']);
      assert.ok(waited >= GAP_WAIT_MS - 100, `waited ${waited} ms for the missing id before passing over it`);
      assert.equal(tail.cursor, 4);
      writer.close();
    } finally {
      await tail.stop();
    }
  });
});
