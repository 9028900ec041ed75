// Original file: proto/firebreak.proto


export interface CommandRef {
  'commandId'?: (string);
}

export interface CommandRef__Output {
  'commandId': (string);
}
