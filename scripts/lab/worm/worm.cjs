'use strict';
// Firebreak lab worm. BENIGN: it copies itself to peers and starts nowhere by
// itself; it reads, changes and deletes nothing. It only ever connects to the
// lab addresses stamped into LAB below (checked against the lab's private
// prefix), and only runs under the lab's host daemon (LAB_WORM=1). Every copy
// has a hard lifetime and stops at the lab's deadline.
//
// The lab stamps this template once per scenario (scripts/lab/worm.ts), so
// every copy of one outbreak has the same content and sha256. It is CommonJS
// so node runs a copy under a random name without an extension.
//
//   mailer:  a few SMTP-like deliveries a second to random lab peers on tcp/25
//   scanner: faster connects to random addresses of the lab subnet on tcp/445
//            (most of them unused), delivering itself where something answers
const LAB = /*LAB-CONFIG*/ null /*END-LAB-CONFIG*/;

const net = require('net');
const fs = require('fs');

if (!LAB || process.env.LAB_WORM !== '1') process.exit(0);
const targets = LAB.targets.filter((a) => a.startsWith(LAB.prefix) && a !== LAB.self[process.env.LAB_HOST]);
if (targets.length === 0 || !/^10\.\d+\.\d+\.$/.test(LAB.prefix)) process.exit(0);

const self = fs.readFileSync(__filename);
const stopAt = Math.min(Date.now() + LAB.lifetimeMs, LAB.deadlineMs);
setTimeout(() => process.exit(0), Math.max(0, stopAt - Date.now())).unref();

let inflight = 0;
function deliver() {
  if (inflight >= LAB.maxInflight) return;
  inflight++;
  const host = targets[Math.floor(Math.random() * targets.length)];
  const sock = net.connect({ host, port: LAB.port });
  let stage = 0;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    sock.destroy();
    inflight--;
  };
  const timer = setTimeout(finish, LAB.connectTimeoutMs);
  sock.on('error', finish);
  sock.on('close', finish);
  sock.on('data', (d) => {
    if (stage === 0 && d.toString().includes('\r\n')) {
      stage = 1;
      clearTimeout(timer);
      setTimeout(finish, 3000).unref();
      sock.write(`DATA ${self.length}\r\n`);
      sock.write(self);
    } else if (stage === 1) {
      sock.end();
    }
  });
}

// A Poisson stream of attempts at LAB.ratePerS.
function loop() {
  if (Date.now() >= stopAt) process.exit(0);
  deliver();
  setTimeout(loop, Math.min(5000, -Math.log(1 - Math.random()) * 1000 / LAB.ratePerS));
}
loop();
