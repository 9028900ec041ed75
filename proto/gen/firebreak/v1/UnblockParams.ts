// Original file: proto/firebreak.proto


export interface UnblockParams {
  'blockId'?: (string);
}

export interface UnblockParams__Output {
  'blockId': (string);
}
