// Original file: proto/firebreak.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddOperatorRequest as _firebreak_v1_AddOperatorRequest, AddOperatorRequest__Output as _firebreak_v1_AddOperatorRequest__Output } from '../../firebreak/v1/AddOperatorRequest';
import type { AddOperatorResponse as _firebreak_v1_AddOperatorResponse, AddOperatorResponse__Output as _firebreak_v1_AddOperatorResponse__Output } from '../../firebreak/v1/AddOperatorResponse';
import type { AgentRecord as _firebreak_v1_AgentRecord, AgentRecord__Output as _firebreak_v1_AgentRecord__Output } from '../../firebreak/v1/AgentRecord';
import type { CommandRef as _firebreak_v1_CommandRef, CommandRef__Output as _firebreak_v1_CommandRef__Output } from '../../firebreak/v1/CommandRef';
import type { CommandView as _firebreak_v1_CommandView, CommandView__Output as _firebreak_v1_CommandView__Output } from '../../firebreak/v1/CommandView';
import type { CreateEnrollmentTokenRequest as _firebreak_v1_CreateEnrollmentTokenRequest, CreateEnrollmentTokenRequest__Output as _firebreak_v1_CreateEnrollmentTokenRequest__Output } from '../../firebreak/v1/CreateEnrollmentTokenRequest';
import type { CreateEnrollmentTokenResponse as _firebreak_v1_CreateEnrollmentTokenResponse, CreateEnrollmentTokenResponse__Output as _firebreak_v1_CreateEnrollmentTokenResponse__Output } from '../../firebreak/v1/CreateEnrollmentTokenResponse';
import type { Host as _firebreak_v1_Host, Host__Output as _firebreak_v1_Host__Output } from '../../firebreak/v1/Host';
import type { HostRef as _firebreak_v1_HostRef, HostRef__Output as _firebreak_v1_HostRef__Output } from '../../firebreak/v1/HostRef';
import type { IssueCommandRequest as _firebreak_v1_IssueCommandRequest, IssueCommandRequest__Output as _firebreak_v1_IssueCommandRequest__Output } from '../../firebreak/v1/IssueCommandRequest';
import type { ListAgentsRequest as _firebreak_v1_ListAgentsRequest, ListAgentsRequest__Output as _firebreak_v1_ListAgentsRequest__Output } from '../../firebreak/v1/ListAgentsRequest';
import type { ListAgentsResponse as _firebreak_v1_ListAgentsResponse, ListAgentsResponse__Output as _firebreak_v1_ListAgentsResponse__Output } from '../../firebreak/v1/ListAgentsResponse';
import type { ListAuditRequest as _firebreak_v1_ListAuditRequest, ListAuditRequest__Output as _firebreak_v1_ListAuditRequest__Output } from '../../firebreak/v1/ListAuditRequest';
import type { ListAuditResponse as _firebreak_v1_ListAuditResponse, ListAuditResponse__Output as _firebreak_v1_ListAuditResponse__Output } from '../../firebreak/v1/ListAuditResponse';
import type { ListCommandsRequest as _firebreak_v1_ListCommandsRequest, ListCommandsRequest__Output as _firebreak_v1_ListCommandsRequest__Output } from '../../firebreak/v1/ListCommandsRequest';
import type { ListCommandsResponse as _firebreak_v1_ListCommandsResponse, ListCommandsResponse__Output as _firebreak_v1_ListCommandsResponse__Output } from '../../firebreak/v1/ListCommandsResponse';
import type { ListEventsRequest as _firebreak_v1_ListEventsRequest, ListEventsRequest__Output as _firebreak_v1_ListEventsRequest__Output } from '../../firebreak/v1/ListEventsRequest';
import type { ListEventsResponse as _firebreak_v1_ListEventsResponse, ListEventsResponse__Output as _firebreak_v1_ListEventsResponse__Output } from '../../firebreak/v1/ListEventsResponse';
import type { ListHostsRequest as _firebreak_v1_ListHostsRequest, ListHostsRequest__Output as _firebreak_v1_ListHostsRequest__Output } from '../../firebreak/v1/ListHostsRequest';
import type { ListHostsResponse as _firebreak_v1_ListHostsResponse, ListHostsResponse__Output as _firebreak_v1_ListHostsResponse__Output } from '../../firebreak/v1/ListHostsResponse';
import type { VerifyAuditRequest as _firebreak_v1_VerifyAuditRequest, VerifyAuditRequest__Output as _firebreak_v1_VerifyAuditRequest__Output } from '../../firebreak/v1/VerifyAuditRequest';
import type { VerifyAuditResponse as _firebreak_v1_VerifyAuditResponse, VerifyAuditResponse__Output as _firebreak_v1_VerifyAuditResponse__Output } from '../../firebreak/v1/VerifyAuditResponse';
import type { WaitCommandRequest as _firebreak_v1_WaitCommandRequest, WaitCommandRequest__Output as _firebreak_v1_WaitCommandRequest__Output } from '../../firebreak/v1/WaitCommandRequest';
import type { WhoAmIRequest as _firebreak_v1_WhoAmIRequest, WhoAmIRequest__Output as _firebreak_v1_WhoAmIRequest__Output } from '../../firebreak/v1/WhoAmIRequest';
import type { WhoAmIResponse as _firebreak_v1_WhoAmIResponse, WhoAmIResponse__Output as _firebreak_v1_WhoAmIResponse__Output } from '../../firebreak/v1/WhoAmIResponse';

