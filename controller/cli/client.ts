// The operator CLI's connection to the controller's Operator API: server TLS
// verified against the controller's own CA, and a bearer token per call.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { OperatorClient } from '../../proto/wire.ts';
import { firebreakPackage } from '../../proto/wire.ts';
import { ADMIN_CREDENTIALS_FILE, type CredentialFile } from '../credentials.ts';

export const DEFAULT_OPERATOR_ADDRESS = '127.0.0.1:7444';

export class CredentialError extends Error {}

/** Where the CLI looks for a credential when none is named. */
export function credentialCandidates(): string[] {
  return [
    resolve('.firebreak/controller', ADMIN_CREDENTIALS_FILE),
    join(homedir(), '.config/firebreak/credentials.json'),
  ];
}

export function loadCredentials(file: string | undefined): { cred: CredentialFile; file: string } {
  const candidates = file ? [resolve(file)] : credentialCandidates();
  for (const f of candidates) {
    if (!existsSync(f)) continue;
    try {
      const cred = JSON.parse(readFileSync(f, 'utf8')) as CredentialFile;
      if (typeof cred.token !== 'string' || typeof cred.caCertPem !== 'string') throw new Error('token or caCertPem missing');
      return { cred, file: f };
    } catch (err) {
      throw new CredentialError(`credential file ${f} is unreadable: ${(err as Error).message}`);
    }
  }
  throw new CredentialError(file
    ? `credential file ${file} does not exist`
    : `no operator credential found (looked in ${candidates.join(', ')}): pass --credentials FILE or set FIREBREAK_CREDENTIALS; the controller writes one for its first admin to <data-dir>/${ADMIN_CREDENTIALS_FILE}`);
}

export function operatorClient(address: string, cred: CredentialFile): OperatorClient {
  const pkg = firebreakPackage();
  const callCreds = grpc.credentials.createFromMetadataGenerator((_params, cb) => {
    const md = new grpc.Metadata();
    md.add('authorization', `Bearer ${cred.token}`);
    cb(null, md);
  });
  const creds = grpc.credentials.combineChannelCredentials(grpc.credentials.createSsl(Buffer.from(cred.caCertPem)), callCreds);
  return new pkg.Operator(address, creds, { 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
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
