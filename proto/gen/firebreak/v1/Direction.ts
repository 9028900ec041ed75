// Original file: proto/firebreak.proto

export const Direction = {
  DIRECTION_UNSPECIFIED: 'DIRECTION_UNSPECIFIED',
  IN: 'IN',
  OUT: 'OUT',
  BOTH: 'BOTH',
} as const;

export type Direction =
  | 'DIRECTION_UNSPECIFIED'
  | 0
  | 'IN'
  | 1
  | 'OUT'
  | 2
  | 'BOTH'
  | 3

export type Direction__Output = typeof Direction[keyof typeof Direction]
