// Who a host is, in parts: granted vs requested tags, the enrollment reservation on a
// real SQLite file and a real PostgreSQL server, the enrollment token's sources, the
// onset bound, private data dirs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENROLL_TOKEN_ENV, resolveEnrollToken } from '../../agent/trust/enroll.ts';
import { boundOnset, DEFAULT_ONSET_MAX_LAG_MS } from '../../controller/pipeline/ingest.ts';
import { requestedTags, tagsToApprove } from '../../controller/trust/host-tags.ts';
import { createEnrollmentToken } from '../../controller/trust/tokens.ts';
import type { AnomalyEvent__Output } from '../../proto/wire.ts';
import { makePrivate } from '../../proto/private-files.ts';
import { tempDir } from '../helpers/procs.ts';
import { forEachStore } from '../helpers/stores.ts';

const NOW = 1_800_000_000_000;
const TOKEN = `fbe_${'A'.repeat(43)}`;

test('requested tags are what the agent asked for and was not granted as asked', () => {
  const claimed = { 'never-isolate': 'true', role: 'mail', dc: 'eu' };
  const effective = { role: 'mail', dc: 'us' };
  assert.deepEqual(requestedTags(claimed, effective), { 'never-isolate': 'true', dc: 'eu' });
  assert.deepEqual(tagsToApprove({ a: '1', b: '2' }, [], 'h'), { a: '1', b: '2' });
  assert.deepEqual(tagsToApprove({ a: '1', b: '2' }, ['b'], 'h'), { b: '2' });
  assert.throws(() => tagsToApprove({ a: '1' }, ['never-isolate'], 'h'), /does not request tag "never-isolate" \(requested: a\)/);
  assert.throws(() => tagsToApprove({}, [], 'h'), /requests no tags/);
});

forEachStore((_name, open) => test('enrollment: the id check and the token use are one step; a lost race spends nothing; a failed signing is undone', async () => {
  const store = await open();
  const t = store.trust;
  const { record } = createEnrollmentToken({ now: NOW, uses: 3, tags: { role: 'mail' } });
  await t.addEnrollmentToken(record);
  const six = await Promise.all([0, 1, 2, 3, 4, 5].map(() => t.reserveEnrollment('racer', record.hash, NOW)));
  assert.equal(six.filter((r) => r.ok).length, 1);
  assert.ok(six.filter((r) => !r.ok).every((r) => !r.ok && r.code === 'already_enrolled'));
  assert.equal((await t.findEnrollmentToken(record.hash))!.used, 1, 'losers spend no use');
  // held, not usable: no certificate matches an empty fingerprint
  assert.equal((await t.getAgent('racer'))!.certFingerprint, '');
  const won = six.find((r) => r.ok)!;
  assert.ok(won.ok);
  await t.completeEnrollment({ id: 'racer', certFingerprint: 'AA:BB', certNotAfterMs: NOW + 1, atMs: NOW, token: won.token });
  assert.deepEqual((await t.hostTagGrants('racer')).map((g) => [g.key, g.value, g.source]), [['role', 'mail', `token:${record.id}`]]);

  // a CSR that cannot be signed: the id is free again and the use refunded
  const other = await t.reserveEnrollment('other', record.hash, NOW);
  assert.ok(other.ok);
  await t.abandonEnrollment('other', false, record.hash);
  assert.equal(await t.getAgent('other'), undefined);
  assert.equal((await t.findEnrollmentToken(record.hash))!.used, 1);

  // expired and revoked tokens are refused inside the same step
  assert.deepEqual(await t.reserveEnrollment('late', record.hash, record.expiresAtMs), { ok: false, code: 'token_spent' });
  assert.equal((await t.revokeEnrollmentToken(record.id)).length, 1);
  assert.deepEqual(await t.reserveEnrollment('late', record.hash, NOW), { ok: false, code: 'token_spent' });

  // operators' grants survive a re-enrollment; the old token's grants do not
  await t.changeHostTags('racer', { 'never-isolate': 'true' }, [], 'operator', 'operator:admin', NOW);
  const second = createEnrollmentToken({ now: NOW, uses: 1, tags: { role: 'web' } }).record;
  await t.addEnrollmentToken(second);
  assert.ok(await t.allowReenroll('racer'));
  const re = await t.reserveEnrollment('racer', second.hash, NOW);
  assert.ok(re.ok && re.reenroll);
  await t.completeEnrollment({ id: 'racer', certFingerprint: 'CC:DD', certNotAfterMs: NOW + 1, atMs: NOW, token: re.token });
  assert.deepEqual((await t.allHostTags()).get('racer'), { 'never-isolate': 'true', role: 'web' });
}));

