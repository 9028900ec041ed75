// Original file: proto/firebreak.proto


export interface FleetCommandRef {
  'hostId'?: (string);
  'commandId'?: (string);
}

export interface FleetCommandRef__Output {
  'hostId': (string);
  'commandId': (string);
}
