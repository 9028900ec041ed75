// Original file: proto/firebreak.proto


export interface AddOperatorRequest {
  'name'?: (string);
  'role'?: (string);
}

export interface AddOperatorRequest__Output {
  'name': (string);
  'role': (string);
}
