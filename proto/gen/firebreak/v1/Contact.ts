// Original file: proto/firebreak.proto

import type { Direction as _firebreak_v1_Direction, Direction__Output as _firebreak_v1_Direction__Output } from '../../firebreak/v1/Direction';
import type { Long } from '@grpc/proto-loader';

export interface Contact {
  'direction'?: (_firebreak_v1_Direction);
  'protocol'?: (string);
  'remoteAddress'?: (string);
  'port'?: (number);
  'firstSeenMs'?: (number | string | Long);
}

export interface Contact__Output {
  'direction': (_firebreak_v1_Direction__Output);
  'protocol': (string);
  'remoteAddress': (string);
  'port': (number);
  'firstSeenMs': (number);
}
