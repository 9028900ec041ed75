// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface AddSilenceRequest {
  'matchers'?: (string)[];
  'startsAtMs'?: (number | string | Long);
  'endsAtMs'?: (number | string | Long);
  'comment'?: (string);
  'kind'?: (string);
}

export interface AddSilenceRequest__Output {
  'matchers': (string)[];
  'startsAtMs': (number);
  'endsAtMs': (number);
  'comment': (string);
  'kind': (string);
}
