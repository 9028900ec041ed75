import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllerTrust, normalizeFingerprint } from '../../controller/trust/ca.ts';
import { agentIdFromPeerCertificate } from '../../controller/trust/peer.ts';
import { loadIdentity, prepareEnrollment, saveEnrollment } from '../../agent/trust/identity.ts';
import { pinnedCaFromChain } from '../../agent/trust/pin.ts';
import { checkCommandTrust, withSignature } from '../../proto/command-signing.ts';

const root = mkdtempSync(join(tmpdir(), 'fb-ca-'));
after(() => rmSync(root, { recursive: true, force: true }));
const der = (pem: string) => new X509Certificate(pem).raw;

test('first start creates CA and signing key with 0600 files; later starts reuse them', async () => {
  const dir = join(root, 'ctl');
  const first = await ControllerTrust.open(dir);
  assert.equal(first.created, true);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  for (const f of ['ca.key', 'ca.crt', 'command-signing.key']) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
  assert.match(first.caFingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  // The fingerprint is the one openssl computes from the file.
  const out = execFileSync('openssl', ['x509', '-in', join(dir, 'ca.crt'), '-noout', '-fingerprint', '-sha256']).toString();
  assert.equal(out.trim().split('=')[1], first.caFingerprint);
  const again = await ControllerTrust.open(dir);
  assert.equal(again.created, false);
  assert.equal(again.caFingerprint, first.caFingerprint);
  assert.equal(again.commandSigningPublicKeyPem, first.commandSigningPublicKeyPem);
  assert.equal(normalizeFingerprint(first.caFingerprint.replace(/:/g, '').toLowerCase()), first.caFingerprint);
});

test('a CA certificate without its key is refused with a way out, not replaced', async () => {
  const dir = join(root, 'half');
  await ControllerTrust.open(dir);
  unlinkSync(join(dir, 'ca.key'));
  await assert.rejects(ControllerTrust.open(dir), /ca\.key is missing: restore/);
});

test('server certificates carry the asked names plus localhost and loopback IPs', async () => {
  const t = await ControllerTrust.open(join(root, 'ctl'));
  const s = await t.ensureServerCert(['controller.example.net', '10.1.2.3']);
  const cert = new X509Certificate(s.certPem);
  for (const n of ['controller.example.net', 'localhost']) assert.equal(cert.checkHost(n), n);
  for (const ip of ['10.1.2.3', '127.0.0.1', '::1']) assert.ok(cert.checkIP(ip), ip);
  assert.ok(cert.verify(new X509Certificate(t.caCertPem).publicKey));
  assert.ok(s.certChainPem.endsWith(t.caCertPem));
  // Reused while it covers the names; reissued when a new name is asked for.
  assert.equal((await t.ensureServerCert(['10.1.2.3'])).certPem, s.certPem);
  assert.notEqual((await t.ensureServerCert(['other.example.net'])).certPem, s.certPem);
  await assert.rejects(t.issueServerCert(['bad name\n[x]']), /neither an IP address nor a valid host name/);
});

test('enrollment: agent key + CSR, controller signs for the approved id, agent stores and reloads it', async () => {
  const t = await ControllerTrust.open(join(root, 'ctl'));
  const agentDir = join(root, 'agent');
  const { csrPem, keyPath } = await prepareEnrollment(agentDir, 'mail-01');
  assert.equal(statSync(keyPath).mode & 0o777, 0o600);
  const issued = await t.signAgentCsr(csrPem, 'mail-01');
  const cert = new X509Certificate(issued.certPem);
  assert.match(cert.subject, /CN=mail-01/);
  assert.equal(cert.subjectAltName, 'URI:firebreak:agent/mail-01');
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.equal(cert.ca, false);

  const id = saveEnrollment(agentDir, 'mail-01', { certPem: issued.certPem, caCertPem: t.caCertPem, commandSigningPublicKeyPem: t.commandSigningPublicKeyPem });
  const loaded = loadIdentity(agentDir);
  assert.equal(loaded?.agentId, 'mail-01');
  assert.equal(loaded?.certPem, id.certPem);
  for (const f of ['agent.crt', 'ca.crt', 'command-signing.pub']) assert.equal(statSync(join(agentDir, f)).mode & 0o777, 0o600, f);
  // The stored public key verifies what the controller signs.
  const cmd = withSignature({ id: 'c', targetAgentId: 'mail-01', action: 'RELEASE', issuedAtMs: 1000, expiresAtMs: 2000, nonce: 'abcdefghijklmnopqrst' }, t.commandSigningKey);
  assert.deepEqual(checkCommandTrust(cmd, { publicKey: loaded!.commandPublicKey, agentId: 'mail-01', now: 1500, seenNonce: () => false }), { ok: true });

  // The controller reads the id back from the certificate as grpc-js presents it.
  const peer = agentIdFromPeerCertificate({ raw: cert.raw, subject: { CN: 'mail-01' } });
  assert.equal(peer.ok && peer.agentId, 'mail-01');
  assert.equal(peer.ok && peer.fingerprint256, issued.fingerprint256);
});

test('the controller decides the id: CSR subject and extensions are ignored, bad ids and CSRs refused', async () => {
  const t = await ControllerTrust.open(join(root, 'ctl'));
  const { csrPem } = await prepareEnrollment(join(root, 'agent2'), 'admin');
  const issued = await t.signAgentCsr(csrPem, 'web-07');
  assert.equal(new X509Certificate(issued.certPem).subjectAltName, 'URI:firebreak:agent/web-07');
  await assert.rejects(t.signAgentCsr(csrPem, '../clients/server'), /malformed/);
  await assert.rejects(t.signAgentCsr('garbage', 'web-07'), /not a PEM certificate request/);
  await assert.rejects(t.signAgentCsr('x'.repeat(1_000_000), 'web-07'), /not a PEM certificate request/);
  // A CSR whose signature does not match its key (tampered body) is refused: proof of possession.
  const lines = csrPem.trim().split('\n');
  const body = Buffer.from(lines.slice(1, -1).join(''), 'base64');
  body[body.length - 10]! ^= 0x01;
  const tampered = `${lines[0]}\n${body.toString('base64').match(/.{1,64}/g)!.join('\n')}\n${lines.at(-1)}\n`;
  await assert.rejects(t.signAgentCsr(tampered, 'web-07'), /does not verify|failed/);
});

test('agent id from a peer certificate: refuses none, the server certificate, and a cert from another CA shape', async () => {
  const t = await ControllerTrust.open(join(root, 'ctl'));
  assert.equal(agentIdFromPeerCertificate(undefined).ok, false);
  assert.equal(agentIdFromPeerCertificate({ raw: Buffer.alloc(0), subject: {} }).ok, false);
  const server = await t.issueServerCert([]);
  const r = agentIdFromPeerCertificate({ raw: der(server.certPem), subject: { CN: 'firebreak-controller' } });
  assert.equal(r.ok, false);
  // A certificate presented with a different CN than its DER says is refused.
  const { csrPem } = await prepareEnrollment(join(root, 'agent3'), 'db-01');
  const issued = await t.signAgentCsr(csrPem, 'db-01');
  assert.equal(agentIdFromPeerCertificate({ raw: der(issued.certPem), subject: { CN: 'db-02' } }).ok, false);
  assert.equal(agentIdFromPeerCertificate({ raw: der(issued.certPem), subject: { CN: 'db-01' } }, issued.notAfterMs + 1).ok, false);
});

test('the agent pins the CA from the chain the server sends and rejects a wrong pin or a foreign CA', async () => {
  const t = await ControllerTrust.open(join(root, 'ctl'));
  const other = await ControllerTrust.open(join(root, 'other'));
  const s = await t.issueServerCert([]);
  const chain = [der(s.certPem), der(t.caCertPem)];
  assert.equal(pinnedCaFromChain(chain, t.caFingerprint), new X509Certificate(t.caCertPem).toString());
  assert.throws(() => pinnedCaFromChain(chain, other.caFingerprint), /matches the pinned CA fingerprint/);
  // An interceptor sending its own leaf with our CA appended is caught: the leaf is not issued by the pin.
  const mitm = await other.issueServerCert([]);
  assert.throws(() => pinnedCaFromChain([der(mitm.certPem), der(t.caCertPem)], t.caFingerprint), /not issued by the pinned CA/);
  assert.throws(() => pinnedCaFromChain(chain, 'abc'), /not a SHA-256 fingerprint/);
  assert.ok(createPublicKey(readFileSync(join(root, 'ctl', 'command-signing.key'))));
});
