// Fleet-wide operator actions: a host selector resolved here, on the controller, against
// the tags it granted (host-selector.ts); a plan first (the hosts, natural order, and a
// digest), then the commands issued against that digest, all in one batch
// (Commands.issueMany: one transaction, one audit entry naming the selector and every
// command). And `contain`: a playbook's plan applied to an alert by hand.
//
// Guards for an isolation by selector: hosts tagged never-isolate are spared (left out,
// listed in the plan); and the blast radius playbooks obey (guards.ts, the same window,
// which counts these isolations too) holds here as well: above it the issue is refused
// unless an admin gives --override-guard with a reason (audited with the batch). A
// responder cannot override; one host at a time (`firebreak isolate <host>`) stays as it was.
import { createHash } from 'node:crypto';
import type { FleetCommandRequest__Output, IssueCommandRequest__Output, OperatorHandlers } from '../proto/wire.ts';
import { checkAction, checkText, ValidationError } from '../proto/validate.ts';
import { formatSelector, parseSelector, resolveSelector, SelectorError, type SelectorTerm } from './host-selector.ts';
import type { OperatorApiOptions } from './operator-api.ts';
import { rpcFactory, UnavailableError, type Operator } from './operator-rpc.ts';
import { blastLimit, DEFAULT_BLAST_RADIUS } from './playbooks/guards.ts';
import { hasTag, NEVER_ISOLATE_TAG } from './playbooks/match.ts';
import type { ManualPlan } from './playbooks/index.ts';
import { formatDuration } from './playbooks/schema.ts';
import { requireRole } from './trust/roles.ts';

/** What the fleet actions need from the playbook engine (Containment implements it). */
export interface FleetContainmentApi {
  containPreview(alertId: string, playbook: string | null, by: string): ManualPlan;
  contain(alertId: string, playbook: string | null, by: string, digest: string): Promise<{ run: unknown; note: string | null }>;
  isolationRoom(): { used: number; limit: number; windowMs: number; fleetSize: number };
  countOperatorIsolations(by: string, n: number): Promise<void>;
}

/** The plan changed, or a confirmation or override is missing: FAILED_PRECONDITION (toStatus maps the parent). */
class PreconditionError extends UnavailableError {}

interface Plan {
  selector: string;
  hostIds: string[];
  spared: string[];
  digest: string;
  action: IssueCommandRequest__Output['action'];
  fleetSize: number;
  guardUsed: number;
  guardLimit: number;
  guard: string;
}

/** Parameters without their expiry times (the CLI turns --expires 1h into a time at each call). */
function stableParams(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stableParams);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'expiresAtMs' && k !== 'hostId' && k !== 'reason' && k !== 'ttlS').sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, stableParams(x)]));
  }
  return v;
}

type FleetOptions = Pick<OperatorApiOptions, 'store' | 'pipeline' | 'commands' | 'fleet'>;
type FleetView = ReturnType<typeof view>;

const view = (p: Plan) => ({
  selector: p.selector, hostIds: p.hostIds, digest: p.digest, action: p.action, spared: p.spared,
  fleetSize: p.fleetSize, guardUsed: p.guardUsed, guardLimit: p.guardLimit, guard: p.guard,
});

/**
 * Plan and issue by host selector, without the gRPC layer: the Operator RPCs below wrap
 * these, and the dashboard's server can call them with its own authenticated operator. The
 * caller checks the role first (plan: viewer, issue: responder, as trust/roles.ts says);
 * issue checks the admin role itself for an override of the blast radius.
 */