export interface OperatorClient extends grpc.Client {
  AddOperator(argument: _firebreak_v1_AddOperatorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  AddOperator(argument: _firebreak_v1_AddOperatorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  AddOperator(argument: _firebreak_v1_AddOperatorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  AddOperator(argument: _firebreak_v1_AddOperatorRequest, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  addOperator(argument: _firebreak_v1_AddOperatorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  addOperator(argument: _firebreak_v1_AddOperatorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  addOperator(argument: _firebreak_v1_AddOperatorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  addOperator(argument: _firebreak_v1_AddOperatorRequest, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  
  AllowReenroll(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  AllowReenroll(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  AllowReenroll(argument: _firebreak_v1_HostRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  AllowReenroll(argument: _firebreak_v1_HostRef, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  allowReenroll(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  allowReenroll(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  allowReenroll(argument: _firebreak_v1_HostRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  allowReenroll(argument: _firebreak_v1_HostRef, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  
  CreateEnrollmentToken(argument: _firebreak_v1_CreateEnrollmentTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CreateEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateEnrollmentToken(argument: _firebreak_v1_CreateEnrollmentTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_CreateEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateEnrollmentToken(argument: _firebreak_v1_CreateEnrollmentTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CreateEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateEnrollmentToken(argument: _firebreak_v1_CreateEnrollmentTokenRequest, callback: grpc.requestCallback<_firebreak_v1_CreateEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  createEnrollmentToken(argument: _firebreak_v1_CreateEnrollmentTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CreateEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  createEnrollmentToken(argument: _firebreak_v1_CreateEnrollmentTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_CreateEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  createEnrollmentToken(argument: _firebreak_v1_CreateEnrollmentTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CreateEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  createEnrollmentToken(argument: _firebreak_v1_CreateEnrollmentTokenRequest, callback: grpc.requestCallback<_firebreak_v1_CreateEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  
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
  
  ListAgents(argument: _firebreak_v1_ListAgentsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  ListAgents(argument: _firebreak_v1_ListAgentsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  ListAgents(argument: _firebreak_v1_ListAgentsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  ListAgents(argument: _firebreak_v1_ListAgentsRequest, callback: grpc.requestCallback<_firebreak_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  listAgents(argument: _firebreak_v1_ListAgentsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  listAgents(argument: _firebreak_v1_ListAgentsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  listAgents(argument: _firebreak_v1_ListAgentsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  listAgents(argument: _firebreak_v1_ListAgentsRequest, callback: grpc.requestCallback<_firebreak_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  
  ListAudit(argument: _firebreak_v1_ListAuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  ListAudit(argument: _firebreak_v1_ListAuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  ListAudit(argument: _firebreak_v1_ListAuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  ListAudit(argument: _firebreak_v1_ListAuditRequest, callback: grpc.requestCallback<_firebreak_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _firebreak_v1_ListAuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _firebreak_v1_ListAuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _firebreak_v1_ListAuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  listAudit(argument: _firebreak_v1_ListAuditRequest, callback: grpc.requestCallback<_firebreak_v1_ListAuditResponse__Output>): grpc.ClientUnaryCall;
  
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
  
  RevokeAgent(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  RevokeAgent(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  RevokeAgent(argument: _firebreak_v1_HostRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  RevokeAgent(argument: _firebreak_v1_HostRef, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  revokeAgent(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  revokeAgent(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  revokeAgent(argument: _firebreak_v1_HostRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  revokeAgent(argument: _firebreak_v1_HostRef, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  
  VerifyAudit(argument: _firebreak_v1_VerifyAuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_VerifyAuditResponse__Output>): grpc.ClientUnaryCall;
  VerifyAudit(argument: _firebreak_v1_VerifyAuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_VerifyAuditResponse__Output>): grpc.ClientUnaryCall;
  VerifyAudit(argument: _firebreak_v1_VerifyAuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_VerifyAuditResponse__Output>): grpc.ClientUnaryCall;
  VerifyAudit(argument: _firebreak_v1_VerifyAuditRequest, callback: grpc.requestCallback<_firebreak_v1_VerifyAuditResponse__Output>): grpc.ClientUnaryCall;
  verifyAudit(argument: _firebreak_v1_VerifyAuditRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_VerifyAuditResponse__Output>): grpc.ClientUnaryCall;
  verifyAudit(argument: _firebreak_v1_VerifyAuditRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_VerifyAuditResponse__Output>): grpc.ClientUnaryCall;
  verifyAudit(argument: _firebreak_v1_VerifyAuditRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_VerifyAuditResponse__Output>): grpc.ClientUnaryCall;
  verifyAudit(argument: _firebreak_v1_VerifyAuditRequest, callback: grpc.requestCallback<_firebreak_v1_VerifyAuditResponse__Output>): grpc.ClientUnaryCall;
  
  WaitCommand(argument: _firebreak_v1_WaitCommandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  WaitCommand(argument: _firebreak_v1_WaitCommandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  WaitCommand(argument: _firebreak_v1_WaitCommandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  WaitCommand(argument: _firebreak_v1_WaitCommandRequest, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  waitCommand(argument: _firebreak_v1_WaitCommandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  waitCommand(argument: _firebreak_v1_WaitCommandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  waitCommand(argument: _firebreak_v1_WaitCommandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  waitCommand(argument: _firebreak_v1_WaitCommandRequest, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  
  WhoAmI(argument: _firebreak_v1_WhoAmIRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_WhoAmIResponse__Output>): grpc.ClientUnaryCall;
  WhoAmI(argument: _firebreak_v1_WhoAmIRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_WhoAmIResponse__Output>): grpc.ClientUnaryCall;
  WhoAmI(argument: _firebreak_v1_WhoAmIRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_WhoAmIResponse__Output>): grpc.ClientUnaryCall;
  WhoAmI(argument: _firebreak_v1_WhoAmIRequest, callback: grpc.requestCallback<_firebreak_v1_WhoAmIResponse__Output>): grpc.ClientUnaryCall;
  whoAmI(argument: _firebreak_v1_WhoAmIRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_WhoAmIResponse__Output>): grpc.ClientUnaryCall;
  whoAmI(argument: _firebreak_v1_WhoAmIRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_WhoAmIResponse__Output>): grpc.ClientUnaryCall;
  whoAmI(argument: _firebreak_v1_WhoAmIRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_WhoAmIResponse__Output>): grpc.ClientUnaryCall;
  whoAmI(argument: _firebreak_v1_WhoAmIRequest, callback: grpc.requestCallback<_firebreak_v1_WhoAmIResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface OperatorHandlers extends grpc.UntypedServiceImplementation {
  AddOperator: grpc.handleUnaryCall<_firebreak_v1_AddOperatorRequest__Output, _firebreak_v1_AddOperatorResponse>;
  
  AllowReenroll: grpc.handleUnaryCall<_firebreak_v1_HostRef__Output, _firebreak_v1_AgentRecord>;
  
  CreateEnrollmentToken: grpc.handleUnaryCall<_firebreak_v1_CreateEnrollmentTokenRequest__Output, _firebreak_v1_CreateEnrollmentTokenResponse>;
  
  GetCommand: grpc.handleUnaryCall<_firebreak_v1_CommandRef__Output, _firebreak_v1_CommandView>;
  
  GetHost: grpc.handleUnaryCall<_firebreak_v1_HostRef__Output, _firebreak_v1_Host>;
  
  IssueCommand: grpc.handleUnaryCall<_firebreak_v1_IssueCommandRequest__Output, _firebreak_v1_CommandView>;
  
  ListAgents: grpc.handleUnaryCall<_firebreak_v1_ListAgentsRequest__Output, _firebreak_v1_ListAgentsResponse>;
  
  ListAudit: grpc.handleUnaryCall<_firebreak_v1_ListAuditRequest__Output, _firebreak_v1_ListAuditResponse>;
  
  ListCommands: grpc.handleUnaryCall<_firebreak_v1_ListCommandsRequest__Output, _firebreak_v1_ListCommandsResponse>;
  
  ListEvents: grpc.handleUnaryCall<_firebreak_v1_ListEventsRequest__Output, _firebreak_v1_ListEventsResponse>;
  
  ListHosts: grpc.handleUnaryCall<_firebreak_v1_ListHostsRequest__Output, _firebreak_v1_ListHostsResponse>;
  
  RevokeAgent: grpc.handleUnaryCall<_firebreak_v1_HostRef__Output, _firebreak_v1_AgentRecord>;
  
  VerifyAudit: grpc.handleUnaryCall<_firebreak_v1_VerifyAuditRequest__Output, _firebreak_v1_VerifyAuditResponse>;
  
  WaitCommand: grpc.handleUnaryCall<_firebreak_v1_WaitCommandRequest__Output, _firebreak_v1_CommandView>;
  
  WhoAmI: grpc.handleUnaryCall<_firebreak_v1_WhoAmIRequest__Output, _firebreak_v1_WhoAmIResponse>;
  
}

export interface OperatorDefinition extends grpc.ServiceDefinition {
  AddOperator: MethodDefinition<_firebreak_v1_AddOperatorRequest, _firebreak_v1_AddOperatorResponse, _firebreak_v1_AddOperatorRequest__Output, _firebreak_v1_AddOperatorResponse__Output>
  AllowReenroll: MethodDefinition<_firebreak_v1_HostRef, _firebreak_v1_AgentRecord, _firebreak_v1_HostRef__Output, _firebreak_v1_AgentRecord__Output>
  CreateEnrollmentToken: MethodDefinition<_firebreak_v1_CreateEnrollmentTokenRequest, _firebreak_v1_CreateEnrollmentTokenResponse, _firebreak_v1_CreateEnrollmentTokenRequest__Output, _firebreak_v1_CreateEnrollmentTokenResponse__Output>
  GetCommand: MethodDefinition<_firebreak_v1_CommandRef, _firebreak_v1_CommandView, _firebreak_v1_CommandRef__Output, _firebreak_v1_CommandView__Output>
  GetHost: MethodDefinition<_firebreak_v1_HostRef, _firebreak_v1_Host, _firebreak_v1_HostRef__Output, _firebreak_v1_Host__Output>
  IssueCommand: MethodDefinition<_firebreak_v1_IssueCommandRequest, _firebreak_v1_CommandView, _firebreak_v1_IssueCommandRequest__Output, _firebreak_v1_CommandView__Output>
  ListAgents: MethodDefinition<_firebreak_v1_ListAgentsRequest, _firebreak_v1_ListAgentsResponse, _firebreak_v1_ListAgentsRequest__Output, _firebreak_v1_ListAgentsResponse__Output>
  ListAudit: MethodDefinition<_firebreak_v1_ListAuditRequest, _firebreak_v1_ListAuditResponse, _firebreak_v1_ListAuditRequest__Output, _firebreak_v1_ListAuditResponse__Output>
  ListCommands: MethodDefinition<_firebreak_v1_ListCommandsRequest, _firebreak_v1_ListCommandsResponse, _firebreak_v1_ListCommandsRequest__Output, _firebreak_v1_ListCommandsResponse__Output>
  ListEvents: MethodDefinition<_firebreak_v1_ListEventsRequest, _firebreak_v1_ListEventsResponse, _firebreak_v1_ListEventsRequest__Output, _firebreak_v1_ListEventsResponse__Output>
  ListHosts: MethodDefinition<_firebreak_v1_ListHostsRequest, _firebreak_v1_ListHostsResponse, _firebreak_v1_ListHostsRequest__Output, _firebreak_v1_ListHostsResponse__Output>
  RevokeAgent: MethodDefinition<_firebreak_v1_HostRef, _firebreak_v1_AgentRecord, _firebreak_v1_HostRef__Output, _firebreak_v1_AgentRecord__Output>
  VerifyAudit: MethodDefinition<_firebreak_v1_VerifyAuditRequest, _firebreak_v1_VerifyAuditResponse, _firebreak_v1_VerifyAuditRequest__Output, _firebreak_v1_VerifyAuditResponse__Output>
  WaitCommand: MethodDefinition<_firebreak_v1_WaitCommandRequest, _firebreak_v1_CommandView, _firebreak_v1_WaitCommandRequest__Output, _firebreak_v1_CommandView__Output>
  WhoAmI: MethodDefinition<_firebreak_v1_WhoAmIRequest, _firebreak_v1_WhoAmIResponse, _firebreak_v1_WhoAmIRequest__Output, _firebreak_v1_WhoAmIResponse__Output>
}
