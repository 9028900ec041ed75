// Original file: proto/firebreak.proto

import type { CommandView as _firebreak_v1_CommandView, CommandView__Output as _firebreak_v1_CommandView__Output } from '../../firebreak/v1/CommandView';

export interface ListCommandsResponse {
  'commands'?: (_firebreak_v1_CommandView)[];
}

export interface ListCommandsResponse__Output {
  'commands': (_firebreak_v1_CommandView__Output)[];
}
