// How long agents take to return after a controller outage: five in-process
// agents (real link, mTLS, spool) and an in-process controller on real gRPC;
// the controller stops for OUTAGE_MS and comes back on the same port.
//   npx tsx scripts/bench/reconnect.ts [OUTAGE_MS, default 60000]
import { join } from 'node:path';
import { Agent } from '../../agent/agent.ts';
import { AgentConfigSchema } from '../../agent/config.ts';
import { DryRunBackend } from '../../agent/enforce/dry-run.ts';
import { emptySample } from '../../agent/sample/sampler.ts';
import { enroll, inventory, silent, startInProcessController } from '../../test/helpers/inproc.ts';
import { tempDir } from '../../test/helpers/procs.ts';
const outageMs = Number(process.argv[2] ?? 60000);
const dir = tempDir();
const ctlDir = join(dir.path, 'ctl');
let c = await startInProcessController(ctlDir);
const port = c.agentPort;
const config = AgentConfigSchema.parse({ agentId: 'a1', controller: `127.0.0.1:${port}`, intervalMs: 5000, dataDir: join(dir.path, 'a1'), backend: 'dry-run' });
const agents: Agent[] = [];
for (let i = 0; i < 5; i++) {
  const identity = await enroll(c, `a${i}`, dir.path);
  const a = new Agent({ config: { ...config, agentId: `a${i}`, dataDir: join(dir.path, `a${i}`) }, identity, inventory, backend: new DryRunBackend(), log: silent, sampler: { sample: async () => emptySample(Date.now()) }, detector: { observe: () => [] } });
  await a.start(); agents.push(a);
}
while (!agents.every((a) => a.link.connected)) await new Promise((r) => setTimeout(r, 100));
await c.stop();
await new Promise((r) => setTimeout(r, outageMs));
const back = Date.now();
c = await startInProcessController(ctlDir, { agentListen: `127.0.0.1:${port}` });
const times: number[] = [];
await Promise.all(agents.map(async (a) => { while (!a.link.connected) await new Promise((r) => setTimeout(r, 50)); times.push(Date.now() - back); }));
console.log(JSON.stringify({ outageMs, backMs: times.sort((x, y) => x - y) }));
for (const a of agents) await a.stop();
await c.stop();
dir.remove();
process.exit(0);
