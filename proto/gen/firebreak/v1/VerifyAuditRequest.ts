// Original file: proto/firebreak.proto


export interface VerifyAuditRequest {
}

export interface VerifyAuditRequest__Output {
}
