// Proves with real @grpc/grpc-js over loopback that the controller's CA and
// certificates give mutual TLS: an enrolled agent gets through and the handler
// reads its id from the peer certificate; a client without a certificate, with
// one from another CA, or in plain text never reaches the handler. A tiny
// throwaway service is used, not the project's proto.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as grpc from '@grpc/grpc-js';
import { ControllerTrust } from '../../controller/trust/ca.ts';
import { agentIdFromPeerCertificate } from '../../controller/trust/peer.ts';
import { prepareEnrollment, saveEnrollment, type AgentIdentity } from '../../agent/trust/identity.ts';
import { fetchPinnedCa } from '../../agent/trust/pin.ts';

const json = {
  serialize: (v: unknown) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer) => JSON.parse(b.toString('utf8')) as unknown,
};
const probeService: grpc.ServiceDefinition = {
  Whoami: {
    path: '/firebreak.test.Probe/Whoami',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
    originalName: 'whoami',
  },
};
const ProbeClient = grpc.makeGenericClientConstructor(probeService, 'Probe');

const root = mkdtempSync(join(tmpdir(), 'fb-mtls-'));
let trust: ControllerTrust;
let agent: AgentIdentity;
let foreign: { keyPem: string; certPem: string };
let mtlsServer: grpc.Server;
let enrollServer: grpc.Server;
let mtlsPort = 0;
let enrollPort = 0;
let handlerCalls = 0;
const clients: grpc.Client[] = [];

function whoamiHandler(call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>): void {
  handlerCalls++;
  const id = agentIdFromPeerCertificate(call.getAuthContext().sslPeerCertificate);
  if (!id.ok) cb({ code: grpc.status.UNAUTHENTICATED, details: id.reason });
  else cb(null, { agentId: id.agentId, transport: call.getAuthContext().transportSecurityType });
}

const SERVER_OPTIONS = { 'grpc.max_receive_message_length': 64 * 1024, 'grpc.max_concurrent_streams': 16, 'grpc-node.max_session_memory': 10 };

function bind(server: grpc.Server, creds: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => server.bindAsync('127.0.0.1:0', creds, (err, port) => (err ? reject(err) : resolve(port))));
}

function whoami(creds: grpc.ChannelCredentials, port = mtlsPort): Promise<{ agentId?: string; transport?: string }> {
  const client = new ProbeClient(`127.0.0.1:${port}`, creds);
  clients.push(client);
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, Function>).Whoami!({}, { deadline: Date.now() + 5000 }, (err: grpc.ServiceError | null, res: unknown) => (err ? reject(err) : resolve(res as { agentId?: string })));
  });
}

before(async () => {
  trust = await ControllerTrust.open(join(root, 'controller'));
  const server = await trust.ensureServerCert([]);
  const { csrPem } = await prepareEnrollment(join(root, 'agent'), 'mail-01');
  const issued = await trust.signAgentCsr(csrPem, 'mail-01');
  agent = saveEnrollment(join(root, 'agent'), 'mail-01', { certPem: issued.certPem, caCertPem: trust.caCertPem, commandSigningPublicKeyPem: trust.commandSigningPublicKeyPem });

  // Another controller's CA issues a certificate naming the same agent id.
  const other = await ControllerTrust.open(join(root, 'other'));
  const { csrPem: otherCsr, keyPath } = await prepareEnrollment(join(root, 'impostor'), 'mail-01');
  foreign = { keyPem: readFileSync(keyPath, 'utf8'), certPem: (await other.signAgentCsr(otherCsr, 'mail-01')).certPem };

  const keyCert = [{ cert_chain: Buffer.from(server.certChainPem), private_key: Buffer.from(server.keyPem) }];
  mtlsServer = new grpc.Server(SERVER_OPTIONS);
  mtlsServer.addService(probeService, { Whoami: whoamiHandler });
  // Our CA as the root for client certificates, and a client certificate required.
  mtlsPort = await bind(mtlsServer, grpc.ServerCredentials.createSsl(Buffer.from(trust.caCertPem), keyCert, true));

  // The enrollment port: server-authenticated TLS only.
  enrollServer = new grpc.Server(SERVER_OPTIONS);
  enrollServer.addService(probeService, { Whoami: whoamiHandler });
  enrollPort = await bind(enrollServer, grpc.ServerCredentials.createSsl(null, keyCert, false));
});

after(() => {
  for (const c of clients) c.close();
  mtlsServer?.forceShutdown();
  enrollServer?.forceShutdown();
  rmSync(root, { recursive: true, force: true });
});

