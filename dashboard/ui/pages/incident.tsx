// One incident: what it is (root cause, patient zero, how fast it spreads),
// the hosts per 10 s, the spread tree, the evidence, its hosts with their
// onsets, and the ack / silence actions.
import { useState } from 'preact/hooks';
import { ActionButton } from '../action.tsx';
import { enc, get } from '../api.ts';
import { ago, time } from '../format.ts';
import { useResource } from '../resource.ts';
import { href } from '../router.ts';
import { SpreadTree } from '../spread-tree.tsx';
import { Timeline } from '../timeline.tsx';
import type { AlertDetail } from '../types.ts';

const SILENCE_FOR = ['1h', '4h', '24h', '7d'] as const;

export function Incident({ id }: { id: string }) {
  const r = useResource(`alert:${id}`, () => get<AlertDetail>(`/alerts/${enc(id)}`), ['alerts'], { only: (_t, c) => c.ids.includes(id) });
  const [showAll, setShowAll] = useState(false);
  if (r.error && !r.data) return <main><h1>Incident {id}</h1><p class="error" role="alert">{r.error}</p></main>;
  if (!r.data) return <main><h1>Incident {id}</h1><p>Loading…</p></main>;
  const a = r.data;
  const g = a.spreadGraph;
  const hosts = [...a.hosts].sort((x, y) => x.onsetMs - y.onsetMs);
  const shown = showAll ? hosts : hosts.slice(0, 50);
  return (
    <main>
      <p><a href={href.incidents()}>← incidents</a></p>
      <h1>Incident {a.id} <span class={`badge sev-${a.severity}`} data-testid="incident-severity">{a.severity}</span>{' '}
        <span class="badge" data-testid="incident-status">{a.status}</span></h1>
      {r.error && <p class="error" role="alert">{r.error} (showing the last data received)</p>}
      <dl class="facts">
        <dt>Root cause</dt><dd class="mono" data-testid="incident-root-cause">{a.rootCause}</dd>
        <dt>Patient zero</dt><dd data-testid="incident-patient-zero">{a.patientZero ? <><a href={href.host(a.patientZero.hostId)}>{a.patientZero.hostId}</a> at {time(a.patientZero.onsetMs)}</> : 'unknown'}</dd>
        <dt>Hosts</dt><dd data-testid="incident-hosts">{a.hostCount}{a.coreHostCount ? ` (${a.coreHostCount} core)` : ''}</dd>
        <dt>Spread</dt><dd>{a.classification}{a.doublingTimeMs ? `, doubling every ${(a.doublingTimeMs / 1000).toFixed(1)} s` : ''}
          {g.port ? ` on ${g.port.protocol}/${g.port.port}` : ''}{g.generations ? `, ${g.generations} generations` : ''}</dd>
        <dt>Seen</dt><dd>{time(a.firstSeenMs)} to {time(a.lastSeenMs)} ({ago(a.lastSeenMs)}), {a.eventCount} events{a.suppressedEvents ? `, ${a.suppressedEvents} silenced` : ''}</dd>
        {a.acknowledgedBy && <><dt>Acknowledged</dt><dd>by {a.acknowledgedBy} {ago(a.acknowledgedAtMs)}</dd></>}
        {a.resolvedAtMs && <><dt>Resolved</dt><dd>{ago(a.resolvedAtMs)}{a.resolvedReason ? ` (${a.resolvedReason})` : ''}
          {a.mergedInto && <>: merged into <a href={href.incident(a.mergedInto)}>{a.mergedInto}</a></>}</dd></>}
      </dl>
      <div class="actions" aria-label="actions on this incident">
        {a.status === 'open' && (
          <ActionButton label="Acknowledge" testid="action-ack" title={`Acknowledge ${a.id}`} path={`/alerts/${enc(a.id)}/ack`} onDone={r.reload} />
        )}
        <ActionButton label="Silence" testid="action-silence" title={`Silence ${a.rootCause}`} path="/silences"
          fields={[
            { name: 'for', label: 'For', kind: 'select', options: SILENCE_FOR, initial: '1h' },
            { name: 'comment', label: 'Comment', required: true, hint: 'why: who will look at it, which job it is' },
          ]}
          body={(v) => ({ matchers: [`signature=${a.rootCause}`], duration: v.for, comment: v.comment })} onDone={r.reload} />
      </div>

      <section aria-labelledby="tl"><h2 id="tl">Hosts per {a.timelineBucketMs / 1000} s</h2>
        <Timeline buckets={a.timeline} bucketMs={a.timelineBucketMs} />
      </section>

      <section aria-labelledby="tree"><h2 id="tree">Spread tree</h2>
        <p class="muted">{g.tracedHosts} of {a.hostCount} hosts trace contacts; an arrow A → B: A contacted B before B's onset.</p>
        <SpreadTree nodes={g.nodes} edges={g.edges} root={g.root ?? a.patientZero?.hostId ?? null} />
      </section>

      <section aria-labelledby="ev"><h2 id="ev">Evidence</h2>
        <dl class="facts" data-testid="incident-evidence">
          <dt>Signatures</dt><dd><ul>{a.signatures.map((s) => <li key={s.signature} class="mono">{s.signature} <span class="muted">({s.hosts} hosts, {s.events} events)</span></li>)}</ul></dd>
          <dt>Executables</dt><dd>{a.evidence.exe.map((x) => `${x.value} (${x.count})`).join(', ') || '-'}</dd>
          <dt>SHA-256</dt><dd class="mono">{a.evidence.sha256.map((x) => `${x.value} (${x.count})`).join(', ') || '-'}</dd>
          <dt>Remote ports</dt><dd>{a.evidence.remotePorts.map((x) => `${x.value} (${x.count})`).join(', ') || '-'}</dd>
        </dl>
      </section>

      <section aria-labelledby="hs"><h2 id="hs">Hosts by onset</h2>
        <table data-testid="incident-hosts-table">
          <thead><tr><th>Host</th><th>Onset</th><th>Events</th><th>Active</th><th>Core</th></tr></thead>
          <tbody>{shown.map((h) => (
            <tr key={h.hostId}><td><a href={href.host(h.hostId)}>{h.hostId}</a></td><td>{time(h.onsetMs)}</td><td>{h.events}</td>
              <td>{h.active ? 'yes' : 'cleared'}</td><td>{h.core ? 'core' : ''}</td></tr>
          ))}</tbody>
        </table>
        {hosts.length > shown.length && <button type="button" onClick={() => setShowAll(true)}>Show all {hosts.length} hosts</button>}
      </section>
    </main>
  );
}
