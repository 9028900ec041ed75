// Shared state of the operator CLI: the program, the lazily made API client,
// and output helpers. Command modules register themselves on `program`.
import { Command, Option } from 'commander';
import type { OperatorClient } from '../../proto/wire.ts';
import { DEFAULT_OPERATOR_ADDRESS, loadCredentials, operatorClient } from './client.ts';

export const program = new Command('firebreak')
  .description('Firebreak operator CLI: hosts, events, and containment commands.')
  .option('--controller <host:port>', 'the controller\'s operator address (env FIREBREAK_CONTROLLER; default: from the credential file)', process.env.FIREBREAK_CONTROLLER)
  .option('--credentials <file>', 'operator credential file (env FIREBREAK_CREDENTIALS)', process.env.FIREBREAK_CREDENTIALS)
  .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
  .showHelpAfterError()
  .addHelpText('after', `
Examples:
  firebreak hosts
  firebreak isolate web-7 --reason "worm on tcp/25" --wait
  firebreak block mail-2 --port 25 --direction out --expires 1h --wait
  firebreak events --host web-7 -o json`);

let client: OperatorClient | undefined;
let address = DEFAULT_OPERATOR_ADDRESS;
export const currentAddress = () => address;
export const closeClient = () => client?.close();
export const api = () => {
  if (client) return client;
  const { cred } = loadCredentials(program.opts().credentials);
  address = program.opts().controller ?? cred.controller ?? DEFAULT_OPERATOR_ADDRESS;
  return (client = operatorClient(address, cred));
};
export const json = () => program.opts().output === 'json';
export const out = (s: string) => process.stdout.write(s);
export const printJson = (v: unknown): void => { out(JSON.stringify(v, (_k, x) => (x?.type === 'Buffer' ? Buffer.from(x.data).toString('base64') : x), 2) + '\n'); };

export { durationArg as duration, durationOption } from '../../proto/duration-option.ts';