export function fleetActions(o: FleetOptions) {
  const actor = (op: Operator) => `operator:${op.name}`;

  async function plan(req: FleetCommandRequest__Output): Promise<Plan & { command: IssueCommandRequest__Output }> {
    const terms: SelectorTerm[] = [];
    if (req.alertId) terms.push({ kind: 'alert', not: false, id: checkText(req.alertId, 'alert_id', 64) });
    if (req.hosts) terms.push(...parseSelector(checkText(req.hosts, 'hosts', 4096)));
    if (terms.length === 0) throw new SelectorError('no hosts chosen: give --hosts SELECTOR (e.g. all,not tag:mail-relay) or --alert ID');
    const command = req.command;
    if (!command) throw new ValidationError('the fleet request carries no command (action and parameters)');
    const action = checkAction(command.action);
    const granted = await o.store.trust.allHostTags();
    const hosts = (await o.store.listHosts()).map((h) => ({ id: h.id, tags: granted.get(h.id) ?? {} }));
    const book = o.pipeline().book;
    const picked = resolveSelector(terms, {
      hosts,
      alertHosts: (id) => {
        const a = book.summary(id);
        // members, and any host the spread graph drew into the incident
        return a ? [...new Set([...book.alertHosts(id).map((h) => h.hostId), ...a.spread.graphHosts])] : undefined;
      },
    });
    const tagsOf = new Map(hosts.map((h) => [h.id, h.tags]));
    const spared = action === 'ISOLATE' ? picked.filter((id) => hasTag(tagsOf.get(id) ?? {}, NEVER_ISOLATE_TAG, null)) : [];
    const sparedSet = new Set(spared);
    const hostIds = picked.filter((id) => !sparedSet.has(id));
    let guard = '';
    let guardUsed = 0;
    let guardLimit = 0;
    if (action === 'ISOLATE') {
      const room = o.fleet?.()?.isolationRoom()
        ?? { used: 0, limit: blastLimit(DEFAULT_BLAST_RADIUS, hosts.length), windowMs: DEFAULT_BLAST_RADIUS.windowMs, fleetSize: hosts.length };
      guardUsed = room.used;
      guardLimit = room.limit;
      if (room.used + hostIds.length > room.limit) {
        guard = `isolating ${hostIds.length} host(s) goes above the blast radius: ${room.used} isolation(s) in the last ${formatDuration(room.windowMs)}, `
          + `the limit for a fleet of ${room.fleetSize} is ${room.limit} (see guards.ts); `
          + 'an admin may go ahead with --override-guard "why"';
      }
    }
    const selector = formatSelector(terms);
    const digest = createHash('sha256').update(JSON.stringify([action, stableParams(command), hostIds, spared])).digest('hex').slice(0, 16);
    return { selector, hostIds, spared, digest, action, fleetSize: hosts.length, guardUsed, guardLimit, guard, command };
  }

  /** The plan: hosts picked (natural order), spared, the guard, and the digest an issue must carry. */
  async function planView(req: FleetCommandRequest__Output): Promise<FleetView> {
    return view(await plan(req));
  }

  /** Issues the plan's commands when `req.planDigest` is still its digest; checks the guard and the override's role. */
  async function issue(req: FleetCommandRequest__Output, op: Operator): Promise<{ plan: FleetView; commands: Array<{ hostId: string; commandId: string }> }> {
    const p = await plan(req);
    if (!req.planDigest) {
      throw new PreconditionError(`a fleet command needs the digest of the plan the operator confirmed (PlanFleetCommand answers it; the CLI previews and asks first)`);
    }
    if (req.planDigest !== p.digest) {
      throw new PreconditionError(`the plan changed since it was previewed (digest ${req.planDigest}, now ${p.digest}: ${p.hostIds.length} host(s) for '${p.selector}' now): preview it again and confirm what it shows`);
    }
    if (p.hostIds.length === 0) throw new ValidationError(`the selector '${p.selector}' picks no host${p.spared.length ? ` (${p.spared.length} spared: tagged ${NEVER_ISOLATE_TAG})` : ''}`);
    const override = req.overrideGuard ? checkText(req.overrideGuard, 'override_guard', 512) : '';
    if (p.guard) {
      if (!override) throw new PreconditionError(p.guard);
      requireRole(op.role, 'admin', `an isolation above the blast radius (--override-guard)`);
    }
    if (p.action === 'ISOLATE') await o.fleet?.()?.countOperatorIsolations(actor(op), p.hostIds.length);
    const commands = await o.commands.issueMany(p.command, p.hostIds, actor(op), {
      selector: p.selector, digest: p.digest, spared: p.spared, ...(p.guard ? { overrideGuard: override, guard: p.guard } : {}),
    });
    return { plan: view(p), commands };
  }

  return { plan: planView, issue };
}

export function fleetHandlers(o: OperatorApiOptions): Pick<OperatorHandlers, 'PlanFleetCommand' | 'IssueFleetCommand' | 'ContainAlert'> {
  const rpc = rpcFactory({ store: o.store, audit: o.audit, log: o.log });
  const actor = (op: Operator) => `operator:${op.name}`;
  const fleet = fleetActions(o);
  return {
    PlanFleetCommand: rpc('PlanFleetCommand', async (req) => fleet.plan(req)),
    IssueFleetCommand: rpc('IssueFleetCommand', async (req, op) => fleet.issue(req, op)),
    ContainAlert: rpc('ContainAlert', async (req, op) => {
      const f = o.fleet?.();
      if (!f) throw new UnavailableError('playbooks are not enabled on this controller: start it with --playbooks DIR');
      const alertId = checkText(req.alertId, 'alert_id', 64);
      const playbook = req.playbook ? checkText(req.playbook, 'playbook', 128) : null;
      if (req.dryRun) {
        const p = f.containPreview(alertId, playbook, actor(op));
        return { digest: p.digest, playbook: p.run.playbook, run: { json: JSON.stringify(p.run) }, note: p.note ?? '' };
      }
      const r = await f.contain(alertId, playbook, actor(op), req.planDigest);
      return { digest: req.planDigest, playbook: (r.run as { playbook: string }).playbook, run: { json: JSON.stringify(r.run) }, note: r.note ?? '' };
    }),
  };
}
