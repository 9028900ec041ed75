// Original file: proto/firebreak.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { EnrollRequest as _firebreak_v1_EnrollRequest, EnrollRequest__Output as _firebreak_v1_EnrollRequest__Output } from '../../firebreak/v1/EnrollRequest';
import type { EnrollResponse as _firebreak_v1_EnrollResponse, EnrollResponse__Output as _firebreak_v1_EnrollResponse__Output } from '../../firebreak/v1/EnrollResponse';

export interface EnrollmentClient extends grpc.Client {
  Enroll(argument: _firebreak_v1_EnrollRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  Enroll(argument: _firebreak_v1_EnrollRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  Enroll(argument: _firebreak_v1_EnrollRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  Enroll(argument: _firebreak_v1_EnrollRequest, callback: grpc.requestCallback<_firebreak_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  enroll(argument: _firebreak_v1_EnrollRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  enroll(argument: _firebreak_v1_EnrollRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  enroll(argument: _firebreak_v1_EnrollRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  enroll(argument: _firebreak_v1_EnrollRequest, callback: grpc.requestCallback<_firebreak_v1_EnrollResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface EnrollmentHandlers extends grpc.UntypedServiceImplementation {
  Enroll: grpc.handleUnaryCall<_firebreak_v1_EnrollRequest__Output, _firebreak_v1_EnrollResponse>;
  
}

export interface EnrollmentDefinition extends grpc.ServiceDefinition {
  Enroll: MethodDefinition<_firebreak_v1_EnrollRequest, _firebreak_v1_EnrollResponse, _firebreak_v1_EnrollRequest__Output, _firebreak_v1_EnrollResponse__Output>
}
