// Original file: proto/firebreak.proto


export interface Endpoint {
  'address'?: (string);
  'port'?: (number);
  'protocol'?: (string);
  'state'?: (string);
}

export interface Endpoint__Output {
  'address': (string);
  'port': (number);
  'protocol': (string);
  'state': (string);
}
