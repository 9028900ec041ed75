// Original file: proto/firebreak.proto


export interface WhoAmIResponse {
  'name'?: (string);
  'role'?: (string);
}

export interface WhoAmIResponse__Output {
  'name': (string);
  'role': (string);
}
