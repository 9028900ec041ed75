// The agent's watchdog on injected readings: sheds work when its own CPU stays
// high for the window or its memory grows too far, recovers after a calm window.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessWatchdog, Watchdog, readProcess } from '../../agent/watchdog.ts';

const MB = 1024 * 1024;

/** Feeds readings every second at a given CPU % of one core; returns the last health. */
function run(w: Watchdog, from: { t: number; cpu: number }, seconds: number, pct: number, rss = 50 * MB) {
  let h = w.current();
  for (let i = 0; i < seconds; i++) {
    from.t += 1000;
    from.cpu += pct * 10_000; // µs of CPU per second at pct % of a core
    h = w.observe({ atMs: from.t, cpuMicros: from.cpu, rssBytes: rss });
  }
  return h;
}

describe('Watchdog', () => {
  it('stays calm at a few percent of a core', () => {
    const w = new Watchdog();
    const at = { t: 0, cpu: 0 };
    w.observe({ atMs: 0, cpuMicros: 0, rssBytes: 50 * MB });
    const h = run(w, at, 60, 3);
    assert.equal(h.shedding, false);
    assert.equal(h.cpuPctOfCore, 3);
    assert.equal(h.rssBytes, 50 * MB);
  });

  it('sheds only after 12 s above 10% of a core, and recovers after a calm window', () => {
    const w = new Watchdog();
    const at = { t: 0, cpu: 0 };
    w.observe({ atMs: 0, cpuMicros: 0, rssBytes: 50 * MB });
    run(w, at, 30, 2);
    assert.equal(run(w, at, 10, 40).shedding, false, 'a burst shorter than the window is allowed');
    run(w, at, 30, 2);
    const hot = run(w, at, 20, 25);
    assert.equal(hot.shedding, true);
    assert.match(hot.note, /CPU .*shedding/);
    // Calm again: it keeps shedding until a calm window has passed.
    const calming = run(w, at, 5, 1);
    assert.equal(calming.shedding, true);
    assert.match(calming.note, /calming/);
    const calm = run(w, at, 10, 1);
    assert.equal(calm.shedding, false);
  });

  it('sheds when RSS grows more than 200 MB above the start', () => {
    const w = new Watchdog();
    const at = { t: 0, cpu: 0 };
    w.observe({ atMs: 0, cpuMicros: 0, rssBytes: 60 * MB });
    assert.equal(run(w, at, 5, 1, 200 * MB).shedding, false);
    const big = run(w, at, 1, 1, 300 * MB);
    assert.equal(big.shedding, true);
    assert.match(big.note, /RSS 240 MB above start/);
  });

  it('reads this process, and the adapter reports health', () => {
    const r = readProcess();
    assert.ok(r.rssBytes > 10 * MB && r.cpuMicros > 0);
    const pw = new ProcessWatchdog({}, 1000);
    try {
      const h = pw.health();
      assert.equal(h.shedding, false);
      assert.equal(pw.shedding, false);
    } finally {
      pw.stop();
    }
  });
});
