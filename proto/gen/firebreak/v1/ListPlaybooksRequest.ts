// Original file: proto/firebreak.proto


export interface ListPlaybooksRequest {
}

export interface ListPlaybooksRequest__Output {
}
