// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface RevokeEnrollmentTokenResponse {
  'id'?: (string);
  'used'?: (number);
  'uses'?: (number);
  'expiresAtMs'?: (number | string | Long);
}

export interface RevokeEnrollmentTokenResponse__Output {
  'id': (string);
  'used': (number);
  'uses': (number);
  'expiresAtMs': (number);
}
