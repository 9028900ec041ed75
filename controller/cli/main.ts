// firebreak: the operator CLI. Readable tables by default, `-o json` for scripts.
import { writeFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { Command } from 'commander';
import type {
  CommandView__Output,
  EventView__Output,
  Host__Output,
  IssueCommandRequest,
  StorageHealth__Output,
  ThrottleParams__Output,
} from '../../proto/wire.ts';
import { checkCidr, checkDirection, checkProtocol, parsePortList, ValidationError } from '../../proto/validate.ts';
import { call, CredentialError, loadCredentials } from './client.ts';
import { api, closeClient, currentAddress, duration, durationOption, json, out, printJson, program } from './context.ts';
import { ago, bytes, iso, lower, table } from './format.ts';
import { fleetIssue, fleetOptions, isFleet, registerContain, type FleetOpts } from './fleet.ts';

/** A throttle as operators read it: "1/s burst 5, working set 60s, until ..." (short: "1/s"). */
function throttleText(t: ThrottleParams__Output | null | undefined, short = false): string {
  if (!t) return short ? '-' : 'none';
  const until = t.expiresAtMs ? ` until ${iso(t.expiresAtMs)}` : '';
  return short ? `${t.newPerSecond}/s` : `${t.newPerSecond} new destination(s)/s, burst ${t.burst}, working set ${t.workingSetS}s${until}`;
}

function hostRows(hosts: Host__Output[]): string[][] {
  return hosts.map((h) => [
    h.id, h.online ? 'online' : 'offline', ago(h.lastSeenMs), h.inventory?.hostname ?? '', lower(h.backend),
    h.enforcement?.stateLost ? 'UNKNOWN' : h.enforcement?.isolated ? 'ISOLATED' : '-', h.enforcement?.stateLost ? '?' : String(h.enforcement?.blocks.length ?? 0), throttleText(h.enforcement?.throttle, true),
    h.lastSample ? `${h.lastSample.cpuPct.toFixed(0)}%` : '-', String(h.events),
  ]);
}

/** One line on the controller's own store: a full disk stops reports, so operators see it beside the hosts. */
function storageLine(s: StorageHealth__Output | null | undefined): string {
  if (!s) return '';
  if (s.state === 'ok') {
    const since = s.oldestEventMs ? `, events since ${iso(s.oldestEventMs)}` : ', no events';
    return `\ncontroller storage: ok (${bytes(s.usedBytes)} used of ${bytes(s.sizeBytes)}${since}, ${s.eventsPruned} pruned by retention since start)\n`;
  }
  const what = s.state === 'full'
    ? 'agents\' reports are refused (they keep them and retry), operator changes fail, reads work'
    : 'writes fail';
  return `\ncontroller storage: ${s.state.toUpperCase()} since ${iso(s.sinceMs)} (${ago(s.sinceMs)}): ${what}; ${s.refusedWrites} writes refused.\n  ${s.message}\n`;
}

const hosts = program.command('hosts').description('list hosts with their status (subcommands: tag, approve-tags)').action(async () => {
  const res = await call<object, { hosts: Host__Output[]; storage?: StorageHealth__Output | null }>(api(), 'ListHosts', {});
  if (json()) return printJson(res.hosts);
  out(table(['HOST', 'STATUS', 'LAST SEEN', 'HOSTNAME', 'BACKEND', 'ISOLATION', 'BLOCKS', 'THROTTLE', 'CPU', 'EVENTS'], hostRows(res.hosts)));
  if (res.hosts.some((h) => h.backend === 'DRY_RUN')) out('\nnote: hosts on the dry-run backend record rules but enforce nothing.\n');
  const asking = res.hosts.filter((h) => Object.keys(h.requestedTags).length > 0);
  if (asking.length) out(`\nnote: ${asking.length} host(s) request tags not granted (see \`firebreak host <id>\`; an admin grants them with \`firebreak hosts approve-tags <id>\`).\n`);
  out(storageLine(res.storage));
});

const tagText = (t: Record<string, string>): string => Object.entries(t).map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join(' ') || '-';

interface HostTagsView { hostId: string; tags: Record<string, string>; requested: Record<string, string>; grants: { key: string; value: string; source: string; grantedBy: string; grantedAtMs: number }[] }

function printHostTags(v: HostTagsView): void {
  if (json()) return printJson(v);
  out([
    `host       ${v.hostId}`,
    `tags       ${tagText(v.tags)}`,
    `requested  ${tagText(v.requested)}${Object.keys(v.requested).length ? ' (not in effect)' : ''}`,
    ...v.grants.map((g) => `  ${g.key}=${g.value}  ${g.source}, by ${g.grantedBy} at ${iso(g.grantedAtMs)}`),
    '',
  ].join('\n'));
}

hosts.command('tag <host> [key=value...]').description('grant tags to a host (admin; audited): playbooks, guards, silences and severity read only granted tags')
  .option('--remove <key>', 'withdraw this tag; repeat for more', (v: string, acc: string[]) => [...acc, v], [])
  .action(async (host: string, items: string[], o) => {
    const set: Record<string, string> = {};
    for (const t of items) {
      const i = t.indexOf('=');
      if (i === 0) throw new ValidationError(`bad tag '${t}': use KEY=VALUE (or KEY alone for an empty value)`);
      set[i < 0 ? t : t.slice(0, i)] = i < 0 ? '' : t.slice(i + 1);
    }
    printHostTags(await call<object, HostTagsView>(api(), 'SetHostTags', { hostId: host, set, remove: o.remove }));
  });

hosts.command('approve-tags <host> [key...]').description('grant the tags a host requests in its agent config (all, or the keys named; admin; audited)')
  .action(async (host: string, keys: string[]) => {
    printHostTags(await call<object, HostTagsView>(api(), 'ApproveHostTags', { hostId: host, keys }));
  });

program.command('host <id>').description('show one host: inventory, enforcement, last sample').action(async (id: string) => {
  const h = await call<object, Host__Output>(api(), 'GetHost', { hostId: id });
  if (json()) return printJson(h);
  const inv = h.inventory;
  const s = h.lastSample;
  const e = h.enforcement;
  out([
    `host        ${h.id} (${h.online ? 'online' : 'offline'}, last seen ${ago(h.lastSeenMs)}, first seen ${iso(h.firstSeenMs)})`,
    `hostname    ${inv?.hostname ?? '-'}`,
    `os          ${inv?.os ?? '-'} / kernel ${inv?.kernel ?? '-'} / ${inv?.arch ?? ''}`,
    `cpu         ${inv?.cpuModel ?? '-'} (${inv?.cpuCores ?? 0} cores), memory ${bytes(inv?.memoryBytes ?? 0)}`,
    `addresses   ${inv?.ipAddresses.join(', ') || '-'}`,
    `agent       ${inv?.agentVersion ?? '-'}, backend ${lower(h.backend)}, clock offset ${h.clockOffsetMs.toFixed(0)} ms`,
    `tags        ${tagText(h.tags)}`,
    `requested   ${tagText(h.requestedTags)}${Object.keys(h.requestedTags).length ? ` (asked for by the agent, not in effect: \`firebreak hosts approve-tags ${h.id}\`)` : ''}`,
    `reports     ${h.reports}, events ${h.events}`,
    s ? `last sample cpu ${s.cpuPct.toFixed(1)}%, mem ${s.memUsedPct.toFixed(1)}%, ${s.processCount} processes, ${s.connEstablished} established / ${s.connOutbound} outbound connections, ${iso(s.observedAtMs)}` : 'last sample -',
    // a lost state file is not "off": the agent kept the kernel's rules as it found them
    e?.stateLost
      ? `isolation   UNKNOWN: the agent's saved state was lost (${e.stateLost}); its kernel rules were kept as found. Send isolate or release to set it.`
      : `isolation   ${e?.isolated ? 'ISOLATED' : 'off'}${e?.allowlist.length ? ` (allow ${e.allowlist.map((a) => a.cidr).join(', ')})` : ''}`,
    `throttle    ${throttleText(e?.throttle)}`,
    `port blocks ${e?.stateLost ? 'unknown' : e?.blocks.length ? '' : 'none'}`,
    ...(e?.blocks ?? []).map((b) => `  ${b.id}: ${lower(b.direction)} ${lower(b.protocol)} ${b.ports.map((r) => (r.from === r.to ? r.from : `${r.from}-${r.to}`)).join(',')}${b.remoteInternet ? ' to internet' : ''}${b.remoteCidrs.length ? ` remote ${b.remoteCidrs.join(',')}` : ''}${b.expiresAtMs ? ` until ${iso(b.expiresAtMs)}` : ''}`),
    '',
  ].join('\n'));
});

program.command('events').description('list anomaly events, newest first')
  .option('--host <id>', 'only this host')
  .option('--signature <prefix>', 'only signatures starting with this, e.g. conn.fanout')
  .option('--since <duration>', 'only events from the last ..., e.g. 10m', duration)
  .option('-n, --limit <n>', 'at most this many', (v) => Number(v), 50)
  .action(async (o) => {
    const res = await call<object, { events: EventView__Output[] }>(api(), 'ListEvents', {
      hostId: o.host ?? '', signaturePrefix: o.signature ?? '', limit: o.limit, sinceMs: o.since ? Date.now() - o.since : 0,
    });
    if (json()) return printJson(res.events);
    out(table(['ID', 'WHEN', 'HOST', 'SIGNATURE', 'VALUE', 'BASELINE', 'SCORE', 'COUNT', 'EVIDENCE'], res.events.map((v) => {
      const e = v.event!;
      const ev = e.evidence;
      const evidence = [ev?.detail, ...(ev?.processes ?? []).slice(0, 2).map((p) => `${p.name}[${p.pid}]`)].filter(Boolean).join('; ');
      return [String(v.id), ago(v.receivedAtMs), v.hostId, e.signature + (e.cleared ? ' (cleared)' : ''), e.value.toFixed(1),
        e.baseline.toFixed(1), e.score.toFixed(1), String(e.count), evidence.slice(0, 60)];
    })));
  });

function commandRows(views: CommandView__Output[]): string[][] {
  return views.map((v) => {
    const c = v.command!;
    return [c.id, c.targetAgentId, lower(c.action), lower(v.status), ago(c.issuedAtMs), c.issuer, v.resultMessage || c.reason];
  });
}

function printCommand(v: CommandView__Output): void {
  if (json()) return printJson(v);
  const c = v.command!;
  out([
    `command  ${c.id}`,
    `host     ${c.targetAgentId}`,
    `action   ${lower(c.action)}${c.block?.block ? ` ${JSON.stringify(c.block.block)}` : ''}${c.unblock ? ` ${c.unblock.blockId}` : ''}${c.throttle ? ` ${throttleText(c.throttle)}` : ''}`,
    `status   ${lower(v.status)}${v.resultMessage ? `: ${v.resultMessage}` : ''}`,
    `issued   ${iso(c.issuedAtMs)} by ${c.issuer}${c.reason ? ` (${c.reason})` : ''}, expires ${iso(c.expiresAtMs)}`,
    ...(v.rules.length ? ['rules', ...v.rules.map((r) => `  ${r}`)] : []),
    '',
  ].join('\n'));
}

const waitOption = (cmd: Command) => cmd
  .option('--wait', 'wait for the agent\'s result; exit non-zero unless it applied')
  .addOption(durationOption('--timeout <duration>', 'how long --wait waits', 30_000))
  .option('--ttl <duration>', 'how long the command may wait for an offline agent before it expires', duration);

/** A host verb: one host (positional) or many (--hosts, --alert; see fleet.ts). */
const fleetWaitOption = (cmd: Command) => fleetOptions(waitOption(cmd));

async function issue(req: IssueCommandRequest, o: { wait?: boolean; timeout: number; ttl?: number } & FleetOpts): Promise<void> {
  if (o.ttl) req.ttlS = Math.ceil(o.ttl / 1000);
  if (isFleet(req.hostId, o)) {
    if (o.wait) throw new ValidationError("--wait follows one host's command; for a fleet action follow them with 'firebreak commands'");
    return fleetIssue(req, o);
  }
  let v = await call<IssueCommandRequest, CommandView__Output>(api(), 'IssueCommand', req);
  if (o.wait && !['APPLIED', 'FAILED', 'EXPIRED', 'ROLLED_BACK'].includes(v.status)) {
    if (!json()) process.stderr.write(`${v.command!.id} ${lower(v.status)}; waiting for ${v.command!.targetAgentId}...\n`);
    v = await call(api(), 'WaitCommand', { commandId: v.command!.id, timeoutMs: o.timeout }, o.timeout + 5000);
  }
  printCommand(v);
  if (o.wait && v.status !== 'APPLIED') {
    process.stderr.write(`firebreak: command ${v.command!.id} ended ${lower(v.status)}${v.resultMessage ? `: ${v.resultMessage}` : ''}\n`);
    process.exitCode = v.status === 'QUEUED' || v.status === 'SENT' ? 4 : 3;
  }
}

fleetWaitOption(program.command('isolate [host]').description('cut a host (or many: --hosts, --alert) off the network, except its link to the controller')
  .requiredOption('-r, --reason <text>', 'why (kept with the command)')
  .option('--allow <cidr>', 'also keep this range reachable; repeat for more', (v: string, acc: string[]) => [...acc, v], []))
  .action(async (host: string, o) => issue({
    hostId: host, action: 'ISOLATE', reason: o.reason,
    isolate: { allowlist: o.allow.map((c: string) => ({ cidr: checkCidr(c, '--allow') })) },
  }, o));

fleetWaitOption(program.command('release [host]').description('lift isolation (port blocks stay)')
  .option('-r, --reason <text>', 'why', ''))
  .action(async (host: string, o) => issue({ hostId: host, action: 'RELEASE', reason: o.reason }, o));

fleetWaitOption(program.command('block [host]').description('block ports on a host (or many: --hosts, --alert)')
  .requiredOption('-p, --port <ports>', 'ports: 25, 8000-8080 or 25,587,465')
  .option('--proto <protocol>', 'tcp or udp', 'tcp')
  .option('--direction <dir>', 'in, out (or inbound, outbound) or both', 'out')
  .option('--remote <cidr>', 'only traffic to/from this range; repeat for more', (v: string, acc: string[]) => [...acc, v], [])
  .option('--internet', 'only traffic to/from the internet (everything outside private, loopback and link-local ranges)')
  .option('--id <block-id>', 'the block\'s id, for unblock (default: derived from the ports)')
  .option('--expires <duration>', 'lift the block by itself after this long', duration)
  .option('--force', 'allow blocking the controller\'s own port')
  .option('-r, --reason <text>', 'why', ''))
  .action(async (host: string, o) => {
    const ports = parsePortList(o.port);
    const protocol = checkProtocol(String(o.proto).toUpperCase(), '--proto');
    // inbound/outbound read as in/out: the words an operator reaches for first
    const direction = checkDirection(String(o.direction).toUpperCase().replace(/^(IN|OUT)BOUND$/, '$1'), '--direction');
    const id = o.id ?? `${protocol.toLowerCase()}-${direction.toLowerCase()}-${o.port.replace(/,/g, '_')}`;
    await issue({
      hostId: host, action: 'BLOCK', reason: o.reason,
      block: {
        force: Boolean(o.force),
        block: {
          id, direction, protocol, ports, remoteCidrs: o.remote.map((c: string) => checkCidr(c, '--remote')),
          remoteInternet: Boolean(o.internet), expiresAtMs: o.expires ? Date.now() + o.expires : 0,
        },
      },
    }, o);
  });

// [host] [block-id]: with --hosts or --alert the one word given is the block id
fleetWaitOption(program.command('unblock [host] [block-id]').description('remove one port block (see `firebreak host <id>`); on many hosts: unblock --hosts SELECTOR <block-id>')
  .option('-r, --reason <text>', 'why', ''))
  .action(async (first: string | undefined, second: string | undefined, o) => {
    const [host, blockId] = second === undefined && (o.hosts || o.alert) ? [undefined, first] : [first, second];
    if (!blockId) throw new ValidationError('unblock needs the id of the block to remove (see `firebreak host <id>`)');
    await issue({ hostId: host, action: 'UNBLOCK', reason: o.reason, unblock: { blockId } }, o);
  });

/** A whole number in [min, max] from a CLI option, or a ValidationError naming the option. */
function intOption(flag: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || n < min || n > max) throw new ValidationError(`${flag} ${v} is out of range: give a whole number ${min}-${max}`);
    return n;
  };
}

