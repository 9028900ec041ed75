// Original file: proto/firebreak.proto

import type { Command as _firebreak_v1_Command, Command__Output as _firebreak_v1_Command__Output } from '../../firebreak/v1/Command';
import type { CommandStatus as _firebreak_v1_CommandStatus, CommandStatus__Output as _firebreak_v1_CommandStatus__Output } from '../../firebreak/v1/CommandStatus';
import type { EnforcementState as _firebreak_v1_EnforcementState, EnforcementState__Output as _firebreak_v1_EnforcementState__Output } from '../../firebreak/v1/EnforcementState';
import type { Long } from '@grpc/proto-loader';

export interface CommandView {
  'command'?: (_firebreak_v1_Command | null);
  'status'?: (_firebreak_v1_CommandStatus);
  'resultMessage'?: (string);
  'updatedAtMs'?: (number | string | Long);
  'rules'?: (string)[];
  'state'?: (_firebreak_v1_EnforcementState | null);
}

export interface CommandView__Output {
  'command': (_firebreak_v1_Command__Output | null);
  'status': (_firebreak_v1_CommandStatus__Output);
  'resultMessage': (string);
  'updatedAtMs': (number);
  'rules': (string)[];
  'state': (_firebreak_v1_EnforcementState__Output | null);
}
