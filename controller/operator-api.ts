// Operator API: what the CLI (and a dashboard) calls. Every call is
// authenticated by a bearer token and checked against the role its method
// needs (deny by default); a refused call gets a precise status and is audited.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Host__Output, OperatorHandlers } from '../proto/wire.ts';
import { checkAgentId, checkText, ValidationError } from '../proto/validate.ts';
import type { AuditLog } from './audit/log.ts';
import { Commands, NotFoundError } from './commands.ts';
import type { Gateway } from './gateway.ts';
import type { Store } from './store/store.ts';
import { checkTagKey, checkTagValue, MAX_HOST_TAGS, requestedTags, tagsOf, tagsToApprove } from './trust/host-tags.ts';
import type { ControllerTrust } from './trust/ca.ts';
import { parseRole, type Role } from './trust/roles.ts';
import { createEnrollmentToken, createOperatorToken } from './trust/tokens.ts';
import { alertHandlers, playbookHandlers, type PlaybookApi } from './operator-alerts.ts';
import { rpcFactory, type Operator } from './operator-rpc.ts';
import { fleetHandlers, type FleetContainmentApi } from './operator-fleet.ts';
import type { Pipeline } from './pipeline/pipeline.ts';

export interface OperatorApiOptions {
  store: Store;
  commands: Commands;
  gateway: Gateway;
  trust: ControllerTrust;
  audit: AuditLog;
  /** the correlation of the moment (a cluster's new leader restores its own) */
  pipeline: () => Pipeline;
  /** absent until playbooks are configured: their RPCs answer FAILED_PRECONDITION */
  playbooks?: () => PlaybookApi | undefined;
  log: Logger;
  now: () => number;
  /** the playbook engine's part in fleet-wide actions and `contain` (absent: no manual runs, default blast radius) */
  fleet?: () => FleetContainmentApi | undefined;
  /** told when an operator changed a host's granted tags, so live sessions and playbooks use them at once */
  onTagsChanged?: (hostId: string, tags: Record<string, string>) => void;
}

export function operatorHandlers(o: OperatorApiOptions): OperatorHandlers {
  return { ...coreHandlers(o), ...alertHandlers(o), ...playbookHandlers(o), ...fleetHandlers(o) };
}

type CoreRpc = 'WhoAmI' | 'ListHosts' | 'GetHost' | 'ListEvents' | 'IssueCommand' | 'ListCommands' | 'GetCommand' | 'WaitCommand'
  | 'CreateEnrollmentToken' | 'AddOperator' | 'RevokeAgent' | 'AllowReenroll' | 'ListAgents' | 'ListAudit' | 'VerifyAudit'
  | 'RevokeEnrollmentToken' | 'RemoveOperator' | 'RotateOperator' | 'SetHostTags' | 'ApproveHostTags';

