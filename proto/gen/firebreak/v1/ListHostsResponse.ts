// Original file: proto/firebreak.proto

import type { Host as _firebreak_v1_Host, Host__Output as _firebreak_v1_Host__Output } from '../../firebreak/v1/Host';
import type { StorageHealth as _firebreak_v1_StorageHealth, StorageHealth__Output as _firebreak_v1_StorageHealth__Output } from '../../firebreak/v1/StorageHealth';

export interface ListHostsResponse {
  'hosts'?: (_firebreak_v1_Host)[];
  'storage'?: (_firebreak_v1_StorageHealth | null);
}

export interface ListHostsResponse__Output {
  'hosts': (_firebreak_v1_Host__Output)[];
  'storage': (_firebreak_v1_StorageHealth__Output | null);
}
