// A real firebreak-controller process on a damaged store: an existing install
// (CA, audit head, admin credential) whose database was emptied, truncated or
// overwritten is refused with one line naming the file and what to do, and
// nothing in the data dir changes; a fresh data dir still initialises.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StorageError } from '../../controller/store/storage-error.ts';
import { silent, startInProcessController } from '../helpers/inproc.ts';
import { startProcess, stopAll, stopProcess, tempDir, type Proc } from '../helpers/procs.ts';

const LOOPBACK = ['--listen', '127.0.0.1:0', '--enroll-listen', '127.0.0.1:0', '--operator-listen', '127.0.0.1:0'];

function exited(p: Proc, timeoutMs = 20_000): Promise<number | null> {
  if (p.child.exitCode !== null) return Promise.resolve(p.child.exitCode);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`controller still running after ${timeoutMs} ms:\n${p.logs.slice(-10).join('\n')}`)), timeoutMs);
    p.child.once('exit', (code) => { clearTimeout(t); resolve(code); });
  });
}

describe('controller start-up on a damaged store', () => {
  const tmp = tempDir('firebreak-startup-');
  const install = join(tmp.path, 'install');
  let fresh: Promise<Proc>;

  before(async () => {
    // started first, so it loads while the install is made and the damaged stores are tried
    fresh = Promise.resolve(startProcess('controller/main.ts', ['-d', join(tmp.path, 'fresh'), ...LOOPBACK]));
    // an install as a first start leaves it: CA, signing key, admin credential, audit head, database
    const c = await startInProcessController(install, { log: silent });
    await c.stop();
  });
  after(async () => {
    await stopAll();
    tmp.remove();
  });

  it('refuses an empty, truncated or overwritten database inside an existing install, naming the file; nothing changes', async () => {
    const size = statSync(join(install, 'firebreak.db')).size;
    // the headline case in a real process (what an operator sees); the others through the same constructor, in process
    const cases: Array<[string, (db: string) => void, RegExp, 'process' | 'in-process']> = [
      ['empty', (db) => writeFileSync(db, ''), /the database is empty \(0 bytes\), but .* already holds a Firebreak install \(trust\/ca\.crt/, 'process'],
      ['truncated', (db) => truncateSync(db, Math.floor(size / 2)), /the database is truncated: its header counts \d+ pages/, 'in-process'],
      ['garbage', (db) => writeFileSync(db, Buffer.alloc(size, 'not a database ')), /is not a SQLite database/, 'in-process'],
    ];
    await Promise.all(cases.map(async ([name, damage, says, how]) => {
      const dir = join(tmp.path, name);
      cpSync(install, dir, { recursive: true });
      const db = join(dir, 'firebreak.db');
      damage(db);
      const before = { db: readFileSync(db), cred: readFileSync(join(dir, 'admin.credentials.json'), 'utf8'), head: readFileSync(join(dir, 'audit.head'), 'utf8') };
      let msg: string;
      if (how === 'process') {
        const p = startProcess('controller/main.ts', ['-d', dir, ...LOOPBACK]);
        assert.equal(await exited(p), 1, `${name}: exit code`);
        const errors = p.logs.map((l) => { try { return JSON.parse(l) as { level: number; msg: string }; } catch { return undefined; } })
          .filter((l) => l && l.level >= 50);
        assert.equal(errors.length, 1, `${name}: one error line, no stack:\n${p.logs.join('\n')}`);
        assert.ok(!p.logs.some((l) => l.includes('controller ready')), `${name}: never ready`);
        msg = errors[0]!.msg.replace(/^controller failed to start: /, '');
      } else {
        const err = await startInProcessController(dir, { log: silent }).then(() => undefined, (e: Error) => e);
        assert.ok(err instanceof StorageError, `${name}: refused with a StorageError, got ${err}`);
        msg = err.message;
      }
      assert.ok(msg.startsWith(`${db}: `), `${name}: names the file: ${msg}`);
      assert.match(msg, says, name);
      assert.match(msg, /Nothing was changed\. Restore firebreak\.db from a backup .* or, to start over, move .* away/, `${name}: says what to do`);
      // not re-initialised: same bytes, same admin credential, same audit head
      assert.deepEqual(readFileSync(db), before.db, `${name}: database untouched`);
      assert.equal(readFileSync(join(dir, 'admin.credentials.json'), 'utf8'), before.cred, `${name}: admin credential kept`);
      assert.equal(readFileSync(join(dir, 'audit.head'), 'utf8'), before.head, `${name}: audit head kept`);
    }));
  });

  it('still initialises a fresh data dir', async () => {
    const p = await fresh;
    await p.waitFor((l) => l.msg === 'controller ready', 20_000);
    assert.match(p.logs.join('\n'), /first start: created operator/);
    await stopProcess(p);
  });
});