fleetWaitOption(program.command('throttle [host]').description('slow a host\'s connections to new destinations (Williamson\'s virus throttle); recent destinations stay free')
  .option('--rate <n>', 'new destinations per second (1-1000)', intOption('--rate', 1, 1000), 1)
  .option('--burst <n>', 'new destinations allowed at once before the rate applies (1-10000)', intOption('--burst', 1, 10_000), 5)
  .option('--working-set <duration>', 'how long a destination stays free after its last new connection, 1s-24h (default: 60s)', duration)
  .option('--expires <duration>', 'lift the throttle by itself after this long', duration)
  .requiredOption('-r, --reason <text>', 'why (kept with the command)'))
  .action(async (host: string, o) => {
    const workingSetS = Math.ceil((o.workingSet ?? 60_000) / 1000);
    if (workingSetS < 1 || workingSetS > 86_400) throw new ValidationError(`--working-set ${workingSetS}s is out of range: give 1s to 24h`);
    await issue({
      hostId: host, action: 'THROTTLE', reason: o.reason,
      throttle: { newPerSecond: o.rate, burst: o.burst, workingSetS, expiresAtMs: o.expires ? Date.now() + o.expires : 0 },
    }, o);
  });

fleetWaitOption(program.command('unthrottle [host]').description('lift a host\'s throttle')
  .option('-r, --reason <text>', 'why', ''))
  .action(async (host: string, o) => issue({ hostId: host, action: 'UNTHROTTLE', reason: o.reason }, o));

