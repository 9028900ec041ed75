// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface AgentRecord {
  'id'?: (string);
  'certFingerprint'?: (string);
  'enrolledAtMs'?: (number | string | Long);
  'certNotAfterMs'?: (number | string | Long);
  'revoked'?: (boolean);
  'reenrollAllowed'?: (boolean);
}

export interface AgentRecord__Output {
  'id': (string);
  'certFingerprint': (string);
  'enrolledAtMs': (number);
  'certNotAfterMs': (number);
  'revoked': (boolean);
  'reenrollAllowed': (boolean);
}
