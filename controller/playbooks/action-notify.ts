// The notify action: one webhook per step and run, its URL expanded from the
// controller's environment, delivered through the notify port (notify.ts).
import type { AlertTransition } from '../pipeline/stage-types.ts';
import { clip, handledSet, record, type EngineState, type Op } from './engine-state.ts';
import { redact } from './notify.ts';
import type { PlaybookRun } from './records.ts';
import { expandUrl, httpUrl, type PlaybookStep } from './schema.ts';

export function planNotify(
  s: EngineState, run: PlaybookRun, step: Extract<PlaybookStep, { kind: 'notify' }>, i: number, t: AlertTransition, now: number, ops: Op[],
): void {
  const handled = handledSet(s, run, i);
  if (handled.has('*')) return;
  handled.add('*');
  const { url, missing } = expandUrl(step.url, s.env);
  if (missing.length > 0) {
    record(s, run, i, 'notify', null, 'skipped', `the notify URL needs ${missing.map((m) => `\${${m}}`).join(', ')}, which is not set in the controller's environment; set it to get webhooks`, now);
    return;
  }
  if (!httpUrl(url)) {
    record(s, run, i, 'notify', null, 'skipped', `the notify URL ${JSON.stringify(redact(url))} (after expanding placeholders) is not an http(s) URL`, now);
    return;
  }
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
  const note = { url: redact(url), attempts: 0, httpStatus: null, delaysMs: [] as number[] };
  if (run.mode === 'dry-run') {
    record(s, run, i, 'notify', null, 'dry-run', `would notify ${note.url}`, now, { notify: note });
    return;
  }
  const a = record(s, run, i, 'notify', null, 'issuing', `notifying ${note.url}`, now, { notify: note });
  ops.push({
    run,
    action: a,
    go: async () => {
      try {
        const r = await s.ports.notify(url, body, { attempts: step.attempts, timeoutMs: step.timeout });
        a.notify = { url: note.url, attempts: r.attempts, httpStatus: r.status, delaysMs: r.delaysMs };
        a.status = r.ok ? 'issued' : 'failed';
        a.reason = r.ok ? `notified ${note.url} (HTTP ${r.status}, ${r.attempts} attempt${r.attempts === 1 ? '' : 's'})` : clip(r.error ?? 'the webhook failed');
      } catch (err) {
        a.status = 'failed';
        a.reason = clip(`notify failed: ${(err as Error).message}`);
      }
    },
  });
}
