// Original file: proto/firebreak.proto

import type { AuditEntry as _firebreak_v1_AuditEntry, AuditEntry__Output as _firebreak_v1_AuditEntry__Output } from '../../firebreak/v1/AuditEntry';

export interface ListAuditResponse {
  'entries'?: (_firebreak_v1_AuditEntry)[];
}

export interface ListAuditResponse__Output {
  'entries': (_firebreak_v1_AuditEntry__Output)[];
}
