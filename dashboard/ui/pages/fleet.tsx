// The fleet: every host, its link and its enforcement, in natural order
// (fbh2 before fbh10), filtered by a granted tag.
import { useState } from 'preact/hooks';
import { enc, get } from '../api.ts';
import { ago, lower, naturalCompare, ports, time } from '../format.ts';
import { useResource } from '../resource.ts';
import { href } from '../router.ts';
import type { Host, StorageHealth } from '../types.ts';

/** The newest anomaly, if the server adds it to a host row (hosts -o json has only the count). */
type HostRow = Host & { lastAnomaly?: { signature: string; atMs: number } | null };

export function Fleet() {
  const [tag, setTag] = useState(() => new URLSearchParams(location.hash.split('?')[1] ?? '').get('tag') ?? '');
  const [applied, setApplied] = useState(tag);
  const r = useResource(`hosts?${applied}`, () => get<{ hosts: HostRow[]; storage?: StorageHealth | null }>(`/hosts${applied ? `?tag=${enc(applied)}` : ''}`), ['hosts', 'commands'],
    // the whole fleet's list is the largest answer: at most one refetch a second and a half
    { everyMs: 1500 });
  const hosts = [...(r.data?.hosts ?? [])].sort((a, b) => naturalCompare(a.id, b.id));
  const online = hosts.filter((h) => h.online).length;
  // the column appears once the server sends the field (see HostRow)
  const withAnomaly = hosts.some((h) => h.lastAnomaly !== undefined);
  return (
    <main>
      <h1>Fleet</h1>
      <form class="filter" onSubmit={(e) => {
        e.preventDefault();
        setApplied(tag.trim());
        // the filter goes in the address, so the view can be shared or reloaded as it is
        history.replaceState(null, '', tag.trim() ? `#/?tag=${encodeURIComponent(tag.trim())}` : '#/');
      }}>
        <label for="tag-filter">Tag</label>
        <input id="tag-filter" placeholder="role=web" value={tag} data-testid="tag-filter" onInput={(e) => setTag((e.target as HTMLInputElement).value)} />
        <button type="submit">Filter</button>
        {applied && <button type="button" onClick={() => { setTag(''); setApplied(''); history.replaceState(null, '', '#/'); }}>Clear</button>}
      </form>
      {r.error && <p class="error" role="alert">{r.error}</p>}
      {r.data?.storage && r.data.storage.state !== 'ok' && (
        // a full disk stops reports: operators must see it beside the hosts, as the CLI shows it
        <p class="error" role="alert" data-testid="storage-alarm">
          Controller storage {r.data.storage.state.toUpperCase()} since {time(r.data.storage.sinceMs)}: {r.data.storage.message}
          {r.data.storage.state === 'full' ? ' Agents\' reports are refused (they keep them and retry); operator changes fail; reads work.' : ''}
        </p>
      )}
      {r.data && <p class="muted" data-testid="fleet-count">{hosts.length} hosts, {online} online{applied ? ` (tag ${applied})` : ''}</p>}
      <table data-testid="hosts-table">
        <thead><tr><th>Host</th><th>Status</th><th>Backend</th><th>Isolation</th><th>Blocks</th><th>Throttle</th>{withAnomaly && <th>Last anomaly</th>}<th>Events</th></tr></thead>
        <tbody>
          {hosts.map((h) => {
            const e = h.enforcement;
            return (
              <tr key={h.id} data-testid={`host-row-${h.id}`}>
                <td><a href={href.host(h.id)}>{h.id}</a></td>
                <td><span class={h.online ? 'badge ok' : 'badge off'}>{h.online ? 'online' : 'offline'}</span> <span class="muted">{ago(h.lastSeenMs)}</span></td>
                <td>{lower(h.backend)}</td>
                <td data-testid="isolation">{e?.stateLost ? <span class="badge warn">unknown</span> : e?.isolated ? <span class="badge bad">isolated</span> : 'off'}</td>
                <td>{e?.blocks.length ? e.blocks.map((b) => `${lower(b.direction)} ${lower(b.protocol)}/${ports(b.ports)}`).join('; ') : '-'}</td>
                <td>{e?.throttle ? `${e.throttle.newPerSecond}/s` : '-'}</td>
                {withAnomaly && <td class="mono">{h.lastAnomaly ? <>{h.lastAnomaly.signature} <span class="muted">{ago(h.lastAnomaly.atMs)}</span></> : '-'}</td>}
                <td>{h.events}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {r.data && hosts.length === 0 && <p>No hosts{applied ? ` with tag ${applied}` : ' yet: enroll one with `firebreak tokens create`'}.</p>}
    </main>
  );
}
