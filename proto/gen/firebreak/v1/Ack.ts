// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface Ack {
  'bootId'?: (string);
  'seq'?: (number | string | Long);
}

export interface Ack__Output {
  'bootId': (string);
  'seq': (number);
}
