// Original file: proto/firebreak.proto

import type { Hello as _firebreak_v1_Hello, Hello__Output as _firebreak_v1_Hello__Output } from '../../firebreak/v1/Hello';
import type { Report as _firebreak_v1_Report, Report__Output as _firebreak_v1_Report__Output } from '../../firebreak/v1/Report';
import type { CommandResult as _firebreak_v1_CommandResult, CommandResult__Output as _firebreak_v1_CommandResult__Output } from '../../firebreak/v1/CommandResult';
import type { Heartbeat as _firebreak_v1_Heartbeat, Heartbeat__Output as _firebreak_v1_Heartbeat__Output } from '../../firebreak/v1/Heartbeat';

export interface AgentFrame {
  'hello'?: (_firebreak_v1_Hello | null);
  'report'?: (_firebreak_v1_Report | null);
  'commandResult'?: (_firebreak_v1_CommandResult | null);
  'heartbeat'?: (_firebreak_v1_Heartbeat | null);
  'body'?: "hello"|"report"|"commandResult"|"heartbeat";
}

export interface AgentFrame__Output {
  'hello'?: (_firebreak_v1_Hello__Output | null);
  'report'?: (_firebreak_v1_Report__Output | null);
  'commandResult'?: (_firebreak_v1_CommandResult__Output | null);
  'heartbeat'?: (_firebreak_v1_Heartbeat__Output | null);
  'body'?: "hello"|"report"|"commandResult"|"heartbeat";
}
