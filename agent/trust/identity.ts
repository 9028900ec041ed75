// The agent's identity: its own key pair and CSR for enrollment, and what
// enrollment returns (its certificate, the controller's CA certificate and
// command-signing public key), kept in <data dir>/trust with files 0600.
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checkAgentId } from '../../proto/validate.ts';
import { openssl } from '../../proto/openssl.ts';
import { writeFileAtomic } from '../../proto/private-files.ts';

export const AGENT_URI_PREFIX = 'firebreak:agent/';

export class EnrollmentError extends Error {
  override name = 'EnrollmentError';
  /** the controller could not be reached (UNAVAILABLE): worth another try */
  constructor(message: string, readonly transient = false) {
    super(message);
  }
}

export interface AgentIdentity {
  agentId: string;
  keyPem: string;
  certPem: string;
  caCertPem: string;
  commandPublicKey: KeyObject;
  /** Certificate expiry; re-enroll before it. */
  notAfterMs: number;
}

const FILES = {
  key: 'agent.key',
  csr: 'agent.csr',
  cert: 'agent.crt',
  ca: 'ca.crt',
  commandKey: 'command-signing.pub',
} as const;


/**
 * Makes (or reuses) the agent's ECDSA P-256 key in dir and returns a CSR naming
 * agentId. The key never leaves the host; the controller puts the id it approves
 * into the certificate, whatever the CSR asks for.
 */
export async function prepareEnrollment(dir: string, agentId: string): Promise<{ csrPem: string; keyPath: string }> {
  checkAgentId(agentId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keyPath = join(dir, FILES.key);
  if (!existsSync(keyPath)) {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileAtomic(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  }
  const csrPem = await openssl(['req', '-new', '-key', keyPath, '-subj', `/O=Firebreak/CN=${agentId}`, '-addext', `subjectAltName=URI:${AGENT_URI_PREFIX}${agentId}`]);
  writeFileAtomic(join(dir, FILES.csr), csrPem);
  return { csrPem, keyPath };
}

/**
 * Checks and stores what the controller returned at enrollment: the certificate
 * must be for this agent's key and id and chain to the (pinned) CA; the signing
 * key must be Ed25519.
 */
export function saveEnrollment(dir: string, agentId: string, got: { certPem: string; caCertPem: string; commandSigningPublicKeyPem: string }): AgentIdentity {
  checkAgentId(agentId);
  const keyPem = readFileSync(join(dir, FILES.key), 'utf8');
  const identity = checkIdentity(agentId, keyPem, got.certPem, got.caCertPem, got.commandSigningPublicKeyPem);
  writeFileAtomic(join(dir, FILES.ca), got.caCertPem);
  writeFileAtomic(join(dir, FILES.commandKey), got.commandSigningPublicKeyPem);
  writeFileAtomic(join(dir, FILES.cert), got.certPem); // last: its presence means "enrolled"
  return identity;
}

/**
 * The stored identity, or null when the agent has not enrolled yet (no
 * certificate). Any other trouble is an EnrollmentError of one line naming the
 * file and what to do: an identity that cannot be read is not "not enrolled".
 */
export function loadIdentity(dir: string): AgentIdentity | null {
  const certPath = join(dir, FILES.cert);
  const reEnroll = `restore it from a backup, or re-enroll: move ${dir} aside and start with --enroll-token and --ca-pin`;
  try {
    statSync(certPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new EnrollmentError(`${certPath} cannot be read (${code ?? (err as Error).message}): this agent's identity is there but unreadable; fix the permissions of ${dir} (the agent needs to read it)`);
  }
  const read = (f: string): string => {
    const path = join(dir, f);
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new EnrollmentError(code === 'ENOENT'
        ? `${path} is missing while ${certPath} is there: ${reEnroll}`
        : `${path} cannot be read (${code ?? (err as Error).message}): fix its permissions`);
    }
  };
  const parsed = <T>(f: string, what: string, parse: (pem: string) => T): [string, T] => {
    const pem = read(f);
    try {
      return [pem, parse(pem)];
    } catch (err) {
      throw new EnrollmentError(`${join(dir, f)} does not parse as ${what} (${(err as Error).message.replace(/^error:[0-9A-F]+:/, '')}): ${reEnroll}`);
    }
  };
  const [certPem, cert] = parsed(FILES.cert, 'a certificate', (pem) => new X509Certificate(pem));
  const [caPem] = parsed(FILES.ca, 'a certificate', (pem) => new X509Certificate(pem));
  const [keyPem] = parsed(FILES.key, 'a private key', (pem) => createPrivateKey(pem));
  const [commandKeyPem] = parsed(FILES.commandKey, 'a public key', (pem) => createPublicKey(pem));
  const cn = /^CN=(.*)$/m.exec(cert.subject)?.[1] ?? '';
  try {
    return checkIdentity(checkAgentId(cn, 'certificate CN'), keyPem, certPem, caPem, commandKeyPem);
  } catch (err) {
    throw new EnrollmentError(`the identity in ${dir} is inconsistent (${(err as Error).message}): ${reEnroll}`);
  }
}

function checkIdentity(agentId: string, keyPem: string, certPem: string, caCertPem: string, commandKeyPem: string): AgentIdentity {
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
    ca = new X509Certificate(caCertPem);
  } catch (err) {
    throw new EnrollmentError(`the certificate from the controller does not parse: ${(err as Error).message}`);
  }
  if (!ca.ca || !cert.verify(ca.publicKey) || !cert.checkIssued(ca)) throw new EnrollmentError('the agent certificate is not issued by the controller CA');
  if (!cert.checkPrivateKey(createPrivateKey(keyPem))) throw new EnrollmentError("the agent certificate is not for this agent's key: enroll again");
  const cn = /^CN=(.*)$/m.exec(cert.subject)?.[1];
  if (cn !== agentId || !(cert.subjectAltName ?? '').split(', ').includes(`URI:${AGENT_URI_PREFIX}${agentId}`)) {
    throw new EnrollmentError(`the certificate names agent ${JSON.stringify(cn)}, not ${agentId}`);
  }
  let commandPublicKey: KeyObject;
  try {
    commandPublicKey = createPublicKey(commandKeyPem);
  } catch (err) {
    throw new EnrollmentError(`the command-signing public key does not parse: ${(err as Error).message}`);
  }
  if (commandPublicKey.asymmetricKeyType !== 'ed25519') throw new EnrollmentError('the command-signing public key is not Ed25519');
  return { agentId, keyPem, certPem, caCertPem, commandPublicKey, notAfterMs: Date.parse(cert.validTo) };
}
