// The lab's package mirror (a host with no agent): serves the roll-out's new
// binary at GET /app-v2 and answers UDP/TCP probes on nothing else. Exits when
// stdin closes (the lab went away) or after lifetimeMs.
import { readFileSync } from 'node:fs';
import http from 'node:http';

const cfg = JSON.parse(process.argv[2] ?? '{}');
const body = readFileSync(cfg.file);
let served = 0;
const server = http.createServer((req, res) => {
  if (req.url !== '/app-v2') { res.writeHead(404).end(); return; }
  served++;
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
});
server.listen({ port: cfg.port ?? 80, host: '0.0.0.0' }, () => process.stdout.write('ready\n'));
setTimeout(() => process.exit(0), cfg.lifetimeMs ?? 300_000).unref();
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.on('SIGTERM', () => { process.stdout.write(`${JSON.stringify({ served })}\n`); process.exit(0); });
