// Original file: proto/firebreak.proto


export interface SilenceRef {
  'silenceId'?: (string);
}

export interface SilenceRef__Output {
  'silenceId': (string);
}
