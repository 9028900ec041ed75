// Original file: proto/firebreak.proto


export interface ListAgentsRequest {
}

export interface ListAgentsRequest__Output {
}
