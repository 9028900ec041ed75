// Original file: proto/firebreak.proto

import type { JsonDoc as _firebreak_v1_JsonDoc, JsonDoc__Output as _firebreak_v1_JsonDoc__Output } from '../../firebreak/v1/JsonDoc';

export interface ContainResponse {
  'digest'?: (string);
  'playbook'?: (string);
  'run'?: (_firebreak_v1_JsonDoc | null);
  'note'?: (string);
}

export interface ContainResponse__Output {
  'digest': (string);
  'playbook': (string);
  'run': (_firebreak_v1_JsonDoc__Output | null);
  'note': (string);
}
