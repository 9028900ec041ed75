// Original file: proto/firebreak.proto

import type { Host as _firebreak_v1_Host, Host__Output as _firebreak_v1_Host__Output } from '../../firebreak/v1/Host';

export interface ListHostsResponse {
  'hosts'?: (_firebreak_v1_Host)[];
}

export interface ListHostsResponse__Output {
  'hosts': (_firebreak_v1_Host__Output)[];
}
