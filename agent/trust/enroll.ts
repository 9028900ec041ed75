// Enrollment, agent side: if this agent has no identity yet, fetch the
// controller's CA (accepted only if its fingerprint matches the pin the
// operator gave), send a CSR with the one-time token, and keep what comes back.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { EnrollResponse__Output, HostInventory } from '../../proto/wire.ts';
import { firebreakPackage } from '../../proto/wire.ts';
import { EnrollmentError, loadIdentity, prepareEnrollment, saveEnrollment, type AgentIdentity } from './identity.ts';
import { fetchPinnedCa } from './pin.ts';

export interface EnrollOptions {
  dataDir: string;
  agentId: string;
  /** host:port of the controller's enrollment listener */
  enrollAddress: string;
  token?: string;
  caPin?: string;
  inventory: HostInventory;
  log: Logger;
  timeoutMs?: number;
}

export const identityDir = (dataDir: string) => join(dataDir, 'identity');

/** The environment variable an enrollment token may come in (systemd EnvironmentFile=, a secret store). */
export const ENROLL_TOKEN_ENV = 'FIREBREAK_ENROLL_TOKEN';

export interface TokenSources {
  /** --enroll-token: a value, or '-' for standard input */
  flag?: string;
  /** --enroll-token-file */
  file?: string;
  /** process.env */
  env: NodeJS.ProcessEnv;
  /** reads standard input to its end (only called for '-') */
  readStdin: () => Promise<string>;
}

export interface ResolvedToken {
  token?: string;
  /** where it came from, for messages: never the token itself */
  source?: 'argv' | 'stdin' | 'file' | 'env';
  /** said loudly at start-up: the token was passed in a way others can read */
  warnings: string[];
}

/**
 * The enrollment token from exactly one source. A token on the command line is
 * accepted (existing deploy scripts use it) but warned about: every user on the
 * host sees argv in `ps` and /proc for the life of the process, and a token with
 * uses left enrolls any id. Prefer a file (0600), the environment or stdin.
 */
export async function resolveEnrollToken(s: TokenSources): Promise<ResolvedToken> {
  const envToken = s.env[ENROLL_TOKEN_ENV];
  const given = [s.flag !== undefined && '--enroll-token', s.file !== undefined && '--enroll-token-file', envToken ? ENROLL_TOKEN_ENV : false].filter(Boolean);
  if (given.length > 1) throw new EnrollmentError(`the enrollment token is given ${given.length} ways (${given.join(', ')}): give it one way`);
  const warnings: string[] = [];
  const clean = (text: string, from: string): string => {
    const t = text.trim();
    if (!t) throw new EnrollmentError(`the enrollment token from ${from} is empty`);
    if (/\s/.test(t)) throw new EnrollmentError(`the enrollment token from ${from} contains white space: it must be the one line \`firebreak tokens create\` printed`);
    return t;
  };
  if (s.file !== undefined) {
    let text: string;
    try {
      const st = statSync(s.file);
      if ((st.mode & 0o077) !== 0) warnings.push(`enrollment token file ${s.file} is readable by other users (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it, or delete it once this agent has enrolled`);
      text = readFileSync(s.file, 'utf8');
    } catch (err) {
      throw new EnrollmentError(`cannot read the enrollment token file ${s.file}: ${(err as Error).message}`);
    }
    return { token: clean(text, s.file), source: 'file', warnings };
  }
  if (s.flag === '-') return { token: clean(await s.readStdin(), 'standard input'), source: 'stdin', warnings };
  if (s.flag !== undefined) {
    warnings.push('ENROLLMENT TOKEN ON THE COMMAND LINE: any user of this host could read it in `ps` (hidden from the process title now, but shell history and start-up keep it); '
      + `next time use --enroll-token-file FILE (mode 0600), ${ENROLL_TOKEN_ENV}, or --enroll-token - (standard input), and revoke this token once enrolled (\`firebreak tokens revoke <id>\`)`);
    return { token: clean(s.flag, '--enroll-token'), source: 'argv', warnings };
  }
  if (envToken) return { token: clean(envToken, ENROLL_TOKEN_ENV), source: 'env', warnings };
  return { warnings };
}

