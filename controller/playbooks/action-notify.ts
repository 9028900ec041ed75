// The notify action: a webhook per step and run, its URL expanded from the controller's
// environment, delivered through the notify port (notify.ts). The default format posts
// once per run; `format: alertmanager` (alertmanager.ts) posts `firing` when the run
// starts, again when an escalation changes the labels, and `resolved` when the alert does.
import type { AlertTransition } from '../pipeline/stage-types.ts';
import { amAnnotations, amLabels, amPayload, type AmSent } from './alertmanager.ts';
import { clip, handledSet, record, type EngineState, type Op } from './engine-state.ts';
import { redact } from './notify.ts';
import type { PlaybookRun, RunAction } from './records.ts';
import { expandUrl, httpUrl, type NotifyStep } from './schema.ts';

export function planNotify(s: EngineState, run: PlaybookRun, step: NotifyStep, i: number, t: AlertTransition, now: number, ops: Op[]): void {
  if (step.format === 'alertmanager') {
    planAmFiring(s, run, step, i, t, now, ops);
    return;
  }
  const handled = handledSet(s, run, i);
  if (handled.has('*')) return;
  handled.add('*');
  const body = {
    source: 'firebreak',
    kind: 'playbook-run',
    playbook: run.playbook,
    runId: run.id,
    mode: run.mode,
    transition: t.type,
    atMs: now,
    alert: t.alert,
  };
  post(s, run, step, i, now, ops, body, {});
}

/** The resolved notifications of a run's alertmanager steps, when its alert resolves (merged ones too). */
export function planNotifyResolved(s: EngineState, run: PlaybookRun, t: AlertTransition, now: number, ops: Op[]): void {
  run.definition.do.forEach((step, i) => {
    if (step.kind !== 'notify' || step.format !== 'alertmanager') return;
    const last = lastSent(run, i, t.alert.id);
    if (last?.status !== 'firing') return;
    const resolved: AmSent = { ...last, status: 'resolved' };
    const endsAtMs = t.alert.resolvedAtMs ?? now;
    const body = amPayload({ receiver: step.receiver ?? run.playbook, externalUrl: externalUrl(s, step), alerts: [{ sent: resolved, endsAtMs }] });
    post(s, run, step, i, now, ops, body, { alertmanager: resolved }, 'resolved');
  });
}

function planAmFiring(s: EngineState, run: PlaybookRun, step: NotifyStep, i: number, t: AlertTransition, now: number, ops: Op[]): void {
  const last = lastSent(run, i, t.alert.id);
  if (last?.status === 'resolved') return;
  const labels = amLabels(t.alert, run.playbook, run.port, step.labels);
  // labels are what receivers deduplicate by: once firing they change only on an escalation
  if (last && (t.type !== 'escalated' || sameLabels(last.labels, labels))) return;
  const firing: AmSent = { alertId: t.alert.id, status: 'firing', labels, annotations: amAnnotations(t.alert), startsAtMs: t.alert.openedAtMs };
  const alerts: Array<{ sent: AmSent; endsAtMs: number | null }> = [{ sent: firing, endsAtMs: null }];
  // the alert under its old labels ends here, as Alertmanager would see a changed label set
  if (last) alerts.push({ sent: { ...last, status: 'resolved' }, endsAtMs: now });
  const body = amPayload({ receiver: step.receiver ?? run.playbook, externalUrl: externalUrl(s, step), alerts });
  post(s, run, step, i, now, ops, body, { alertmanager: firing }, last ? 'firing (labels changed)' : 'firing');
}

/** The newest alertmanager post of a step for this alert. */
function lastSent(run: PlaybookRun, step: number, alertId: string): AmSent | null {
  for (let k = run.actions.length - 1; k >= 0; k--) {
    const a = run.actions[k]!;
    if (a.kind === 'notify' && a.step === step && a.alertmanager?.alertId === alertId) return a.alertmanager;
  }
  return null;
}

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

/** external_url after ${VAR} expansion; empty when unset or not an http(s) URL (the payload field is then empty). */
function externalUrl(s: EngineState, step: NotifyStep): string {
  if (!step.external_url) return '';
  const { url, missing } = expandUrl(step.external_url, s.env);
  return missing.length === 0 && httpUrl(url) ? url : '';
}

/** Records the post as an action and queues it as an op (or records why it cannot go). */
function post(
  s: EngineState, run: PlaybookRun, step: NotifyStep, i: number, now: number, ops: Op[], body: unknown, extra: Partial<RunAction>, what = '',
): void {
  const { url, missing } = expandUrl(step.url, s.env);
  if (missing.length > 0) {
    record(s, run, i, 'notify', null, 'skipped', `the notify URL needs ${missing.map((m) => `\${${m}}`).join(', ')}, which is not set in the controller's environment; set it to get webhooks`, now, extra);
    return;
  }
  if (!httpUrl(url)) {
    record(s, run, i, 'notify', null, 'skipped', `the notify URL ${JSON.stringify(redact(url))} (after expanding placeholders) is not an http(s) URL`, now, extra);
    return;
  }
  const note = { url: redact(url), attempts: 0, httpStatus: null, delaysMs: [] as number[] };
  const of = what ? ` (${what})` : '';
  if (run.mode === 'dry-run') {
    record(s, run, i, 'notify', null, 'dry-run', `would notify ${note.url}${of}`, now, { notify: note, ...extra });
    return;
  }
  const a = record(s, run, i, 'notify', null, 'issuing', `notifying ${note.url}${of}`, now, { notify: note, ...extra });
  ops.push({
    run,
    action: a,
    go: async () => {
      try {
        const r = await s.ports.notify(url, body, { attempts: step.attempts, timeoutMs: step.timeout });
        a.notify = { url: note.url, attempts: r.attempts, httpStatus: r.status, delaysMs: r.delaysMs };
        a.status = r.ok ? 'issued' : 'failed';
        a.reason = r.ok ? `notified ${note.url}${of} (HTTP ${r.status}, ${r.attempts} attempt${r.attempts === 1 ? '' : 's'})` : clip(r.error ?? 'the webhook failed');
      } catch (err) {
        a.status = 'failed';
        a.reason = clip(`notify failed: ${(err as Error).message}`);
      }
    },
  });
}
