// Original file: proto/firebreak.proto

import type { PortBlock as _firebreak_v1_PortBlock, PortBlock__Output as _firebreak_v1_PortBlock__Output } from '../../firebreak/v1/PortBlock';

export interface BlockParams {
  'block'?: (_firebreak_v1_PortBlock | null);
  'force'?: (boolean);
}

export interface BlockParams__Output {
  'block': (_firebreak_v1_PortBlock__Output | null);
  'force': (boolean);
}
