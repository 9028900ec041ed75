// Original file: proto/firebreak.proto

import type { HostInventory as _firebreak_v1_HostInventory, HostInventory__Output as _firebreak_v1_HostInventory__Output } from '../../firebreak/v1/HostInventory';

export interface EnrollRequest {
  'token'?: (string);
  'agentId'?: (string);
  'csrPem'?: (string);
  'inventory'?: (_firebreak_v1_HostInventory | null);
}

export interface EnrollRequest__Output {
  'token': (string);
  'agentId': (string);
  'csrPem': (string);
  'inventory': (_firebreak_v1_HostInventory__Output | null);
}