program.command('commands').description('list commands, newest first')
  .option('--host <id>', 'only this host')
  .option('-n, --limit <n>', 'at most this many', (v) => Number(v), 50)
  .action(async (o) => {
    const res = await call<object, { commands: CommandView__Output[] }>(api(), 'ListCommands', { hostId: o.host ?? '', limit: o.limit });
    if (json()) return printJson(res.commands);
    out(table(['ID', 'HOST', 'ACTION', 'STATUS', 'ISSUED', 'ISSUER', 'RESULT / REASON'], commandRows(res.commands)));
  });

program.command('command <id>').description('show one command and the agent\'s result').action(async (id: string) => {
  printCommand(await call(api(), 'GetCommand', { commandId: id }));
});

// ---------------------------------------------------------------- trust administration

program.command('whoami').description('show which operator and role this credential is').action(async () => {
  const me = await call<object, { name: string; role: string }>(api(), 'WhoAmI', {});
  if (json()) return printJson(me);
  out(`${me.name} (${me.role}) at ${currentAddress()}\n`);
});

const tokens = program.command('tokens').description('enrollment tokens for new agents');
tokens.command('create').description('create a one-time enrollment token (shown once)')
  .option('--uses <n>', 'how many agents may enroll with it', (v) => Number(v), 1)
  .addOption(durationOption('--ttl <duration>', 'how long it stays valid', 24 * 3600_000))
  .option('--tag <key=value>', 'a tag granted to agents enrolling with it; repeat for more', (v: string, acc: string[]) => [...acc, v], [])
  .option('--tags <key=value...>', 'tags granted to agents enrolling with it (same as repeated --tag)')
  .action(async (o) => {
    const tags: Record<string, string> = {};
    for (const t of [...o.tag, ...((o.tags ?? []) as string[])]) {
      const i = t.indexOf('=');
      if (i <= 0) throw new ValidationError(`bad tag '${t}': use KEY=VALUE`);
      tags[t.slice(0, i)] = t.slice(i + 1);
    }
    const res = await call<object, { token: string; id: string; expiresAtMs: number; uses: number; caFingerprint: string }>(
      api(), 'CreateEnrollmentToken', { uses: o.uses, ttlS: Math.ceil(o.ttl / 1000), tags });
    if (json()) return printJson(res);
    out([
      `token        ${res.token}`,
      `id           ${res.id} (${res.uses} use${res.uses === 1 ? '' : 's'}, expires ${iso(res.expiresAtMs)})`,
      `ca pin       ${res.caFingerprint}`,
      '',
      'On the new host, keep the token off the command line (`ps` shows every argument to every user):',
      `  (umask 077; printf '%s\\n' '${res.token}' > /etc/firebreak/enroll-token)   # printf is a shell builtin: no process shows it`,
      `  firebreak-agent run -c CONTROLLER:7443 --enroll-token-file /etc/firebreak/enroll-token --ca-pin ${res.caFingerprint}`,
      'or pass it in the environment (FIREBREAK_ENROLL_TOKEN) or on standard input (--enroll-token -).',
      '',
    ].join('\n'));
  });

