// Operator RPCs over the correlation pipeline (alerts, silences) and the
// playbook engine (playbooks, runs, approvals). Their read models travel as
// JSON (see JsonDoc in the .proto for why).
import type { OperatorHandlers } from '../proto/wire.ts';
import type { OperatorApiOptions } from './operator-api.ts';
import { NotFoundError } from './commands.ts';
import { rpcFactory, UnavailableError } from './operator-rpc.ts';
import { parseMatcher } from './pipeline/pipeline.ts';
import { StageError, type SilenceView } from './pipeline/stage-types.ts';
import { ValidationError, checkText } from '../proto/validate.ts';

/** What the operator API needs from the playbook engine. */
export interface PlaybookApi {
  list(): unknown[];
  validate(name: string, yaml: string): unknown;
  /** Resolves once the change is stored: the operator hears 'done' only for what survives a restart. */
  setEnabled(name: string, enabled: boolean, by: string): Promise<unknown>;
  listRuns(limit: number): unknown[];
  getRun(id: string): unknown | undefined;
  approve(id: string, by: string): Promise<unknown>;
}

const doc = (v: unknown) => ({ json: JSON.stringify(v) });
const list = (items: unknown[]) => ({ items: items.map((i) => JSON.stringify(i)) });

/** Stage errors (alerts, silences, playbooks) are the operator's mistakes: NOT_FOUND or INVALID_ARGUMENT, by their kind. */
export function asOperatorError(err: unknown): never {
  if (err instanceof StageError) throw err.kind === 'not-found' ? new NotFoundError(err.message) : new ValidationError(err.message);
  throw err;
}

export function alertHandlers(o: OperatorApiOptions): Pick<OperatorHandlers, 'ListAlerts' | 'GetAlert' | 'AckAlert' | 'AddSilence' | 'ListSilences' | 'ExpireSilence'> {
  const rpc = rpcFactory({ store: o.store, audit: o.audit, log: o.log });
  // the pipeline of the moment: a cluster's new leader restores its own
  const p = () => o.pipeline();
  return {
    ListAlerts: rpc('ListAlerts', async (req) => {
      const scope = req.scope === 'fleet' || req.scope === 'host' ? req.scope : undefined;
      if (req.scope && !scope) throw new ValidationError(`scope '${req.scope}' is not one of fleet, host`);
      const statuses = ['open', 'acknowledged', 'resolved', 'active'] as const;
      const status = (statuses as readonly string[]).includes(req.status) ? (req.status as (typeof statuses)[number]) : undefined;
      if (req.status && !status) throw new ValidationError(`status '${req.status}' is not one of ${statuses.join(', ')}`);
      return list(p().listAlerts({ scope, status: status ?? 'active', limit: Math.min(req.limit || 200, 10_000) }));
    }),
    GetAlert: rpc('GetAlert', async (req) => {
      const a = p().getAlert(checkText(req.alertId, 'alert_id', 64));
      if (!a) throw new NotFoundError(`unknown alert '${req.alertId}' (list them with 'firebreak alerts')`);
      return doc(a);
    }),
    AckAlert: rpc('AckAlert', async (req, op) => {
      try {
        const a = p().acknowledge(checkText(req.alertId, 'alert_id', 64), op.name, o.now());
        // stored before the operator hears it is done (a restart puts it back)
        await o.store.putAck({ alertId: a.id, by: a.acknowledgedBy ?? op.name, atMs: a.acknowledgedAtMs ?? o.now() });
        await o.audit.append(`operator:${op.name}`, 'alert.ack', a.id, { rootCause: a.rootCause });
        return doc(a);
      } catch (err) { return asOperatorError(err); }
    }),
    AddSilence: rpc('AddSilence', async (req, op) => {
      try {
        const s = p().addSilence({
          kind: req.kind === 'maintenance' ? 'maintenance' : 'silence',
          matchers: req.matchers.map((m) => parseMatcher(m)),
          startsAtMs: req.startsAtMs || undefined, endsAtMs: req.endsAtMs, createdBy: op.name, comment: req.comment,
        }, o.now());
        await storeSilence(o, s);
        await o.audit.append(`operator:${op.name}`, 'silence.add', s.id, { matchers: req.matchers, endsAtMs: s.endsAtMs, comment: s.comment });
        return doc(s);
      } catch (err) { return asOperatorError(err); }
    }),
    ListSilences: rpc('ListSilences', async () => list(p().listSilences(o.now()))),
    ExpireSilence: rpc('ExpireSilence', async (req, op) => {
      try {
        const s = p().expireSilence(checkText(req.silenceId, 'silence_id', 64), o.now());
        await storeSilence(o, s);
        await o.audit.append(`operator:${op.name}`, 'silence.expire', s.id);
        return doc(s);
      } catch (err) { return asOperatorError(err); }
    }),
  };
}

/** One row per silence, written as it is added or expired, before the operator's answer. */
async function storeSilence(o: OperatorApiOptions, v: SilenceView): Promise<void> {
  const { state: _state, ...silence } = v;
  await o.store.putSilence(silence.id, JSON.stringify(silence), silence.endsAtMs, o.now());
}

export function playbookHandlers(o: OperatorApiOptions): Pick<OperatorHandlers, 'ListPlaybooks' | 'ValidatePlaybook' | 'SetPlaybookEnabled' | 'ListRuns' | 'GetRun' | 'ApproveRun'> {
  const rpc = rpcFactory({ store: o.store, audit: o.audit, log: o.log });
  const engine = (): PlaybookApi => {
    const e = o.playbooks?.();
    if (!e) throw new UnavailableError('playbooks are not enabled on this controller: start it with --playbooks DIR');
    return e;
  };
  return {
    ListPlaybooks: rpc('ListPlaybooks', async () => list(engine().list())),
    ValidatePlaybook: rpc('ValidatePlaybook', async (req) => doc(engine().validate(checkText(req.name, 'name', 256), req.yaml))),
    SetPlaybookEnabled: rpc('SetPlaybookEnabled', async (req, op) => doc(await engine().setEnabled(checkText(req.name, 'name', 128), req.enabled, `operator:${op.name}`))),
    ListRuns: rpc('ListRuns', async (req) => list(engine().listRuns(Math.min(req.limit || 100, 10_000)))),
    GetRun: rpc('GetRun', async (req) => {
      const r = engine().getRun(checkText(req.runId, 'run_id', 64));
      if (!r) throw new NotFoundError(`unknown run '${req.runId}' (list them with 'firebreak runs')`);
      return doc(r);
    }),
    ApproveRun: rpc('ApproveRun', async (req, op) => doc(await engine().approve(checkText(req.runId, 'run_id', 64), `operator:${op.name}`))),
  };
}
