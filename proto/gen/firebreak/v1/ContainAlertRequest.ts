// Original file: proto/firebreak.proto


export interface ContainAlertRequest {
  'alertId'?: (string);
  'playbook'?: (string);
  'dryRun'?: (boolean);
  'planDigest'?: (string);
}

export interface ContainAlertRequest__Output {
  'alertId': (string);
  'playbook': (string);
  'dryRun': (boolean);
  'planDigest': (string);
}
