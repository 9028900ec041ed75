// Runs the openssl binary for certificate and CSR work (no hand-rolled ASN.1),
// shared by the controller (CA, signing) and the agent (key, CSR). Arguments
// go through execFile, never a shell; anything that lands in a config file is
// validated by the caller first.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENSSL = process.env.FIREBREAK_OPENSSL ?? 'openssl';

export class OpensslError extends Error {
  override name = 'OpensslError';
}

export function openssl(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(OPENSSL, args, { timeout: 20_000, maxBuffer: 4 * 1024 * 1024, env: { ...process.env, OPENSSL_CONF: '/dev/null' } }, (err, stdout, stderr) => {
      if (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'ENOENT') reject(new OpensslError(`'${OPENSSL}' was not found: install openssl (apt-get install openssl) or set FIREBREAK_OPENSSL to its path`));
        else reject(new OpensslError(`openssl ${args[0]} failed: ${String(stderr).trim() || e.message}`));
        return;
      }
      resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** A private temp dir (0700) for CSRs and extension files, removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'firebreak-trust-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
