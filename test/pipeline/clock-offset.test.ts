// The controller's estimate of an agent's clock offset, which every onset (and so
// patient zero and propagating vs simultaneous) is corrected by.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClockOffset } from '../../controller/clock-offset.ts';

test('frames that queued do not pull the offset: the least delayed recent stamp wins', () => {
  const c = new ClockOffset();
  const t0 = 1_000_000;
  // agent clock 30 s ahead; a Hello that waited 26 s in a connect storm, then heartbeats and samples
  const skew = 30_000;
  const delays = [26_000, 3_000, 1_200, 40, 800, 2_500];
  delays.forEach((d, i) => {
    const sent = t0 + i * 2_000;
    c.add(sent + skew, sent + d);
  });
  assert.equal(c.value, skew - 40);
});

test('no stamp (0) is no sample; before any sample the offset is 0', () => {
  const c = new ClockOffset();
  c.add(0, 5_000);
  assert.equal(c.value, 0);
  c.add(4_900, 5_000);
  assert.equal(c.value, -100);
});

test('a clock stepped back is followed once the older stamps leave the window', () => {
  const c = new ClockOffset({ windowMs: 60_000, slotMs: 10_000 });
  let t = 2_000_000;
  for (let i = 0; i < 10; i++, t += 5_000) c.add(t + 10_000 - 20, t); // 10 s ahead
  assert.equal(c.value, 10_000 - 20);
  // NTP steps the agent's clock back: now 0 ahead
  for (let i = 0; i < 4; i++, t += 5_000) c.add(t - 20, t);
  assert.equal(c.value, 10_000 - 20, 'within the window the older, larger stamps still count');
  for (let i = 0; i < 16; i++, t += 5_000) c.add(t - 20, t);
  assert.equal(c.value, -20);
});
