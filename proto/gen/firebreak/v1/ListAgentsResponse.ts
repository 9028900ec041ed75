// Original file: proto/firebreak.proto

import type { AgentRecord as _firebreak_v1_AgentRecord, AgentRecord__Output as _firebreak_v1_AgentRecord__Output } from '../../firebreak/v1/AgentRecord';

export interface ListAgentsResponse {
  'agents'?: (_firebreak_v1_AgentRecord)[];
}

export interface ListAgentsResponse__Output {
  'agents': (_firebreak_v1_AgentRecord__Output)[];
}
