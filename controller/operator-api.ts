// Operator API: what the CLI (and a dashboard) calls. Every call is
// authenticated by a bearer token and checked against the role its method
// needs (deny by default); a refused call gets a precise status and is audited.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { OperatorHandlers } from '../proto/wire.ts';
import { checkAgentId, checkText, ValidationError } from '../proto/validate.ts';
import type { AuditLog } from './audit/log.ts';
import { Commands, NotFoundError } from './commands.ts';
import type { Gateway } from './gateway.ts';
import type { Store } from './store/store.ts';
import type { ControllerTrust } from './trust/ca.ts';
import { parseRole, type Role } from './trust/roles.ts';
import { createEnrollmentToken, createOperatorToken } from './trust/tokens.ts';
import { alertHandlers, playbookHandlers, type PlaybookApi } from './operator-alerts.ts';
import { rpcFactory, type Operator } from './operator-rpc.ts';
import type { Pipeline } from './pipeline/pipeline.ts';

export interface OperatorApiOptions {
  store: Store;
  commands: Commands;
  gateway: Gateway;
  trust: ControllerTrust;
  audit: AuditLog;
  pipeline: Pipeline;
  /** absent until playbooks are configured: their RPCs answer FAILED_PRECONDITION */
  playbooks?: () => PlaybookApi | undefined;
  log: Logger;
  now: () => number;
}

export function operatorHandlers(o: OperatorApiOptions): OperatorHandlers {
  return { ...coreHandlers(o), ...alertHandlers(o), ...playbookHandlers(o) };
}

type CoreRpc = 'WhoAmI' | 'ListHosts' | 'GetHost' | 'ListEvents' | 'IssueCommand' | 'ListCommands' | 'GetCommand' | 'WaitCommand'
  | 'CreateEnrollmentToken' | 'AddOperator' | 'RevokeAgent' | 'AllowReenroll' | 'ListAgents' | 'ListAudit' | 'VerifyAudit';

function coreHandlers(o: OperatorApiOptions): Pick<OperatorHandlers, CoreRpc> {
  const { store, log } = o;

  const rpc = rpcFactory({ store, audit: o.audit, log });

  const limit = (n: number, dflt: number, max: number) => Math.min(n > 0 ? n : dflt, max);
  const actor = (op: Operator) => `operator:${op.name}`;

  return {
    WhoAmI: rpc('WhoAmI', async (_req, op) => ({ name: op.name, role: op.role })),
    ListHosts: rpc('ListHosts', async () => ({ hosts: await store.listHosts() })),
    GetHost: rpc('GetHost', async (req) => {
      const id = checkAgentId(req.hostId, 'host_id');
      const host = await store.getHost(id);
      if (!host) throw new NotFoundError(`unknown host '${id}' (list them with 'firebreak hosts')`);
      return host;
    }),
    ListEvents: rpc('ListEvents', async (req) => ({
      events: await store.listEvents({
        hostId: req.hostId ? checkAgentId(req.hostId, 'host_id') : undefined,
        sinceMs: req.sinceMs,
        signaturePrefix: req.signaturePrefix ? checkText(req.signaturePrefix, 'signature_prefix', 200) : undefined,
        limit: limit(req.limit, 100, 10000),
      }),
    })),
    IssueCommand: rpc('IssueCommand', async (req, op) => o.commands.issue(req, actor(op))),
    ListCommands: rpc('ListCommands', async (req) => ({
      commands: await store.listCommands({
        hostId: req.hostId ? checkAgentId(req.hostId, 'host_id') : undefined,
        limit: limit(req.limit, 50, 10000),
      }),
    })),
    GetCommand: rpc('GetCommand', async (req) => o.commands.get(checkText(req.commandId, 'command_id', 64))),
    WaitCommand: rpc('WaitCommand', async (req) => o.commands.wait(checkText(req.commandId, 'command_id', 64), limit(req.timeoutMs, 30000, 300000))),

    CreateEnrollmentToken: rpc('CreateEnrollmentToken', async (req, op) => {
      for (const [k, v] of Object.entries(req.tags)) { checkText(k, 'tag key', 64); checkText(v, `tag ${k}`, 256); }
      let created;
      try {
        created = createEnrollmentToken({ now: o.now(), uses: req.uses || 1, ttlMs: (req.ttlS || 24 * 3600) * 1000, tags: req.tags });
      } catch (err) {
        throw new ValidationError((err as Error).message);
      }
      await store.trust.addEnrollmentToken(created.record);
      await o.audit.append(actor(op), 'token.create', created.record.id, { uses: created.record.maxUses, expiresAtMs: created.record.expiresAtMs, tags: req.tags });
      return { token: created.token, id: created.record.id, expiresAtMs: created.record.expiresAtMs, uses: created.record.maxUses, caFingerprint: o.trust.caFingerprint };
    }),
    AddOperator: rpc('AddOperator', async (req, op) => {
      const name = checkAgentId(req.name, 'name');
      let role: Role;
      try { role = parseRole(req.role); } catch (err) { throw new ValidationError((err as Error).message); }
      const { token, hash } = createOperatorToken();
      await store.trust.addOperator({ name, role, tokenHash: hash }, o.now());
      await o.audit.append(actor(op), 'operator.add', name, { role });
      return { name, role, token };
    }),
    RevokeAgent: rpc('RevokeAgent', async (req, op) => {
      const id = checkAgentId(req.hostId, 'host_id');
      if (!(await store.trust.setAgentRevoked(id, true))) throw new NotFoundError(`agent '${id}' is not enrolled (list them with 'firebreak agents list')`);
      const dropped = o.gateway.drop(id, grpc.status.PERMISSION_DENIED, `agent '${id}' was revoked by an operator`);
      await o.audit.append(actor(op), 'agent.revoke', id, { streamDropped: dropped });
      return (await store.trust.getAgent(id))!;
    }),
    AllowReenroll: rpc('AllowReenroll', async (req, op) => {
      const id = checkAgentId(req.hostId, 'host_id');
      if (!(await store.trust.allowReenroll(id))) throw new NotFoundError(`agent '${id}' is not enrolled; a new agent needs no permission to enroll`);
      await o.audit.append(actor(op), 'agent.allow-reenroll', id);
      return (await store.trust.getAgent(id))!;
    }),
    ListAgents: rpc('ListAgents', async () => ({ agents: await store.trust.listAgents() })),
    ListAudit: rpc('ListAudit', async (req) => ({
      entries: (await store.trust.listAudit(req.sinceMs, limit(req.limit, 100, 100000))).map((e) => ({
        seq: e.seq, atMs: e.at_ms, actor: e.actor, action: e.action, target: e.target, detail: e.detail, prevHash: e.prev_hash, hash: e.hash,
      })),
    })),
    VerifyAudit: rpc('VerifyAudit', async () => {
      const v = await o.audit.verify();
      return v.ok
        ? { ok: true, count: v.count, firstBadSeq: 0, problem: '', head: v.head ? `${v.head.seq}:${v.head.hash}` : '' }
        : { ok: false, count: 0, firstBadSeq: v.seq, problem: `${v.problem}: ${v.reason}`, head: '' };
    }),
  };
}
