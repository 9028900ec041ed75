// The audit log's latest entries (admin only, as `firebreak audit` is).
import { get } from '../api.ts';
import { time } from '../format.ts';
import { useResource } from '../resource.ts';
import type { AuditEntry } from '../types.ts';

export function Audit() {
  const r = useResource('audit', () => get<{ entries: AuditEntry[] }>('/audit?limit=200'), ['audit']);
  return (
    <main>
      <h1>Audit log</h1>
      {r.status === 403 ? <p data-testid="audit-forbidden">The audit log needs the admin role.</p> : r.error && <p class="error" role="alert">{r.error}</p>}
      {r.data && (
        <table data-testid="audit-table">
          <thead><tr><th>#</th><th>When</th><th>Who</th><th>Action</th><th>Target</th><th>Detail</th></tr></thead>
          <tbody>{[...r.data.entries].sort((a, b) => b.seq - a.seq).map((e) => (
            <tr key={e.seq}><td>{e.seq}</td><td>{time(e.atMs)}</td><td>{e.actor}</td><td>{e.action}</td><td>{e.target}</td><td class="mono detail">{e.detail}</td></tr>
          ))}</tbody>
        </table>
      )}
    </main>
  );
}
