// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface AuditEntry {
  'seq'?: (number | string | Long);
  'atMs'?: (number | string | Long);
  'actor'?: (string);
  'action'?: (string);
  'target'?: (string);
  'detail'?: (string);
  'prevHash'?: (string);
  'hash'?: (string);
}

export interface AuditEntry__Output {
  'seq': (number);
  'atMs': (number);
  'actor': (string);
  'action': (string);
  'target': (string);
  'detail': (string);
  'prevHash': (string);
  'hash': (string);
}
