// Original file: proto/firebreak.proto


export interface ApproveHostTagsRequest {
  'hostId'?: (string);
  'keys'?: (string)[];
}

export interface ApproveHostTagsRequest__Output {
  'hostId': (string);
  'keys': (string)[];
}
