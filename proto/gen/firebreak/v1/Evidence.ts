// Original file: proto/firebreak.proto

import type { ProcessInfo as _firebreak_v1_ProcessInfo, ProcessInfo__Output as _firebreak_v1_ProcessInfo__Output } from '../../firebreak/v1/ProcessInfo';
import type { Endpoint as _firebreak_v1_Endpoint, Endpoint__Output as _firebreak_v1_Endpoint__Output } from '../../firebreak/v1/Endpoint';

export interface Evidence {
  'processes'?: (_firebreak_v1_ProcessInfo)[];
  'remotes'?: (_firebreak_v1_Endpoint)[];
  'detail'?: (string);
}

export interface Evidence__Output {
  'processes': (_firebreak_v1_ProcessInfo__Output)[];
  'remotes': (_firebreak_v1_Endpoint__Output)[];
  'detail': (string);
}
