// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface ListEventsRequest {
  'hostId'?: (string);
  'limit'?: (number);
  'sinceMs'?: (number | string | Long);
  'signaturePrefix'?: (string);
}

export interface ListEventsRequest__Output {
  'hostId': (string);
  'limit': (number);
  'sinceMs': (number);
  'signaturePrefix': (string);
}
