// Original file: proto/firebreak.proto

export const AnomalyKind = {
  ANOMALY_KIND_UNSPECIFIED: 'ANOMALY_KIND_UNSPECIFIED',
  CPU: 'CPU',
  MEMORY: 'MEMORY',
  DISK_IO: 'DISK_IO',
  DISK_USAGE: 'DISK_USAGE',
  PROCESS_NEW: 'PROCESS_NEW',
  PROCESS_COUNT: 'PROCESS_COUNT',
  CONN_FANOUT: 'CONN_FANOUT',
  CONN_NEW_PORT: 'CONN_NEW_PORT',
  LISTEN_NEW: 'LISTEN_NEW',
  ENFORCEMENT_DRIFT: 'ENFORCEMENT_DRIFT',
} as const;

export type AnomalyKind =
  | 'ANOMALY_KIND_UNSPECIFIED'
  | 0
  | 'CPU'
  | 1
  | 'MEMORY'
  | 2
  | 'DISK_IO'
  | 3
  | 'DISK_USAGE'
  | 4
  | 'PROCESS_NEW'
  | 5
  | 'PROCESS_COUNT'
  | 6
  | 'CONN_FANOUT'
  | 7
  | 'CONN_NEW_PORT'
  | 8
  | 'LISTEN_NEW'
  | 9
  | 'ENFORCEMENT_DRIFT'
  | 10

export type AnomalyKind__Output = typeof AnomalyKind[keyof typeof AnomalyKind]
