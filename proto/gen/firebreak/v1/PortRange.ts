// Original file: proto/firebreak.proto


export interface PortRange {
  'from'?: (number);
  'to'?: (number);
}

export interface PortRange__Output {
  'from': (number);
  'to': (number);
}
