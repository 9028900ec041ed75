// Incidents: the master alerts (one per worm, not one per host), newest and
// worst first, and below them the silences in effect.
import { get } from '../api.ts';
import { ago, time } from '../format.ts';
import { useResource } from '../resource.ts';
import { href } from '../router.ts';
import type { AlertSummary, SilenceView } from '../types.ts';

const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const;
const STATUS_ORDER = { open: 0, acknowledged: 1, resolved: 2 } as const;

export function Incidents() {
  const r = useResource('alerts', () => get<{ alerts: AlertSummary[] }>('/alerts'), ['alerts']);
  const s = useResource('silences', () => get<{ silences: SilenceView[] }>('/silences'), ['alerts', 'audit']);
  const all = r.data?.alerts ?? [];
  const sorted = (xs: AlertSummary[]) => [...xs].sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]
    || SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || b.lastSeenMs - a.lastSeenMs);
  const fleet = sorted(all.filter((a) => a.scope === 'fleet'));
  const lines = sorted(all.filter((a) => a.scope === 'host'));
  return (
    <main>
      <h1>Incidents</h1>
      {r.error && <p class="error" role="alert">{r.error}</p>}
      <table data-testid="incidents-table">
        <thead><tr><th>Alert</th><th>Severity</th><th>Status</th><th>Root cause</th><th>Hosts</th><th>Spread</th><th>Patient zero</th><th>Last seen</th></tr></thead>
        <tbody>
          {fleet.map((a) => (
            <tr key={a.id} data-testid={`incident-row-${a.id}`} class={a.status}>
              <td><a href={href.incident(a.id)}>{a.id}</a></td>
              <td><span class={`badge sev-${a.severity}`}>{a.severity}</span></td>
              <td>{a.status}{a.acknowledgedBy ? ` by ${a.acknowledgedBy}` : ''}</td>
              <td class="mono">{a.rootCause}</td>
              <td>{a.hostCount}{a.coreHostCount ? ` (${a.coreHostCount} core)` : ''}</td>
              <td>{a.classification}{a.doublingTimeMs ? `, doubling ${(a.doublingTimeMs / 1000).toFixed(1)} s` : ''}</td>
              <td>{a.patientZero?.hostId ?? '-'}</td>
              <td>{ago(a.lastSeenMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {r.data && fleet.length === 0 && <p data-testid="no-incidents">No master alert. Quiet fleet.</p>}
      {lines.length > 0 && (
        <details>
          <summary>{lines.length} single-host alert{lines.length === 1 ? '' : 's'}</summary>
          <table>
            <thead><tr><th>Alert</th><th>Severity</th><th>Status</th><th>Host</th><th>Signature</th><th>Last seen</th></tr></thead>
            <tbody>{lines.map((a) => (
              <tr key={a.id}><td><a href={href.incident(a.id)}>{a.id}</a></td><td>{a.severity}</td><td>{a.status}</td>
                <td>{a.patientZero?.hostId ?? '-'}</td><td class="mono">{a.rootCause}</td><td>{ago(a.lastSeenMs)}</td></tr>
            ))}</tbody>
          </table>
        </details>
      )}
      <h2>Silences</h2>
      {s.error && <p class="error" role="alert">{s.error}</p>}
      {(s.data?.silences ?? []).length === 0 ? <p>None.</p> : (
        <table data-testid="silences-table">
          <thead><tr><th>Id</th><th>State</th><th>Matches</th><th>Until</th><th>By</th><th>Comment</th><th>Muted</th></tr></thead>
          <tbody>{s.data!.silences.map((x) => (
            <tr key={x.id}><td>{x.id}</td><td>{x.state}</td>
              <td class="mono">{x.matchers.map((m) => `${m.field === 'tag' ? `tag:${m.tag}` : m.field}=${m.value}`).join(' ')}</td>
              <td>{time(x.endsAtMs)}</td><td>{x.createdBy}</td><td>{x.comment}</td><td>{x.matched}</td></tr>
          ))}</tbody>
        </table>
      )}
    </main>
  );
}
