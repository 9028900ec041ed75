// npm start: a controller on the embedded defaults and one local agent
// connected to it, enforcement in dry-run, then what to type next.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { call, operatorClient } from '../controller/cli/client.ts';
import type { CredentialFile } from '../controller/credentials.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const data = join(root, '.firebreak');
mkdirSync(data, { recursive: true, mode: 0o700 });
const AGENT_PORT = process.env.FIREBREAK_AGENT_PORT ?? '7443';
const OPERATOR_PORT = process.env.FIREBREAK_OPERATOR_PORT ?? '7444';
const ENROLL_PORT = process.env.FIREBREAK_ENROLL_PORT ?? '7445';
const DASHBOARD_PORT = process.env.FIREBREAK_DASHBOARD_PORT ?? '7446';
const agentId = hostname().toLowerCase().replace(/[^a-z0-9._-]/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 63) || 'local-agent';

const children: ChildProcess[] = [];
function run(name: string, script: string, args: string[], readyMsg: string): Promise<void> {
  const log = join(data, `${name}.log`);
  const out = createWriteStream(log, { flags: 'a' });
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, script), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 30 s; see ${log}`)), 30_000);
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(`"msg":"${readyMsg}"`)) { clearTimeout(timer); resolve(); }
      const fatal = /"level":60.*?"msg":"([^"]*)"/.exec(seen);
      if (fatal) { clearTimeout(timer); reject(new Error(`${name}: ${fatal[1]}`)); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited with code ${code}; see ${log}:\n${seen.slice(-2000)}`)); });
  });
}

function stop(): void {
  for (const c of children) c.kill('SIGTERM');
}
process.on('SIGINT', () => { process.stdout.write('\nstopping controller and agent...\n'); stop(); setTimeout(() => process.exit(0), 1500).unref(); });
process.on('SIGTERM', () => { stop(); process.exit(0); });

try {
  process.stdout.write(`Firebreak quickstart: data and logs in ${data}\n`);
  const ctlDir = join(data, 'controller');
  await run('controller', 'controller/main.ts', ['-d', ctlDir, '--listen', `127.0.0.1:${AGENT_PORT}`,
    '--enroll-listen', `127.0.0.1:${ENROLL_PORT}`, '--operator-listen', `127.0.0.1:${OPERATOR_PORT}`, '--dashboard-listen', `127.0.0.1:${DASHBOARD_PORT}`,
    '--playbooks', join(root, 'playbooks')], 'controller ready');
  const info = JSON.parse(readFileSync(join(ctlDir, 'controller.json'), 'utf8')) as { caFingerprint: string; credentials: string };
  process.stdout.write(`  controller  agents on 127.0.0.1:${AGENT_PORT} (mutual TLS), enrollment on ${ENROLL_PORT}, operators on ${OPERATOR_PORT}\n`);
  process.stdout.write(`              CA fingerprint ${info.caFingerprint}\n`);
  process.stdout.write(`              admin credential: ${info.credentials} (the CLI finds it there when run from this folder)\n`);
  // the token is not printed: it would stay in the terminal's scrollback
  process.stdout.write(`  dashboard   https://127.0.0.1:${DASHBOARD_PORT}/  (the certificate is from the controller's own CA, ${join(ctlDir, 'trust', 'ca.crt')}:\n`);
  process.stdout.write(`              import it into the browser, or accept the warning after checking the fingerprint above)\n`);
  process.stdout.write(`              log in with the admin token: node -p "require('${info.credentials}').token"\n`);
  // a one-use token for the local agent; an agent enrolled on an earlier run ignores it
  const cred = JSON.parse(readFileSync(info.credentials, 'utf8')) as CredentialFile;
  const client = operatorClient(`127.0.0.1:${OPERATOR_PORT}`, cred);
  const tok = await call<object, { token: string }>(client, 'CreateEnrollmentToken', { uses: 1, ttlS: 600, tags: { env: 'quickstart' } });
  client.close();
  await run('agent', 'agent/main.ts', ['run', '-d', join(data, 'agent'), '-c', `127.0.0.1:${AGENT_PORT}`,
    '--enroll-address', `127.0.0.1:${ENROLL_PORT}`, '--enroll-token', tok.token, '--ca-pin', info.caFingerprint,
    '--id', agentId, '--backend', 'dry-run'], 'connected to controller');
  process.stdout.write(`  agent       '${agentId}' enrolled and connected\n\n`);
  process.stdout.write([
    '  ****************************************************************************',
    '  *  ENFORCEMENT IS DRY-RUN: isolate and block record the rules they would    *',
    '  *  apply; no firewall rule on this machine changes.                          *',
    '  ****************************************************************************',
    '',
    'Try, in another terminal (from this folder):',
    '  ./bin/firebreak.js hosts',
    `  ./bin/firebreak.js host ${agentId}`,
    '  ./bin/firebreak.js events',
    `  ./bin/firebreak.js isolate ${agentId} --reason "trying it out" --wait`,
    `  ./bin/firebreak.js block ${agentId} --port 25 --direction out --expires 10m --wait`,
    `  ./bin/firebreak.js release ${agentId} --wait`,
    '  ./bin/firebreak.js commands',
    '  ./bin/firebreak.js alerts',
    '  ./bin/firebreak.js playbooks list',
    '  ./bin/firebreak.js audit',
    '',
    `Logs: ${join(data, 'controller.log')} and ${join(data, 'agent.log')}. Ctrl-C stops both.`,
    '',
  ].join('\n'));
} catch (err) {
  process.stderr.write(`quickstart failed: ${(err as Error).message}\n`);
  if (/EADDRINUSE|cannot listen/.test((err as Error).message)) {
    process.stderr.write(`port ${AGENT_PORT}, ${OPERATOR_PORT}, ${ENROLL_PORT} or ${DASHBOARD_PORT} is taken: stop the other Firebreak, or set FIREBREAK_AGENT_PORT / FIREBREAK_OPERATOR_PORT / FIREBREAK_ENROLL_PORT / FIREBREAK_DASHBOARD_PORT\n`);
  }
  stop();
  process.exit(1);
}
