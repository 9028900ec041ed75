// Original file: proto/firebreak.proto


export interface ValidatePlaybookRequest {
  'name'?: (string);
  'yaml'?: (string);
}

export interface ValidatePlaybookRequest__Output {
  'name': (string);
  'yaml': (string);
}
