// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface EnrollResponse {
  'agentId'?: (string);
  'certPem'?: (string);
  'caCertPem'?: (string);
  'commandSigningPublicKeyPem'?: (string);
  'notAfterMs'?: (number | string | Long);
  'tags'?: ({[key: string]: string});
}

export interface EnrollResponse__Output {
  'agentId': (string);
  'certPem': (string);
  'caCertPem': (string);
  'commandSigningPublicKeyPem': (string);
  'notAfterMs': (number);
  'tags': ({[key: string]: string});
}
