// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface DiskUsage {
  'mount'?: (string);
  'totalBytes'?: (number | string | Long);
  'usedBytes'?: (number | string | Long);
}

export interface DiskUsage__Output {
  'mount': (string);
  'totalBytes': (number);
  'usedBytes': (number);
}
