// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface AgentHealth {
  'cpuPctOfCore'?: (number | string);
  'rssBytes'?: (number | string | Long);
  'shedding'?: (boolean);
  'note'?: (string);
}

export interface AgentHealth__Output {
  'cpuPctOfCore': (number);
  'rssBytes': (number);
  'shedding': (boolean);
  'note': (string);
}
