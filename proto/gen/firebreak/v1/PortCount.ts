// Original file: proto/firebreak.proto


export interface PortCount {
  'protocol'?: (string);
  'port'?: (number);
  'count'?: (number);
}

export interface PortCount__Output {
  'protocol': (string);
  'port': (number);
  'count': (number);
}