const operators = program.command('operators').description('operator credentials');
operators.command('add <name>').description('create an operator and print its credential (shown once)')
  .requiredOption('--role <role>', 'viewer, responder or admin')
  .option('--out <file>', 'write the credential file here (mode 0600) instead of printing it')
  .action(async (name: string, o) => {
    const res = await call<object, { name: string; role: string; token: string }>(api(), 'AddOperator', { name, role: o.role });
    const { cred } = loadCredentials(program.opts().credentials);
    const file = { controller: currentAddress(), name: res.name, role: res.role, token: res.token, caCertPem: cred.caCertPem, caFingerprint: cred.caFingerprint };
    if (o.out) {
      writeFileSync(o.out, JSON.stringify(file, null, 2), { mode: 0o600 });
      out(`operator ${res.name} (${res.role}) created; credential written to ${o.out}\n`);
    } else {
      printJson(file);
    }
  });

/** Writes a credential for `res` (mode 0600) or prints it. */
function credentialOut(res: { name: string; role: string; token: string }, file: string | undefined, verb: string): void {
  const { cred } = loadCredentials(program.opts().credentials);
  const body = { controller: currentAddress(), name: res.name, role: res.role, token: res.token, caCertPem: cred.caCertPem, caFingerprint: cred.caFingerprint };
  if (file) {
    writeFileSync(file, JSON.stringify(body, null, 2), { mode: 0o600 });
    out(`operator ${res.name} (${res.role}) ${verb}; credential written to ${file}\n`);
  } else {
    printJson(body);
  }
}

