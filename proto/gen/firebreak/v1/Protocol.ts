// Original file: proto/firebreak.proto

export const Protocol = {
  PROTOCOL_UNSPECIFIED: 'PROTOCOL_UNSPECIFIED',
  TCP: 'TCP',
  UDP: 'UDP',
} as const;

export type Protocol =
  | 'PROTOCOL_UNSPECIFIED'
  | 0
  | 'TCP'
  | 1
  | 'UDP'
  | 2

export type Protocol__Output = typeof Protocol[keyof typeof Protocol]
