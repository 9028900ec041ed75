// Original file: proto/firebreak.proto

import type { Action as _firebreak_v1_Action, Action__Output as _firebreak_v1_Action__Output } from '../../firebreak/v1/Action';
import type { IsolateParams as _firebreak_v1_IsolateParams, IsolateParams__Output as _firebreak_v1_IsolateParams__Output } from '../../firebreak/v1/IsolateParams';
import type { BlockParams as _firebreak_v1_BlockParams, BlockParams__Output as _firebreak_v1_BlockParams__Output } from '../../firebreak/v1/BlockParams';
import type { UnblockParams as _firebreak_v1_UnblockParams, UnblockParams__Output as _firebreak_v1_UnblockParams__Output } from '../../firebreak/v1/UnblockParams';
import type { ThrottleParams as _firebreak_v1_ThrottleParams, ThrottleParams__Output as _firebreak_v1_ThrottleParams__Output } from '../../firebreak/v1/ThrottleParams';

export interface IssueCommandRequest {
  'hostId'?: (string);
  'action'?: (_firebreak_v1_Action);
  'isolate'?: (_firebreak_v1_IsolateParams | null);
  'block'?: (_firebreak_v1_BlockParams | null);
  'unblock'?: (_firebreak_v1_UnblockParams | null);
  'reason'?: (string);
  'ttlS'?: (number);
  'throttle'?: (_firebreak_v1_ThrottleParams | null);
  'params'?: "isolate"|"block"|"unblock"|"throttle";
}

export interface IssueCommandRequest__Output {
  'hostId': (string);
  'action': (_firebreak_v1_Action__Output);
  'isolate'?: (_firebreak_v1_IsolateParams__Output | null);
  'block'?: (_firebreak_v1_BlockParams__Output | null);
  'unblock'?: (_firebreak_v1_UnblockParams__Output | null);
  'reason': (string);
  'ttlS': (number);
  'throttle'?: (_firebreak_v1_ThrottleParams__Output | null);
  'params'?: "isolate"|"block"|"unblock"|"throttle";
}
