// Fleet-wide CLI: the host verbs (isolate, release, block, unblock, throttle, unthrottle)
// take a host selector (--hosts, --alert) instead of one host, and `contain` applies a
// playbook's plan to an alert. The controller resolves the selector (against the tags it
// granted); the CLI shows the plan, asks above --confirm-above when it can (a terminal),
// and issues against the plan's digest, so what runs is what was shown.
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { ContainResponse__Output, FleetIssueResponse__Output, FleetPlan__Output, IssueCommandRequest } from '../../proto/wire.ts';
import { ValidationError } from '../../proto/validate.ts';
import { call } from './client.ts';
import { api, json, out, printJson, program } from './context.ts';
import { lower } from './format.ts';

/** Above this many hosts a fleet action is confirmed (y/N on a terminal, --yes otherwise). */
export const DEFAULT_CONFIRM_ABOVE = 5;
/** Natural order (fbh2 before fbh10), as the controller sorts its plans. */
const HOST_ORDER = new Intl.Collator('en', { numeric: true });
/** Hosts listed in a preview before "… and N more". */
const SHOWN = 20;

export interface FleetOpts {
  hosts?: string;
  alert?: string;
  yes?: boolean;
  dryRun?: boolean;
  confirmAbove: number;
  planDigest?: string;
  overrideGuard?: string;
}

function countArg(v: string): number {
  if (!/^\d+$/.test(v)) throw new ValidationError(`--confirm-above ${v}: give a whole number`);
  return Number(v);
}

/** The options every host verb gets for fleet use. */
export function fleetOptions(cmd: Command): Command {
  return cmd
    .option('--hosts <selector>', "many hosts at once: comma-separated terms, 'not X' removes: all, a host id, tag:KEY, tag:KEY=VALUE, alert:ID (e.g. 'all,not tag:mail-relay')")
    .option('--alert <id>', 'the hosts of this alert (with --hosts: added first)')
    .option('-y, --yes', 'confirm a fleet action without asking (needed when stdin is not a terminal)')
    .option('--dry-run', 'show the plan (hosts, count) and issue nothing')
    .option('--confirm-above <n>', 'ask before acting on more than this many hosts', countArg, DEFAULT_CONFIRM_ABOVE)
    .option('--plan-digest <digest>', 'issue only if the plan still has this digest (from an earlier --dry-run)')
    .option('--override-guard <reason>', 'isolate above the blast radius anyway (admin only; the reason is audited)');
}

/** Whether the verb was given a selector; a host and a selector at once is a usage error. */
export function isFleet(host: string | undefined, o: FleetOpts): boolean {
  const fleet = Boolean(o.hosts || o.alert);
  if (fleet && host) throw new ValidationError(`give either a host or --hosts/--alert, not both (got host '${host}')`);
  if (!fleet && !host) throw new ValidationError('no host given: name one host, or many with --hosts SELECTOR (e.g. --hosts all,not tag:mail-relay) or --alert ID');
  return fleet;
}

/** A list for people: the first few and how many more. */
export function shortList(ids: readonly string[], max = SHOWN): string {
  if (ids.length <= max) return ids.join(', ');
  return `${ids.slice(0, max).join(', ')} … and ${ids.length - max} more`;
}

function describe(req: IssueCommandRequest): string {
  const b = req.block?.block;
  if (b) return `block ${lower(String(b.direction))} ${lower(String(b.protocol))} ${(b.ports ?? []).map((r) => (r.from === r.to ? r.from : `${r.from}-${r.to}`)).join(',')}`;
  if (req.unblock) return `unblock ${req.unblock.blockId}`;
  return lower(String(req.action));
}

