// Operator CLI: master alerts, silences, playbooks and their runs.
import type { AlertDetail, AlertSummary, SilenceView } from '../pipeline/stage-types.ts';
import { ValidationError } from '../../proto/validate.ts';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { call } from './client.ts';
import { api, duration, json, out, printJson, program } from './context.ts';
import { ago, iso, table } from './format.ts';
import { renderSpreadTree } from './spread-tree.ts';

const docs = async <T>(method: string, req: object): Promise<T[]> =>
  (await call<object, { items: string[] }>(api(), method as never, req)).items.map((i) => JSON.parse(i) as T);
const doc = async <T>(method: string, req: object): Promise<T> =>
  JSON.parse((await call<object, { json: string }>(api(), method as never, req)).json) as T;

const secs = (ms: number | null) => (ms === null ? '-' : `${(ms / 1000).toFixed(1)}s`);

function alertRows(alerts: AlertSummary[]): string[][] {
  return alerts.map((a) => [
    a.id, a.severity.toUpperCase(), a.status, a.scope === 'fleet' ? 'fleet' : 'host', a.rootCause,
    String(a.hostCount), a.classification, secs(a.doublingTimeMs), a.patientZero?.hostId ?? '-', String(a.eventCount), ago(a.lastSeenMs),
    a.flapping ? 'flapping' : '',
  ]);
}

async function printAlerts(o: { all?: boolean; fleet?: boolean }): Promise<AlertSummary[]> {
  const alerts = await docs<AlertSummary>('ListAlerts', { status: o.all ? 'open' : 'active', scope: o.fleet ? 'fleet' : '' });
  if (json()) { printJson(alerts); return alerts; }
  const fleet = alerts.filter((a) => a.scope === 'fleet');
  const hosts = alerts.filter((a) => a.scope === 'host');
  out(`MASTER ALERTS (${fleet.length})\n`);
  out(table(['ID', 'SEVERITY', 'STATUS', 'SCOPE', 'ROOT CAUSE', 'HOSTS', 'SPREAD', 'DOUBLING', 'PATIENT ZERO', 'EVENTS', 'LAST', ''], alertRows(fleet)));
  if (!o.fleet) {
    out(`\nSINGLE-HOST ANOMALIES (${hosts.length})\n`);
    out(table(['ID', 'SEVERITY', 'STATUS', 'SCOPE', 'SIGNATURE', 'HOSTS', 'SPREAD', 'DOUBLING', 'HOST', 'EVENTS', 'LAST', ''], alertRows(hosts)));
  }
  return alerts;
}

program.command('alerts').description('master alerts (one per incident) and single-host anomaly lines')
  .option('--fleet', 'master alerts only')
  .option('-w, --watch [interval]', 'refresh until Ctrl-C (default every 2s)')
  .action(async (o) => {
    if (!o.watch) { await printAlerts(o); return; }
    const every = typeof o.watch === 'string' ? duration(o.watch) : 2000;
    for (;;) {
      if (!json()) out('\x1b[2J\x1b[H' + `firebreak alerts — ${new Date().toISOString()} (every ${every / 1000}s, Ctrl-C to stop)\n\n`);
      await printAlerts(o);
      await new Promise((r) => setTimeout(r, every));
    }
  });

