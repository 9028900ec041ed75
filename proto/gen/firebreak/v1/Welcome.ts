// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface Welcome {
  'controllerTimeMs'?: (number | string | Long);
  'heartbeatIntervalMs'?: (number);
  'lastSeq'?: (number | string | Long);
}

export interface Welcome__Output {
  'controllerTimeMs': (number);
  'heartbeatIntervalMs': (number);
  'lastSeq': (number);
}
