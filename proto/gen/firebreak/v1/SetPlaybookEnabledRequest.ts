// Original file: proto/firebreak.proto


export interface SetPlaybookEnabledRequest {
  'name'?: (string);
  'enabled'?: (boolean);
}

export interface SetPlaybookEnabledRequest__Output {
  'name': (string);
  'enabled': (boolean);
}
