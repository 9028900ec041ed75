// Original file: proto/firebreak.proto

import type { IssueCommandRequest as _firebreak_v1_IssueCommandRequest, IssueCommandRequest__Output as _firebreak_v1_IssueCommandRequest__Output } from '../../firebreak/v1/IssueCommandRequest';

export interface FleetCommandRequest {
  'hosts'?: (string);
  'alertId'?: (string);
  'command'?: (_firebreak_v1_IssueCommandRequest | null);
  'planDigest'?: (string);
  'overrideGuard'?: (string);
}

export interface FleetCommandRequest__Output {
  'hosts': (string);
  'alertId': (string);
  'command': (_firebreak_v1_IssueCommandRequest__Output | null);
  'planDigest': (string);
  'overrideGuard': (string);
}
