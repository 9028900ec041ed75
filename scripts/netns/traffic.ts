// Small traffic tools run INSIDE a test namespace (ip netns exec ... node --import tsx traffic.ts):
//   listen --tcp 25,80 --udp 53,9000   echo servers on every address, both families; prints "ready"
//   probe '<json ProbeSpec[]>'          tries each flow at once, prints one JSON array of outcomes
//   session <address> <port>            holds one TCP session, pinging every 100 ms; prints
//                                      "connected", then "dead" when no echo came for 1 s
// Every wait is bounded, so a dropped packet costs a timeout, never a hang.
import { createConnection, createServer } from 'node:net';
import { createSocket } from 'node:dgram';

export interface ProbeSpec {
  protocol: 'tcp' | 'udp';
  address: string;
  port: number;
  timeoutMs?: number;
}

export interface ProbeOutcome extends ProbeSpec {
  ok: boolean;
  detail: string;
  /** the source port the probe used, for the evaluator's flow */
  localPort?: number;
}

function listen(tcp: number[], udp: number[]): void {
  for (const port of tcp) {
    const server = createServer((sock) => {
      sock.on('error', () => undefined);
      sock.pipe(sock);
    });
    server.listen({ port, host: '::', ipv6Only: false });
  }
  for (const port of udp) {
    const sock = createSocket({ type: 'udp6', ipv6Only: false });
    sock.on('message', (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
    sock.bind(port, '::');
  }
  // binding is synchronous enough for our purpose after one tick
  setTimeout(() => process.stdout.write('ready\n'), 50);
}

function probeTcp(p: ProbeSpec): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: p.address, port: p.port });
    let localPort: number | undefined;
    const done = (ok: boolean, detail: string) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ ...p, ok, detail, localPort });
    };
    const timer = setTimeout(() => done(false, 'timeout'), p.timeoutMs ?? 1000);
    sock.on('connect', () => {
      localPort = sock.localPort;
      sock.write('hi\n');
    });
    sock.on('data', () => done(true, 'echo'));
    sock.on('error', (err) => done(false, (err as NodeJS.ErrnoException).code ?? err.message));
  });
}

function probeUdp(p: ProbeSpec): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const sock = createSocket(p.address.includes(':') ? 'udp6' : 'udp4');
    let localPort: number | undefined;
    const done = (ok: boolean, detail: string) => {
      clearTimeout(timer);
      sock.close();
      resolve({ ...p, ok, detail, localPort });
    };
    const timer = setTimeout(() => done(false, 'timeout'), p.timeoutMs ?? 1000);
    sock.on('message', () => done(true, 'echo'));
    sock.on('error', (err) => done(false, (err as NodeJS.ErrnoException).code ?? err.message));
    sock.send('hi', p.port, p.address, (err) => {
      if (err) return done(false, (err as NodeJS.ErrnoException).code ?? err.message);
      localPort = sock.address().port;
    });
  });
}

async function probe(specs: ProbeSpec[]): Promise<void> {
  const results = await Promise.all(specs.map((p) => (p.protocol === 'tcp' ? probeTcp(p) : probeUdp(p))));
  process.stdout.write(JSON.stringify(results) + '\n');
}

function session(address: string, port: number): void {
  const sock = createConnection({ host: address, port });
  let lastEcho = Date.now();
  let connected = false;
  const finish = (why: string) => {
    process.stdout.write(`dead ${why}\n`);
    process.exit(0);
  };
  const giveUp = setTimeout(() => { if (!connected) finish('never connected'); }, 3000);
  sock.on('connect', () => {
    connected = true;
    clearTimeout(giveUp);
    lastEcho = Date.now();
    process.stdout.write('connected\n');
    setInterval(() => {
      if (Date.now() - lastEcho > 1000) finish('no echo for 1 s');
      sock.write('ping\n');
    }, 100);
  });
  sock.on('data', () => (lastEcho = Date.now()));
  sock.on('error', (err) => finish((err as NodeJS.ErrnoException).code ?? err.message));
  sock.on('close', () => finish('closed'));
  // bounded: a session test never needs more than a minute
  setTimeout(() => finish('time limit'), 60_000).unref();
}

const ports = (flag: string): number[] => {
  const i = process.argv.indexOf(flag);
  return i < 0 ? [] : (process.argv[i + 1] ?? '').split(',').filter(Boolean).map(Number);
};

const mode = process.argv[2];
if (mode === 'listen') listen(ports('--tcp'), ports('--udp'));
else if (mode === 'probe') await probe(JSON.parse(process.argv[3] ?? '[]') as ProbeSpec[]);
else if (mode === 'session') session(process.argv[3] ?? '', Number(process.argv[4]));
else if (mode !== undefined) {
  process.stderr.write('usage: traffic.ts listen --tcp P,.. --udp P,.. | probe <json> | session <address> <port>\n');
  process.exit(2);
}
