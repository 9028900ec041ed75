// Original file: proto/firebreak.proto

import type { EventView as _firebreak_v1_EventView, EventView__Output as _firebreak_v1_EventView__Output } from '../../firebreak/v1/EventView';

export interface ListEventsResponse {
  'events'?: (_firebreak_v1_EventView)[];
}

export interface ListEventsResponse__Output {
  'events': (_firebreak_v1_EventView__Output)[];
}
