// Original file: proto/firebreak.proto

import type { AllowEntry as _firebreak_v1_AllowEntry, AllowEntry__Output as _firebreak_v1_AllowEntry__Output } from '../../firebreak/v1/AllowEntry';

export interface IsolateParams {
  'allowlist'?: (_firebreak_v1_AllowEntry)[];
}

export interface IsolateParams__Output {
  'allowlist': (_firebreak_v1_AllowEntry__Output)[];
}
