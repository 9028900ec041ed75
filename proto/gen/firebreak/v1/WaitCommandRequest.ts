// Original file: proto/firebreak.proto


export interface WaitCommandRequest {
  'commandId'?: (string);
  'timeoutMs'?: (number);
}

export interface WaitCommandRequest__Output {
  'commandId': (string);
  'timeoutMs': (number);
}
