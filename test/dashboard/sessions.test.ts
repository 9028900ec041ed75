// Dashboard sessions on a fake clock: 8 hours at most from login, 1 hour without a
// request; ending one runs its streams' close hooks; the cookie is looked up by hash.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LoginThrottle, SESSION_ABSOLUTE_MS, SESSION_IDLE_MS, sessionCookie, Sessions } from '../../controller/dashboard/sessions.ts';

describe('dashboard sessions', () => {
  it('end after an hour without a request, and after 8 hours whatever the use', () => {
    let now = 1_000_000;
    const sessions = new Sessions(() => now);
    const idle = sessions.create('fbo_a', { name: 'a', role: 'viewer' });
    const busy = sessions.create('fbo_b', { name: 'b', role: 'viewer' });
    let closed = 0;
    busy.session.onEnd.add(() => closed++);
    now += SESSION_IDLE_MS - 1;
    assert.ok(sessions.get(busy.cookie));
    now += 1;
    assert.equal(sessions.get(idle.cookie), undefined, 'idle for an hour');
    // used every 30 min until it is 8 h old: only the absolute limit can end it then
    while (now - busy.session.createdAtMs < SESSION_ABSOLUTE_MS - 30 * 60_000) {
      now += 30 * 60_000;
      assert.ok(sessions.get(busy.cookie), `still live at ${(now - busy.session.createdAtMs) / 3600_000} h`);
    }
    now += 30 * 60_000;
    assert.equal(sessions.get(busy.cookie), undefined, 'ended at 8 h although used every 30 min');
    assert.equal(closed, 1, 'its streams were closed');
    assert.equal(sessions.size, 0);
  });

  it('keeps only the hash of the cookie as the key, and reads only a well-formed fb_session cookie', () => {
    const sessions = new Sessions();
    const { cookie, session } = sessions.create('fbo_x', { name: 'x', role: 'admin' });
    assert.notEqual(session.key, cookie);
    assert.match(session.key, /^[0-9a-f]{64}$/);
    assert.equal(sessionCookie(`theme=dark; fb_session=${cookie}; other=1`), cookie);
    assert.equal(sessionCookie('fb_session=short'), undefined);
    assert.equal(sessions.get(cookie.slice(0, -1) + (cookie.endsWith('A') ? 'B' : 'A')), undefined);
  });

  it('refuses an address after 10 failed logins within 5 minutes, until the window moves on; a success clears it', () => {
    let now = 0;
    const t = new LoginThrottle(10, 5 * 60_000, () => now);
    for (let i = 0; i < 9; i++) { t.fail('10.0.0.1'); now += 1000; }
    assert.equal(t.retryAfterMs('10.0.0.1'), 0);
    t.fail('10.0.0.1');
    assert.ok(t.retryAfterMs('10.0.0.1') > 0);
    assert.equal(t.retryAfterMs('10.0.0.2'), 0, 'per address');
    now += 5 * 60_000;
    assert.equal(t.retryAfterMs('10.0.0.1'), 0, 'the window moved on');
    for (let i = 0; i < 10; i++) t.fail('10.0.0.3');
    t.succeed('10.0.0.3');
    assert.equal(t.retryAfterMs('10.0.0.3'), 0);
  });
});
