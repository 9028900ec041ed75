// Original file: proto/firebreak.proto


export interface ListRunsRequest {
  'limit'?: (number);
}

export interface ListRunsRequest__Output {
  'limit': (number);
}
