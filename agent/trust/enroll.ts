// Enrollment, agent side: if this agent has no identity yet, fetch the
// controller's CA (accepted only if its fingerprint matches the pin the
// operator gave), send a CSR with the one-time token, and keep what comes back.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { EnrollResponse__Output, HostInventory } from '../../proto/wire.ts';
import { firebreakPackage } from '../../proto/wire.ts';
import { EnrollmentError, loadIdentity, prepareEnrollment, saveEnrollment, type AgentIdentity } from './identity.ts';
import { fetchPinnedCa } from './pin.ts';

export interface EnrollOptions {
  dataDir: string;
  agentId: string;
  /** host:port of the controller's enrollment listener */
  enrollAddress: string;
  token?: string;
  caPin?: string;
  inventory: HostInventory;
  log: Logger;
  timeoutMs?: number;
}

export const identityDir = (dataDir: string) => join(dataDir, 'identity');

export interface EnrolledIdentity {
  identity: AgentIdentity;
  /** tags the enrollment token granted (only on a fresh enrollment) */
  grantedTags: Record<string, string>;
}

/** Returns this agent's identity, enrolling first when it has none. */
export async function ensureIdentity(o: EnrollOptions): Promise<EnrolledIdentity> {
  const dir = identityDir(o.dataDir);
  const existing = loadIdentity(dir);
  if (existing) {
    if (existing.agentId !== o.agentId) {
      throw new EnrollmentError(`this data dir holds the identity of agent '${existing.agentId}', not '${o.agentId}': use --id ${existing.agentId}, or another data dir`);
    }
    return { identity: existing, grantedTags: {} };
  }
  if (!o.token || !o.caPin) {
    throw new EnrollmentError('this agent is not enrolled yet: pass --enroll-token and --ca-pin (both printed by `firebreak tokens create`)');
  }
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(o.enrollAddress);
  if (!m) throw new EnrollmentError(`bad enrollment address '${o.enrollAddress}': expected HOST:PORT`);
  const caPem = await fetchPinnedCa(m[1]!, Number(m[2]), o.caPin, { timeoutMs: o.timeoutMs ?? 10_000 });
  const { csrPem } = await prepareEnrollment(dir, o.agentId);
  const pkg = firebreakPackage();
  const client = new pkg.Enrollment(o.enrollAddress, grpc.credentials.createSsl(Buffer.from(caPem)));
  try {
    const res = await new Promise<EnrollResponse__Output>((resolve, reject) =>
      client.Enroll({ token: o.token, agentId: o.agentId, csrPem, inventory: o.inventory }, { deadline: Date.now() + (o.timeoutMs ?? 20_000) },
        (err, r) => (err ? reject(new EnrollmentError(`enrollment refused by the controller: ${err.details || err.message}`)) : resolve(r!))),
    );
    const identity = saveEnrollment(dir, o.agentId, {
      certPem: res.certPem, caCertPem: res.caCertPem, commandSigningPublicKeyPem: res.commandSigningPublicKeyPem,
    });
    o.log.info({ agentId: o.agentId, notAfter: new Date(res.notAfterMs).toISOString() }, 'enrolled with the controller');
    return { identity, grantedTags: res.tags };
  } finally {
    client.close();
  }
}

/** Mutual TLS for the agent's stream: our key and certificate, the controller's CA as the only root. */
export function linkCredentials(id: AgentIdentity): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(Buffer.from(id.caCertPem), Buffer.from(id.keyPem), Buffer.from(id.certPem));
}
