// One host: what it is, what is enforced on it now (as its agent last
// reported), its anomalies and the commands sent to it, and the actions an
// operator takes on it: isolate, release, block.
import { useState } from 'preact/hooks';
import { ActionButton } from '../action.tsx';
import { enc, get } from '../api.ts';
import { ago, lower, ports, time } from '../format.ts';
import { useResource } from '../resource.ts';
import type { CommandView, EventView, Host } from '../types.ts';

interface HostPage { host: Host; events: EventView[]; commands: CommandView[] }

export function HostView({ id }: { id: string }) {
  // every command change refetches (its event names the command, not the host); host changes only for this host
  const r = useResource(`host:${id}`, () => get<HostPage>(`/hosts/${enc(id)}`), ['hosts', 'commands'],
    { only: (t, c) => t === 'commands' || c.ids.includes(id) });
  const [allEvents, setAllEvents] = useState(false);
  if (r.error && !r.data) return <main><h1>Host {id}</h1><p class="error" role="alert">{r.error}</p></main>;
  if (!r.data) return <main><h1>Host {id}</h1><p>Loading…</p></main>;
  const { host: h, events, commands } = r.data;
  const e = h.enforcement;
  const inv = h.inventory;
  const base = `/hosts/${enc(id)}`;
  return (
    <main>
      <h1>Host {h.id} <span class={h.online ? 'badge ok' : 'badge off'} data-testid="host-status">{h.online ? 'online' : 'offline'}</span></h1>
      {r.error && <p class="error" role="alert">{r.error} (showing the last data received)</p>}
      <div class="actions" aria-label="actions on this host">
        {/* the action that changes something: release an isolated host, isolate one that is not; both when its state is unknown */}
        {(!e?.isolated || e.stateLost) && <ActionButton label="Isolate" testid="action-isolate" title={`Isolate ${h.id}`} path={`${base}/isolate`} danger
          fields={[{ name: 'reason', label: 'Reason', required: true, hint: 'recorded in the audit log' }]}
          body={(v) => ({ reason: v.reason })} onDone={r.reload} />}
        {(e?.isolated || e?.stateLost) && <ActionButton label="Release" testid="action-release" title={`Release ${h.id}`} path={`${base}/release`}
          fields={[{ name: 'reason', label: 'Reason', required: true }]} body={(v) => ({ reason: v.reason })} onDone={r.reload} />}
        <ActionButton label="Block port" testid="action-block" title={`Block a port on ${h.id}`} path={`${base}/block`}
          fields={[
            { name: 'port', label: 'Ports', required: true, hint: 'e.g. 25, 25,587 or 8000-8080' },
            { name: 'protocol', label: 'Protocol', kind: 'select', options: ['tcp', 'udp'], initial: 'tcp' },
            { name: 'direction', label: 'Direction', kind: 'select', options: ['outbound', 'inbound', 'both'], initial: 'outbound' },
            { name: 'expires', label: 'Expires after', kind: 'select', options: ['1h', '15m', '4h', '24h'], initial: '1h' },
            { name: 'reason', label: 'Reason', required: true },
          ]}
          body={(v) => ({ port: v.port, protocol: v.protocol, direction: v.direction, expires: v.expires, reason: v.reason })} onDone={r.reload} />
      </div>

      <section aria-labelledby="enf">
        <h2 id="enf">Enforcement</h2>
        <dl class="facts">
          <dt>Isolation</dt>
          <dd data-testid="host-isolation">
            {e?.stateLost ? `unknown: the agent's saved state was lost (${e.stateLost}); send isolate or release to set it`
              : e?.isolated ? `isolated${e.allowlist.length ? ` (allowed: ${e.allowlist.map((a) => a.cidr).join(', ')})` : ''}` : 'off'}
          </dd>
          <dt>Port blocks</dt>
          <dd data-testid="host-blocks">
            {e?.blocks.length ? (
              <ul>{e.blocks.map((b) => (
                <li key={b.id}>{b.id}: {lower(b.direction)} {lower(b.protocol)}/{ports(b.ports)}{b.remoteInternet ? ' to the internet' : ''}
                  {b.remoteCidrs.length ? ` to ${b.remoteCidrs.join(', ')}` : ''}{b.expiresAtMs ? ` until ${time(b.expiresAtMs)}` : ''}</li>
              ))}</ul>
            ) : 'none'}
          </dd>
          <dt>Throttle</dt>
          <dd>{e?.throttle ? `new destinations ${e.throttle.newPerSecond}/s (burst ${e.throttle.burst})${e.throttle.expiresAtMs ? ` until ${time(e.throttle.expiresAtMs)}` : ''}` : 'off'}</dd>
          <dt>Backend</dt>
          <dd>{lower(h.backend)}{h.backend === 'DRY_RUN' ? ' (records the rules, enforces nothing)' : ''}</dd>
        </dl>
      </section>

      <section aria-labelledby="cmds">
        <h2 id="cmds">Commands</h2>
        {commands.length === 0 ? <p>None.</p> : (
          <table data-testid="commands-table">
            <thead><tr><th>Issued</th><th>Action</th><th>Status</th><th>By</th><th>Reason</th><th>Result</th></tr></thead>
            <tbody>
              {commands.map((c) => (
                <tr key={c.command?.id} data-testid="command-row" data-action={c.command?.action} data-status={c.status}>
                  <td>{time(c.command?.issuedAtMs)}</td>
                  <td>{lower(c.command?.action)}</td>
                  <td><span class={`badge ${c.status === 'APPLIED' ? 'ok' : ['FAILED', 'EXPIRED', 'ROLLED_BACK'].includes(c.status) ? 'bad' : 'warn'}`}>{lower(c.status)}</span></td>
                  <td>{c.command?.issuer}</td>
                  <td>{c.command?.reason}</td>
                  <td>{c.resultMessage}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="anoms">
        <h2 id="anoms">Anomalies</h2>
        {events.length === 0 ? <p>None.</p> : (
          <table data-testid="events-table">
            <thead><tr><th>When</th><th>Signature</th><th>Value</th><th>Baseline</th><th>Score</th><th>Evidence</th></tr></thead>
            <tbody>
              {(allEvents ? events : events.slice(0, 20)).map((v) => {
                const ev = v.event;
                const evidence = [ev?.evidence?.detail, ...(ev?.evidence?.processes ?? []).slice(0, 2).map((p) => `${p.name}[${p.pid}] ${p.exe}`)].filter(Boolean).join('; ');
                return (
                  <tr key={v.id}>
                    <td>{time(v.receivedAtMs)}</td>
                    <td class="mono">{ev?.signature}{ev?.cleared ? ' (cleared)' : ''}</td>
                    <td>{ev?.value.toFixed(1)}</td>
                    <td>{ev?.baseline.toFixed(1)}</td>
                    <td>{ev?.score.toFixed(1)}</td>
                    <td class="wrap">{evidence}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {!allEvents && events.length > 20 && <button type="button" onClick={() => setAllEvents(true)}>Show all {events.length}</button>}
      </section>

      <section aria-labelledby="inv">
        <h2 id="inv">Host</h2>
        <dl class="facts">
          <dt>Hostname</dt><dd>{inv?.hostname ?? '-'}</dd>
          <dt>System</dt><dd>{inv?.os ?? '-'}, kernel {inv?.kernel ?? '-'}, {inv?.cpuCores ?? 0} cores</dd>
          <dt>Addresses</dt><dd>{inv?.ipAddresses.join(', ') || '-'}</dd>
          <dt>Tags</dt><dd>{Object.entries(h.tags).map(([k, v]) => (v ? `${k}=${v}` : k)).join(' ') || '-'}</dd>
          <dt>Last seen</dt><dd>{ago(h.lastSeenMs)} ({time(h.lastSeenMs)})</dd>
          <dt>Agent</dt><dd>{inv?.agentVersion ?? '-'}, clock offset {h.clockOffsetMs.toFixed(0)} ms, {h.reports} reports, {h.events} events</dd>
        </dl>
      </section>
    </main>
  );
}
