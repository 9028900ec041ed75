// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface ListAuditRequest {
  'sinceMs'?: (number | string | Long);
  'limit'?: (number);
}

export interface ListAuditRequest__Output {
  'sinceMs': (number);
  'limit': (number);
}
