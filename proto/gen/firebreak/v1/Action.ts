// Original file: proto/firebreak.proto

export const Action = {
  ACTION_UNSPECIFIED: 'ACTION_UNSPECIFIED',
  ISOLATE: 'ISOLATE',
  RELEASE: 'RELEASE',
  BLOCK: 'BLOCK',
  UNBLOCK: 'UNBLOCK',
  THROTTLE: 'THROTTLE',
  UNTHROTTLE: 'UNTHROTTLE',
} as const;

export type Action =
  | 'ACTION_UNSPECIFIED'
  | 0
  | 'ISOLATE'
  | 1
  | 'RELEASE'
  | 2
  | 'BLOCK'
  | 3
  | 'UNBLOCK'
  | 4
  | 'THROTTLE'
  | 5
  | 'UNTHROTTLE'
  | 6

export type Action__Output = typeof Action[keyof typeof Action]
