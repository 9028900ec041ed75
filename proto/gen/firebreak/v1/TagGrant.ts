// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface TagGrant {
  'key'?: (string);
  'value'?: (string);
  'source'?: (string);
  'grantedBy'?: (string);
  'grantedAtMs'?: (number | string | Long);
}

export interface TagGrant__Output {
  'key': (string);
  'value': (string);
  'source': (string);
  'grantedBy': (string);
  'grantedAtMs': (number);
}
