// Original file: proto/firebreak.proto


export interface ListHostsRequest {
}

export interface ListHostsRequest__Output {
}
