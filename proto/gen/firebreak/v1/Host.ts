// Original file: proto/firebreak.proto

import type { HostInventory as _firebreak_v1_HostInventory, HostInventory__Output as _firebreak_v1_HostInventory__Output } from '../../firebreak/v1/HostInventory';
import type { Backend as _firebreak_v1_Backend, Backend__Output as _firebreak_v1_Backend__Output } from '../../firebreak/v1/Backend';
import type { EnforcementState as _firebreak_v1_EnforcementState, EnforcementState__Output as _firebreak_v1_EnforcementState__Output } from '../../firebreak/v1/EnforcementState';
import type { MetricsSample as _firebreak_v1_MetricsSample, MetricsSample__Output as _firebreak_v1_MetricsSample__Output } from '../../firebreak/v1/MetricsSample';
import type { AgentHealth as _firebreak_v1_AgentHealth, AgentHealth__Output as _firebreak_v1_AgentHealth__Output } from '../../firebreak/v1/AgentHealth';
import type { Long } from '@grpc/proto-loader';

export interface Host {
  'id'?: (string);
  'online'?: (boolean);
  'lastSeenMs'?: (number | string | Long);
  'firstSeenMs'?: (number | string | Long);
  'inventory'?: (_firebreak_v1_HostInventory | null);
  'backend'?: (_firebreak_v1_Backend);
  'enforcement'?: (_firebreak_v1_EnforcementState | null);
  'lastSample'?: (_firebreak_v1_MetricsSample | null);
  'reports'?: (number | string | Long);
  'events'?: (number | string | Long);
  'clockOffsetMs'?: (number | string);
  'health'?: (_firebreak_v1_AgentHealth | null);
  'tags'?: ({[key: string]: string});
  'requestedTags'?: ({[key: string]: string});
}

export interface Host__Output {
  'id': (string);
  'online': (boolean);
  'lastSeenMs': (number);
  'firstSeenMs': (number);
  'inventory': (_firebreak_v1_HostInventory__Output | null);
  'backend': (_firebreak_v1_Backend__Output);
  'enforcement': (_firebreak_v1_EnforcementState__Output | null);
  'lastSample': (_firebreak_v1_MetricsSample__Output | null);
  'reports': (number);
  'events': (number);
  'clockOffsetMs': (number);
  'health': (_firebreak_v1_AgentHealth__Output | null);
  'tags': ({[key: string]: string});
  'requestedTags': ({[key: string]: string});
}
