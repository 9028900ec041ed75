// Original file: proto/firebreak.proto


export interface AddOperatorResponse {
  'name'?: (string);
  'role'?: (string);
  'token'?: (string);
}

export interface AddOperatorResponse__Output {
  'name': (string);
  'role': (string);
  'token': (string);
}
