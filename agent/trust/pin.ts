// Trust on first contact, made safe by a pin: before enrolling, the agent has no
// CA to verify the controller with, only the CA fingerprint the operator gave it.
// fetchPinnedCa opens one TLS connection without verification, finds the CA
// certificate with that fingerprint in the chain the server sends, checks that
// the server certificate is issued by it, and returns it. The enrollment RPC then
// runs over gRPC TLS with that CA as root, so a man in the middle fails there.
//
// Dial a port that does not demand a client certificate (the enrollment /
// operator port): on a port that requires one the handshake is torn down.
import { X509Certificate } from 'node:crypto';
import { connect, type DetailedPeerCertificate } from 'node:tls';

export class PinError extends Error {
  override name = 'PinError';
  /** the controller could not be reached (reset, refused, timed out): worth another try; a wrong pin is not */
  constructor(message: string, readonly transient = false) {
    super(message);
  }
}

/** Accepts 'AB:CD..', 'abcd..' or 'sha256:..' and returns upper-case colon-separated hex. */
export function normalizeFingerprint(text: string): string {
  const hex = text.trim().replace(/^sha256:/i, '').replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) throw new PinError(`'${text}' is not a SHA-256 fingerprint: give the 64 hex digits the controller printed at first start`);
  return hex.match(/../g)!.join(':');
}

function toPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** Checks that chainDer (leaf first) holds a CA with the pinned fingerprint that issued the leaf; returns its PEM. */
export function pinnedCaFromChain(chainDer: Buffer[], fingerprint: string): string {
  const pin = normalizeFingerprint(fingerprint);
  const certs = chainDer.map((d) => new X509Certificate(d));
  const leaf = certs[0];
  if (!leaf) throw new PinError('the controller sent no certificate');
  const ca = certs.find((c) => c.fingerprint256 === pin);
  if (!ca) {
    throw new PinError(`no certificate from the controller matches the pinned CA fingerprint ${pin}: check the fingerprint, or someone is intercepting the connection`);
  }
  if (!ca.ca) throw new PinError('the certificate with the pinned fingerprint is not a CA certificate');
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) throw new PinError("the controller's certificate is not issued by the pinned CA: someone may be intercepting the connection");
  const now = Date.now();
  if (now > Date.parse(leaf.validTo) || now < Date.parse(leaf.validFrom)) throw new PinError(`the controller's certificate is outside its validity (${leaf.validFrom} to ${leaf.validTo}): check clocks`);
  return toPem(ca.raw);
}

/** Connects to host:port, reads the certificate chain, returns the pinned CA's PEM. */
export function fetchPinnedCa(host: string, port: number, fingerprint: string, opts: { timeoutMs?: number; servername?: string } = {}): Promise<string> {
  normalizeFingerprint(fingerprint); // fail before dialing on a typo
  return new Promise((resolve, reject) => {
    const socket = connect({
      host,
      port,
      // Verification is ours, by pin, below; nothing is sent over this connection.
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
      servername: opts.servername ?? (/^[\d.:]+$/.test(host) ? undefined : host),
      timeout: opts.timeoutMs ?? 10_000,
    });
    const done = (err: Error | null, pem?: string): void => {
      socket.destroy();
      if (err) reject(err);
      else resolve(pem!);
    };
    socket.once('secureConnect', () => {
      const chain: Buffer[] = [];
      const seen = new Set<string>();
      let c: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
      // Node links the chain through issuerCertificate; a self-signed root points at itself.
      for (let i = 0; c && c.raw && i < 10; i++) {
        const fp = c.fingerprint256;
        if (seen.has(fp)) break;
        seen.add(fp);
        chain.push(c.raw);
        c = c.issuerCertificate;
      }
      try {
        done(null, pinnedCaFromChain(chain, fingerprint));
      } catch (err) {
        done(err as Error);
      }
    });
    socket.once('timeout', () => done(new PinError(`no TLS handshake with ${host}:${port} within ${opts.timeoutMs ?? 10_000} ms: check the controller address and port`, true)));
    socket.once('error', (err) => done(new PinError(`cannot reach the controller at ${host}:${port} over TLS: ${err.message}`, true)));
  });
}
