// Original file: proto/firebreak.proto

export const CommandStatus = {
  COMMAND_STATUS_UNSPECIFIED: 'COMMAND_STATUS_UNSPECIFIED',
  QUEUED: 'QUEUED',
  SENT: 'SENT',
  APPLIED: 'APPLIED',
  FAILED: 'FAILED',
  EXPIRED: 'EXPIRED',
  ROLLED_BACK: 'ROLLED_BACK',
} as const;

export type CommandStatus =
  | 'COMMAND_STATUS_UNSPECIFIED'
  | 0
  | 'QUEUED'
  | 1
  | 'SENT'
  | 2
  | 'APPLIED'
  | 3
  | 'FAILED'
  | 4
  | 'EXPIRED'
  | 5
  | 'ROLLED_BACK'
  | 6

export type CommandStatus__Output = typeof CommandStatus[keyof typeof CommandStatus]
