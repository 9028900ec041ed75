// Playbook runs: what each automated response did, and above all what a guard
// held for a person's approval. Approve executes the held actions.
import { useState } from 'preact/hooks';
import { ActionButton } from '../action.tsx';
import { enc, get } from '../api.ts';
import { ago, time } from '../format.ts';
import { useResource } from '../resource.ts';
import { href } from '../router.ts';
import type { PlaybookRun, RunSummary } from '../types.ts';

function RunDetail({ id }: { id: string }) {
  const r = useResource(`run:${id}`, () => get<PlaybookRun>(`/runs/${enc(id)}`), ['runs']);
  if (r.error) return <p class="error" role="alert">{r.error}</p>;
  if (!r.data) return <p>Loading…</p>;
  return (
    <table class="nested" data-testid={`run-actions-${id}`}>
      <thead><tr><th>#</th><th>Action</th><th>Host</th><th>Status</th><th>Why</th><th>Command</th></tr></thead>
      <tbody>{r.data.actions.map((x) => (
        <tr key={x.seq}><td>{x.seq}</td><td>{x.kind}</td><td>{x.hostId ? <a href={href.host(x.hostId)}>{x.hostId}</a> : 'all'}</td>
          <td>{x.status}{x.approvedBy ? ` (approved by ${x.approvedBy})` : ''}</td><td>{x.reason}</td><td class="mono">{x.commandId ?? ''}</td></tr>
      ))}</tbody>
    </table>
  );
}

export function Runs() {
  const r = useResource('runs', () => get<{ runs: RunSummary[] }>('/runs'), ['runs']);
  const [open, setOpen] = useState<string | null>(null);
  const runs = r.data?.runs ?? [];
  const held = runs.filter((x) => x.status === 'active' && (x.counts.held ?? 0) > 0);
  return (
    <main>
      <h1>Playbook runs</h1>
      {r.status === 409 ? <p data-testid="runs-off">{r.error}</p> : r.error && <p class="error" role="alert">{r.error}</p>}
      {r.data && <p data-testid="runs-held-count">{held.length === 1 ? '1 run waits for approval.' : held.length ? `${held.length} runs wait for approval.` : 'Nothing waits for approval.'}</p>}
      <table data-testid="runs-table">
        <thead><tr><th>Run</th><th>Playbook</th><th>Alert</th><th>Status</th><th>Started</th><th>Actions</th><th>Held because</th><th></th></tr></thead>
        <tbody>
          {runs.map((x) => {
            const waiting = x.status === 'active' && (x.counts.held ?? 0) > 0;
            return [
              <tr key={x.id} data-testid={`run-row-${x.id}`} data-held={String(x.counts.held ?? 0)} class={waiting ? 'held' : ''}>
                <td><button type="button" class="link" aria-expanded={open === x.id} onClick={() => setOpen(open === x.id ? null : x.id)}>{x.id}</button></td>
                <td>{x.playbook}{x.mode === 'dry-run' ? ' (dry-run)' : ''}</td>
                <td><a href={href.incident(x.alertId)}>{x.alertId}</a> <span class="mono muted">{x.rootCause}</span></td>
                <td>{x.status}{x.approvedBy ? `, approved by ${x.approvedBy}` : ''}</td>
                <td title={time(x.startedAtMs)}>{ago(x.startedAtMs)}</td>
                <td data-testid="run-counts">{Object.entries(x.counts).map(([k, v]) => `${k} ${v}`).join(', ') || '-'}</td>
                <td>{x.heldReason ?? ''}</td>
                <td>{waiting && (
                  <ActionButton label="Approve" testid={`action-approve-${x.id}`} title={`Approve run ${x.id}`} path={`/runs/${enc(x.id)}/approve`} danger onDone={r.reload} />
                )}</td>
              </tr>,
              open === x.id && <tr key={`${x.id}-detail`}><td colSpan={8}><RunDetail id={x.id} /></td></tr>,
            ];
          })}
        </tbody>
      </table>
      {r.data && runs.length === 0 && <p>No playbook has run.</p>}
    </main>
  );
}
