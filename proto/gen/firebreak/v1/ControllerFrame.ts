// Original file: proto/firebreak.proto

import type { Welcome as _firebreak_v1_Welcome, Welcome__Output as _firebreak_v1_Welcome__Output } from '../../firebreak/v1/Welcome';
import type { Command as _firebreak_v1_Command, Command__Output as _firebreak_v1_Command__Output } from '../../firebreak/v1/Command';
import type { Ack as _firebreak_v1_Ack, Ack__Output as _firebreak_v1_Ack__Output } from '../../firebreak/v1/Ack';

export interface ControllerFrame {
  'welcome'?: (_firebreak_v1_Welcome | null);
  'command'?: (_firebreak_v1_Command | null);
  'ack'?: (_firebreak_v1_Ack | null);
  'body'?: "welcome"|"command"|"ack";
}

export interface ControllerFrame__Output {
  'welcome'?: (_firebreak_v1_Welcome__Output | null);
  'command'?: (_firebreak_v1_Command__Output | null);
  'ack'?: (_firebreak_v1_Ack__Output | null);
  'body'?: "welcome"|"command"|"ack";
}