test('the enrollment token comes from one source: a file, the environment, stdin, or (warned) argv', async () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'token');
    writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
    const none = async () => { throw new Error('stdin must not be read'); };
    assert.deepEqual(await resolveEnrollToken({ file, env: {}, readStdin: none }), { token: TOKEN, source: 'file', warnings: [] });
    assert.deepEqual(await resolveEnrollToken({ env: { [ENROLL_TOKEN_ENV]: TOKEN }, readStdin: none }), { token: TOKEN, source: 'env', warnings: [] });
    assert.deepEqual(await resolveEnrollToken({ flag: '-', env: {}, readStdin: async () => ` ${TOKEN}\n` }), { token: TOKEN, source: 'stdin', warnings: [] });
    const argv = await resolveEnrollToken({ flag: TOKEN, env: {}, readStdin: none });
    assert.equal(argv.token, TOKEN);
    assert.match(argv.warnings.join(), /ENROLLMENT TOKEN ON THE COMMAND LINE/);
    assert.deepEqual(await resolveEnrollToken({ env: {}, readStdin: none }), { warnings: [] });

    chmodSync(file, 0o644);
    assert.match((await resolveEnrollToken({ file, env: {}, readStdin: none })).warnings.join(), /readable by other users \(mode 644\)/);
    await assert.rejects(resolveEnrollToken({ file, env: { [ENROLL_TOKEN_ENV]: TOKEN }, readStdin: none }), /given 2 ways \(--enroll-token-file, FIREBREAK_ENROLL_TOKEN\)/);
    await assert.rejects(resolveEnrollToken({ file: join(dir.path, 'missing'), env: {}, readStdin: none }), /cannot read the enrollment token file/);
    await assert.rejects(resolveEnrollToken({ flag: '-', env: {}, readStdin: async () => '' }), /from standard input is empty/);
    await assert.rejects(resolveEnrollToken({ flag: '-', env: {}, readStdin: async () => `${TOKEN} ${TOKEN}` }), /contains white space/);
  } finally {
    dir.remove();
  }
});

test('an onset outside [arrival - max lag, arrival] on the controller\'s clock is clamped and flagged', () => {
  const ev = (observedAtMs: number): AnomalyEvent__Output => ({
    kind: 'CPU', signature: 'cpu', observedAtMs, value: 1, baseline: 0, score: 5, count: 1, cleared: false, evidence: { detail: 'hot', processes: [], remotes: [] },
  });
  const arrival = NOW;
  const offset = 30_000; // the agent's clock runs 30 s ahead
  // a live event, 20 s old on the controller's clock: untouched
  assert.equal(boundOnset(ev(arrival - 20_000 + offset), arrival, offset, DEFAULT_ONSET_MAX_LAG_MS).note, undefined);
  // backdated by 2 h: moved to arrival - 15 min (on the agent's clock), and said so
  const back = boundOnset(ev(arrival - 2 * 3600_000 + offset), arrival, offset, DEFAULT_ONSET_MAX_LAG_MS);
  assert.equal(back.event.observedAtMs, arrival - DEFAULT_ONSET_MAX_LAG_MS + offset);
  assert.match(back.event.evidence!.detail, /^hot; onset clamped: .* 7200 s before its arrival \(at most 900 s\)/);
  // after its arrival: moved to the arrival
  const ahead = boundOnset(ev(arrival + 60_000 + offset), arrival, offset, DEFAULT_ONSET_MAX_LAG_MS);
  assert.equal(ahead.event.observedAtMs, arrival + offset);
  assert.match(ahead.note!, /60 s after its arrival/);
  // within the offset's own error: not an outlier
  assert.equal(boundOnset(ev(arrival + 500 + offset), arrival, offset, DEFAULT_ONSET_MAX_LAG_MS).note, undefined);
  // no time sent: left for correlation to take the arrival
  assert.equal(boundOnset(ev(0), arrival, offset, DEFAULT_ONSET_MAX_LAG_MS).note, undefined);
});

test('a data dir is narrowed to 0700/0600 whatever it had; symlinks are not followed', () => {
  const dir = tempDir();
  try {
    const d = join(dir.path, 'data');
    mkdirSync(join(d, 'trust'), { recursive: true });
    writeFileSync(join(d, 'db'), 'x');
    writeFileSync(join(d, 'trust', 'key'), 'x');
    writeFileSync(join(dir.path, 'outside'), 'x');
    chmodSync(join(dir.path, 'outside'), 0o644);
    symlinkSync(join(dir.path, 'outside'), join(d, 'link'));
    for (const [p, m] of [[d, 0o755], [join(d, 'trust'), 0o775], [join(d, 'db'), 0o644], [join(d, 'trust', 'key'), 0o640]] as const) chmodSync(p, m);
    const changed = makePrivate(d);
    const mode = (p: string) => statSync(p).mode & 0o777;
    assert.equal(mode(d), 0o700);
    assert.equal(mode(join(d, 'trust')), 0o700);
    assert.equal(mode(join(d, 'db')), 0o600);
    assert.equal(mode(join(d, 'trust', 'key')), 0o600);
    assert.equal(mode(join(dir.path, 'outside')), 0o644, 'a symlink\'s target outside the dir is left alone');
    assert.equal(changed.length, 4);
    assert.deepEqual(makePrivate(d), [], 'nothing to do the second time');
    assert.throws(() => makePrivate('/etc'), /\/etc is a shared directory, not a data dir/, 'a mistaken -d /etc narrows nothing');
  } finally {
    dir.remove();
  }
});
