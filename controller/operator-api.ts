// Operator API: what the CLI (and later the dashboard) calls. Each handler maps
// domain errors to a precise gRPC status.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { OperatorHandlers } from '../proto/wire.ts';
import { checkAgentId, ValidationError } from '../proto/validate.ts';
import { Commands, NotFoundError } from './commands.ts';
import type { Store } from './store/store.ts';

export interface OperatorApiOptions {
  store: Store;
  commands: Commands;
  log: Logger;
  /** who is calling; the trust layer replaces this with the authenticated operator */
  identify?: (call: grpc.ServerUnaryCall<unknown, unknown>) => string;
}

function toStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof ValidationError) return { code: grpc.status.INVALID_ARGUMENT, details: err.message };
  if (err instanceof NotFoundError) return { code: grpc.status.NOT_FOUND, details: err.message };
  return { code: grpc.status.INTERNAL, details: `controller error: ${(err as Error).message}` };
}

/** Wraps an async handler so any throw becomes a precise status and a log line. */
function unary<Req, Res>(log: Logger, name: string, fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>) {
  return (call: grpc.ServerUnaryCall<Req, Res>, cb: grpc.sendUnaryData<Res>) => {
    fn(call.request, call).then(
      (res) => cb(null, res),
      (err) => {
        const status = toStatus(err);
        (status.code === grpc.status.INTERNAL ? log.error.bind(log) : log.info.bind(log))(
          { rpc: name, code: grpc.status[status.code!], err: status.code === grpc.status.INTERNAL ? err : undefined },
          `operator call refused: ${status.details}`,
        );
        cb(status);
      },
    );
  };
}

export function operatorHandlers(o: OperatorApiOptions): OperatorHandlers {
  const who = (call: grpc.ServerUnaryCall<unknown, unknown>) => (o.identify ? o.identify(call) : `operator@${call.getPeer()}`);
  const limit = (n: number, dflt: number, max: number) => Math.min(n > 0 ? n : dflt, max);
  return {
    ListHosts: unary(o.log, 'ListHosts', async () => ({ hosts: await o.store.listHosts() })),
    GetHost: unary(o.log, 'GetHost', async (req) => {
      const id = checkAgentId(req.hostId, 'host_id');
      const host = await o.store.getHost(id);
      if (!host) throw new NotFoundError(`unknown host '${id}' (list them with 'firebreak hosts')`);
      return host;
    }),
    ListEvents: unary(o.log, 'ListEvents', async (req) => ({
      events: await o.store.listEvents({
        hostId: req.hostId ? checkAgentId(req.hostId, 'host_id') : undefined,
        sinceMs: req.sinceMs,
        signaturePrefix: req.signaturePrefix || undefined,
        limit: limit(req.limit, 100, 10000),
      }),
    })),
    IssueCommand: unary(o.log, 'IssueCommand', async (req, call) => o.commands.issue(req, who(call))),
    ListCommands: unary(o.log, 'ListCommands', async (req) => ({
      commands: await o.store.listCommands({
        hostId: req.hostId ? checkAgentId(req.hostId, 'host_id') : undefined,
        limit: limit(req.limit, 50, 10000),
      }),
    })),
    GetCommand: unary(o.log, 'GetCommand', async (req) => o.commands.get(req.commandId)),
    WaitCommand: unary(o.log, 'WaitCommand', async (req) => o.commands.wait(req.commandId, limit(req.timeoutMs, 30000, 300000))),
  };
}
