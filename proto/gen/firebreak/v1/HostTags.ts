// Original file: proto/firebreak.proto

import type { TagGrant as _firebreak_v1_TagGrant, TagGrant__Output as _firebreak_v1_TagGrant__Output } from '../../firebreak/v1/TagGrant';

export interface HostTags {
  'hostId'?: (string);
  'tags'?: ({[key: string]: string});
  'requested'?: ({[key: string]: string});
  'grants'?: (_firebreak_v1_TagGrant)[];
}

export interface HostTags__Output {
  'hostId': (string);
  'tags': ({[key: string]: string});
  'requested': ({[key: string]: string});
  'grants': (_firebreak_v1_TagGrant__Output)[];
}
