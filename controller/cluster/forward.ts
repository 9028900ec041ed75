// Operators may talk to any controller of a cluster. Hosts, events, commands,
// audit and trust live in the shared store and are served where asked; alerts,
// silences, playbooks and runs live in the leader's correlation and playbook
// engine, so a follower passes those calls on to the leader's operator port with
// the caller's own token: the leader authenticates, checks the role, audits and
// answers as if asked directly. No token is ever minted or widened here.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { firebreakPackage, type OperatorClient, type OperatorHandlers } from '../../proto/wire.ts';

/** The calls only the leader can answer. */
export const LEADER_RPCS = [
  'ListAlerts', 'GetAlert', 'AckAlert', 'AddSilence', 'ListSilences', 'ExpireSilence',
  'ListPlaybooks', 'ValidatePlaybook', 'SetPlaybookEnabled', 'ListRuns', 'GetRun', 'ApproveRun',
  'PlanFleetCommand', 'IssueFleetCommand', 'ContainAlert',
] as const satisfies readonly (keyof OperatorHandlers)[];

/** Where the leader serves operators, as it published on taking the lead. */
export interface LeaderInfo {
  node: string;
  operator: string;
  sinceMs: number;
}

export interface ForwardOptions {
  isLeader: () => boolean;
  /** the leader as published in the store (undefined while none leads) */
  leader: () => Promise<LeaderInfo | undefined>;
  /** the cluster's CA: the leader's operator certificate is issued by it */
  caCertPem: string;
  node: string;
  log: Logger;
}

type Unary = (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) => void;

/** Wraps `handlers` (in place) so the leader-only calls are forwarded while this controller follows. */
export function forwardToLeader(handlers: OperatorHandlers, o: ForwardOptions): { close(): void } {
  const pkg = firebreakPackage();
  let client: { address: string; c: OperatorClient } | undefined;
  const clientFor = (address: string): OperatorClient => {
    if (client?.address !== address) {
      client?.c.close();
      client = { address, c: new pkg.Operator(address, grpc.credentials.createSsl(Buffer.from(o.caCertPem)), { 'grpc.max_receive_message_length': 64 * 1024 * 1024 }) };
    }
    return client.c;
  };
  const table = handlers as unknown as Record<string, Unary>;
  for (const name of LEADER_RPCS) {
    const local = table[name]!;
    table[name] = (call, cb) => {
      if (o.isLeader()) return local(call, cb);
      void o.leader().then((leader) => {
        if (!leader || leader.node === o.node) {
          cb({ code: grpc.status.UNAVAILABLE, details: `no controller leads the cluster right now (an election is under way); retry in a few seconds` });
          return;
        }
        const md = new grpc.Metadata();
        const auth = call.metadata.get('authorization')[0];
        if (auth !== undefined) md.set('authorization', auth);
        md.set('x-firebreak-forwarded-by', o.node);
        const method = (clientFor(leader.operator) as unknown as Record<string, (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: grpc.requestCallback<unknown>) => void>)[name]!;
        method.call(client!.c, call.request, md, { deadline: Date.now() + 30_000 }, (err, res) => {
          if (!err) return cb(null, res);
          // the leader's own refusal passes through as it is; a leader out of reach says so
          if (err.code === grpc.status.UNAVAILABLE) {
            o.log.warn({ rpc: name, leader: leader.node, at: leader.operator, err: err.details }, 'cluster: could not reach the leader for an operator call');
            cb({ code: grpc.status.UNAVAILABLE, details: `this controller follows; the leader ${leader.node} (${leader.operator}) did not answer (${err.details}); retry in a few seconds` });
          } else cb({ code: err.code, details: err.details, metadata: err.metadata });
        });
      }, (err: Error) => cb({ code: grpc.status.UNAVAILABLE, details: `cannot find the cluster's leader: ${err.message}` }));
    };
  }
  return { close: () => client?.c.close() };
}
