// Original file: proto/firebreak.proto

import type { EnforcementState as _firebreak_v1_EnforcementState, EnforcementState__Output as _firebreak_v1_EnforcementState__Output } from '../../firebreak/v1/EnforcementState';
import type { AgentHealth as _firebreak_v1_AgentHealth, AgentHealth__Output as _firebreak_v1_AgentHealth__Output } from '../../firebreak/v1/AgentHealth';
import type { Long } from '@grpc/proto-loader';

export interface Heartbeat {
  'sentAtMs'?: (number | string | Long);
  'enforcement'?: (_firebreak_v1_EnforcementState | null);
  'lastSeq'?: (number | string | Long);
  'health'?: (_firebreak_v1_AgentHealth | null);
}

export interface Heartbeat__Output {
  'sentAtMs': (number);
  'enforcement': (_firebreak_v1_EnforcementState__Output | null);
  'lastSeq': (number);
  'health': (_firebreak_v1_AgentHealth__Output | null);
}
