// The agent id of a connected peer, taken from its client certificate as
// @grpc/grpc-js hands it over (call.getAuthContext().sslPeerCertificate, a
// tls.PeerCertificate). grpc-js only fills it in for a handshake that verified
// against the server's root (our CA), so here we read names, not trust chains.
// The id is never taken from a message: a Hello naming another id is refused by
// comparing it with this.
import { X509Certificate } from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import { ValidationError, checkAgentId } from '../../proto/validate.ts';
import { AGENT_URI_PREFIX } from './ca.ts';

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

export type PeerIdentity =
  | { ok: true; agentId: string; fingerprint256: string; serial: string; notAfterMs: number }
  | { ok: false; reason: string };

type PeerCertLike = Pick<PeerCertificate, 'raw'> & { subject?: { CN?: string | string[] } | null };

/**
 * Reads the agent id from a verified peer certificate. Requires the CN and the
 * URI SAN firebreak:agent/<id> to agree, the id to pass checkAgentId, and the
 * certificate to be for client authentication (so the controller's own server
 * certificate cannot pose as an agent).
 */
export function agentIdFromPeerCertificate(peer: PeerCertLike | null | undefined, now = Date.now()): PeerIdentity {
  if (!peer || !peer.raw || peer.raw.length === 0) return { ok: false, reason: 'the connection carries no verified client certificate: enroll the agent and connect with its certificate' };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(peer.raw);
  } catch (err) {
    return { ok: false, reason: `the client certificate does not parse: ${(err as Error).message}` };
  }
  const cns = /^(?:.*\n)?CN=(.*)$/m.exec(cert.subject);
  const cn = cns?.[1];
  const peerCn = Array.isArray(peer.subject?.CN) ? undefined : peer.subject?.CN;
  if (!cn || (peerCn !== undefined && peerCn !== cn) || cert.subject.split('\n').filter((l) => l.startsWith('CN=')).length !== 1) {
    return { ok: false, reason: 'the client certificate must carry exactly one CN naming the agent' };
  }
  const uris = (cert.subjectAltName ?? '').split(', ').filter((s) => s.startsWith('URI:')).map((s) => s.slice(4));
  if (uris.length !== 1 || uris[0] !== `${AGENT_URI_PREFIX}${cn}`) {
    return { ok: false, reason: `the client certificate's URI SAN (${uris.join(', ') || 'none'}) does not name agent ${JSON.stringify(cn)} as ${AGENT_URI_PREFIX}<id>` };
  }
  const eku = cert.keyUsage ?? [];
  if (!eku.includes(CLIENT_AUTH_OID)) return { ok: false, reason: 'the certificate is not for client authentication: it is not an agent certificate' };
  try {
    checkAgentId(cn, 'certificate CN');
  } catch (err) {
    if (err instanceof ValidationError) return { ok: false, reason: err.message };
    throw err;
  }
  const notAfterMs = Date.parse(cert.validTo);
  if (now > notAfterMs || now < Date.parse(cert.validFrom)) return { ok: false, reason: `the certificate of agent ${cn} is outside its validity (${cert.validFrom} to ${cert.validTo})` };
  return { ok: true, agentId: cn, fingerprint256: cert.fingerprint256, serial: cert.serialNumber.toUpperCase(), notAfterMs };
}
