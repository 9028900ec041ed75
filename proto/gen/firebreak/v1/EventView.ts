// Original file: proto/firebreak.proto

import type { AnomalyEvent as _firebreak_v1_AnomalyEvent, AnomalyEvent__Output as _firebreak_v1_AnomalyEvent__Output } from '../../firebreak/v1/AnomalyEvent';
import type { Long } from '@grpc/proto-loader';

export interface EventView {
  'id'?: (number | string | Long);
  'hostId'?: (string);
  'receivedAtMs'?: (number | string | Long);
  'event'?: (_firebreak_v1_AnomalyEvent | null);
}

export interface EventView__Output {
  'id': (number);
  'hostId': (string);
  'receivedAtMs': (number);
  'event': (_firebreak_v1_AnomalyEvent__Output | null);
}
