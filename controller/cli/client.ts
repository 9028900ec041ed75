// The operator CLI's connection to the controller's Operator API.
import * as grpc from '@grpc/grpc-js';
import type { OperatorClient } from '../../proto/wire.ts';
import { firebreakPackage } from '../../proto/wire.ts';

export const DEFAULT_OPERATOR_ADDRESS = '127.0.0.1:7444';

export function operatorClient(address: string): OperatorClient {
  const pkg = firebreakPackage();
  return new pkg.Operator(address, grpc.credentials.createInsecure(), {
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
}

/** Calls a unary method as a promise, with a deadline. */
export function call<Req, Res>(
  client: OperatorClient,
  method: keyof OperatorClient & string,
  req: Req,
  timeoutMs = 10_000,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, Function>)[method]!.bind(client);
    fn(req, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: Res) => (err ? reject(err) : resolve(res)));
  });
}
