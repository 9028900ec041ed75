// Original file: proto/firebreak.proto

import type { MetricsSample as _firebreak_v1_MetricsSample, MetricsSample__Output as _firebreak_v1_MetricsSample__Output } from '../../firebreak/v1/MetricsSample';
import type { AnomalyEvent as _firebreak_v1_AnomalyEvent, AnomalyEvent__Output as _firebreak_v1_AnomalyEvent__Output } from '../../firebreak/v1/AnomalyEvent';
import type { Long } from '@grpc/proto-loader';

export interface Report {
  'seq'?: (number | string | Long);
  'sample'?: (_firebreak_v1_MetricsSample | null);
  'events'?: (_firebreak_v1_AnomalyEvent)[];
}

export interface Report__Output {
  'seq': (number);
  'sample': (_firebreak_v1_MetricsSample__Output | null);
  'events': (_firebreak_v1_AnomalyEvent__Output)[];
}
