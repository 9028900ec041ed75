// Original file: proto/firebreak.proto


export interface JsonDoc {
  'json'?: (string);
}

export interface JsonDoc__Output {
  'json': (string);
}
