// An in-process controller on real gRPC sockets and a real SQLite file, and
// enrolled identities for raw agent clients: for tests that speak the wire
// protocol directly (bad input, attacks) and need to be fast.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Agent } from '../../agent/agent.ts';
import { AgentConfigSchema, type AgentConfig } from '../../agent/config.ts';
import { DryRunBackend } from '../../agent/enforce/dry-run.ts';
import { emptySample } from '../../agent/sample/sampler.ts';
import { ensureIdentity, linkCredentials } from '../../agent/trust/enroll.ts';
import type { AgentIdentity } from '../../agent/trust/identity.ts';
import { operatorClient } from '../../controller/cli/client.ts';
import { Controller, type ControllerConfig } from '../../controller/controller.ts';
import type { CredentialFile } from '../../controller/credentials.ts';
import { createEnrollmentToken } from '../../controller/trust/tokens.ts';
import type { AgentLinkClient, OperatorClient } from '../../proto/wire.ts';
import { firebreakPackage } from '../../proto/wire.ts';

export const silent = pino({ level: 'silent' });
export const inventory = { hostname: 'test', os: 'linux', kernel: '6', cpuModel: 'x', cpuCores: 2, memoryBytes: 1024, ipAddresses: [], agentVersion: 't', tags: {} };

export async function startInProcessController(dataDir: string, over: Partial<ControllerConfig> = {}): Promise<Controller> {
  const c = new Controller({
    dataDir, agentListen: '127.0.0.1:0', enrollListen: '127.0.0.1:0', operatorListen: '127.0.0.1:0',
    heartbeatIntervalMs: 1000, offlineAfterBeats: 30, commandTtlMs: 60_000, log: silent, ...over,
  });
  await c.start();
  return c;
}

/** Enrolls an agent id through the real Enrollment RPC (its token granting `tags`); returns its identity. */
export async function enroll(c: Controller, agentId: string, dir: string, tags: Record<string, string> = {}): Promise<AgentIdentity> {
  const { token, record } = createEnrollmentToken({ now: Date.now(), uses: 1, tags });
  await c.store.trust.addEnrollmentToken(record);
  const { identity } = await ensureIdentity({
    dataDir: join(dir, agentId), agentId, enrollAddress: `127.0.0.1:${c.enrollPort}`, token, caPin: c.trust.caFingerprint, inventory, log: silent,
  });
  return identity;
}

export function agentLinkClient(c: Controller, identity: AgentIdentity, options: grpc.ChannelOptions = {}): AgentLinkClient {
  return new (firebreakPackage().AgentLink)(`127.0.0.1:${c.agentPort}`, linkCredentials(identity), options);
}

export function adminClient(c: Controller): OperatorClient {
  const cred = JSON.parse(readFileSync(c.credentialsFile, 'utf8')) as CredentialFile;
  return operatorClient(`127.0.0.1:${c.operatorPort}`, cred);
}

export function operatorWithToken(c: Controller, token: string): OperatorClient {
  const cred = JSON.parse(readFileSync(c.credentialsFile, 'utf8')) as CredentialFile;
  return operatorClient(`127.0.0.1:${c.operatorPort}`, { ...cred, token });
}

export const unary = <T>(client: OperatorClient, method: string, req: unknown): Promise<T> =>
  new Promise((resolve, reject) => (client as unknown as Record<string, Function>)[method]!.call(client, req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));

/** A real Agent in this process (real link, mTLS, signed-command checks), dry-run backend, empty samples. */
export function inProcessAgent(c: Controller, identity: AgentIdentity, dataDir: string): { agent: Agent; backend: DryRunBackend } {
  const backend = new DryRunBackend();
  const config: AgentConfig = AgentConfigSchema.parse({
    agentId: identity.agentId, controller: `127.0.0.1:${c.agentPort}`, intervalMs: 1000, tags: {}, dataDir, backend: 'dry-run', logLevel: 'error',
  });
  const agent = new Agent({
    config, identity, inventory, backend, log: silent,
    sampler: { sample: async () => emptySample(Date.now()) },
    detector: { observe: () => [] },
  });
  return { agent, backend };
}
