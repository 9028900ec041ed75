// Original file: proto/firebreak.proto


export interface SetHostTagsRequest {
  'hostId'?: (string);
  'set'?: ({[key: string]: string});
  'remove'?: (string)[];
}

export interface SetHostTagsRequest__Output {
  'hostId': (string);
  'set': ({[key: string]: string});
  'remove': (string)[];
}
