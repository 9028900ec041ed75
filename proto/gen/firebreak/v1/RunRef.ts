// Original file: proto/firebreak.proto


export interface RunRef {
  'runId'?: (string);
}

export interface RunRef__Output {
  'runId': (string);
}
