// The controller's own certificate authority and command-signing key.
//
// On first start they are created in the trust dir (dir 0700, files 0600) and
// reused on every later start: replacing the CA would orphan every enrolled
// agent, so a half-present CA is an error, never silently regenerated.
//
// Files: ca.key (ECDSA P-256), ca.crt, command-signing.key (Ed25519, PKCS#8),
// server.key + server.crt (see ensureServerCert).
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { checkAgentId } from '../../proto/validate.ts';
import { openssl, withTempDir } from '../../proto/openssl.ts';
import { writeFileAtomic } from '../../proto/private-files.ts';

export const CA_VALIDITY_DAYS = 3650;
export const SERVER_CERT_VALIDITY_DAYS = 397;
export const AGENT_CERT_VALIDITY_DAYS = 365;
/** ensureServerCert replaces a stored server certificate this close to expiry. */
export const SERVER_CERT_RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;
/** Names every server certificate carries so local agents and tests can dial it. */
export const ALWAYS_SERVER_NAMES = ['localhost', '127.0.0.1', '::1'];
/** URI SAN that names an agent in its client certificate. */
export const AGENT_URI_PREFIX = 'firebreak:agent/';
const MAX_CSR_BYTES = 16 * 1024;

/** The trust dir's files every controller of a cluster must hold alike (the server certificate is each one's own). */
export const SHARED_TRUST_FILES = ['ca.key', 'ca.crt', 'command-signing.key'] as const;

export class TrustError extends Error {
  override name = 'TrustError';
}

export interface ServerCert {
  keyPem: string;
  certPem: string;
  /** Server cert followed by the CA cert: hand this to createSsl as cert_chain so an enrolling agent can pin the CA. */
  certChainPem: string;
  names: string[];
}

export interface IssuedAgentCert {
  agentId: string;
  certPem: string;
  /** Hex serial as openssl prints it, upper case. */
  serial: string;
  /** 'AB:CD:..' SHA-256 of the DER; store it to refuse superseded or revoked certificates. */
  fingerprint256: string;
  notAfterMs: number;
}

/** Accepts 'AB:CD..', 'abcd..' or 'sha256:..' and returns upper-case colon-separated hex. */
export function normalizeFingerprint(text: string): string {
  const hex = text.trim().replace(/^sha256:/i, '').replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) throw new TrustError(`'${text}' is not a SHA-256 fingerprint: give 64 hex digits, with or without colons`);
  return hex.match(/../g)!.join(':');
}


function newEcKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

