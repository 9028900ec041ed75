// Original file: proto/firebreak.proto

import type { Protocol as _firebreak_v1_Protocol, Protocol__Output as _firebreak_v1_Protocol__Output } from '../../firebreak/v1/Protocol';
import type { PortRange as _firebreak_v1_PortRange, PortRange__Output as _firebreak_v1_PortRange__Output } from '../../firebreak/v1/PortRange';

export interface AllowEntry {
  'cidr'?: (string);
  'protocol'?: (_firebreak_v1_Protocol);
  'ports'?: (_firebreak_v1_PortRange | null);
}

export interface AllowEntry__Output {
  'cidr': (string);
  'protocol': (_firebreak_v1_Protocol__Output);
  'ports': (_firebreak_v1_PortRange__Output | null);
}
