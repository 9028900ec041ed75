// Original file: proto/firebreak.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CommandRef as _firebreak_v1_CommandRef, CommandRef__Output as _firebreak_v1_CommandRef__Output } from '../../firebreak/v1/CommandRef';
import type { CommandView as _firebreak_v1_CommandView, CommandView__Output as _firebreak_v1_CommandView__Output } from '../../firebreak/v1/CommandView';
import type { Host as _firebreak_v1_Host, Host__Output as _firebreak_v1_Host__Output } from '../../firebreak/v1/Host';
import type { HostRef as _firebreak_v1_HostRef, HostRef__Output as _firebreak_v1_HostRef__Output } from '../../firebreak/v1/HostRef';
import type { IssueCommandRequest as _firebreak_v1_IssueCommandRequest, IssueCommandRequest__Output as _firebreak_v1_IssueCommandRequest__Output } from '../../firebreak/v1/IssueCommandRequest';
import type { ListCommandsRequest as _firebreak_v1_ListCommandsRequest, ListCommandsRequest__Output as _firebreak_v1_ListCommandsRequest__Output } from '../../firebreak/v1/ListCommandsRequest';
import type { ListCommandsResponse as _firebreak_v1_ListCommandsResponse, ListCommandsResponse__Output as _firebreak_v1_ListCommandsResponse__Output } from '../../firebreak/v1/ListCommandsResponse';
import type { ListEventsRequest as _firebreak_v1_ListEventsRequest, ListEventsRequest__Output as _firebreak_v1_ListEventsRequest__Output } from '../../firebreak/v1/ListEventsRequest';
import type { ListEventsResponse as _firebreak_v1_ListEventsResponse, ListEventsResponse__Output as _firebreak_v1_ListEventsResponse__Output } from '../../firebreak/v1/ListEventsResponse';
import type { ListHostsRequest as _firebreak_v1_ListHostsRequest, ListHostsRequest__Output as _firebreak_v1_ListHostsRequest__Output } from '../../firebreak/v1/ListHostsRequest';
import type { ListHostsResponse as _firebreak_v1_ListHostsResponse, ListHostsResponse__Output as _firebreak_v1_ListHostsResponse__Output } from '../../firebreak/v1/ListHostsResponse';
import type { WaitCommandRequest as _firebreak_v1_WaitCommandRequest, WaitCommandRequest__Output as _firebreak_v1_WaitCommandRequest__Output } from '../../firebreak/v1/WaitCommandRequest';

