// Original file: proto/firebreak.proto

import type { CommandStatus as _firebreak_v1_CommandStatus, CommandStatus__Output as _firebreak_v1_CommandStatus__Output } from '../../firebreak/v1/CommandStatus';
import type { EnforcementState as _firebreak_v1_EnforcementState, EnforcementState__Output as _firebreak_v1_EnforcementState__Output } from '../../firebreak/v1/EnforcementState';
import type { Long } from '@grpc/proto-loader';

export interface CommandResult {
  'commandId'?: (string);
  'status'?: (_firebreak_v1_CommandStatus);
  'message'?: (string);
  'state'?: (_firebreak_v1_EnforcementState | null);
  'finishedAtMs'?: (number | string | Long);
  'rules'?: (string)[];
}

export interface CommandResult__Output {
  'commandId': (string);
  'status': (_firebreak_v1_CommandStatus__Output);
  'message': (string);
  'state': (_firebreak_v1_EnforcementState__Output | null);
  'finishedAtMs': (number);
  'rules': (string)[];
}