function coreHandlers(o: OperatorApiOptions): Pick<OperatorHandlers, CoreRpc> {
  const { store, log } = o;

  const rpc = rpcFactory({ store, audit: o.audit, log });

  const withTags = (h: Host__Output, tags: Record<string, string>): Host__Output =>
    ({ ...h, tags, requestedTags: requestedTags(h.inventory?.tags ?? {}, tags) });
  async function hostTagsView(id: string) {
    const grants = await store.trust.hostTagGrants(id);
    const tags = tagsOf(grants);
    const claimed = (await store.getHost(id))?.inventory?.tags ?? {};
    return { hostId: id, tags, requested: requestedTags(claimed, tags), grants };
  }
  const limit = (n: number, dflt: number, max: number) => Math.min(n > 0 ? n : dflt, max);
  const actor = (op: Operator) => `operator:${op.name}`;

  return {
    WhoAmI: rpc('WhoAmI', async (_req, op) => ({ name: op.name, role: op.role })),
    ListHosts: rpc('ListHosts', async () => {
      const granted = await store.trust.allHostTags();
      return { hosts: (await store.listHosts()).map((h) => withTags(h, granted.get(h.id) ?? {})), storage: await store.storageHealth() };
    }),
    GetHost: rpc('GetHost', async (req) => {
      const id = checkAgentId(req.hostId, 'host_id');
      const host = await store.getHost(id);
      if (!host) throw new NotFoundError(`unknown host '${id}' (list them with 'firebreak hosts')`);
      return withTags(host, tagsOf(await store.trust.hostTagGrants(id)));
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
    RevokeEnrollmentToken: rpc('RevokeEnrollmentToken', async (req, op) => {
      const id = checkText(req.id, 'id', 16);
      if (!/^[0-9a-f]{8}$/.test(id)) throw new ValidationError(`token id ${JSON.stringify(id)} is malformed: the 8 hex digits \`firebreak tokens create\` printed as its id`);
      const revoked = await store.trust.revokeEnrollmentToken(id);
      if (revoked.length === 0) throw new NotFoundError(`no enrollment token with id ${id}`);
      const r = revoked[0]!;
      await o.audit.append(actor(op), 'token.revoke', id, { used: r.used, uses: r.maxUses, expiresAtMs: r.expiresAtMs });
      return { id, used: r.used, uses: r.maxUses, expiresAtMs: r.expiresAtMs };
    }),
    RemoveOperator: rpc('RemoveOperator', async (req, op) => {
      const name = checkAgentId(req.name, 'name');
      const before = await store.trust.getOperator(name);
      const r = await store.trust.removeOperator(name);
      if (r === 'unknown') throw new NotFoundError(`no operator named '${name}'`);
      if (r === 'last_admin') throw new ValidationError(`'${name}' is the last admin: add another admin first, or nobody could administer this controller`);
      await o.audit.append(actor(op), 'operator.remove', name, { role: before?.role ?? '' });
      return { name, role: before?.role ?? '' };
    }),
    RotateOperator: rpc('RotateOperator', async (req, op) => {
      const name = checkAgentId(req.name, 'name');
      const { token, hash } = createOperatorToken();
      if (!(await store.trust.rotateOperator(name, hash))) throw new NotFoundError(`no operator named '${name}'`);
      const role = (await store.trust.getOperator(name))!.role;
      await o.audit.append(actor(op), 'operator.rotate', name, { role });
      return { name, role, token };
    }),
    SetHostTags: rpc('SetHostTags', async (req, op) => {
      const id = checkAgentId(req.hostId, 'host_id');
      if (!(await store.hostExists(id)) && !(await store.trust.getAgent(id))) throw new NotFoundError(`unknown host '${id}' (list them with 'firebreak hosts')`);
      const set: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.set)) set[checkTagKey(k)] = checkTagValue(k, v);
      const remove = req.remove.map((k) => checkTagKey(k, 'tag to remove'));
      if (Object.keys(set).length === 0 && remove.length === 0) throw new ValidationError('nothing to change: give KEY=VALUE to grant or --remove KEY');
      const overlap = remove.find((k) => k in set);
      if (overlap) throw new ValidationError(`tag ${overlap} is both granted and removed`);
      const after = { ...tagsOf(await store.trust.hostTagGrants(id)), ...set };
      for (const k of remove) delete after[k];
      if (Object.keys(after).length > MAX_HOST_TAGS) throw new ValidationError(`a host may carry at most ${MAX_HOST_TAGS} tags`);
      const tags = await store.trust.changeHostTags(id, set, remove, 'operator', actor(op), o.now());
      await o.audit.append(actor(op), 'host.tags', id, { set, remove, tags });
      o.onTagsChanged?.(id, tags);
      return hostTagsView(id);
    }),
    ApproveHostTags: rpc('ApproveHostTags', async (req, op) => {
      const id = checkAgentId(req.hostId, 'host_id');
      const host = await store.getHost(id);
      if (!host) throw new NotFoundError(`unknown host '${id}': it has not said Hello yet, so it requests nothing`);
      const effective = tagsOf(await store.trust.hostTagGrants(id));
      const set = tagsToApprove(requestedTags(host.inventory?.tags ?? {}, effective), req.keys, id);
      for (const [k, v] of Object.entries(set)) { checkTagKey(k); checkTagValue(k, v); }
      if (Object.keys({ ...effective, ...set }).length > MAX_HOST_TAGS) throw new ValidationError(`a host may carry at most ${MAX_HOST_TAGS} tags`);
      const tags = await store.trust.changeHostTags(id, set, [], 'approved', actor(op), o.now());
      await o.audit.append(actor(op), 'host.tags.approve', id, { approved: set, tags });
      o.onTagsChanged?.(id, tags);
      return hostTagsView(id);
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
