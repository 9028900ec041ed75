// Original file: proto/firebreak.proto

import type { AnomalyKind as _firebreak_v1_AnomalyKind, AnomalyKind__Output as _firebreak_v1_AnomalyKind__Output } from '../../firebreak/v1/AnomalyKind';
import type { Evidence as _firebreak_v1_Evidence, Evidence__Output as _firebreak_v1_Evidence__Output } from '../../firebreak/v1/Evidence';
import type { Long } from '@grpc/proto-loader';

export interface AnomalyEvent {
  'kind'?: (_firebreak_v1_AnomalyKind);
  'signature'?: (string);
  'observedAtMs'?: (number | string | Long);
  'value'?: (number | string);
  'baseline'?: (number | string);
  'score'?: (number | string);
  'count'?: (number);
  'evidence'?: (_firebreak_v1_Evidence | null);
  'cleared'?: (boolean);
}

export interface AnomalyEvent__Output {
  'kind': (_firebreak_v1_AnomalyKind__Output);
  'signature': (string);
  'observedAtMs': (number);
  'value': (number);
  'baseline': (number);
  'score': (number);
  'count': (number);
  'evidence': (_firebreak_v1_Evidence__Output | null);
  'cleared': (boolean);
}