export interface OperatorClient extends grpc.Client {
  GetCommand(argument: _firebreak_v1_CommandRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  GetCommand(argument: _firebreak_v1_CommandRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  GetCommand(argument: _firebreak_v1_CommandRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  GetCommand(argument: _firebreak_v1_CommandRef, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  getCommand(argument: _firebreak_v1_CommandRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  getCommand(argument: _firebreak_v1_CommandRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  getCommand(argument: _firebreak_v1_CommandRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  getCommand(argument: _firebreak_v1_CommandRef, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  
  GetHost(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_Host__Output>): grpc.ClientUnaryCall;
  GetHost(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_Host__Output>): grpc.ClientUnaryCall;
  GetHost(argument: _firebreak_v1_HostRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_Host__Output>): grpc.ClientUnaryCall;
  GetHost(argument: _firebreak_v1_HostRef, callback: grpc.requestCallback<_firebreak_v1_Host__Output>): grpc.ClientUnaryCall;
  getHost(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_Host__Output>): grpc.ClientUnaryCall;
  getHost(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_Host__Output>): grpc.ClientUnaryCall;
  getHost(argument: _firebreak_v1_HostRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_Host__Output>): grpc.ClientUnaryCall;
  getHost(argument: _firebreak_v1_HostRef, callback: grpc.requestCallback<_firebreak_v1_Host__Output>): grpc.ClientUnaryCall;
  
  IssueCommand(argument: _firebreak_v1_IssueCommandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  IssueCommand(argument: _firebreak_v1_IssueCommandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  IssueCommand(argument: _firebreak_v1_IssueCommandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  IssueCommand(argument: _firebreak_v1_IssueCommandRequest, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  issueCommand(argument: _firebreak_v1_IssueCommandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  issueCommand(argument: _firebreak_v1_IssueCommandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  issueCommand(argument: _firebreak_v1_IssueCommandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  issueCommand(argument: _firebreak_v1_IssueCommandRequest, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  
  ListCommands(argument: _firebreak_v1_ListCommandsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListCommandsResponse__Output>): grpc.ClientUnaryCall;
  ListCommands(argument: _firebreak_v1_ListCommandsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_ListCommandsResponse__Output>): grpc.ClientUnaryCall;
  ListCommands(argument: _firebreak_v1_ListCommandsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListCommandsResponse__Output>): grpc.ClientUnaryCall;
  ListCommands(argument: _firebreak_v1_ListCommandsRequest, callback: grpc.requestCallback<_firebreak_v1_ListCommandsResponse__Output>): grpc.ClientUnaryCall;
  listCommands(argument: _firebreak_v1_ListCommandsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListCommandsResponse__Output>): grpc.ClientUnaryCall;
  listCommands(argument: _firebreak_v1_ListCommandsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_ListCommandsResponse__Output>): grpc.ClientUnaryCall;
  listCommands(argument: _firebreak_v1_ListCommandsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListCommandsResponse__Output>): grpc.ClientUnaryCall;
  listCommands(argument: _firebreak_v1_ListCommandsRequest, callback: grpc.requestCallback<_firebreak_v1_ListCommandsResponse__Output>): grpc.ClientUnaryCall;
  
  ListEvents(argument: _firebreak_v1_ListEventsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListEventsResponse__Output>): grpc.ClientUnaryCall;
  ListEvents(argument: _firebreak_v1_ListEventsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_ListEventsResponse__Output>): grpc.ClientUnaryCall;
  ListEvents(argument: _firebreak_v1_ListEventsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListEventsResponse__Output>): grpc.ClientUnaryCall;
  ListEvents(argument: _firebreak_v1_ListEventsRequest, callback: grpc.requestCallback<_firebreak_v1_ListEventsResponse__Output>): grpc.ClientUnaryCall;
  listEvents(argument: _firebreak_v1_ListEventsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListEventsResponse__Output>): grpc.ClientUnaryCall;
  listEvents(argument: _firebreak_v1_ListEventsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_ListEventsResponse__Output>): grpc.ClientUnaryCall;
  listEvents(argument: _firebreak_v1_ListEventsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListEventsResponse__Output>): grpc.ClientUnaryCall;
  listEvents(argument: _firebreak_v1_ListEventsRequest, callback: grpc.requestCallback<_firebreak_v1_ListEventsResponse__Output>): grpc.ClientUnaryCall;
  
  ListHosts(argument: _firebreak_v1_ListHostsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListHostsResponse__Output>): grpc.ClientUnaryCall;
  ListHosts(argument: _firebreak_v1_ListHostsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_ListHostsResponse__Output>): grpc.ClientUnaryCall;
  ListHosts(argument: _firebreak_v1_ListHostsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListHostsResponse__Output>): grpc.ClientUnaryCall;
  ListHosts(argument: _firebreak_v1_ListHostsRequest, callback: grpc.requestCallback<_firebreak_v1_ListHostsResponse__Output>): grpc.ClientUnaryCall;
  listHosts(argument: _firebreak_v1_ListHostsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListHostsResponse__Output>): grpc.ClientUnaryCall;
  listHosts(argument: _firebreak_v1_ListHostsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_ListHostsResponse__Output>): grpc.ClientUnaryCall;
  listHosts(argument: _firebreak_v1_ListHostsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListHostsResponse__Output>): grpc.ClientUnaryCall;
  listHosts(argument: _firebreak_v1_ListHostsRequest, callback: grpc.requestCallback<_firebreak_v1_ListHostsResponse__Output>): grpc.ClientUnaryCall;
  
  WaitCommand(argument: _firebreak_v1_WaitCommandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  WaitCommand(argument: _firebreak_v1_WaitCommandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  WaitCommand(argument: _firebreak_v1_WaitCommandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  WaitCommand(argument: _firebreak_v1_WaitCommandRequest, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  waitCommand(argument: _firebreak_v1_WaitCommandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  waitCommand(argument: _firebreak_v1_WaitCommandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  waitCommand(argument: _firebreak_v1_WaitCommandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  waitCommand(argument: _firebreak_v1_WaitCommandRequest, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  
}

export interface OperatorHandlers extends grpc.UntypedServiceImplementation {
  GetCommand: grpc.handleUnaryCall<_firebreak_v1_CommandRef__Output, _firebreak_v1_CommandView>;
  
  GetHost: grpc.handleUnaryCall<_firebreak_v1_HostRef__Output, _firebreak_v1_Host>;
  
  IssueCommand: grpc.handleUnaryCall<_firebreak_v1_IssueCommandRequest__Output, _firebreak_v1_CommandView>;
  
  ListCommands: grpc.handleUnaryCall<_firebreak_v1_ListCommandsRequest__Output, _firebreak_v1_ListCommandsResponse>;
  
  ListEvents: grpc.handleUnaryCall<_firebreak_v1_ListEventsRequest__Output, _firebreak_v1_ListEventsResponse>;
  
  ListHosts: grpc.handleUnaryCall<_firebreak_v1_ListHostsRequest__Output, _firebreak_v1_ListHostsResponse>;
  
  WaitCommand: grpc.handleUnaryCall<_firebreak_v1_WaitCommandRequest__Output, _firebreak_v1_CommandView>;
  
}

export interface OperatorDefinition extends grpc.ServiceDefinition {
  GetCommand: MethodDefinition<_firebreak_v1_CommandRef, _firebreak_v1_CommandView, _firebreak_v1_CommandRef__Output, _firebreak_v1_CommandView__Output>
  GetHost: MethodDefinition<_firebreak_v1_HostRef, _firebreak_v1_Host, _firebreak_v1_HostRef__Output, _firebreak_v1_Host__Output>
  IssueCommand: MethodDefinition<_firebreak_v1_IssueCommandRequest, _firebreak_v1_CommandView, _firebreak_v1_IssueCommandRequest__Output, _firebreak_v1_CommandView__Output>
  ListCommands: MethodDefinition<_firebreak_v1_ListCommandsRequest, _firebreak_v1_ListCommandsResponse, _firebreak_v1_ListCommandsRequest__Output, _firebreak_v1_ListCommandsResponse__Output>
  ListEvents: MethodDefinition<_firebreak_v1_ListEventsRequest, _firebreak_v1_ListEventsResponse, _firebreak_v1_ListEventsRequest__Output, _firebreak_v1_ListEventsResponse__Output>
  ListHosts: MethodDefinition<_firebreak_v1_ListHostsRequest, _firebreak_v1_ListHostsResponse, _firebreak_v1_ListHostsRequest__Output, _firebreak_v1_ListHostsResponse__Output>
  WaitCommand: MethodDefinition<_firebreak_v1_WaitCommandRequest, _firebreak_v1_CommandView, _firebreak_v1_WaitCommandRequest__Output, _firebreak_v1_CommandView__Output>
}