test('the installed grpc-js exposes the peer certificate to handlers', () => {
  const require = createRequire(import.meta.url);
  const { version } = require('@grpc/grpc-js/package.json') as { version: string };
  const [major, minor] = version.split('.').map(Number);
  assert.ok(major! > 1 || minor! >= 14, `@grpc/grpc-js ${version} lacks call.getAuthContext(); 1.14 or later is needed`);
});

const agentCreds = () => grpc.credentials.createSsl(Buffer.from(agent.caCertPem), Buffer.from(agent.keyPem), Buffer.from(agent.certPem));

test('an enrolled agent connects and the handler reads its id from the certificate', async () => {
  const before = handlerCalls;
  const res = await whoami(agentCreds());
  assert.deepEqual(res, { agentId: 'mail-01', transport: 'ssl' });
  assert.equal(handlerCalls, before + 1);
});

async function refused(name: string, creds: grpc.ChannelCredentials): Promise<void> {
  const before = handlerCalls;
  await assert.rejects(whoami(creds), (err: grpc.ServiceError) => {
    assert.equal(err.code, grpc.status.UNAVAILABLE, `${name}: ${err.code} ${err.details}`);
    return true;
  });
  assert.equal(handlerCalls, before, `${name} must never reach the handler`);
  // The server keeps serving the enrolled agent.
  assert.equal((await whoami(agentCreds())).agentId, 'mail-01');
}

test('a client without a certificate is refused in the handshake', async () => {
  await refused('no client certificate', grpc.credentials.createSsl(Buffer.from(trust.caCertPem)));
});

test('a client with a certificate from another CA is refused, even naming an enrolled id', async () => {
  const foreignCreds = () => grpc.credentials.createSsl(Buffer.from(trust.caCertPem), Buffer.from(foreign.keyPem), Buffer.from(foreign.certPem));
  await refused('foreign CA', foreignCreds());
  // Control: the same certificate is accepted by a server whose client root is that other CA,
  // so the refusal above comes from the root CA check and nothing else.
  const control = new grpc.Server(SERVER_OPTIONS);
  try {
    control.addService(probeService, { Whoami: whoamiHandler });
    const server = await trust.ensureServerCert([]);
    const otherCa = readFileSync(join(root, 'other', 'ca.crt'));
    const port = await bind(control, grpc.ServerCredentials.createSsl(otherCa, [{ cert_chain: Buffer.from(server.certChainPem), private_key: Buffer.from(server.keyPem) }], true));
    assert.equal((await whoami(foreignCreds(), port)).agentId, 'mail-01');
  } finally {
    control.forceShutdown();
  }
});

test('a plain-text client is refused', async () => {
  await refused('plain text', grpc.credentials.createInsecure());
});

test('enrollment path: the agent pins the CA by fingerprint, then talks TLS verified by it', async () => {
  const caPem = await fetchPinnedCa('127.0.0.1', enrollPort, trust.caFingerprint.replace(/:/g, '').toLowerCase());
  assert.equal(caPem.trim(), trust.caCertPem.trim());
  // Server-only TLS verified by the pinned CA: the handler runs, and sees no agent identity.
  await assert.rejects(whoami(grpc.credentials.createSsl(Buffer.from(caPem)), enrollPort), (err: grpc.ServiceError) => err.code === grpc.status.UNAUTHENTICATED);
  const other = await ControllerTrust.open(join(root, 'other'));
  await assert.rejects(fetchPinnedCa('127.0.0.1', enrollPort, other.caFingerprint), /matches the pinned CA fingerprint/);
  // With another controller's CA as root, the channel does not trust this server.
  await assert.rejects(whoami(grpc.credentials.createSsl(Buffer.from(other.caCertPem)), enrollPort), (err: grpc.ServiceError) => err.code === grpc.status.UNAVAILABLE);
});

test('garbage bytes on the agent port are dropped and the server keeps serving', async () => {
  const { connect } = await import('node:net');
  const before = handlerCalls;
  await new Promise<void>((resolve, reject) => {
    const sock = connect(mtlsPort, '127.0.0.1', () => sock.write(Buffer.from('GET / HTTP/1.1\r\n\r\n\x16\x03\x01\xff\xff garbage')));
    const timer = setTimeout(() => (sock.destroy(), reject(new Error('the server did not close a connection sending garbage within 5 s'))), 5000);
    sock.on('error', () => undefined);
    sock.on('close', () => (clearTimeout(timer), resolve()));
  });
  assert.equal(handlerCalls, before);
  assert.equal((await whoami(agentCreds())).agentId, 'mail-01');
});
