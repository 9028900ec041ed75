// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface StorageHealth {
  'state'?: (string);
  'file'?: (string);
  'message'?: (string);
  'sinceMs'?: (number | string | Long);
  'refusedWrites'?: (number | string | Long);
  'sizeBytes'?: (number | string | Long);
  'usedBytes'?: (number | string | Long);
  'oldestEventMs'?: (number | string | Long);
  'eventsPruned'?: (number | string | Long);
}

export interface StorageHealth__Output {
  'state': (string);
  'file': (string);
  'message': (string);
  'sinceMs': (number);
  'refusedWrites': (number);
  'sizeBytes': (number);
  'usedBytes': (number);
  'oldestEventMs': (number);
  'eventsPruned': (number);
}
