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

export function rpcFactory(o: { store: Store; audit: AuditLog; log: Logger }) {
  async function authenticate(call: grpc.ServerUnaryCall<unknown, unknown>): Promise<Operator> {
    const token = bearerToken(call.metadata.get('authorization')[0]);
    if (!token || !looksLikeToken(token, OPERATOR_TOKEN_PREFIX)) {
      throw new UnauthenticatedError('no operator token: pass a credential file (firebreak --credentials FILE); an admin creates one with `firebreak operators add`');
    }
    const found = await o.store.trust.findOperatorByTokenHash(hashToken(token));
    if (!found || !tokenMatches(token, found.tokenHash)) throw new UnauthenticatedError('the operator token is not known to this controller');
    return { name: found.name, role: parseRole(found.role) };
  }

  return function rpc<Req, Res>(name: string, fn: Handler<Req, Res>) {
    return (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) => {
      let op: Operator | undefined;
      (async () => {
        op = await authenticate(call as grpc.ServerUnaryCall<unknown, unknown>);
        const need = roleForRpc(name);
        if (!need) throw new PermissionDeniedError(op.role, 'admin', `${name} (not in the role table: denied by default)`);
        requireRole(op.role, need, name);
        return fn(call.request, op, call);
      })().then(
        (res) => cb(null, res),
        (err) => {
          const status = toStatus(err);
          const code = grpc.status[status.code!];
          if (status.code === grpc.status.INTERNAL) o.log.error({ rpc: name, err }, `operator call failed: ${status.details}`);
          else o.log.info({ rpc: name, code, operator: op?.name }, `operator call refused: ${status.details}`);
          if (status.code === grpc.status.PERMISSION_DENIED || status.code === grpc.status.UNAUTHENTICATED) {
            // counted per peer address and minute, not one entry per call (a flood costs rows per minute)
            o.audit.refused({ peer: call.getPeer(), action: 'rpc.denied', claimed: op ? `operator:${op.name} ${name}` : name, code, reason: status.details ?? '' });
          }
          cb(status);
        },
      );
    };
  };
}
