// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface CreateEnrollmentTokenResponse {
  'token'?: (string);
  'id'?: (string);
  'expiresAtMs'?: (number | string | Long);
  'uses'?: (number);
  'caFingerprint'?: (string);
}

export interface CreateEnrollmentTokenResponse__Output {
  'token': (string);
  'id': (string);
  'expiresAtMs': (number);
  'uses': (number);
  'caFingerprint': (string);
}
