// Original file: proto/firebreak.proto


export interface EnrollmentTokenRef {
  'id'?: (string);
}

export interface EnrollmentTokenRef__Output {
  'id': (string);
}
