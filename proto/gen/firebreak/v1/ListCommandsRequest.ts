// Original file: proto/firebreak.proto


export interface ListCommandsRequest {
  'hostId'?: (string);
  'limit'?: (number);
}

export interface ListCommandsRequest__Output {
  'hostId': (string);
  'limit': (number);
}
