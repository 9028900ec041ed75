// Original file: proto/firebreak.proto


export interface WhoAmIRequest {
}

export interface WhoAmIRequest__Output {
}
