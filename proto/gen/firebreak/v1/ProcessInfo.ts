// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface ProcessInfo {
  'pid'?: (number);
  'ppid'?: (number);
  'name'?: (string);
  'exe'?: (string);
  'user'?: (string);
  'startedAtMs'?: (number | string | Long);
  'cpuPct'?: (number | string);
  'rssBytes'?: (number | string | Long);
  'sha256'?: (string);
}

export interface ProcessInfo__Output {
  'pid': (number);
  'ppid': (number);
  'name': (string);
  'exe': (string);
  'user': (string);
  'startedAtMs': (number);
  'cpuPct': (number);
  'rssBytes': (number);
  'sha256': (string);
}
