// Driver run INSIDE a namespace: the real Enforcer with the real nftables
// backend, as the agent uses them, for one step; prints the outcome as JSON.
//   isolate '<json Opts>'   isolate with verification (a fresh TCP connection to the controller)
//   start '<json Opts>'     start only: re-apply the persisted state (as after a reboot), one drift check
//   watch '<json Opts>'     start, print "ready", then check drift every 200 ms (at most 60 s),
//                           printing each drift event as one JSON line, as the agent's loop does
//   release-local '<json Opts>'
// Opts: { dataDir, controller: ControllerEndpoint, blockedTarget?: {address, port}, verifyTimeoutMs? }
import { join } from 'node:path';
import pino from 'pino';
import type { ControllerEndpoint } from '../../agent/enforce/backend.ts';
import { Enforcer, tcpReaches } from '../../agent/enforce/enforcer.ts';
import { NftablesBackend } from '../../agent/enforce/nftables.ts';

interface Opts {
  dataDir: string;
  controller: ControllerEndpoint;
  blockedTarget?: { address: string; port: number };
  verifyTimeoutMs?: number;
}

const [mode, arg] = process.argv.slice(2);
const opts = JSON.parse(arg ?? '{}') as Opts;
const enforcer = new Enforcer({
  backend: new NftablesBackend(),
  stateFile: join(opts.dataDir, 'enforcement.json'),
  controller: () => opts.controller,
  log: pino({ level: 'silent' }),
  verifyTimeoutMs: opts.verifyTimeoutMs,
  verify: {
    // the agent's link does a round trip on its stream; a fresh connection proves the same path here
    controllerReachable: async (timeoutMs) => {
      for (const target of opts.controller.targets) {
        if (await tcpReaches(target, timeoutMs)) return true;
      }
      throw new Error(`no connection to ${opts.controller.targets.map((t) => `${t.address} port ${t.port}`).join(', ')}`);
    },
    blockedTarget: opts.blockedTarget,
  },
});

await enforcer.start();
let out: unknown;
if (mode === 'isolate') {
  const r = await enforcer.execute({
    id: 'netns-isolate', targetAgentId: 'h1', action: 'ISOLATE', isolate: { allowlist: [] }, issuer: 'test', reason: '',
    issuedAtMs: Date.now(), expiresAtMs: 0, nonce: '', signature: Buffer.alloc(0),
  });
  out = { status: r.status, message: r.message, isolated: enforcer.state().isolated };
} else if (mode === 'start') {
  // and the agent's first drift check, which must not "repair" the kernel to a lost state's emptiness
  const drift = await enforcer.checkDrift();
  out = { drift: drift?.signature, isolated: enforcer.state().isolated, blocks: enforcer.state().blocks.length, stateLost: enforcer.state().stateLost, event: enforcer.stateLostEvent()?.signature };
} else if (mode === 'watch') {
  process.stdout.write('ready\n');
  for (let i = 0; i < 300; i++) {
    const ev = await enforcer.checkDrift();
    if (ev) process.stdout.write(JSON.stringify(ev) + '\n');
    await new Promise((r) => setTimeout(r, 200));
  }
  out = { done: true };
} else if (mode === 'release-local') {
  const r = await enforcer.releaseLocal('test');
  out = { status: r.status, message: r.message, isolated: enforcer.state().isolated };
} else {
  process.stderr.write("usage: enforcer-driver.ts isolate|start|watch|release-local '<json opts>'\n");
  process.exit(2);
}
enforcer.stop();
process.stdout.write(JSON.stringify(out) + '\n');
