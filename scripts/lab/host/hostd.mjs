// hostd: PID 1 of one lab host (its own network and PID namespace, private
// tmpfs on /tmp and /srv). It runs the host's "vulnerable services" and does
// what the lab asks over stdin (one JSON command per line):
//
//   {"cmd":"seed","kind":"mailer","file":"/path/worm"}   infect this host from outside (patient zero)
//   {"cmd":"rollout","delayMs":1234,"url":"http://..","runMs":3000}  download a binary later and run it briefly
//   {"cmd":"portscan","targets":[..],"ports":[..],"concurrency":50,"timeoutMs":800}
//
// Services (one per worm kind): a TCP listener that greets, reads `DATA <n>\r\n`
// followed by n bytes, and with probability p (once per host and kind; repeats
// are ignored) drops the bytes under a random name in a hidden directory
// (/tmp/.cache-XXXX/.<random>) and starts it, detached, as a child in this PID
// namespace. Every infection is one JSON line in the truth file: host, time,
// parent (from the connection's source address), file, sha256.
//
// Bounded: exits when stdin closes (the lab went away) or after lifetimeMs;
// as PID 1, its exit ends every process of the host (worms, agent).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cfg = JSON.parse(process.argv[2] ?? '{}');
// cfg: { host, addrToHost: {ip: host}, truthFile, lifetimeMs, services: { kind: { port, p, greeting } } }
const PORTSCAN = fileURLToPath(new URL('./portscan.mjs', import.meta.url));
const MAX_PAYLOAD = 256 * 1024;
const infected = new Set();
const stats = { deliveries: {}, infections: {} };

function truth(rec) {
  appendFileSync(cfg.truthFile, `${JSON.stringify({ host: cfg.host, atMs: Date.now(), ...rec })}\n`);
}

const hex = (n) => randomBytes(n).toString('hex');
const alnum = (n) => Array.from(randomBytes(n), (b) => 'abcdefghijklmnopqrstuvwxyz0123456789'[b % 36]).join('');

function infect(kind, payload, parent, parentAddr) {
  if (infected.has(kind)) return false;
  infected.add(kind);
  const dir = `/tmp/.cache-${hex(2)}`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `.${alnum(8)}`);
  writeFileSync(file, payload, { mode: 0o755 });
  chmodSync(file, 0o755);
  // A CommonJS file without extension: node runs it as is, under its random name.
  const child = spawn(process.execPath, [file], {
    cwd: dir, detached: true, stdio: 'ignore',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LAB_HOST: cfg.host, LAB_WORM: '1' },
  });
  child.on('error', () => undefined);
  child.unref();
  stats.infections[kind] = (stats.infections[kind] ?? 0) + 1;
  truth({ type: 'infect', kind, parent, parentAddr, file, sha256: createHash('sha256').update(payload).digest('hex'), pid: child.pid ?? 0 });
  return true;
}

function service(kind, spec) {
  const server = net.createServer((sock) => {
    const peer = (sock.remoteAddress ?? '').replace(/^::ffff:/, '');
    let buf = Buffer.alloc(0);
    let want = -1;
    sock.setTimeout(5000, () => sock.destroy());
    sock.on('error', () => undefined);
    sock.write(`${spec.greeting ?? '220'} ${cfg.host} ready\r\n`);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length > MAX_PAYLOAD + 64) return sock.destroy();
      if (want < 0) {
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const m = /^DATA (\d+)$/.exec(buf.subarray(0, nl).toString());
        if (!m || Number(m[1]) > MAX_PAYLOAD) { sock.end('500 what\r\n'); return; }
        want = Number(m[1]);
        buf = buf.subarray(nl + 2);
      }
      if (buf.length < want) return;
      const payload = buf.subarray(0, want);
      stats.deliveries[kind] = (stats.deliveries[kind] ?? 0) + 1;
      // "some of which infect": the user opens the attachment, the exploit works
      if (!infected.has(kind) && Math.random() < spec.p) infect(kind, payload, cfg.addrToHost[peer] ?? `addr:${peer}`, peer);
      sock.end('250 ok\r\n');
    });
  });
  server.on('error', (err) => { process.stderr.write(`hostd ${cfg.host}: ${kind} service: ${err.message}\n`); process.exit(3); });
  return new Promise((resolve) => server.listen({ port: spec.port, host: '0.0.0.0' }, resolve));
}

function rollout({ delayMs, url, runMs }) {
  setTimeout(() => {
    const startedAtMs = Date.now();
    http.get(url, { timeout: 10_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const dir = '/srv/app/bin';
        mkdirSync(dir, { recursive: true });
        const file = join(dir, 'app-v2');
        writeFileSync(file, Buffer.concat(chunks), { mode: 0o755 });
        const child = spawn(process.execPath, [file, String(runMs)], { cwd: '/srv/app', stdio: 'ignore' });
        child.on('error', () => undefined);
        child.on('exit', (code) => truth({ type: 'rollout', startedAtMs, ranMs: Date.now() - startedAtMs, code, status: res.statusCode }));
      });
    }).on('error', (err) => truth({ type: 'rollout', startedAtMs, error: err.message }));
  }, delayMs);
}

function portscan(job) {
  const child = spawn(process.execPath, [PORTSCAN, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.on('exit', (code) => {
    let res = {};
    try { res = JSON.parse(out); } catch { /* killed */ }
    truth({ type: 'portscan', code, ...res });
  });
}

function command(line) {
  let c;
  try { c = JSON.parse(line); } catch { return; }
  if (c.cmd === 'seed') infect(c.kind, readFileSync(c.file), 'entry', '');
  else if (c.cmd === 'rollout') rollout(c);
  else if (c.cmd === 'portscan') portscan(c);
  else if (c.cmd === 'stats') process.stdout.write(`${JSON.stringify({ stats })}\n`);
}

setTimeout(() => process.exit(0), cfg.lifetimeMs ?? 300_000).unref();
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  pending += d;
  let i;
  while ((i = pending.indexOf('\n')) >= 0) { command(pending.slice(0, i)); pending = pending.slice(i + 1); }
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
await Promise.all(Object.entries(cfg.services ?? {}).map(([kind, spec]) => service(kind, spec)));
process.stdout.write('ready\n');