program.command('alert <id>').description('one alert: timeline, spread tree, hosts, patient zero, signatures, evidence (-o json: the tree as nodes and edges)').action(async (id: string) => {
  const a = await doc<AlertDetail>('GetAlert', { alertId: id });
  if (json()) return printJson(a);
  const ev = a.evidence;
  out([
    `alert         ${a.id} (${a.scope === 'fleet' ? 'master alert' : 'single host'}) ${a.severity.toUpperCase()} ${a.status}${a.flapping ? ' FLAPPING' : ''}`,
    `root cause    ${a.rootCause}`,
    `hosts         ${a.hostCount} (${a.coreHostCount} core)`,
    `patient zero  ${a.patientZero ? `${a.patientZero.hostId} at ${iso(a.patientZero.onsetMs)}` : '-'}`,
    `spread        ${a.classification}, doubling every ${secs(a.doublingTimeMs)}`,
    `seen          ${iso(a.firstSeenMs)} .. ${iso(a.lastSeenMs)}, ${a.eventCount} events folded in (${a.suppressedEvents} silenced)`,
    a.acknowledgedBy ? `acknowledged  by ${a.acknowledgedBy} at ${iso(a.acknowledgedAtMs ?? 0)}` : '',
    '',
    'SIGNATURES',
    table(['SIGNATURE', 'KIND', 'HOSTS', 'EVENTS', 'FIRST', 'LAST'], a.signatures.map((s) => [s.signature, s.kind, String(s.hosts), String(s.events), iso(s.firstSeenMs), iso(s.lastSeenMs)])).trimEnd(),
    '',
    'EVIDENCE',
    `  executables  ${ev.exe.map((e) => `${e.value} (${e.count})`).join(', ') || '-'}`,
    `  sha256       ${ev.sha256.map((e) => `${e.value.slice(0, 16)}… (${e.count})`).join(', ') || '-'}`,
    `  remote ports ${ev.remotePorts.map((e) => `${e.value} (${e.count})`).join(', ') || '-'}`,
    '',
    `TIMELINE (hosts per ${a.timelineBucketMs / 1000}s)`,
    ...a.timeline.map((b) => `  ${iso(b.startMs)}  +${String(b.newHosts).padStart(4)}  = ${String(b.totalHosts).padStart(5)}  ${'#'.repeat(Math.min(60, b.newHosts))}`),
    '',
    ...(a.scope === 'fleet' ? [...renderSpreadTree(a.spreadGraph), ''] : []),
    'HOSTS (by onset)',
    table(['HOST', 'ONSET', 'CORE', 'EVENTS', 'ACTIVE'], [...a.hosts].sort((x, y) => x.onsetMs - y.onsetMs).slice(0, 50)
      .map((h) => [h.hostId, iso(h.onsetMs), h.core ? 'core' : '', String(h.events), h.active ? 'yes' : 'cleared'])).trimEnd(),
    a.hosts.length > 50 ? `  … and ${a.hosts.length - 50} more (-o json for all)` : '',
    '',
  ].filter((l) => l !== '').join('\n') + '\n');
});

program.command('ack <id>').description('acknowledge an alert (it stays open; no re-alert)').action(async (id: string) => {
  const a = await doc<AlertSummary>('AckAlert', { alertId: id });
  if (json()) return printJson(a);
  out(`alert ${a.id} acknowledged\n`);
});

const silence = program.command('silence').description('silences and maintenance windows: matching events are stored but open or escalate nothing');
silence.command('add <matcher...>').description('add a silence; matchers: signature=conn.*  host=web-?  tag:role=db (all must match)')
  .requiredOption('--for <duration>', 'how long, e.g. 2h', duration)
  .option('--starts-in <duration>', 'start later (a maintenance window)', duration)
  .option('--maintenance', 'mark it as a maintenance window')
  .option('-c, --comment <text>', 'why', '')
  .action(async (matchers: string[], o) => {
    const start = Date.now() + (o.startsIn ?? 0);
    const s = await doc<SilenceView>('AddSilence', {
      matchers, startsAtMs: o.startsIn ? start : 0, endsAtMs: start + o.for, comment: o.comment, kind: o.maintenance ? 'maintenance' : 'silence',
    });
    if (json()) return printJson(s);
    out(`silence ${s.id} ${s.state} until ${iso(s.endsAtMs)}\n`);
  });
silence.command('list').description('list silences').action(async () => {
  const list = await docs<SilenceView>('ListSilences', {});
  if (json()) return printJson(list);
  out(table(['ID', 'KIND', 'STATE', 'MATCHERS', 'STARTS', 'ENDS', 'MUTED', 'BY', 'COMMENT'], list.map((s) => [
    s.id, s.kind, s.state, s.matchers.map((m) => (m.field === 'tag' ? `tag:${m.tag}=${m.value}` : `${m.field}=${m.value}`)).join(' '),
    iso(s.startsAtMs), iso(s.endsAtMs), String(s.matched), s.createdBy, s.comment,
  ])));
});
silence.command('expire <id>').description('end a silence now').action(async (id: string) => {
  const s = await doc<SilenceView>('ExpireSilence', { silenceId: id });
  if (json()) return printJson(s);
  out(`silence ${s.id} expired\n`);
});

