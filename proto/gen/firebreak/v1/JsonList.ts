// Original file: proto/firebreak.proto


export interface JsonList {
  'items'?: (string)[];
}

export interface JsonList__Output {
  'items': (string)[];
}
