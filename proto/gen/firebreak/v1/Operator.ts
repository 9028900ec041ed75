// Original file: proto/firebreak.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddOperatorRequest as _firebreak_v1_AddOperatorRequest, AddOperatorRequest__Output as _firebreak_v1_AddOperatorRequest__Output } from '../../firebreak/v1/AddOperatorRequest';
import type { AddOperatorResponse as _firebreak_v1_AddOperatorResponse, AddOperatorResponse__Output as _firebreak_v1_AddOperatorResponse__Output } from '../../firebreak/v1/AddOperatorResponse';
import type { AddSilenceRequest as _firebreak_v1_AddSilenceRequest, AddSilenceRequest__Output as _firebreak_v1_AddSilenceRequest__Output } from '../../firebreak/v1/AddSilenceRequest';
import type { AgentRecord as _firebreak_v1_AgentRecord, AgentRecord__Output as _firebreak_v1_AgentRecord__Output } from '../../firebreak/v1/AgentRecord';
import type { AlertRef as _firebreak_v1_AlertRef, AlertRef__Output as _firebreak_v1_AlertRef__Output } from '../../firebreak/v1/AlertRef';
import type { ApproveHostTagsRequest as _firebreak_v1_ApproveHostTagsRequest, ApproveHostTagsRequest__Output as _firebreak_v1_ApproveHostTagsRequest__Output } from '../../firebreak/v1/ApproveHostTagsRequest';
import type { CommandRef as _firebreak_v1_CommandRef, CommandRef__Output as _firebreak_v1_CommandRef__Output } from '../../firebreak/v1/CommandRef';
import type { CommandView as _firebreak_v1_CommandView, CommandView__Output as _firebreak_v1_CommandView__Output } from '../../firebreak/v1/CommandView';
import type { ContainAlertRequest as _firebreak_v1_ContainAlertRequest, ContainAlertRequest__Output as _firebreak_v1_ContainAlertRequest__Output } from '../../firebreak/v1/ContainAlertRequest';
import type { ContainResponse as _firebreak_v1_ContainResponse, ContainResponse__Output as _firebreak_v1_ContainResponse__Output } from '../../firebreak/v1/ContainResponse';
import type { CreateEnrollmentTokenRequest as _firebreak_v1_CreateEnrollmentTokenRequest, CreateEnrollmentTokenRequest__Output as _firebreak_v1_CreateEnrollmentTokenRequest__Output } from '../../firebreak/v1/CreateEnrollmentTokenRequest';
import type { CreateEnrollmentTokenResponse as _firebreak_v1_CreateEnrollmentTokenResponse, CreateEnrollmentTokenResponse__Output as _firebreak_v1_CreateEnrollmentTokenResponse__Output } from '../../firebreak/v1/CreateEnrollmentTokenResponse';
import type { EnrollmentTokenRef as _firebreak_v1_EnrollmentTokenRef, EnrollmentTokenRef__Output as _firebreak_v1_EnrollmentTokenRef__Output } from '../../firebreak/v1/EnrollmentTokenRef';
import type { FleetCommandRequest as _firebreak_v1_FleetCommandRequest, FleetCommandRequest__Output as _firebreak_v1_FleetCommandRequest__Output } from '../../firebreak/v1/FleetCommandRequest';
import type { FleetIssueResponse as _firebreak_v1_FleetIssueResponse, FleetIssueResponse__Output as _firebreak_v1_FleetIssueResponse__Output } from '../../firebreak/v1/FleetIssueResponse';
import type { FleetPlan as _firebreak_v1_FleetPlan, FleetPlan__Output as _firebreak_v1_FleetPlan__Output } from '../../firebreak/v1/FleetPlan';
import type { Host as _firebreak_v1_Host, Host__Output as _firebreak_v1_Host__Output } from '../../firebreak/v1/Host';
import type { HostRef as _firebreak_v1_HostRef, HostRef__Output as _firebreak_v1_HostRef__Output } from '../../firebreak/v1/HostRef';
import type { HostTags as _firebreak_v1_HostTags, HostTags__Output as _firebreak_v1_HostTags__Output } from '../../firebreak/v1/HostTags';
import type { IssueCommandRequest as _firebreak_v1_IssueCommandRequest, IssueCommandRequest__Output as _firebreak_v1_IssueCommandRequest__Output } from '../../firebreak/v1/IssueCommandRequest';
import type { JsonDoc as _firebreak_v1_JsonDoc, JsonDoc__Output as _firebreak_v1_JsonDoc__Output } from '../../firebreak/v1/JsonDoc';
import type { JsonList as _firebreak_v1_JsonList, JsonList__Output as _firebreak_v1_JsonList__Output } from '../../firebreak/v1/JsonList';
import type { ListAgentsRequest as _firebreak_v1_ListAgentsRequest, ListAgentsRequest__Output as _firebreak_v1_ListAgentsRequest__Output } from '../../firebreak/v1/ListAgentsRequest';
import type { ListAgentsResponse as _firebreak_v1_ListAgentsResponse, ListAgentsResponse__Output as _firebreak_v1_ListAgentsResponse__Output } from '../../firebreak/v1/ListAgentsResponse';
import type { ListAlertsRequest as _firebreak_v1_ListAlertsRequest, ListAlertsRequest__Output as _firebreak_v1_ListAlertsRequest__Output } from '../../firebreak/v1/ListAlertsRequest';
import type { ListAuditRequest as _firebreak_v1_ListAuditRequest, ListAuditRequest__Output as _firebreak_v1_ListAuditRequest__Output } from '../../firebreak/v1/ListAuditRequest';
import type { ListAuditResponse as _firebreak_v1_ListAuditResponse, ListAuditResponse__Output as _firebreak_v1_ListAuditResponse__Output } from '../../firebreak/v1/ListAuditResponse';
import type { ListCommandsRequest as _firebreak_v1_ListCommandsRequest, ListCommandsRequest__Output as _firebreak_v1_ListCommandsRequest__Output } from '../../firebreak/v1/ListCommandsRequest';
import type { ListCommandsResponse as _firebreak_v1_ListCommandsResponse, ListCommandsResponse__Output as _firebreak_v1_ListCommandsResponse__Output } from '../../firebreak/v1/ListCommandsResponse';
import type { ListEventsRequest as _firebreak_v1_ListEventsRequest, ListEventsRequest__Output as _firebreak_v1_ListEventsRequest__Output } from '../../firebreak/v1/ListEventsRequest';
import type { ListEventsResponse as _firebreak_v1_ListEventsResponse, ListEventsResponse__Output as _firebreak_v1_ListEventsResponse__Output } from '../../firebreak/v1/ListEventsResponse';
import type { ListHostsRequest as _firebreak_v1_ListHostsRequest, ListHostsRequest__Output as _firebreak_v1_ListHostsRequest__Output } from '../../firebreak/v1/ListHostsRequest';
import type { ListHostsResponse as _firebreak_v1_ListHostsResponse, ListHostsResponse__Output as _firebreak_v1_ListHostsResponse__Output } from '../../firebreak/v1/ListHostsResponse';
import type { ListPlaybooksRequest as _firebreak_v1_ListPlaybooksRequest, ListPlaybooksRequest__Output as _firebreak_v1_ListPlaybooksRequest__Output } from '../../firebreak/v1/ListPlaybooksRequest';
import type { ListRunsRequest as _firebreak_v1_ListRunsRequest, ListRunsRequest__Output as _firebreak_v1_ListRunsRequest__Output } from '../../firebreak/v1/ListRunsRequest';
import type { ListSilencesRequest as _firebreak_v1_ListSilencesRequest, ListSilencesRequest__Output as _firebreak_v1_ListSilencesRequest__Output } from '../../firebreak/v1/ListSilencesRequest';
import type { OperatorRef as _firebreak_v1_OperatorRef, OperatorRef__Output as _firebreak_v1_OperatorRef__Output } from '../../firebreak/v1/OperatorRef';
import type { RevokeEnrollmentTokenResponse as _firebreak_v1_RevokeEnrollmentTokenResponse, RevokeEnrollmentTokenResponse__Output as _firebreak_v1_RevokeEnrollmentTokenResponse__Output } from '../../firebreak/v1/RevokeEnrollmentTokenResponse';
import type { RunRef as _firebreak_v1_RunRef, RunRef__Output as _firebreak_v1_RunRef__Output } from '../../firebreak/v1/RunRef';
import type { SetHostTagsRequest as _firebreak_v1_SetHostTagsRequest, SetHostTagsRequest__Output as _firebreak_v1_SetHostTagsRequest__Output } from '../../firebreak/v1/SetHostTagsRequest';
import type { SetPlaybookEnabledRequest as _firebreak_v1_SetPlaybookEnabledRequest, SetPlaybookEnabledRequest__Output as _firebreak_v1_SetPlaybookEnabledRequest__Output } from '../../firebreak/v1/SetPlaybookEnabledRequest';
import type { SilenceRef as _firebreak_v1_SilenceRef, SilenceRef__Output as _firebreak_v1_SilenceRef__Output } from '../../firebreak/v1/SilenceRef';
import type { ValidatePlaybookRequest as _firebreak_v1_ValidatePlaybookRequest, ValidatePlaybookRequest__Output as _firebreak_v1_ValidatePlaybookRequest__Output } from '../../firebreak/v1/ValidatePlaybookRequest';
import type { VerifyAuditRequest as _firebreak_v1_VerifyAuditRequest, VerifyAuditRequest__Output as _firebreak_v1_VerifyAuditRequest__Output } from '../../firebreak/v1/VerifyAuditRequest';
import type { VerifyAuditResponse as _firebreak_v1_VerifyAuditResponse, VerifyAuditResponse__Output as _firebreak_v1_VerifyAuditResponse__Output } from '../../firebreak/v1/VerifyAuditResponse';
import type { WaitCommandRequest as _firebreak_v1_WaitCommandRequest, WaitCommandRequest__Output as _firebreak_v1_WaitCommandRequest__Output } from '../../firebreak/v1/WaitCommandRequest';
import type { WhoAmIRequest as _firebreak_v1_WhoAmIRequest, WhoAmIRequest__Output as _firebreak_v1_WhoAmIRequest__Output } from '../../firebreak/v1/WhoAmIRequest';
import type { WhoAmIResponse as _firebreak_v1_WhoAmIResponse, WhoAmIResponse__Output as _firebreak_v1_WhoAmIResponse__Output } from '../../firebreak/v1/WhoAmIResponse';