/** Asks y/N on the terminal; anything but y/yes is no. */
async function ask(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/**
 * Confirmation above `above` hosts: --yes, else a y/N question on a terminal, else a
 * refusal that says what to do. Returns false when the operator said no.
 */
export async function confirm(count: number, what: string, o: FleetOpts): Promise<boolean> {
  if (count <= o.confirmAbove || o.yes) return true;
  if (!process.stdin.isTTY) {
    throw new ValidationError(`${what} reaches ${count} hosts (more than --confirm-above ${o.confirmAbove}) and stdin is not a terminal, so I cannot ask: add --yes to go ahead, or --dry-run to only look`);
  }
  return ask(`${what} on ${count} hosts. Go ahead? [y/N] `);
}

/** Plan, show, confirm, issue. */
export async function fleetIssue(req: IssueCommandRequest, o: FleetOpts): Promise<void> {
  const base = { hosts: o.hosts ?? '', alertId: o.alert ?? '', command: { ...req, hostId: '' }, overrideGuard: o.overrideGuard ?? '' };
  const plan = await call<object, FleetPlan__Output>(api(), 'PlanFleetCommand', base);
  const what = describe(req);
  if (json() && o.dryRun) return printJson({ plan, issued: 0 });
  if (!json()) {
    const fleet = plan.fleetSize ? ` (of ${plan.fleetSize} in the fleet)` : '';
    const lines = [
      `plan     ${what} on ${plan.hostIds.length} host(s)${fleet}, selector '${plan.selector}', digest ${plan.digest}`,
      `hosts    ${shortList(plan.hostIds) || '(none)'}`,
    ];
    if (plan.spared.length) lines.push(`spared   ${plan.spared.length} tagged never-isolate: ${shortList(plan.spared)}`);
    if (plan.action === 'ISOLATE') lines.push(`guard    ${plan.guardUsed} isolation(s) in the blast-radius window, limit ${plan.guardLimit}${plan.guard ? `: ${plan.guard}` : ''}`);
    out(lines.join('\n') + '\n');
    if (o.dryRun) {
      out('dry run: nothing issued\n');
      return;
    }
  }
  if (plan.hostIds.length === 0) throw new ValidationError(`the selector '${plan.selector}' picks no host: nothing to do`);
  if (o.planDigest && o.planDigest !== plan.digest) {
    // the controller checks it too; saying it here names both digests before anything is sent
    process.stderr.write(`firebreak: the plan changed since digest ${o.planDigest} (now ${plan.digest}); the controller will refuse it\n`);
  }
  if (!(await confirm(plan.hostIds.length, what, o))) {
    out('not confirmed: nothing issued\n');
    process.exitCode = 1;
    return;
  }
  const res = await call<object, FleetIssueResponse__Output>(api(), 'IssueFleetCommand', { ...base, planDigest: o.planDigest ?? plan.digest }, 60_000);
  if (json()) return printJson(res);
  out(`issued   ${res.commands.length} command(s); follow them with 'firebreak commands' (first: ${res.commands[0]?.commandId ?? '-'} on ${res.commands[0]?.hostId ?? '-'})\n`);
}

// ---------------------------------------------------------------- contain

interface RunView {
  id: string; playbook: string; mode: string; alertId: string;
  actions: { kind: string; hostId: string | null; status: string; reason: string }[];
}

function printContain(res: ContainResponse__Output, title: string): RunView {
  const run = JSON.parse(res.run?.json ?? '{}') as RunView;
  if (json()) return run;
  const byKind = new Map<string, { hosts: string[]; reasons: Set<string> }>();
  for (const a of run.actions) {
    const key = `${a.kind} ${a.status}`;
    let g = byKind.get(key);
    if (!g) byKind.set(key, (g = { hosts: [], reasons: new Set() }));
    if (a.hostId) g.hosts.push(a.hostId);
    if (g.reasons.size < 3) g.reasons.add(a.reason);
  }
  const lines = [`${title}  playbook ${res.playbook} on alert ${run.alertId}${res.digest ? `, digest ${res.digest}` : ''}`];
  if (res.note) lines.push(`note     ${res.note}`);
  if (byKind.size === 0) lines.push('         (the playbook plans nothing for this alert)');
  for (const [key, g] of byKind) {
    g.hosts.sort(HOST_ORDER.compare);
    lines.push(`  ${key}: ${g.hosts.length ? `${g.hosts.length} host(s): ${shortList(g.hosts)}` : ''}${g.hosts.length ? ' — ' : ''}${[...g.reasons].join('; ')}`);
  }
  out(lines.join('\n') + '\n');
  return run;
}

/** Registered after the alert verbs (main.ts), so --help lists it beside them. */
export function registerContain(): void {
  program.command('contain <alert>').description("apply a playbook's plan to an alert by hand: shows what it would do, then does it after confirmation (a run of mode manual)")
    .option('--playbook <name>', 'the playbook (default: the first loaded one whose `when` matches the alert)')
    .option('--dry-run', 'show the plan and do nothing')
    .option('-y, --yes', 'confirm without asking (needed when stdin is not a terminal)')
    .option('--confirm-above <n>', 'ask before acting on more than this many hosts', countArg, DEFAULT_CONFIRM_ABOVE)
    .option('--plan-digest <digest>', 'act only if the plan still has this digest (from an earlier --dry-run)')
    .action(async (alert: string, o: FleetOpts & { playbook?: string }) => {
      const preview = await call<object, ContainResponse__Output>(api(), 'ContainAlert', { alertId: alert, playbook: o.playbook ?? '', dryRun: true });
      const run = printContain(preview, 'plan    ');
      if (o.dryRun) {
        if (json()) printJson({ digest: preview.digest, note: preview.note, run });
        else out('dry run: nothing done\n');
        return;
      }
      const hosts = new Set(run.actions.filter((a) => a.hostId && a.status === 'dry-run').map((a) => a.hostId!));
      if (!(await confirm(hosts.size, `contain ${alert} with playbook ${preview.playbook}`, o))) {
        out('not confirmed: nothing done\n');
        process.exitCode = 1;
        return;
      }
      const res = await call<object, ContainResponse__Output>(api(), 'ContainAlert', {
        alertId: alert, playbook: preview.playbook, dryRun: false, planDigest: o.planDigest ?? preview.digest,
      }, 60_000);
      const done = printContain(res, 'run     ');
      if (json()) return printJson({ digest: res.digest, note: res.note, run: done });
      out(`run ${done.id} (manual) started; see 'firebreak run ${done.id}'${done.actions.some((a) => a.status === 'held') ? `; held actions wait for 'firebreak approve ${done.id}'` : ''}\n`);
    });
}
