// Original file: proto/firebreak.proto

import type { FleetPlan as _firebreak_v1_FleetPlan, FleetPlan__Output as _firebreak_v1_FleetPlan__Output } from '../../firebreak/v1/FleetPlan';
import type { FleetCommandRef as _firebreak_v1_FleetCommandRef, FleetCommandRef__Output as _firebreak_v1_FleetCommandRef__Output } from '../../firebreak/v1/FleetCommandRef';

export interface FleetIssueResponse {
  'plan'?: (_firebreak_v1_FleetPlan | null);
  'commands'?: (_firebreak_v1_FleetCommandRef)[];
}

export interface FleetIssueResponse__Output {
  'plan': (_firebreak_v1_FleetPlan__Output | null);
  'commands': (_firebreak_v1_FleetCommandRef__Output)[];
}
