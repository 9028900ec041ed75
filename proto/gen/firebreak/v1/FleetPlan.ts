// Original file: proto/firebreak.proto

import type { Action as _firebreak_v1_Action, Action__Output as _firebreak_v1_Action__Output } from '../../firebreak/v1/Action';

export interface FleetPlan {
  'selector'?: (string);
  'hostIds'?: (string)[];
  'digest'?: (string);
  'action'?: (_firebreak_v1_Action);
  'spared'?: (string)[];
  'fleetSize'?: (number);
  'guardUsed'?: (number);
  'guardLimit'?: (number);
  'guard'?: (string);
}

export interface FleetPlan__Output {
  'selector': (string);
  'hostIds': (string)[];
  'digest': (string);
  'action': (_firebreak_v1_Action__Output);
  'spared': (string)[];
  'fleetSize': (number);
  'guardUsed': (number);
  'guardLimit': (number);
  'guard': (string);
}
