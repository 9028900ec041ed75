// Original file: proto/firebreak.proto


export interface ListSilencesRequest {
}

export interface ListSilencesRequest__Output {
}
