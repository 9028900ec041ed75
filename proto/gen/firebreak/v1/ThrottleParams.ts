// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface ThrottleParams {
  'newPerSecond'?: (number);
  'burst'?: (number);
  'workingSetS'?: (number);
  'expiresAtMs'?: (number | string | Long);
}

export interface ThrottleParams__Output {
  'newPerSecond': (number);
  'burst': (number);
  'workingSetS': (number);
  'expiresAtMs': (number);
}
