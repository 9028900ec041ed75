// The notify action's `format: alertmanager`: the JSON Prometheus Alertmanager's webhook
// receiver posts (webhook_config, payload version 4), so a receiver built for
// Alertmanager (chat bridges, paging, ticketing) routes a Firebreak incident as one of
// its own alerts. One notification carries one Firebreak alert; its group is that alert
// (groupLabels: alertname and alert_id), so groupKey, fingerprint and labels stay the same
// from `firing` to `resolved`, as receivers that deduplicate by them expect.
import type { AlertSummary } from '../pipeline/stage-types.ts';
import type { AlertPort } from './match.ts';

export type AmLabels = Record<string, string>;

/** What a run remembers of an alert it posted, to resolve it later with the same labels. */
export interface AmSent {
  alertId: string;
  status: 'firing' | 'resolved';
  labels: AmLabels;
  annotations: AmLabels;
  startsAtMs: number;
}

export interface AmAlert {
  status: 'firing' | 'resolved';
  labels: AmLabels;
  annotations: AmLabels;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** The body, field for field as Alertmanager's webhook notifier sends it. */
export interface AmPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: AmLabels;
  commonLabels: AmLabels;
  commonAnnotations: AmLabels;
  externalURL: string;
  alerts: AmAlert[];
}

/** Go's zero time, which Alertmanager sends as endsAt of an alert still firing. */
const ZERO_TIME = '0001-01-01T00:00:00Z';

export const ALERTNAME: Record<AlertSummary['scope'], string> = { fleet: 'FirebreakIncident', host: 'FirebreakHostAnomaly' };

/** The labels of an alert now. Empty values are left out (Prometheus treats an empty label as absent). */
export function amLabels(alert: AlertSummary, playbook: string, port: AlertPort | null, extra: AmLabels = {}): AmLabels {
  const out: AmLabels = {
    ...extra,
    alertname: ALERTNAME[alert.scope],
    severity: alert.severity,
    alert_id: alert.id,
    scope: alert.scope,
    classification: alert.classification,
    signature: alert.rootCause,
    port: port ? `${port.protocol}/${port.port}` : '',
    patient_zero: alert.patientZero?.hostId ?? '',
    playbook,
  };
  for (const [k, v] of Object.entries(out)) if (v === '') delete out[k];
  return out;
}

export function amAnnotations(alert: AlertSummary): AmLabels {
  const pz = alert.patientZero ? `, first host ${alert.patientZero.hostId}` : '';
  const doubling = alert.doublingTimeMs ? `, doubling every ${Math.round(alert.doublingTimeMs / 1000)} s` : '';
  return {
    summary: `${alert.classification} ${alert.rootCause} on ${alert.hostCount} host${alert.hostCount === 1 ? '' : 's'}${pz}`,
    description: `Firebreak ${alert.scope} alert ${alert.id} (${alert.severity}): ${alert.rootCause}, ${alert.classification}, ` +
      `${alert.hostCount} host${alert.hostCount === 1 ? '' : 's'}${pz}${doubling}, ${alert.eventCount} events.`,
  };
}

// FNV-1a 64 over the sorted label names and values, each followed by the byte 255:
// Prometheus' LabelSet.Fingerprint, printed as 16 hex digits like Alertmanager does.
const FNV_OFFSET = 14695981039346656037n;
const FNV_PRIME = 1099511628211n;
const MASK = (1n << 64n) - 1n;

export function fingerprint(labels: AmLabels): string {
  let h = FNV_OFFSET;
  const add = (b: number) => {
    h ^= BigInt(b);
    h = (h * FNV_PRIME) & MASK;
  };
  for (const name of Object.keys(labels).sort()) {
    for (const b of Buffer.from(name, 'utf8')) add(b);
    add(255);
    for (const b of Buffer.from(labels[name]!, 'utf8')) add(b);
    add(255);
  }
  return h.toString(16).padStart(16, '0');
}

/** `{a="x", b="y"}` with names sorted and values quoted as Go's %q does for plain text. */
function labelSetString(labels: AmLabels): string {
  return `{${Object.keys(labels).sort().map((k) => `${k}=${JSON.stringify(labels[k])}`).join(', ')}}`;
}

function common(maps: AmLabels[]): AmLabels {
  const out: AmLabels = { ...maps[0] };
  for (const m of maps.slice(1)) for (const k of Object.keys(out)) if (m[k] !== out[k]) delete out[k];
  return out;
}

/**
 * The payload for one group: alerts already built (firing ones first). Status is
 * `firing` while any alert of the group fires, as in Alertmanager.
 */
export function amPayload(o: { receiver: string; externalUrl: string; alerts: Array<{ sent: AmSent; endsAtMs: number | null }> }): AmPayload {
  const alerts: AmAlert[] = o.alerts.map(({ sent, endsAtMs }) => ({
    status: sent.status,
    labels: sent.labels,
    annotations: sent.annotations,
    startsAt: new Date(sent.startsAtMs).toISOString(),
    endsAt: endsAtMs === null ? ZERO_TIME : new Date(endsAtMs).toISOString(),
    generatorURL: o.externalUrl ? `${o.externalUrl.replace(/\/+$/, '')}/alerts/${encodeURIComponent(sent.alertId)}` : '',
    fingerprint: fingerprint(sent.labels),
  }));
  const first = alerts[0]!.labels;
  const groupLabels: AmLabels = { alertname: first.alertname!, alert_id: first.alert_id! };
  return {
    version: '4',
    // Alertmanager's key is the route's matchers, then the group labels; Firebreak has no routing tree
    groupKey: `{}:${labelSetString(groupLabels)}`,
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: o.receiver,
    groupLabels,
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: o.externalUrl,
    alerts,
  };
}
