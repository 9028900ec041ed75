// Original file: proto/firebreak.proto

import type { Direction as _firebreak_v1_Direction, Direction__Output as _firebreak_v1_Direction__Output } from '../../firebreak/v1/Direction';
import type { Protocol as _firebreak_v1_Protocol, Protocol__Output as _firebreak_v1_Protocol__Output } from '../../firebreak/v1/Protocol';
import type { PortRange as _firebreak_v1_PortRange, PortRange__Output as _firebreak_v1_PortRange__Output } from '../../firebreak/v1/PortRange';
import type { Long } from '@grpc/proto-loader';

export interface PortBlock {
  'id'?: (string);
  'direction'?: (_firebreak_v1_Direction);
  'protocol'?: (_firebreak_v1_Protocol);
  'ports'?: (_firebreak_v1_PortRange)[];
  'remoteCidrs'?: (string)[];
  'remoteInternet'?: (boolean);
  'expiresAtMs'?: (number | string | Long);
}

export interface PortBlock__Output {
  'id': (string);
  'direction': (_firebreak_v1_Direction__Output);
  'protocol': (_firebreak_v1_Protocol__Output);
  'ports': (_firebreak_v1_PortRange__Output)[];
  'remoteCidrs': (string)[];
  'remoteInternet': (boolean);
  'expiresAtMs': (number);
}
