// Original file: proto/firebreak.proto


export interface ListAlertsRequest {
  'scope'?: (string);
  'status'?: (string);
  'limit'?: (number);
}

export interface ListAlertsRequest__Output {
  'scope': (string);
  'status': (string);
  'limit': (number);
}
