// Makes this machine a busy host for the benchmark, and undoes it:
// N extra processes (sleep) and M loopback TCP connections held open.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface BusyHost {
  processes: number;
  connections: number;
  close(): Promise<void>;
}

export async function makeBusyHost(processes: number, connections: number): Promise<BusyHost> {
  const children: ChildProcess[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
  });
  const close = async (): Promise<void> => {
    for (const c of children) c.kill('SIGKILL');
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  try {
    for (let i = 0; i < processes; i++) {
      const c = spawn('sleep', ['3600'], { stdio: 'ignore' });
      c.on('error', () => undefined);
      children.push(c);
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const port = (server.address() as net.AddressInfo).port;
    // In batches, so the accept queue never overflows.
    for (let i = 0; i < connections; i += 100) {
      await Promise.all(Array.from({ length: Math.min(100, connections - i) }, () => new Promise<void>((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => resolve());
        s.on('error', reject);
        sockets.push(s);
      })));
    }
  } catch (err) {
    await close();
    throw new Error(`could not build the busy host (${(err as Error).message}); check ulimit -n (needs > ${connections * 2 + 100})`);
  }
  return { processes, connections, close };
}
