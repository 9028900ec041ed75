// Original file: proto/firebreak.proto


export interface AlertRef {
  'alertId'?: (string);
}

export interface AlertRef__Output {
  'alertId': (string);
}