function serialArg(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive, as X.509 requires
  return `0x${b.toString('hex')}`;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Host names and IPs for a server certificate; strict, because they are written into an openssl config. */
export function checkServerName(name: string): string {
  if (isIP(name)) return name;
  if (!HOSTNAME.test(name)) throw new TrustError(`server name ${JSON.stringify(name)} is neither an IP address nor a valid host name`);
  return name.toLowerCase();
}

export class ControllerTrust {
  private constructor(
    readonly dir: string,
    readonly caCertPem: string,
    private readonly caKeyPath: string,
    private readonly caCertPath: string,
    readonly commandSigningKey: KeyObject,
    readonly created: boolean,
  ) {}

  /** 'AB:CD:..' SHA-256 of the CA certificate; agents pin it at enrollment. */
  get caFingerprint(): string {
    return new X509Certificate(this.caCertPem).fingerprint256;
  }

  get commandSigningPublicKey(): KeyObject {
    return createPublicKey(this.commandSigningKey);
  }

  /** SPKI PEM of the command-signing key, sent to agents at enrollment. */
  get commandSigningPublicKeyPem(): string {
    return this.commandSigningPublicKey.export({ type: 'spki', format: 'pem' }) as string;
  }

  /** Opens the trust dir, creating the CA and signing key on first start. */
  static async open(dir: string, opts: { logger?: Logger } = {}): Promise<ControllerTrust> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const mode = statSync(dir).mode & 0o777;
    if (mode & 0o077) {
      chmodSync(dir, 0o700);
      opts.logger?.warn({ dir, mode: mode.toString(8) }, 'controller trust dir was readable by others; narrowed to 0700');
    }
    const caKeyPath = join(dir, 'ca.key');
    const caCertPath = join(dir, 'ca.crt');
    const signPath = join(dir, 'command-signing.key');
    let created = false;

    if (existsSync(caCertPath) && !existsSync(caKeyPath)) {
      throw new TrustError(
        `${caCertPath} exists but ${caKeyPath} is missing: restore ca.key from backup. Deleting the whole dir creates a new CA, and every agent must then re-enroll.`,
      );
    }
    // The certificate is written last, so a key without a certificate is an
    // unfinished first start: no agent can hold a certificate from it yet.
    if (!existsSync(caCertPath)) {
      const keyPem = newEcKeyPem();
      writeFileAtomic(caKeyPath, keyPem);
      const certPem = await withTempDir(async (tmp) => {
        const ext = join(tmp, 'ext.cnf');
        await writeFile(ext, '[ca]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n');
        const cn = `Firebreak CA ${randomBytes(4).toString('hex')}`;
        return openssl(['x509', '-new', '-key', caKeyPath, '-subj', `/O=Firebreak/CN=${cn}`, '-days', String(CA_VALIDITY_DAYS), '-sha256', '-extfile', ext, '-extensions', 'ca', '-set_serial', serialArg()]);
      });
      writeFileAtomic(caCertPath, certPem);
      created = true;
    }
    if (!existsSync(signPath)) {
      const { privateKey } = generateKeyPairSync('ed25519');
      writeFileAtomic(signPath, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
      created = true;
    }
    for (const f of [caKeyPath, caCertPath, signPath]) {
      const m = statSync(f).mode & 0o777;
      if (m !== 0o600) {
        chmodSync(f, 0o600);
        opts.logger?.warn({ file: f, mode: m.toString(8) }, 'trust file had loose permissions; set to 0600');
      }
    }

    const caCertPem = readFileSync(caCertPath, 'utf8');
    const caCert = new X509Certificate(caCertPem);
    const caKey = createPrivateKey(readFileSync(caKeyPath));
    if (!caCert.ca) throw new TrustError(`${caCertPath} is not a CA certificate: restore the controller's own ca.crt`);
    if (!caCert.checkPrivateKey(caKey)) throw new TrustError(`${caKeyPath} does not belong to ${caCertPath}: restore the matching pair from backup`);
    const signingKey = createPrivateKey(readFileSync(signPath));
    if (signingKey.asymmetricKeyType !== 'ed25519') throw new TrustError(`${signPath} is not an Ed25519 key: restore it from backup`);

    const trust = new ControllerTrust(dir, caCertPem, caKeyPath, caCertPath, signingKey, created);
    opts.logger?.info({ dir, caFingerprint: trust.caFingerprint, created }, created ? 'created controller CA and command-signing key' : 'loaded controller CA');
    return trust;
  }

  /** A fresh server key and certificate for names (plus localhost, 127.0.0.1, ::1). */
  async issueServerCert(names: string[], days = SERVER_CERT_VALIDITY_DAYS): Promise<ServerCert> {
    const all = [...new Set([...names.map(checkServerName), ...ALWAYS_SERVER_NAMES])];
    const keyPem = newEcKeyPem();
    const certPem = await withTempDir(async (tmp) => {
      const keyPath = join(tmp, 'server.key');
      await writeFile(keyPath, keyPem, { mode: 0o600 });
      const csr = await openssl(['req', '-new', '-key', keyPath, '-subj', '/O=Firebreak/CN=firebreak-controller']);
      const csrPath = join(tmp, 'server.csr');
      await writeFile(csrPath, csr);
      const dns = all.filter((n) => !isIP(n)).map((n, i) => `DNS.${i + 1}=${n}`);
      const ips = all.filter((n) => isIP(n)).map((n, i) => `IP.${i + 1}=${n}`);
      const ext = join(tmp, 'ext.cnf');
      await writeFile(
        ext,
        `[server]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nsubjectAltName=@alt\n[alt]\n${[...dns, ...ips].join('\n')}\n`,
      );
      return this.signCsrFile(csrPath, ext, 'server', '/O=Firebreak/CN=firebreak-controller', days);
    });
    return { keyPem, certPem, certChainPem: certPem + this.caCertPem, names: all };
  }

  /**
   * The server certificate stored in the trust dir, reissued when missing, close
   * to expiry, from another CA, or not covering every one of names.
   */
  async ensureServerCert(names: string[]): Promise<ServerCert> {
    const keyPath = join(this.dir, 'server.key');
    const certPath = join(this.dir, 'server.crt');
    const want = [...new Set([...names.map(checkServerName), ...ALWAYS_SERVER_NAMES])];
    if (existsSync(keyPath) && existsSync(certPath)) {
      const keyPem = await readFile(keyPath, 'utf8');
      const certPem = await readFile(certPath, 'utf8');
      const cert = new X509Certificate(certPem);
      const fresh = Date.parse(cert.validTo) - Date.now() > SERVER_CERT_RENEW_BEFORE_MS;
      const ours = cert.verify(new X509Certificate(this.caCertPem).publicKey) && cert.checkPrivateKey(createPrivateKey(keyPem));
      const covers = want.every((n) => (isIP(n) ? cert.checkIP(n) : cert.checkHost(n, { wildcards: false })) !== undefined);
      if (fresh && ours && covers) return { keyPem, certPem, certChainPem: certPem + this.caCertPem, names: want };
    }
    const issued = await this.issueServerCert(names);
    writeFileAtomic(keyPath, issued.keyPem);
    writeFileAtomic(certPath, issued.certPem);
    return issued;
  }

  /**
   * Signs an agent's CSR into a client certificate naming agentId (CN and URI SAN
   * firebreak:agent/<id>). Only the CSR's public key is used: its subject and
   * extensions are ignored, so an agent cannot ask for more than it gets.
   */
  async signAgentCsr(csrPem: string, agentId: string, days = AGENT_CERT_VALIDITY_DAYS): Promise<IssuedAgentCert> {
    checkAgentId(agentId);
    if (typeof csrPem !== 'string' || csrPem.length > MAX_CSR_BYTES || !/^-----BEGIN CERTIFICATE REQUEST-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE REQUEST-----\r?\n?$/.test(csrPem.trim() + '\n')) {
      throw new TrustError('the CSR is not a PEM certificate request (BEGIN CERTIFICATE REQUEST) of at most 16 KiB');
    }
    const certPem = await withTempDir(async (tmp) => {
      const csrPath = join(tmp, 'agent.csr');
      await writeFile(csrPath, csrPem);
      // Proof of possession: the CSR must be signed by the key it carries.
      try {
        await openssl(['req', '-in', csrPath, '-verify', '-noout']);
      } catch (err) {
        throw new TrustError(`the CSR's signature does not verify (${(err as Error).message}); the agent must send a CSR signed by its own key`);
      }
      const pubPem = await openssl(['req', '-in', csrPath, '-pubkey', '-noout']);
      const keyUsage = checkAgentPublicKey(createPublicKey(pubPem));
      const ext = join(tmp, 'ext.cnf');
      await writeFile(
        ext,
        `[agent]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,${keyUsage}\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nsubjectAltName=URI:${AGENT_URI_PREFIX}${agentId}\n`,
      );
      return this.signCsrFile(csrPath, ext, 'agent', `/O=Firebreak/CN=${agentId}`, days);
    });
    const cert = new X509Certificate(certPem);
    return { agentId, certPem, serial: cert.serialNumber.toUpperCase(), fingerprint256: cert.fingerprint256, notAfterMs: Date.parse(cert.validTo) };
  }

  private signCsrFile(csrPath: string, extPath: string, section: string, subject: string, days: number): Promise<string> {
    if (!Number.isInteger(days) || days < 1 || days > CA_VALIDITY_DAYS) throw new TrustError(`certificate validity ${days} days is out of range 1-${CA_VALIDITY_DAYS}`);
    return openssl([
      'x509', '-req', '-in', csrPath, '-CA', this.caCertPath, '-CAkey', this.caKeyPath,
      '-subj', subject, '-days', String(days), '-sha256', '-extfile', extPath, '-extensions', section, '-set_serial', serialArg(),
    ]);
  }
}

/** Key types an agent may enroll with; returns the keyUsage its certificate gets. */
function checkAgentPublicKey(key: KeyObject): string {
  const t = key.asymmetricKeyType;
  const d = key.asymmetricKeyDetails ?? {};
  if (t === 'ec' && (d.namedCurve === 'prime256v1' || d.namedCurve === 'secp384r1')) return 'digitalSignature';
  if (t === 'ed25519') return 'digitalSignature';
  if (t === 'rsa' && (d.modulusLength ?? 0) >= 2048) return 'digitalSignature,keyEncipherment';
  throw new TrustError(`the CSR carries a ${t ?? 'unknown'} ${d.namedCurve ?? d.modulusLength ?? ''} key; use ECDSA P-256/P-384, Ed25519 or RSA >= 2048`);
}
