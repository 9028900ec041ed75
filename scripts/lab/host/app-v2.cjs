'use strict';
// The roll-out's "new binary" (benign): a service that starts, warms a cache
// for a moment (a little CPU, a little memory) and exits. argv[2] = run time in ms.
const runMs = Math.min(Number(process.argv[2]) || 3000, 30000);
const end = Date.now() + runMs;
const cache = [];
const timer = setInterval(() => {
  const t = Date.now() + 20;
  let x = 0;
  while (Date.now() < t) x += Math.sqrt(x + 1);
  if (cache.length < 64) cache.push(Buffer.alloc(64 * 1024, x & 0xff));
  if (Date.now() >= end) { clearInterval(timer); process.exit(0); }
}, 100);
