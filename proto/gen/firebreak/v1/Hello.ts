// Original file: proto/firebreak.proto

import type { HostInventory as _firebreak_v1_HostInventory, HostInventory__Output as _firebreak_v1_HostInventory__Output } from '../../firebreak/v1/HostInventory';
import type { Backend as _firebreak_v1_Backend, Backend__Output as _firebreak_v1_Backend__Output } from '../../firebreak/v1/Backend';
import type { Long } from '@grpc/proto-loader';

export interface Hello {
  'agentId'?: (string);
  'bootId'?: (string);
  'inventory'?: (_firebreak_v1_HostInventory | null);
  'backend'?: (_firebreak_v1_Backend);
  'sentAtMs'?: (number | string | Long);
}

export interface Hello__Output {
  'agentId': (string);
  'bootId': (string);
  'inventory': (_firebreak_v1_HostInventory__Output | null);
  'backend': (_firebreak_v1_Backend__Output);
  'sentAtMs': (number);
}
