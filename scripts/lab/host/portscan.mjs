// A TCP connect scan from one lab host: every (target, port) once, a bounded
// number in flight, each attempt closed at once (it sends nothing, so it
// infects nothing). Prints one JSON line of counts. Bounded by its own deadline.
import net from 'node:net';

const job = JSON.parse(process.argv[2] ?? '{}');
const deadline = Date.now() + (job.maxMs ?? 60_000);
setTimeout(() => finish(), job.maxMs ?? 60_000).unref();
const queue = [];
for (const t of job.targets ?? []) for (const p of job.ports ?? []) queue.push([t, p]);
const res = { attempts: 0, open: 0, refused: 0, failed: 0 };
let inflight = 0;
let done = false;

function finish() {
  if (done) return;
  done = true;
  process.stdout.write(`${JSON.stringify(res)}\n`);
  process.exit(0);
}

function next() {
  while (!done && inflight < (job.concurrency ?? 50) && queue.length > 0 && Date.now() < deadline) {
    const [host, port] = queue.shift();
    inflight++;
    res.attempts++;
    const s = net.connect({ host, port });
    const t = setTimeout(() => { res.failed++; s.destroy(); end(); }, job.timeoutMs ?? 800);
    let ended = false;
    const end = () => { if (ended) return; ended = true; clearTimeout(t); inflight--; setImmediate(next); };
    s.on('connect', () => { res.open++; s.destroy(); end(); });
    s.on('error', (e) => { if (e.code === 'ECONNREFUSED') res.refused++; else res.failed++; end(); });
  }
  if (inflight === 0 && (queue.length === 0 || Date.now() >= deadline)) finish();
}
next();
