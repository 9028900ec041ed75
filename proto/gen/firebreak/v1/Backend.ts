// Original file: proto/firebreak.proto

export const Backend = {
  BACKEND_UNSPECIFIED: 'BACKEND_UNSPECIFIED',
  DRY_RUN: 'DRY_RUN',
  NFTABLES: 'NFTABLES',
  IPTABLES: 'IPTABLES',
} as const;

export type Backend =
  | 'BACKEND_UNSPECIFIED'
  | 0
  | 'DRY_RUN'
  | 1
  | 'NFTABLES'
  | 2
  | 'IPTABLES'
  | 3

export type Backend__Output = typeof Backend[keyof typeof Backend]