export interface EnrolledIdentity {
  identity: AgentIdentity;
  /** tags the enrollment token granted (only on a fresh enrollment) */
  grantedTags: Record<string, string>;
}

/** Returns this agent's identity, enrolling first when it has none. */
export async function ensureIdentity(o: EnrollOptions): Promise<EnrolledIdentity> {
  const dir = identityDir(o.dataDir);
  const existing = loadIdentity(dir);
  if (existing) {
    if (existing.agentId !== o.agentId) {
      throw new EnrollmentError(`this data dir holds the identity of agent '${existing.agentId}', not '${o.agentId}': use --id ${existing.agentId}, or another data dir`);
    }
    return { identity: existing, grantedTags: {} };
  }
  if (!o.token || !o.caPin) {
    throw new EnrollmentError(`this agent is not enrolled yet: pass the token (--enroll-token-file FILE, ${ENROLL_TOKEN_ENV}, or --enroll-token - on standard input) and --ca-pin (both printed by \`firebreak tokens create\`)`);
  }
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(o.enrollAddress);
  if (!m) throw new EnrollmentError(`bad enrollment address '${o.enrollAddress}': expected HOST:PORT`);
  // A connection reset or refused is worth a few more tries: the enrollment port caps connections per
  // source address, and a fleet behind one NAT enrolling at once meets that cap. A wrong pin, a spent
  // token or a refusal is final.
  const caPem = await retryTransient(() => fetchPinnedCa(m[1]!, Number(m[2]), o.caPin!, { timeoutMs: o.timeoutMs ?? 10_000 }), o.log);
  const { csrPem } = await prepareEnrollment(dir, o.agentId);
  const pkg = firebreakPackage();
  const client = new pkg.Enrollment(o.enrollAddress, grpc.credentials.createSsl(Buffer.from(caPem)));
  try {
    const res = await retryTransient(() => new Promise<EnrollResponse__Output>((resolve, reject) =>
      client.Enroll({ token: o.token, agentId: o.agentId, csrPem, inventory: o.inventory }, { deadline: Date.now() + (o.timeoutMs ?? 20_000) },
        (err, r) => (err
          ? reject(new EnrollmentError(`enrollment refused by the controller: ${err.details || err.message}`, err.code === grpc.status.UNAVAILABLE))
          : resolve(r!))),
    ), o.log);
    const identity = saveEnrollment(dir, o.agentId, {
      certPem: res.certPem, caCertPem: res.caCertPem, commandSigningPublicKeyPem: res.commandSigningPublicKeyPem,
    });
    o.log.info({ agentId: o.agentId, notAfter: new Date(res.notAfterMs).toISOString() }, 'enrolled with the controller');
    return { identity, grantedTags: res.tags };
  } finally {
    client.close();
  }
}

/** Up to 6 tries, 0.25 s doubling to 4 s with jitter (about 10 s in all), while the failure is transient. */
async function retryTransient<T>(attempt: () => Promise<T>, log: { warn(o: object, msg: string): void }): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      const transient = (err as { transient?: boolean }).transient === true;
      if (!transient || n >= 6) throw err;
      const waitMs = Math.min(4000, 250 * 2 ** (n - 1)) * (0.5 + Math.random() / 2);
      log.warn({ attempt: n, waitMs: Math.round(waitMs) }, `${(err as Error).message}; trying again`);
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}

/** Mutual TLS for the agent's stream: our key and certificate, the controller's CA as the only root. */
export function linkCredentials(id: AgentIdentity): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(Buffer.from(id.caCertPem), Buffer.from(id.keyPem), Buffer.from(id.certPem));
}
