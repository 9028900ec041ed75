// Original file: proto/firebreak.proto

import type { Long } from '@grpc/proto-loader';

export interface HostInventory {
  'hostname'?: (string);
  'os'?: (string);
  'kernel'?: (string);
  'cpuModel'?: (string);
  'cpuCores'?: (number);
  'memoryBytes'?: (number | string | Long);
  'ipAddresses'?: (string)[];
  'agentVersion'?: (string);
  'tags'?: ({[key: string]: string});
  'arch'?: (string);
}

export interface HostInventory__Output {
  'hostname': (string);
  'os': (string);
  'kernel': (string);
  'cpuModel': (string);
  'cpuCores': (number);
  'memoryBytes': (number);
  'ipAddresses': (string)[];
  'agentVersion': (string);
  'tags': ({[key: string]: string});
  'arch': (string);
}
