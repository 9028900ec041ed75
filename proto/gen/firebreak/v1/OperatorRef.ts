// Original file: proto/firebreak.proto


export interface OperatorRef {
  'name'?: (string);
  'role'?: (string);
}

export interface OperatorRef__Output {
  'name': (string);
  'role': (string);
}
