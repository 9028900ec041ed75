// One wrapper for every Operator RPC: authenticate the bearer token, check the
// role the method needs (deny by default), run, and map any throw to a precise
// gRPC status; refused calls are logged and audited.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ValidationError } from '../proto/validate.ts';
import type { AuditLog } from './audit/log.ts';
import { NotFoundError } from './commands.ts';
import { isStorageError } from './store/storage-error.ts';
import type { Store } from './store/store.ts';
import { firebreakPackage, type OperatorHandlers } from '../proto/wire.ts';
import { PermissionDeniedError, parseRole, requireRole, roleForRpc, type Role } from './trust/roles.ts';
import { bearerToken, hashToken, looksLikeToken, OPERATOR_TOKEN_PREFIX, tokenMatches } from './trust/tokens.ts';

export interface Operator {
  name: string;
  role: Role;
}

class UnauthenticatedError extends Error {}

/** The operation is valid but its part is not running here (e.g. no playbook directory). */
export class UnavailableError extends Error {}

export function toStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof ValidationError) return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
  if (err instanceof NotFoundError) return { code: grpc.status.NOT_FOUND, details: err.message };
  if (err instanceof PermissionDeniedError) return { code: grpc.status.PERMISSION_DENIED, details: err.message };
  if (err instanceof UnauthenticatedError) return { code: grpc.status.UNAUTHENTICATED, details: err.message };
  if (err instanceof UnavailableError) return { code: grpc.status.FAILED_PRECONDITION, details: err.message };
  // a full disk or a damaged store: the message names the file and what to do
  if (isStorageError(err) && err.blocksWrites) return { code: grpc.status.UNAVAILABLE, details: err.message };
  return { code: grpc.status.INTERNAL, details: `controller error: ${(err as Error).message}` };
}

export type Handler<Req, Res> = (req: Req, op: Operator, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>;

/** A refused or failed operator call: its gRPC status, once logged and (if refused) audited. */
export class OperatorCallError extends Error {
  constructor(readonly code: grpc.status, readonly details: string) {
    super(details);
  }
}

/** Who is calling: the `authorization` metadata value and the transport's peer, as gRPC gives them. */
export interface CallerContext {
  authorization: unknown;
  peer: string;
}

/**
 * The one gate every operator call passes, over gRPC or from the dashboard: authenticate the
 * bearer token, check the role `name` needs (deny by default), run `fn`; any throw becomes an
 * OperatorCallError with a precise status, and a refusal is logged and audited.
 */
export function guardFactory(o: { store: Store; audit: AuditLog; log: Logger }) {
  async function authenticate(authorization: unknown): Promise<Operator> {
    const token = bearerToken(authorization);
    if (!token || !looksLikeToken(token, OPERATOR_TOKEN_PREFIX)) {
      throw new UnauthenticatedError('no operator token: pass a credential file (firebreak --credentials FILE); an admin creates one with `firebreak operators add`');
    }
    const found = await o.store.trust.findOperatorByTokenHash(hashToken(token));
    if (!found || !tokenMatches(token, found.tokenHash)) throw new UnauthenticatedError('the operator token is not known to this controller');
    return { name: found.name, role: parseRole(found.role) };
  }

  return async function guarded<Res>(name: string, ctx: CallerContext, fn: (op: Operator) => Promise<Res>): Promise<Res> {
    let op: Operator | undefined;
    try {
      op = await authenticate(ctx.authorization);
      const need = roleForRpc(name);
      if (!need) throw new PermissionDeniedError(op.role, 'admin', `${name} (not in the role table: denied by default)`);
      requireRole(op.role, need, name);
      return await fn(op);
    } catch (err) {
      const status = toStatus(err);
      const code = grpc.status[status.code!];
      if (status.code === grpc.status.INTERNAL) o.log.error({ rpc: name, err }, `operator call failed: ${status.details}`);
      else o.log.info({ rpc: name, code, operator: op?.name }, `operator call refused: ${status.details}`);
      if (status.code === grpc.status.PERMISSION_DENIED || status.code === grpc.status.UNAUTHENTICATED) {
        // counted per peer address and minute, not one entry per call (a flood costs rows per minute)
        o.audit.refused({ peer: ctx.peer, action: 'rpc.denied', claimed: op ? `operator:${op.name} ${name}` : name, code, reason: status.details ?? '' });
      }
      throw new OperatorCallError(status.code!, status.details ?? '');
    }
  };
}

export function rpcFactory(o: { store: Store; audit: AuditLog; log: Logger }) {
  const guarded = guardFactory(o);
  return function rpc<Req, Res>(name: string, fn: Handler<Req, Res>) {
    return (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) => {
      guarded(name, { authorization: call.metadata.get('authorization')[0], peer: call.getPeer() }, (op) => fn(call.request, op, call)).then(
        (res) => cb(null, res),
        (err: OperatorCallError) => cb({ code: err.code, details: err.details }),
      );
    };
  };
}

/**
 * Calls one Operator RPC in this process exactly as a gRPC client would: the request and the
 * answer go through the .proto's (de)serialisers (defaults filled, unknown fields dropped, the
 * same JSON the CLI sees), and the handler's own gate authenticates, checks the role and audits.
 * The dashboard's one way into the operator API. Rejects with an OperatorCallError.
 */
export function invokeOperator(handlers: OperatorHandlers, name: keyof OperatorHandlers & string, request: object, ctx: CallerContext): Promise<unknown> {
  const def = firebreakPackage().Operator.service[name];
  const handler = handlers[name] as unknown as (call: unknown, cb: grpc.sendUnaryData<unknown>) => void;
  if (!def || typeof handler !== 'function') return Promise.reject(new OperatorCallError(grpc.status.UNIMPLEMENTED, `no operator call named ${name}`));
  let req: unknown;
  try {
    req = def.requestDeserialize(def.requestSerialize(request));
  } catch (err) {
    return Promise.reject(new OperatorCallError(grpc.status.INVALID_ARGUMENT, `the request does not fit ${name}: ${(err as Error).message}`));
  }
  const metadata = new grpc.Metadata();
  if (typeof ctx.authorization === 'string') metadata.set('authorization', ctx.authorization);
  const call = { request: req, metadata, getPeer: () => ctx.peer, cancelled: false, on: () => call, once: () => call };
  return new Promise((resolve, reject) => {
    handler(call, (err, res) => {
      if (err) reject(new OperatorCallError(err.code ?? grpc.status.UNKNOWN, err.details ?? (err as { message?: string }).message ?? ''));
      else resolve(def.responseDeserialize(def.responseSerialize(res)));
    });
  });
}