// ---------------------------------------------------------------- playbooks

type Row = Record<string, unknown>;
const str = (v: unknown) => (v === undefined || v === null ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));

const playbooks = program.command('playbooks').description('automated containment playbooks');
playbooks.command('list').description('loaded playbooks, enabled or not, and files refused').action(async () => {
  const list = await docs<Row>('ListPlaybooks', {});
  if (json()) return printJson(list);
  out(table(['NAME', 'ENABLED', 'MODE', 'ACTIVE RUNS', 'FILE', 'STATUS'], list.map((p) => [
    str(p.name), str(p.enabled), str(p.mode ?? '-'), str(p.activeRuns ?? '-'), str(p.file),
    p.error ? `REFUSED: ${str(p.error)}` : p.staleErrors ? 'file now invalid; the last good version runs' : 'ok',
  ])));
});
playbooks.command('validate <file>').description('check a playbook file against the schema; names the line of each mistake').action(async (file: string) => {
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (err) { throw new ValidationError(`cannot read ${file}: ${(err as Error).message}`); }
  const res = await doc<{ ok: boolean; errors?: { line?: number; message: string }[] }>('ValidatePlaybook', { name: basename(file), yaml: text });
  if (json()) printJson(res);
  else out(res.ok ? `${file}: valid\n` : (res.errors ?? []).map((e) => `${file}:${e.line ?? '?'}: ${e.message}\n`).join(''));
  if (!res.ok) process.exitCode = 2;
});
for (const [verb, enabled] of [['enable', true], ['disable', false]] as const) {
  playbooks.command(`${verb} <name>`).description(`${verb} a playbook`).action(async (name: string) => {
    const res = await doc<Row>('SetPlaybookEnabled', { name, enabled });
    if (json()) return printJson(res);
    out(`playbook ${name} ${enabled ? 'enabled' : 'disabled'}\n`);
  });
}

program.command('runs').description('what each playbook did, and why a guard held').option('-n, --limit <n>', 'at most this many', (v) => Number(v), 50)
  .action(async (o) => {
    const runs = await docs<Row>('ListRuns', { limit: o.limit });
    if (json()) return printJson(runs);
    out(table(['RUN', 'PLAYBOOK', 'MODE', 'ALERT', 'ROOT CAUSE', 'STATUS', 'STARTED', 'ACTIONS', 'HELD BECAUSE'], runs.map((r) => [
      str(r.id), str(r.playbook), str(r.mode), str(r.alertId), str(r.rootCause), str(r.status), iso(Number(r.startedAtMs ?? 0)),
      Object.entries((r.counts ?? {}) as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(', '), str(r.heldReason ?? ''),
    ])));
  });
program.command('run <id>').description('one playbook run with each action and guard decision').action(async (id: string) => {
  const r = await doc<Row>('GetRun', { runId: id });
  if (json()) return printJson(r);
  const actions = Array.isArray(r.actions) ? (r.actions as Row[]) : [];
  out([
    `run       ${str(r.id)} (${str(r.status)})`, `playbook  ${str(r.playbook)} (${str(r.mode)})`, `alert     ${str(r.alertId)}`, '',
    table(['#', 'STEP', 'ACTION', 'HOST', 'STATUS', 'WHY', 'COMMAND', 'EXPIRES'], actions.map((a) => [
      str(a.seq), str(a.step), str(a.kind), str(a.hostId ?? '*'), str(a.status), str(a.reason), str(a.commandId ?? ''),
      a.expiresAtMs ? iso(Number(a.expiresAtMs)) : a.liftOnResolve ? 'on resolve' : '',
    ])),
  ].join('\n'));
});
program.command('approve <run>').description('execute the actions a blast-radius guard held for approval').action(async (id: string) => {
  const r = await doc<Row>('ApproveRun', { runId: id });
  if (json()) return printJson(r);
  out(`run ${id} approved\n`);
});