export interface OperatorClient extends grpc.Client {
  AckAlert(argument: _firebreak_v1_AlertRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  AckAlert(argument: _firebreak_v1_AlertRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  AckAlert(argument: _firebreak_v1_AlertRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  AckAlert(argument: _firebreak_v1_AlertRef, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  ackAlert(argument: _firebreak_v1_AlertRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  ackAlert(argument: _firebreak_v1_AlertRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  ackAlert(argument: _firebreak_v1_AlertRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  ackAlert(argument: _firebreak_v1_AlertRef, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  
  AddOperator(argument: _firebreak_v1_AddOperatorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  AddOperator(argument: _firebreak_v1_AddOperatorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  AddOperator(argument: _firebreak_v1_AddOperatorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  AddOperator(argument: _firebreak_v1_AddOperatorRequest, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  addOperator(argument: _firebreak_v1_AddOperatorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  addOperator(argument: _firebreak_v1_AddOperatorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  addOperator(argument: _firebreak_v1_AddOperatorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  addOperator(argument: _firebreak_v1_AddOperatorRequest, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  
  AddSilence(argument: _firebreak_v1_AddSilenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  AddSilence(argument: _firebreak_v1_AddSilenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  AddSilence(argument: _firebreak_v1_AddSilenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  AddSilence(argument: _firebreak_v1_AddSilenceRequest, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  addSilence(argument: _firebreak_v1_AddSilenceRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  addSilence(argument: _firebreak_v1_AddSilenceRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  addSilence(argument: _firebreak_v1_AddSilenceRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  addSilence(argument: _firebreak_v1_AddSilenceRequest, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  
  AllowReenroll(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  AllowReenroll(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  AllowReenroll(argument: _firebreak_v1_HostRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  AllowReenroll(argument: _firebreak_v1_HostRef, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  allowReenroll(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  allowReenroll(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  allowReenroll(argument: _firebreak_v1_HostRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  allowReenroll(argument: _firebreak_v1_HostRef, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  
  ApproveHostTags(argument: _firebreak_v1_ApproveHostTagsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_HostTags__Output>): grpc.ClientUnaryCall;
  ApproveHostTags(argument: _firebreak_v1_ApproveHostTagsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_HostTags__Output>): grpc.ClientUnaryCall;
  ApproveHostTags(argument: _firebreak_v1_ApproveHostTagsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_HostTags__Output>): grpc.ClientUnaryCall;
  ApproveHostTags(argument: _firebreak_v1_ApproveHostTagsRequest, callback: grpc.requestCallback<_firebreak_v1_HostTags__Output>): grpc.ClientUnaryCall;
  approveHostTags(argument: _firebreak_v1_ApproveHostTagsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_HostTags__Output>): grpc.ClientUnaryCall;
  approveHostTags(argument: _firebreak_v1_ApproveHostTagsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_HostTags__Output>): grpc.ClientUnaryCall;
  approveHostTags(argument: _firebreak_v1_ApproveHostTagsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_HostTags__Output>): grpc.ClientUnaryCall;
  approveHostTags(argument: _firebreak_v1_ApproveHostTagsRequest, callback: grpc.requestCallback<_firebreak_v1_HostTags__Output>): grpc.ClientUnaryCall;
  
  ApproveRun(argument: _firebreak_v1_RunRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  ApproveRun(argument: _firebreak_v1_RunRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  ApproveRun(argument: _firebreak_v1_RunRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  ApproveRun(argument: _firebreak_v1_RunRef, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  approveRun(argument: _firebreak_v1_RunRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  approveRun(argument: _firebreak_v1_RunRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  approveRun(argument: _firebreak_v1_RunRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  approveRun(argument: _firebreak_v1_RunRef, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  
  ContainAlert(argument: _firebreak_v1_ContainAlertRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ContainResponse__Output>): grpc.ClientUnaryCall;
  ContainAlert(argument: _firebreak_v1_ContainAlertRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_ContainResponse__Output>): grpc.ClientUnaryCall;
  ContainAlert(argument: _firebreak_v1_ContainAlertRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ContainResponse__Output>): grpc.ClientUnaryCall;
  ContainAlert(argument: _firebreak_v1_ContainAlertRequest, callback: grpc.requestCallback<_firebreak_v1_ContainResponse__Output>): grpc.ClientUnaryCall;
  containAlert(argument: _firebreak_v1_ContainAlertRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ContainResponse__Output>): grpc.ClientUnaryCall;
  containAlert(argument: _firebreak_v1_ContainAlertRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_ContainResponse__Output>): grpc.ClientUnaryCall;
  containAlert(argument: _firebreak_v1_ContainAlertRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ContainResponse__Output>): grpc.ClientUnaryCall;
  containAlert(argument: _firebreak_v1_ContainAlertRequest, callback: grpc.requestCallback<_firebreak_v1_ContainResponse__Output>): grpc.ClientUnaryCall;
  
  CreateEnrollmentToken(argument: _firebreak_v1_CreateEnrollmentTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CreateEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateEnrollmentToken(argument: _firebreak_v1_CreateEnrollmentTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_CreateEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateEnrollmentToken(argument: _firebreak_v1_CreateEnrollmentTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CreateEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  CreateEnrollmentToken(argument: _firebreak_v1_CreateEnrollmentTokenRequest, callback: grpc.requestCallback<_firebreak_v1_CreateEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  createEnrollmentToken(argument: _firebreak_v1_CreateEnrollmentTokenRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CreateEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  createEnrollmentToken(argument: _firebreak_v1_CreateEnrollmentTokenRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_CreateEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  createEnrollmentToken(argument: _firebreak_v1_CreateEnrollmentTokenRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CreateEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  createEnrollmentToken(argument: _firebreak_v1_CreateEnrollmentTokenRequest, callback: grpc.requestCallback<_firebreak_v1_CreateEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  
  ExpireSilence(argument: _firebreak_v1_SilenceRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  ExpireSilence(argument: _firebreak_v1_SilenceRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  ExpireSilence(argument: _firebreak_v1_SilenceRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  ExpireSilence(argument: _firebreak_v1_SilenceRef, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  expireSilence(argument: _firebreak_v1_SilenceRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  expireSilence(argument: _firebreak_v1_SilenceRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  expireSilence(argument: _firebreak_v1_SilenceRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  expireSilence(argument: _firebreak_v1_SilenceRef, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  
  GetAlert(argument: _firebreak_v1_AlertRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  GetAlert(argument: _firebreak_v1_AlertRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  GetAlert(argument: _firebreak_v1_AlertRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  GetAlert(argument: _firebreak_v1_AlertRef, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  getAlert(argument: _firebreak_v1_AlertRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  getAlert(argument: _firebreak_v1_AlertRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  getAlert(argument: _firebreak_v1_AlertRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  getAlert(argument: _firebreak_v1_AlertRef, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  
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
  
  GetRun(argument: _firebreak_v1_RunRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  GetRun(argument: _firebreak_v1_RunRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  GetRun(argument: _firebreak_v1_RunRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  GetRun(argument: _firebreak_v1_RunRef, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  getRun(argument: _firebreak_v1_RunRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  getRun(argument: _firebreak_v1_RunRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  getRun(argument: _firebreak_v1_RunRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  getRun(argument: _firebreak_v1_RunRef, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  
  IssueCommand(argument: _firebreak_v1_IssueCommandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  IssueCommand(argument: _firebreak_v1_IssueCommandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  IssueCommand(argument: _firebreak_v1_IssueCommandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  IssueCommand(argument: _firebreak_v1_IssueCommandRequest, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  issueCommand(argument: _firebreak_v1_IssueCommandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  issueCommand(argument: _firebreak_v1_IssueCommandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  issueCommand(argument: _firebreak_v1_IssueCommandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  issueCommand(argument: _firebreak_v1_IssueCommandRequest, callback: grpc.requestCallback<_firebreak_v1_CommandView__Output>): grpc.ClientUnaryCall;
  
  IssueFleetCommand(argument: _firebreak_v1_FleetCommandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_FleetIssueResponse__Output>): grpc.ClientUnaryCall;
  IssueFleetCommand(argument: _firebreak_v1_FleetCommandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_FleetIssueResponse__Output>): grpc.ClientUnaryCall;
  IssueFleetCommand(argument: _firebreak_v1_FleetCommandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_FleetIssueResponse__Output>): grpc.ClientUnaryCall;
  IssueFleetCommand(argument: _firebreak_v1_FleetCommandRequest, callback: grpc.requestCallback<_firebreak_v1_FleetIssueResponse__Output>): grpc.ClientUnaryCall;
  issueFleetCommand(argument: _firebreak_v1_FleetCommandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_FleetIssueResponse__Output>): grpc.ClientUnaryCall;
  issueFleetCommand(argument: _firebreak_v1_FleetCommandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_FleetIssueResponse__Output>): grpc.ClientUnaryCall;
  issueFleetCommand(argument: _firebreak_v1_FleetCommandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_FleetIssueResponse__Output>): grpc.ClientUnaryCall;
  issueFleetCommand(argument: _firebreak_v1_FleetCommandRequest, callback: grpc.requestCallback<_firebreak_v1_FleetIssueResponse__Output>): grpc.ClientUnaryCall;
  
  ListAgents(argument: _firebreak_v1_ListAgentsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  ListAgents(argument: _firebreak_v1_ListAgentsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  ListAgents(argument: _firebreak_v1_ListAgentsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  ListAgents(argument: _firebreak_v1_ListAgentsRequest, callback: grpc.requestCallback<_firebreak_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  listAgents(argument: _firebreak_v1_ListAgentsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  listAgents(argument: _firebreak_v1_ListAgentsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  listAgents(argument: _firebreak_v1_ListAgentsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  listAgents(argument: _firebreak_v1_ListAgentsRequest, callback: grpc.requestCallback<_firebreak_v1_ListAgentsResponse__Output>): grpc.ClientUnaryCall;
  
  ListAlerts(argument: _firebreak_v1_ListAlertsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  ListAlerts(argument: _firebreak_v1_ListAlertsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  ListAlerts(argument: _firebreak_v1_ListAlertsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  ListAlerts(argument: _firebreak_v1_ListAlertsRequest, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  listAlerts(argument: _firebreak_v1_ListAlertsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  listAlerts(argument: _firebreak_v1_ListAlertsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  listAlerts(argument: _firebreak_v1_ListAlertsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  listAlerts(argument: _firebreak_v1_ListAlertsRequest, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  
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
  
  ListPlaybooks(argument: _firebreak_v1_ListPlaybooksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  ListPlaybooks(argument: _firebreak_v1_ListPlaybooksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  ListPlaybooks(argument: _firebreak_v1_ListPlaybooksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  ListPlaybooks(argument: _firebreak_v1_ListPlaybooksRequest, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  listPlaybooks(argument: _firebreak_v1_ListPlaybooksRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  listPlaybooks(argument: _firebreak_v1_ListPlaybooksRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  listPlaybooks(argument: _firebreak_v1_ListPlaybooksRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  listPlaybooks(argument: _firebreak_v1_ListPlaybooksRequest, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  
  ListRuns(argument: _firebreak_v1_ListRunsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _firebreak_v1_ListRunsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _firebreak_v1_ListRunsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _firebreak_v1_ListRunsRequest, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _firebreak_v1_ListRunsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _firebreak_v1_ListRunsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _firebreak_v1_ListRunsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _firebreak_v1_ListRunsRequest, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  
  ListSilences(argument: _firebreak_v1_ListSilencesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  ListSilences(argument: _firebreak_v1_ListSilencesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  ListSilences(argument: _firebreak_v1_ListSilencesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  ListSilences(argument: _firebreak_v1_ListSilencesRequest, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  listSilences(argument: _firebreak_v1_ListSilencesRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  listSilences(argument: _firebreak_v1_ListSilencesRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  listSilences(argument: _firebreak_v1_ListSilencesRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  listSilences(argument: _firebreak_v1_ListSilencesRequest, callback: grpc.requestCallback<_firebreak_v1_JsonList__Output>): grpc.ClientUnaryCall;
  
  PlanFleetCommand(argument: _firebreak_v1_FleetCommandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_FleetPlan__Output>): grpc.ClientUnaryCall;
  PlanFleetCommand(argument: _firebreak_v1_FleetCommandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_FleetPlan__Output>): grpc.ClientUnaryCall;
  PlanFleetCommand(argument: _firebreak_v1_FleetCommandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_FleetPlan__Output>): grpc.ClientUnaryCall;
  PlanFleetCommand(argument: _firebreak_v1_FleetCommandRequest, callback: grpc.requestCallback<_firebreak_v1_FleetPlan__Output>): grpc.ClientUnaryCall;
  planFleetCommand(argument: _firebreak_v1_FleetCommandRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_FleetPlan__Output>): grpc.ClientUnaryCall;
  planFleetCommand(argument: _firebreak_v1_FleetCommandRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_FleetPlan__Output>): grpc.ClientUnaryCall;
  planFleetCommand(argument: _firebreak_v1_FleetCommandRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_FleetPlan__Output>): grpc.ClientUnaryCall;
  planFleetCommand(argument: _firebreak_v1_FleetCommandRequest, callback: grpc.requestCallback<_firebreak_v1_FleetPlan__Output>): grpc.ClientUnaryCall;
  
  RemoveOperator(argument: _firebreak_v1_OperatorRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_OperatorRef__Output>): grpc.ClientUnaryCall;
  RemoveOperator(argument: _firebreak_v1_OperatorRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_OperatorRef__Output>): grpc.ClientUnaryCall;
  RemoveOperator(argument: _firebreak_v1_OperatorRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_OperatorRef__Output>): grpc.ClientUnaryCall;
  RemoveOperator(argument: _firebreak_v1_OperatorRef, callback: grpc.requestCallback<_firebreak_v1_OperatorRef__Output>): grpc.ClientUnaryCall;
  removeOperator(argument: _firebreak_v1_OperatorRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_OperatorRef__Output>): grpc.ClientUnaryCall;
  removeOperator(argument: _firebreak_v1_OperatorRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_OperatorRef__Output>): grpc.ClientUnaryCall;
  removeOperator(argument: _firebreak_v1_OperatorRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_OperatorRef__Output>): grpc.ClientUnaryCall;
  removeOperator(argument: _firebreak_v1_OperatorRef, callback: grpc.requestCallback<_firebreak_v1_OperatorRef__Output>): grpc.ClientUnaryCall;
  
  RevokeAgent(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  RevokeAgent(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  RevokeAgent(argument: _firebreak_v1_HostRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  RevokeAgent(argument: _firebreak_v1_HostRef, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  revokeAgent(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  revokeAgent(argument: _firebreak_v1_HostRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  revokeAgent(argument: _firebreak_v1_HostRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  revokeAgent(argument: _firebreak_v1_HostRef, callback: grpc.requestCallback<_firebreak_v1_AgentRecord__Output>): grpc.ClientUnaryCall;
  
  RevokeEnrollmentToken(argument: _firebreak_v1_EnrollmentTokenRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_RevokeEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeEnrollmentToken(argument: _firebreak_v1_EnrollmentTokenRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_RevokeEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeEnrollmentToken(argument: _firebreak_v1_EnrollmentTokenRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_RevokeEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  RevokeEnrollmentToken(argument: _firebreak_v1_EnrollmentTokenRef, callback: grpc.requestCallback<_firebreak_v1_RevokeEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeEnrollmentToken(argument: _firebreak_v1_EnrollmentTokenRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_RevokeEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeEnrollmentToken(argument: _firebreak_v1_EnrollmentTokenRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_RevokeEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeEnrollmentToken(argument: _firebreak_v1_EnrollmentTokenRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_RevokeEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  revokeEnrollmentToken(argument: _firebreak_v1_EnrollmentTokenRef, callback: grpc.requestCallback<_firebreak_v1_RevokeEnrollmentTokenResponse__Output>): grpc.ClientUnaryCall;
  
  RotateOperator(argument: _firebreak_v1_OperatorRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  RotateOperator(argument: _firebreak_v1_OperatorRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  RotateOperator(argument: _firebreak_v1_OperatorRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  RotateOperator(argument: _firebreak_v1_OperatorRef, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  rotateOperator(argument: _firebreak_v1_OperatorRef, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  rotateOperator(argument: _firebreak_v1_OperatorRef, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  rotateOperator(argument: _firebreak_v1_OperatorRef, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  rotateOperator(argument: _firebreak_v1_OperatorRef, callback: grpc.requestCallback<_firebreak_v1_AddOperatorResponse__Output>): grpc.ClientUnaryCall;
  
  SetHostTags(argument: _firebreak_v1_SetHostTagsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_HostTags__Output>): grpc.ClientUnaryCall;
  SetHostTags(argument: _firebreak_v1_SetHostTagsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_HostTags__Output>): grpc.ClientUnaryCall;
  SetHostTags(argument: _firebreak_v1_SetHostTagsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_HostTags__Output>): grpc.ClientUnaryCall;
  SetHostTags(argument: _firebreak_v1_SetHostTagsRequest, callback: grpc.requestCallback<_firebreak_v1_HostTags__Output>): grpc.ClientUnaryCall;
  setHostTags(argument: _firebreak_v1_SetHostTagsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_HostTags__Output>): grpc.ClientUnaryCall;
  setHostTags(argument: _firebreak_v1_SetHostTagsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_HostTags__Output>): grpc.ClientUnaryCall;
  setHostTags(argument: _firebreak_v1_SetHostTagsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_HostTags__Output>): grpc.ClientUnaryCall;
  setHostTags(argument: _firebreak_v1_SetHostTagsRequest, callback: grpc.requestCallback<_firebreak_v1_HostTags__Output>): grpc.ClientUnaryCall;
  
  SetPlaybookEnabled(argument: _firebreak_v1_SetPlaybookEnabledRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  SetPlaybookEnabled(argument: _firebreak_v1_SetPlaybookEnabledRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  SetPlaybookEnabled(argument: _firebreak_v1_SetPlaybookEnabledRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  SetPlaybookEnabled(argument: _firebreak_v1_SetPlaybookEnabledRequest, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  setPlaybookEnabled(argument: _firebreak_v1_SetPlaybookEnabledRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  setPlaybookEnabled(argument: _firebreak_v1_SetPlaybookEnabledRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  setPlaybookEnabled(argument: _firebreak_v1_SetPlaybookEnabledRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  setPlaybookEnabled(argument: _firebreak_v1_SetPlaybookEnabledRequest, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  
  ValidatePlaybook(argument: _firebreak_v1_ValidatePlaybookRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  ValidatePlaybook(argument: _firebreak_v1_ValidatePlaybookRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  ValidatePlaybook(argument: _firebreak_v1_ValidatePlaybookRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  ValidatePlaybook(argument: _firebreak_v1_ValidatePlaybookRequest, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  validatePlaybook(argument: _firebreak_v1_ValidatePlaybookRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  validatePlaybook(argument: _firebreak_v1_ValidatePlaybookRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  validatePlaybook(argument: _firebreak_v1_ValidatePlaybookRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  validatePlaybook(argument: _firebreak_v1_ValidatePlaybookRequest, callback: grpc.requestCallback<_firebreak_v1_JsonDoc__Output>): grpc.ClientUnaryCall;
  
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
  AckAlert: grpc.handleUnaryCall<_firebreak_v1_AlertRef__Output, _firebreak_v1_JsonDoc>;
  
  AddOperator: grpc.handleUnaryCall<_firebreak_v1_AddOperatorRequest__Output, _firebreak_v1_AddOperatorResponse>;
  
  AddSilence: grpc.handleUnaryCall<_firebreak_v1_AddSilenceRequest__Output, _firebreak_v1_JsonDoc>;
  
  AllowReenroll: grpc.handleUnaryCall<_firebreak_v1_HostRef__Output, _firebreak_v1_AgentRecord>;
  
  ApproveHostTags: grpc.handleUnaryCall<_firebreak_v1_ApproveHostTagsRequest__Output, _firebreak_v1_HostTags>;
  
  ApproveRun: grpc.handleUnaryCall<_firebreak_v1_RunRef__Output, _firebreak_v1_JsonDoc>;
  
  ContainAlert: grpc.handleUnaryCall<_firebreak_v1_ContainAlertRequest__Output, _firebreak_v1_ContainResponse>;
  
  CreateEnrollmentToken: grpc.handleUnaryCall<_firebreak_v1_CreateEnrollmentTokenRequest__Output, _firebreak_v1_CreateEnrollmentTokenResponse>;
  
  ExpireSilence: grpc.handleUnaryCall<_firebreak_v1_SilenceRef__Output, _firebreak_v1_JsonDoc>;
  
  GetAlert: grpc.handleUnaryCall<_firebreak_v1_AlertRef__Output, _firebreak_v1_JsonDoc>;
  
  GetCommand: grpc.handleUnaryCall<_firebreak_v1_CommandRef__Output, _firebreak_v1_CommandView>;
  
  GetHost: grpc.handleUnaryCall<_firebreak_v1_HostRef__Output, _firebreak_v1_Host>;
  
  GetRun: grpc.handleUnaryCall<_firebreak_v1_RunRef__Output, _firebreak_v1_JsonDoc>;
  
  IssueCommand: grpc.handleUnaryCall<_firebreak_v1_IssueCommandRequest__Output, _firebreak_v1_CommandView>;
  
  IssueFleetCommand: grpc.handleUnaryCall<_firebreak_v1_FleetCommandRequest__Output, _firebreak_v1_FleetIssueResponse>;
  
  ListAgents: grpc.handleUnaryCall<_firebreak_v1_ListAgentsRequest__Output, _firebreak_v1_ListAgentsResponse>;
  
  ListAlerts: grpc.handleUnaryCall<_firebreak_v1_ListAlertsRequest__Output, _firebreak_v1_JsonList>;
  
  ListAudit: grpc.handleUnaryCall<_firebreak_v1_ListAuditRequest__Output, _firebreak_v1_ListAuditResponse>;
  
  ListCommands: grpc.handleUnaryCall<_firebreak_v1_ListCommandsRequest__Output, _firebreak_v1_ListCommandsResponse>;
  
  ListEvents: grpc.handleUnaryCall<_firebreak_v1_ListEventsRequest__Output, _firebreak_v1_ListEventsResponse>;
  
  ListHosts: grpc.handleUnaryCall<_firebreak_v1_ListHostsRequest__Output, _firebreak_v1_ListHostsResponse>;
  
  ListPlaybooks: grpc.handleUnaryCall<_firebreak_v1_ListPlaybooksRequest__Output, _firebreak_v1_JsonList>;
  
  ListRuns: grpc.handleUnaryCall<_firebreak_v1_ListRunsRequest__Output, _firebreak_v1_JsonList>;
  
  ListSilences: grpc.handleUnaryCall<_firebreak_v1_ListSilencesRequest__Output, _firebreak_v1_JsonList>;
  
  PlanFleetCommand: grpc.handleUnaryCall<_firebreak_v1_FleetCommandRequest__Output, _firebreak_v1_FleetPlan>;
  
  RemoveOperator: grpc.handleUnaryCall<_firebreak_v1_OperatorRef__Output, _firebreak_v1_OperatorRef>;
  
  RevokeAgent: grpc.handleUnaryCall<_firebreak_v1_HostRef__Output, _firebreak_v1_AgentRecord>;
  
  RevokeEnrollmentToken: grpc.handleUnaryCall<_firebreak_v1_EnrollmentTokenRef__Output, _firebreak_v1_RevokeEnrollmentTokenResponse>;
  
  RotateOperator: grpc.handleUnaryCall<_firebreak_v1_OperatorRef__Output, _firebreak_v1_AddOperatorResponse>;
  
  SetHostTags: grpc.handleUnaryCall<_firebreak_v1_SetHostTagsRequest__Output, _firebreak_v1_HostTags>;
  
  SetPlaybookEnabled: grpc.handleUnaryCall<_firebreak_v1_SetPlaybookEnabledRequest__Output, _firebreak_v1_JsonDoc>;
  
  ValidatePlaybook: grpc.handleUnaryCall<_firebreak_v1_ValidatePlaybookRequest__Output, _firebreak_v1_JsonDoc>;
  
  VerifyAudit: grpc.handleUnaryCall<_firebreak_v1_VerifyAuditRequest__Output, _firebreak_v1_VerifyAuditResponse>;
  
  WaitCommand: grpc.handleUnaryCall<_firebreak_v1_WaitCommandRequest__Output, _firebreak_v1_CommandView>;
  
  WhoAmI: grpc.handleUnaryCall<_firebreak_v1_WhoAmIRequest__Output, _firebreak_v1_WhoAmIResponse>;
  
}

export interface OperatorDefinition extends grpc.ServiceDefinition {
  AckAlert: MethodDefinition<_firebreak_v1_AlertRef, _firebreak_v1_JsonDoc, _firebreak_v1_AlertRef__Output, _firebreak_v1_JsonDoc__Output>
  AddOperator: MethodDefinition<_firebreak_v1_AddOperatorRequest, _firebreak_v1_AddOperatorResponse, _firebreak_v1_AddOperatorRequest__Output, _firebreak_v1_AddOperatorResponse__Output>
  AddSilence: MethodDefinition<_firebreak_v1_AddSilenceRequest, _firebreak_v1_JsonDoc, _firebreak_v1_AddSilenceRequest__Output, _firebreak_v1_JsonDoc__Output>
  AllowReenroll: MethodDefinition<_firebreak_v1_HostRef, _firebreak_v1_AgentRecord, _firebreak_v1_HostRef__Output, _firebreak_v1_AgentRecord__Output>
  ApproveHostTags: MethodDefinition<_firebreak_v1_ApproveHostTagsRequest, _firebreak_v1_HostTags, _firebreak_v1_ApproveHostTagsRequest__Output, _firebreak_v1_HostTags__Output>
  ApproveRun: MethodDefinition<_firebreak_v1_RunRef, _firebreak_v1_JsonDoc, _firebreak_v1_RunRef__Output, _firebreak_v1_JsonDoc__Output>
  ContainAlert: MethodDefinition<_firebreak_v1_ContainAlertRequest, _firebreak_v1_ContainResponse, _firebreak_v1_ContainAlertRequest__Output, _firebreak_v1_ContainResponse__Output>
  CreateEnrollmentToken: MethodDefinition<_firebreak_v1_CreateEnrollmentTokenRequest, _firebreak_v1_CreateEnrollmentTokenResponse, _firebreak_v1_CreateEnrollmentTokenRequest__Output, _firebreak_v1_CreateEnrollmentTokenResponse__Output>
  ExpireSilence: MethodDefinition<_firebreak_v1_SilenceRef, _firebreak_v1_JsonDoc, _firebreak_v1_SilenceRef__Output, _firebreak_v1_JsonDoc__Output>
  GetAlert: MethodDefinition<_firebreak_v1_AlertRef, _firebreak_v1_JsonDoc, _firebreak_v1_AlertRef__Output, _firebreak_v1_JsonDoc__Output>
  GetCommand: MethodDefinition<_firebreak_v1_CommandRef, _firebreak_v1_CommandView, _firebreak_v1_CommandRef__Output, _firebreak_v1_CommandView__Output>
  GetHost: MethodDefinition<_firebreak_v1_HostRef, _firebreak_v1_Host, _firebreak_v1_HostRef__Output, _firebreak_v1_Host__Output>
  GetRun: MethodDefinition<_firebreak_v1_RunRef, _firebreak_v1_JsonDoc, _firebreak_v1_RunRef__Output, _firebreak_v1_JsonDoc__Output>
  IssueCommand: MethodDefinition<_firebreak_v1_IssueCommandRequest, _firebreak_v1_CommandView, _firebreak_v1_IssueCommandRequest__Output, _firebreak_v1_CommandView__Output>
  IssueFleetCommand: MethodDefinition<_firebreak_v1_FleetCommandRequest, _firebreak_v1_FleetIssueResponse, _firebreak_v1_FleetCommandRequest__Output, _firebreak_v1_FleetIssueResponse__Output>
  ListAgents: MethodDefinition<_firebreak_v1_ListAgentsRequest, _firebreak_v1_ListAgentsResponse, _firebreak_v1_ListAgentsRequest__Output, _firebreak_v1_ListAgentsResponse__Output>
  ListAlerts: MethodDefinition<_firebreak_v1_ListAlertsRequest, _firebreak_v1_JsonList, _firebreak_v1_ListAlertsRequest__Output, _firebreak_v1_JsonList__Output>
  ListAudit: MethodDefinition<_firebreak_v1_ListAuditRequest, _firebreak_v1_ListAuditResponse, _firebreak_v1_ListAuditRequest__Output, _firebreak_v1_ListAuditResponse__Output>
  ListCommands: MethodDefinition<_firebreak_v1_ListCommandsRequest, _firebreak_v1_ListCommandsResponse, _firebreak_v1_ListCommandsRequest__Output, _firebreak_v1_ListCommandsResponse__Output>
  ListEvents: MethodDefinition<_firebreak_v1_ListEventsRequest, _firebreak_v1_ListEventsResponse, _firebreak_v1_ListEventsRequest__Output, _firebreak_v1_ListEventsResponse__Output>
  ListHosts: MethodDefinition<_firebreak_v1_ListHostsRequest, _firebreak_v1_ListHostsResponse, _firebreak_v1_ListHostsRequest__Output, _firebreak_v1_ListHostsResponse__Output>
  ListPlaybooks: MethodDefinition<_firebreak_v1_ListPlaybooksRequest, _firebreak_v1_JsonList, _firebreak_v1_ListPlaybooksRequest__Output, _firebreak_v1_JsonList__Output>
  ListRuns: MethodDefinition<_firebreak_v1_ListRunsRequest, _firebreak_v1_JsonList, _firebreak_v1_ListRunsRequest__Output, _firebreak_v1_JsonList__Output>
  ListSilences: MethodDefinition<_firebreak_v1_ListSilencesRequest, _firebreak_v1_JsonList, _firebreak_v1_ListSilencesRequest__Output, _firebreak_v1_JsonList__Output>
  PlanFleetCommand: MethodDefinition<_firebreak_v1_FleetCommandRequest, _firebreak_v1_FleetPlan, _firebreak_v1_FleetCommandRequest__Output, _firebreak_v1_FleetPlan__Output>
  RemoveOperator: MethodDefinition<_firebreak_v1_OperatorRef, _firebreak_v1_OperatorRef, _firebreak_v1_OperatorRef__Output, _firebreak_v1_OperatorRef__Output>
  RevokeAgent: MethodDefinition<_firebreak_v1_HostRef, _firebreak_v1_AgentRecord, _firebreak_v1_HostRef__Output, _firebreak_v1_AgentRecord__Output>
  RevokeEnrollmentToken: MethodDefinition<_firebreak_v1_EnrollmentTokenRef, _firebreak_v1_RevokeEnrollmentTokenResponse, _firebreak_v1_EnrollmentTokenRef__Output, _firebreak_v1_RevokeEnrollmentTokenResponse__Output>
  RotateOperator: MethodDefinition<_firebreak_v1_OperatorRef, _firebreak_v1_AddOperatorResponse, _firebreak_v1_OperatorRef__Output, _firebreak_v1_AddOperatorResponse__Output>
  SetHostTags: MethodDefinition<_firebreak_v1_SetHostTagsRequest, _firebreak_v1_HostTags, _firebreak_v1_SetHostTagsRequest__Output, _firebreak_v1_HostTags__Output>
  SetPlaybookEnabled: MethodDefinition<_firebreak_v1_SetPlaybookEnabledRequest, _firebreak_v1_JsonDoc, _firebreak_v1_SetPlaybookEnabledRequest__Output, _firebreak_v1_JsonDoc__Output>
  ValidatePlaybook: MethodDefinition<_firebreak_v1_ValidatePlaybookRequest, _firebreak_v1_JsonDoc, _firebreak_v1_ValidatePlaybookRequest__Output, _firebreak_v1_JsonDoc__Output>
  VerifyAudit: MethodDefinition<_firebreak_v1_VerifyAuditRequest, _firebreak_v1_VerifyAuditResponse, _firebreak_v1_VerifyAuditRequest__Output, _firebreak_v1_VerifyAuditResponse__Output>
  WaitCommand: MethodDefinition<_firebreak_v1_WaitCommandRequest, _firebreak_v1_CommandView, _firebreak_v1_WaitCommandRequest__Output, _firebreak_v1_CommandView__Output>
  WhoAmI: MethodDefinition<_firebreak_v1_WhoAmIRequest, _firebreak_v1_WhoAmIResponse, _firebreak_v1_WhoAmIRequest__Output, _firebreak_v1_WhoAmIResponse__Output>
}
