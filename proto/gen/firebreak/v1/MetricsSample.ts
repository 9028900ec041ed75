// Original file: proto/firebreak.proto

import type { DiskUsage as _firebreak_v1_DiskUsage, DiskUsage__Output as _firebreak_v1_DiskUsage__Output } from '../../firebreak/v1/DiskUsage';
import type { ProcessInfo as _firebreak_v1_ProcessInfo, ProcessInfo__Output as _firebreak_v1_ProcessInfo__Output } from '../../firebreak/v1/ProcessInfo';
import type { PortCount as _firebreak_v1_PortCount, PortCount__Output as _firebreak_v1_PortCount__Output } from '../../firebreak/v1/PortCount';
import type { Endpoint as _firebreak_v1_Endpoint, Endpoint__Output as _firebreak_v1_Endpoint__Output } from '../../firebreak/v1/Endpoint';
import type { Contact as _firebreak_v1_Contact, Contact__Output as _firebreak_v1_Contact__Output } from '../../firebreak/v1/Contact';
import type { Long } from '@grpc/proto-loader';

export interface MetricsSample {
  'observedAtMs'?: (number | string | Long);
  'intervalS'?: (number | string);
  'cpuPct'?: (number | string);
  'memUsedPct'?: (number | string);
  'memUsedBytes'?: (number | string | Long);
  'memTotalBytes'?: (number | string | Long);
  'disks'?: (_firebreak_v1_DiskUsage)[];
  'diskReadBps'?: (number | string);
  'diskWriteBps'?: (number | string);
  'diskReadIops'?: (number | string);
  'diskWriteIops'?: (number | string);
  'processCount'?: (number);
  'newProcesses'?: (_firebreak_v1_ProcessInfo)[];
  'topProcesses'?: (_firebreak_v1_ProcessInfo)[];
  'connCount'?: (number);
  'connEstablished'?: (number);
  'connOutbound'?: (number);
  'distinctRemoteAddrs'?: (number);
  'distinctRemotePorts'?: (number);
  'remotePortCounts'?: (_firebreak_v1_PortCount)[];
  'listening'?: (_firebreak_v1_Endpoint)[];
  'newOutboundAttempts'?: (number);
  'failedOutboundAttempts'?: (number);
  'contacts'?: (_firebreak_v1_Contact)[];
  'contactsTracked'?: (boolean);
  'contactsDropped'?: (number);
}

export interface MetricsSample__Output {
  'observedAtMs': (number);
  'intervalS': (number);
  'cpuPct': (number);
  'memUsedPct': (number);
  'memUsedBytes': (number);
  'memTotalBytes': (number);
  'disks': (_firebreak_v1_DiskUsage__Output)[];
  'diskReadBps': (number);
  'diskWriteBps': (number);
  'diskReadIops': (number);
  'diskWriteIops': (number);
  'processCount': (number);
  'newProcesses': (_firebreak_v1_ProcessInfo__Output)[];
  'topProcesses': (_firebreak_v1_ProcessInfo__Output)[];
  'connCount': (number);
  'connEstablished': (number);
  'connOutbound': (number);
  'distinctRemoteAddrs': (number);
  'distinctRemotePorts': (number);
  'remotePortCounts': (_firebreak_v1_PortCount__Output)[];
  'listening': (_firebreak_v1_Endpoint__Output)[];
  'newOutboundAttempts': (number);
  'failedOutboundAttempts': (number);
  'contacts': (_firebreak_v1_Contact__Output)[];
  'contactsTracked': (boolean);
  'contactsDropped': (number);
}
