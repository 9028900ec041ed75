// Original file: proto/firebreak.proto


export interface CreateEnrollmentTokenRequest {
  'uses'?: (number);
  'ttlS'?: (number);
  'tags'?: ({[key: string]: string});
}

export interface CreateEnrollmentTokenRequest__Output {
  'uses': (number);
  'ttlS': (number);
  'tags': ({[key: string]: string});
}