operators.command('remove <name>').description('delete an operator: its token is refused from now on (the last admin cannot be removed)')
  .action(async (name: string) => {
    const res = await call<object, { name: string; role: string }>(api(), 'RemoveOperator', { name });
    if (json()) return printJson(res);
    out(`operator ${res.name} (${res.role}) removed: its token is refused from now on\n`);
  });

operators.command('rotate <name>').description('give an operator a new token (shown once); the old one is refused at once')
  .option('--out <file>', 'write the new credential file here (mode 0600) instead of printing it')
  .action(async (name: string, o) => {
    const res = await call<object, { name: string; role: string; token: string }>(api(), 'RotateOperator', { name });
    credentialOut(res, o.out, 'has a new token');
  });

tokens.command('revoke <id>').description('revoke an enrollment token by the id `tokens create` printed: no agent enrolls with it any more')
  .action(async (id: string) => {
    const res = await call<object, { id: string; used: number; uses: number }>(api(), 'RevokeEnrollmentToken', { id });
    if (json()) return printJson(res);
    out(`enrollment token ${res.id} revoked (${res.used} of ${res.uses} uses were spent)\n`);
  });

const agents = program.command('agents').description('enrolled agents: list, revoke, allow re-enrollment');
agents.command('list').description('list enrolled agents and their certificates').action(async () => {
  const res = await call<object, { agents: { id: string; certFingerprint: string; enrolledAtMs: number; certNotAfterMs: number; revoked: boolean; reenrollAllowed: boolean }[] }>(api(), 'ListAgents', {});
  if (json()) return printJson(res.agents);
  out(table(['AGENT', 'STATUS', 'ENROLLED', 'CERT EXPIRES', 'FINGERPRINT'], res.agents.map((a) => [
    a.id, a.revoked ? 'REVOKED' : a.reenrollAllowed ? 'may re-enroll' : 'enrolled', iso(a.enrolledAtMs), iso(a.certNotAfterMs), a.certFingerprint.slice(0, 23) + '…',
  ])));
});
agents.command('revoke <id>').description('refuse this agent from now on and drop its stream at once').action(async (id: string) => {
  const a = await call<object, unknown>(api(), 'RevokeAgent', { hostId: id });
  if (json()) return printJson(a);
  out(`agent ${id} revoked: its stream was dropped and it will be refused until an admin allows it to re-enroll\n`);
});
agents.command('allow-reenroll <id>').description('let a re-imaged host enroll again under the same id').action(async (id: string) => {
  const a = await call<object, unknown>(api(), 'AllowReenroll', { hostId: id });
  if (json()) return printJson(a);
  out(`agent ${id} may enroll again once, with a new token\n`);
});

