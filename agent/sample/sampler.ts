// The sampler is a replaceable part: the agent asks it for one MetricsSample
// per interval. The real one reads /proc; the fleet simulator plugs in a
// synthetic one.
import type { Contact__Output, MetricsSample__Output } from '../../proto/wire.ts';
import type { ContactDirection } from './contacts.ts';

export type Sample = MetricsSample__Output;

export interface Sampler {
  /** One sample; rates are over the time since the previous call. */
  sample(): Promise<Sample>;
  /** Contacts traced since sinceMs, first-seen or not, newest first (ContactTracker.recent); absent when the sampler traces none. */
  recentContacts?(direction: ContactDirection, sinceMs: number, max: number): Contact__Output[];
  close?(): void;
}

/** A sample with every field present and zero, to build on. */
export function emptySample(observedAtMs: number): Sample {
  return {
    observedAtMs, intervalS: 0, cpuPct: 0, memUsedPct: 0, memUsedBytes: 0, memTotalBytes: 0, disks: [],
    diskReadBps: 0, diskWriteBps: 0, diskReadIops: 0, diskWriteIops: 0, processCount: 0, newProcesses: [],
    topProcesses: [], connCount: 0, connEstablished: 0, connOutbound: 0, distinctRemoteAddrs: 0,
    distinctRemotePorts: 0, remotePortCounts: [], listening: [], newOutboundAttempts: 0, failedOutboundAttempts: 0,
    contacts: [], contactsTracked: false, contactsDropped: 0,
  };
}
