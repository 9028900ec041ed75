// Enrollment: a new agent presents a one-time token and a CSR over TLS (it has
// pinned our CA by fingerprint) and receives a client certificate naming its
// agent id, plus the key that will verify our commands. An id that is already
// enrolled is refused unless an operator allowed that host to re-enroll. The
// token's tags become the host's granted tags (the controller's record, not the
// agent's config: what an agent says about itself is only a request).
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { EnrollmentHandlers } from '../proto/wire.ts';
import { checkAgentId, ValidationError } from '../proto/validate.ts';
import type { AuditLog } from './audit/log.ts';
import type { TrustStore } from './store/trust-store.ts';
import type { ControllerTrust } from './trust/ca.ts';
import { checkEnrollmentToken, ENROLLMENT_TOKEN_PREFIX, hashToken, looksLikeToken } from './trust/tokens.ts';

export interface EnrollmentOptions {
  trust: ControllerTrust;
  store: TrustStore;
  audit: AuditLog;
  log: Logger;
  now: () => number;
}

export function enrollmentHandlers(o: EnrollmentOptions): EnrollmentHandlers {
  return {
    Enroll: (call, cb) => {
      const req = call.request;
      const peer = call.getPeer();
      const refuse = (code: grpc.status, details: string, agentId = '') => {
        o.log.warn({ peer, agentId, code: grpc.status[code] }, `enrollment refused: ${details}`);
        // filed under the peer's address, per minute: the claimed id is only a sample in the entry
        o.audit.refused({ peer, action: 'agent.enroll.refused', claimed: agentId, code: grpc.status[code], reason: details });
        cb({ code, details });
      };
      (async () => {
        let agentId: string;
        try {
          agentId = checkAgentId(req.agentId, 'agent_id');
        } catch (err) {
          return refuse(grpc.status.INVALID_ARGUMENT, (err as ValidationError).message);
        }
        const hash = looksLikeToken(req.token, ENROLLMENT_TOKEN_PREFIX) ? hashToken(req.token) : '';
        const record = hash ? await o.store.findEnrollmentToken(hash) : undefined;
        const check = checkEnrollmentToken(req.token, () => record, o.now());
        if (!check.ok) return refuse(grpc.status.PERMISSION_DENIED, check.reason, agentId);
        // the id check and the token's use in one transaction, before any certificate is signed:
        // of concurrent enrollments of one id exactly one gets a certificate
        const held = await o.store.reserveEnrollment(agentId, hash, o.now());
        if (!held.ok) {
          return held.code === 'already_enrolled'
            ? refuse(grpc.status.ALREADY_EXISTS,
              `agent id '${agentId}' is already enrolled (or its enrollment is in progress); if this host was re-imaged, an admin must run 'firebreak agents allow-reenroll ${agentId}' first`, agentId)
            : refuse(grpc.status.PERMISSION_DENIED, `enrollment token ${check.record.id} has no uses left (or was revoked or expired meanwhile): create a new one`, agentId);
        }
        let issued;
        try {
          issued = await o.trust.signAgentCsr(req.csrPem, agentId);
        } catch (err) {
          await o.store.abandonEnrollment(agentId, held.reenroll, hash);
          return refuse(grpc.status.INVALID_ARGUMENT, `the CSR was refused: ${(err as Error).message}`, agentId);
        }
        await o.store.completeEnrollment({ id: agentId, certFingerprint: issued.fingerprint256, certNotAfterMs: issued.notAfterMs, atMs: o.now(), token: held.token });
        const existing = held.reenroll;
        await o.audit.append(`agent:${agentId}`, existing ? 'agent.reenroll' : 'agent.enroll', agentId, {
          peer, token: check.record.id, fingerprint: issued.fingerprint256, hostname: req.inventory?.hostname ?? '', tags: held.token.tags,
        });
        o.log.info({ agentId, peer, token: check.record.id }, existing ? 'agent re-enrolled' : 'agent enrolled');
        cb(null, {
          agentId, certPem: issued.certPem, caCertPem: o.trust.caCertPem,
          commandSigningPublicKeyPem: o.trust.commandSigningPublicKeyPem, notAfterMs: issued.notAfterMs, tags: check.record.tags,
        });
      })().catch((err) => {
        o.log.error({ err }, 'enrollment failed');
        cb({ code: grpc.status.INTERNAL, details: `enrollment failed on the controller: ${(err as Error).message}` });
      });
    },
  };
}