const audit = program.command('audit').description('the tamper-evident audit log')
  .option('--since <duration>', 'only entries from the last ..., e.g. 1h', duration)
  .option('-n, --limit <n>', 'at most this many', (v) => Number(v), 100)
  .action(async (o) => {
    const res = await call<object, { entries: { seq: number; atMs: number; actor: string; action: string; target: string; detail: string }[] }>(
      api(), 'ListAudit', { sinceMs: o.since ? Date.now() - o.since : 0, limit: o.limit });
    if (json()) return printJson(res.entries);
    out(table(['SEQ', 'WHEN', 'ACTOR', 'ACTION', 'TARGET', 'DETAIL'], res.entries.map((e) => [
      String(e.seq), iso(e.atMs), e.actor, e.action, e.target, e.detail.slice(0, 80),
    ])));
  });
audit.command('verify').description('check the hash chain; names the first bad entry').action(async () => {
  const v = await call<object, { ok: boolean; count: number; firstBadSeq: number; problem: string; head: string }>(api(), 'VerifyAudit', {});
  if (json()) printJson(v);
  // no bad entry to name (a deleted head file or anchor): say what is missing instead
  else out(v.ok ? `audit log intact: ${v.count} entries, head ${v.head}\n` : v.firstBadSeq
    ? `AUDIT LOG TAMPERED: first bad entry is seq ${v.firstBadSeq} (${v.problem})\n`
    : `AUDIT LOG CANNOT BE VERIFIED (${v.problem})\n`);
  if (!v.ok) process.exitCode = 5;
});

// alerts, silences and playbooks register after the host and command verbs, so --help lists those first
await import('./alerts.ts');
registerContain();

try {
  await program.parseAsync();
} catch (err) {
  const e = err as grpc.ServiceError;
  if (err instanceof ValidationError || err instanceof CredentialError) {
    process.stderr.write(`firebreak: ${err.message}\n`);
    process.exitCode = 2;
  } else if (typeof e.code === 'number' && e.code === grpc.status.UNAVAILABLE) {
    process.stderr.write(`firebreak: cannot reach the controller at ${currentAddress()}: is firebreak-controller running? (${e.details}; set --controller or FIREBREAK_CONTROLLER)\n`);
    process.exitCode = 1;
  } else if (typeof e.code === 'number') {
    process.stderr.write(`firebreak: ${grpc.status[e.code]}: ${e.details}\n`);
    process.exitCode = 1;
  } else {
    throw err;
  }
} finally {
  closeClient();
}
