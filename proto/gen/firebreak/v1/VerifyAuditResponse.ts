// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface VerifyAuditResponse {
  'ok'?: (boolean);
  'count'?: (number | string | Long);
  'firstBadSeq'?: (number | string | Long);
  'problem'?: (string);
  'head'?: (string);
}

export interface VerifyAuditResponse__Output {
  'ok': (boolean);
  'count': (number);
  'firstBadSeq': (number);
  'problem': (string);
  'head': (string);
}
