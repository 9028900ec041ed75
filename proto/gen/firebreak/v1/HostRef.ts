// Original file: proto/firebreak.proto


export interface HostRef {
  'hostId'?: (string);
}

export interface HostRef__Output {
  'hostId': (string);
}
