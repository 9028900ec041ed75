// Original file: proto/firebreak.proto

import type { AllowEntry as _firebreak_v1_AllowEntry, AllowEntry__Output as _firebreak_v1_AllowEntry__Output } from '../../firebreak/v1/AllowEntry';
import type { PortBlock as _firebreak_v1_PortBlock, PortBlock__Output as _firebreak_v1_PortBlock__Output } from '../../firebreak/v1/PortBlock';
import type { Backend as _firebreak_v1_Backend, Backend__Output as _firebreak_v1_Backend__Output } from '../../firebreak/v1/Backend';
import type { ThrottleParams as _firebreak_v1_ThrottleParams, ThrottleParams__Output as _firebreak_v1_ThrottleParams__Output } from '../../firebreak/v1/ThrottleParams';

export interface EnforcementState {
  'isolated'?: (boolean);
  'allowlist'?: (_firebreak_v1_AllowEntry)[];
  'blocks'?: (_firebreak_v1_PortBlock)[];
  'backend'?: (_firebreak_v1_Backend);
  'rulesetHash'?: (string);
  'controllerEndpoint'?: (string);
  'throttle'?: (_firebreak_v1_ThrottleParams | null);
  'stateLost'?: (string);
}

export interface EnforcementState__Output {
  'isolated': (boolean);
  'allowlist': (_firebreak_v1_AllowEntry__Output)[];
  'blocks': (_firebreak_v1_PortBlock__Output)[];
  'backend': (_firebreak_v1_Backend__Output);
  'rulesetHash': (string);
  'controllerEndpoint': (string);
  'throttle': (_firebreak_v1_ThrottleParams__Output | null);
  'stateLost': (string);
}
