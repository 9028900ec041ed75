// Original file: proto/firebreak.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AgentFrame as _firebreak_v1_AgentFrame, AgentFrame__Output as _firebreak_v1_AgentFrame__Output } from '../../firebreak/v1/AgentFrame';
import type { ControllerFrame as _firebreak_v1_ControllerFrame, ControllerFrame__Output as _firebreak_v1_ControllerFrame__Output } from '../../firebreak/v1/ControllerFrame';

export interface AgentLinkClient extends grpc.Client {
  Connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_firebreak_v1_AgentFrame, _firebreak_v1_ControllerFrame__Output>;
  Connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_firebreak_v1_AgentFrame, _firebreak_v1_ControllerFrame__Output>;
  connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_firebreak_v1_AgentFrame, _firebreak_v1_ControllerFrame__Output>;
  connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_firebreak_v1_AgentFrame, _firebreak_v1_ControllerFrame__Output>;
  
}

export interface AgentLinkHandlers extends grpc.UntypedServiceImplementation {
  Connect: grpc.handleBidiStreamingCall<_firebreak_v1_AgentFrame__Output, _firebreak_v1_ControllerFrame>;
  
}

export interface AgentLinkDefinition extends grpc.ServiceDefinition {
  Connect: MethodDefinition<_firebreak_v1_AgentFrame, _firebreak_v1_ControllerFrame, _firebreak_v1_AgentFrame__Output, _firebreak_v1_ControllerFrame__Output>
}
