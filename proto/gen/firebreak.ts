import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Ack as _firebreak_v1_Ack, Ack__Output as _firebreak_v1_Ack__Output } from './firebreak/v1/Ack';
import type { AddOperatorRequest as _firebreak_v1_AddOperatorRequest, AddOperatorRequest__Output as _firebreak_v1_AddOperatorRequest__Output } from './firebreak/v1/AddOperatorRequest';
import type { AddOperatorResponse as _firebreak_v1_AddOperatorResponse, AddOperatorResponse__Output as _firebreak_v1_AddOperatorResponse__Output } from './firebreak/v1/AddOperatorResponse';
import type { AddSilenceRequest as _firebreak_v1_AddSilenceRequest, AddSilenceRequest__Output as _firebreak_v1_AddSilenceRequest__Output } from './firebreak/v1/AddSilenceRequest';
import type { AgentFrame as _firebreak_v1_AgentFrame, AgentFrame__Output as _firebreak_v1_AgentFrame__Output } from './firebreak/v1/AgentFrame';
import type { AgentHealth as _firebreak_v1_AgentHealth, AgentHealth__Output as _firebreak_v1_AgentHealth__Output } from './firebreak/v1/AgentHealth';
import type { AgentLinkClient as _firebreak_v1_AgentLinkClient, AgentLinkDefinition as _firebreak_v1_AgentLinkDefinition } from './firebreak/v1/AgentLink';
import type { AgentRecord as _firebreak_v1_AgentRecord, AgentRecord__Output as _firebreak_v1_AgentRecord__Output } from './firebreak/v1/AgentRecord';
import type { AlertRef as _firebreak_v1_AlertRef, AlertRef__Output as _firebreak_v1_AlertRef__Output } from './firebreak/v1/AlertRef';
import type { AllowEntry as _firebreak_v1_AllowEntry, AllowEntry__Output as _firebreak_v1_AllowEntry__Output } from './firebreak/v1/AllowEntry';
import type { AnomalyEvent as _firebreak_v1_AnomalyEvent, AnomalyEvent__Output as _firebreak_v1_AnomalyEvent__Output } from './firebreak/v1/AnomalyEvent';
import type { ApproveHostTagsRequest as _firebreak_v1_ApproveHostTagsRequest, ApproveHostTagsRequest__Output as _firebreak_v1_ApproveHostTagsRequest__Output } from './firebreak/v1/ApproveHostTagsRequest';
import type { AuditEntry as _firebreak_v1_AuditEntry, AuditEntry__Output as _firebreak_v1_AuditEntry__Output } from './firebreak/v1/AuditEntry';
import type { BlockParams as _firebreak_v1_BlockParams, BlockParams__Output as _firebreak_v1_BlockParams__Output } from './firebreak/v1/BlockParams';
import type { Command as _firebreak_v1_Command, Command__Output as _firebreak_v1_Command__Output } from './firebreak/v1/Command';
import type { CommandRef as _firebreak_v1_CommandRef, CommandRef__Output as _firebreak_v1_CommandRef__Output } from './firebreak/v1/CommandRef';
import type { CommandResult as _firebreak_v1_CommandResult, CommandResult__Output as _firebreak_v1_CommandResult__Output } from './firebreak/v1/CommandResult';
import type { CommandView as _firebreak_v1_CommandView, CommandView__Output as _firebreak_v1_CommandView__Output } from './firebreak/v1/CommandView';
import type { Contact as _firebreak_v1_Contact, Contact__Output as _firebreak_v1_Contact__Output } from './firebreak/v1/Contact';
import type { ContainAlertRequest as _firebreak_v1_ContainAlertRequest, ContainAlertRequest__Output as _firebreak_v1_ContainAlertRequest__Output } from './firebreak/v1/ContainAlertRequest';
import type { ContainResponse as _firebreak_v1_ContainResponse, ContainResponse__Output as _firebreak_v1_ContainResponse__Output } from './firebreak/v1/ContainResponse';
import type { ControllerFrame as _firebreak_v1_ControllerFrame, ControllerFrame__Output as _firebreak_v1_ControllerFrame__Output } from './firebreak/v1/ControllerFrame';
import type { CreateEnrollmentTokenRequest as _firebreak_v1_CreateEnrollmentTokenRequest, CreateEnrollmentTokenRequest__Output as _firebreak_v1_CreateEnrollmentTokenRequest__Output } from './firebreak/v1/CreateEnrollmentTokenRequest';
import type { CreateEnrollmentTokenResponse as _firebreak_v1_CreateEnrollmentTokenResponse, CreateEnrollmentTokenResponse__Output as _firebreak_v1_CreateEnrollmentTokenResponse__Output } from './firebreak/v1/CreateEnrollmentTokenResponse';
import type { DiskUsage as _firebreak_v1_DiskUsage, DiskUsage__Output as _firebreak_v1_DiskUsage__Output } from './firebreak/v1/DiskUsage';
import type { Endpoint as _firebreak_v1_Endpoint, Endpoint__Output as _firebreak_v1_Endpoint__Output } from './firebreak/v1/Endpoint';
import type { EnforcementState as _firebreak_v1_EnforcementState, EnforcementState__Output as _firebreak_v1_EnforcementState__Output } from './firebreak/v1/EnforcementState';
import type { EnrollRequest as _firebreak_v1_EnrollRequest, EnrollRequest__Output as _firebreak_v1_EnrollRequest__Output } from './firebreak/v1/EnrollRequest';
import type { EnrollResponse as _firebreak_v1_EnrollResponse, EnrollResponse__Output as _firebreak_v1_EnrollResponse__Output } from './firebreak/v1/EnrollResponse';
import type { EnrollmentClient as _firebreak_v1_EnrollmentClient, EnrollmentDefinition as _firebreak_v1_EnrollmentDefinition } from './firebreak/v1/Enrollment';
import type { EnrollmentTokenRef as _firebreak_v1_EnrollmentTokenRef, EnrollmentTokenRef__Output as _firebreak_v1_EnrollmentTokenRef__Output } from './firebreak/v1/EnrollmentTokenRef';
import type { EventView as _firebreak_v1_EventView, EventView__Output as _firebreak_v1_EventView__Output } from './firebreak/v1/EventView';
import type { Evidence as _firebreak_v1_Evidence, Evidence__Output as _firebreak_v1_Evidence__Output } from './firebreak/v1/Evidence';
import type { FleetCommandRef as _firebreak_v1_FleetCommandRef, FleetCommandRef__Output as _firebreak_v1_FleetCommandRef__Output } from './firebreak/v1/FleetCommandRef';
import type { FleetCommandRequest as _firebreak_v1_FleetCommandRequest, FleetCommandRequest__Output as _firebreak_v1_FleetCommandRequest__Output } from './firebreak/v1/FleetCommandRequest';
import type { FleetIssueResponse as _firebreak_v1_FleetIssueResponse, FleetIssueResponse__Output as _firebreak_v1_FleetIssueResponse__Output } from './firebreak/v1/FleetIssueResponse';
import type { FleetPlan as _firebreak_v1_FleetPlan, FleetPlan__Output as _firebreak_v1_FleetPlan__Output } from './firebreak/v1/FleetPlan';
import type { Heartbeat as _firebreak_v1_Heartbeat, Heartbeat__Output as _firebreak_v1_Heartbeat__Output } from './firebreak/v1/Heartbeat';
import type { Hello as _firebreak_v1_Hello, Hello__Output as _firebreak_v1_Hello__Output } from './firebreak/v1/Hello';
import type { Host as _firebreak_v1_Host, Host__Output as _firebreak_v1_Host__Output } from './firebreak/v1/Host';
import type { HostInventory as _firebreak_v1_HostInventory, HostInventory__Output as _firebreak_v1_HostInventory__Output } from './firebreak/v1/HostInventory';
import type { HostRef as _firebreak_v1_HostRef, HostRef__Output as _firebreak_v1_HostRef__Output } from './firebreak/v1/HostRef';
import type { HostTags as _firebreak_v1_HostTags, HostTags__Output as _firebreak_v1_HostTags__Output } from './firebreak/v1/HostTags';
import type { IsolateParams as _firebreak_v1_IsolateParams, IsolateParams__Output as _firebreak_v1_IsolateParams__Output } from './firebreak/v1/IsolateParams';
import type { IssueCommandRequest as _firebreak_v1_IssueCommandRequest, IssueCommandRequest__Output as _firebreak_v1_IssueCommandRequest__Output } from './firebreak/v1/IssueCommandRequest';
import type { JsonDoc as _firebreak_v1_JsonDoc, JsonDoc__Output as _firebreak_v1_JsonDoc__Output } from './firebreak/v1/JsonDoc';
import type { JsonList as _firebreak_v1_JsonList, JsonList__Output as _firebreak_v1_JsonList__Output } from './firebreak/v1/JsonList';
import type { ListAgentsRequest as _firebreak_v1_ListAgentsRequest, ListAgentsRequest__Output as _firebreak_v1_ListAgentsRequest__Output } from './firebreak/v1/ListAgentsRequest';
import type { ListAgentsResponse as _firebreak_v1_ListAgentsResponse, ListAgentsResponse__Output as _firebreak_v1_ListAgentsResponse__Output } from './firebreak/v1/ListAgentsResponse';
import type { ListAlertsRequest as _firebreak_v1_ListAlertsRequest, ListAlertsRequest__Output as _firebreak_v1_ListAlertsRequest__Output } from './firebreak/v1/ListAlertsRequest';
import type { ListAuditRequest as _firebreak_v1_ListAuditRequest, ListAuditRequest__Output as _firebreak_v1_ListAuditRequest__Output } from './firebreak/v1/ListAuditRequest';
import type { ListAuditResponse as _firebreak_v1_ListAuditResponse, ListAuditResponse__Output as _firebreak_v1_ListAuditResponse__Output } from './firebreak/v1/ListAuditResponse';
import type { ListCommandsRequest as _firebreak_v1_ListCommandsRequest, ListCommandsRequest__Output as _firebreak_v1_ListCommandsRequest__Output } from './firebreak/v1/ListCommandsRequest';
import type { ListCommandsResponse as _firebreak_v1_ListCommandsResponse, ListCommandsResponse__Output as _firebreak_v1_ListCommandsResponse__Output } from './firebreak/v1/ListCommandsResponse';
import type { ListEventsRequest as _firebreak_v1_ListEventsRequest, ListEventsRequest__Output as _firebreak_v1_ListEventsRequest__Output } from './firebreak/v1/ListEventsRequest';
import type { ListEventsResponse as _firebreak_v1_ListEventsResponse, ListEventsResponse__Output as _firebreak_v1_ListEventsResponse__Output } from './firebreak/v1/ListEventsResponse';
import type { ListHostsRequest as _firebreak_v1_ListHostsRequest, ListHostsRequest__Output as _firebreak_v1_ListHostsRequest__Output } from './firebreak/v1/ListHostsRequest';
import type { ListHostsResponse as _firebreak_v1_ListHostsResponse, ListHostsResponse__Output as _firebreak_v1_ListHostsResponse__Output } from './firebreak/v1/ListHostsResponse';
import type { ListPlaybooksRequest as _firebreak_v1_ListPlaybooksRequest, ListPlaybooksRequest__Output as _firebreak_v1_ListPlaybooksRequest__Output } from './firebreak/v1/ListPlaybooksRequest';
import type { ListRunsRequest as _firebreak_v1_ListRunsRequest, ListRunsRequest__Output as _firebreak_v1_ListRunsRequest__Output } from './firebreak/v1/ListRunsRequest';
import type { ListSilencesRequest as _firebreak_v1_ListSilencesRequest, ListSilencesRequest__Output as _firebreak_v1_ListSilencesRequest__Output } from './firebreak/v1/ListSilencesRequest';
import type { MetricsSample as _firebreak_v1_MetricsSample, MetricsSample__Output as _firebreak_v1_MetricsSample__Output } from './firebreak/v1/MetricsSample';
import type { OperatorClient as _firebreak_v1_OperatorClient, OperatorDefinition as _firebreak_v1_OperatorDefinition } from './firebreak/v1/Operator';
import type { OperatorRef as _firebreak_v1_OperatorRef, OperatorRef__Output as _firebreak_v1_OperatorRef__Output } from './firebreak/v1/OperatorRef';
import type { PortBlock as _firebreak_v1_PortBlock, PortBlock__Output as _firebreak_v1_PortBlock__Output } from './firebreak/v1/PortBlock';
import type { PortCount as _firebreak_v1_PortCount, PortCount__Output as _firebreak_v1_PortCount__Output } from './firebreak/v1/PortCount';
import type { PortRange as _firebreak_v1_PortRange, PortRange__Output as _firebreak_v1_PortRange__Output } from './firebreak/v1/PortRange';
import type { ProcessInfo as _firebreak_v1_ProcessInfo, ProcessInfo__Output as _firebreak_v1_ProcessInfo__Output } from './firebreak/v1/ProcessInfo';
import type { Report as _firebreak_v1_Report, Report__Output as _firebreak_v1_Report__Output } from './firebreak/v1/Report';
import type { RevokeEnrollmentTokenResponse as _firebreak_v1_RevokeEnrollmentTokenResponse, RevokeEnrollmentTokenResponse__Output as _firebreak_v1_RevokeEnrollmentTokenResponse__Output } from './firebreak/v1/RevokeEnrollmentTokenResponse';
import type { RunRef as _firebreak_v1_RunRef, RunRef__Output as _firebreak_v1_RunRef__Output } from './firebreak/v1/RunRef';
import type { SetHostTagsRequest as _firebreak_v1_SetHostTagsRequest, SetHostTagsRequest__Output as _firebreak_v1_SetHostTagsRequest__Output } from './firebreak/v1/SetHostTagsRequest';
import type { SetPlaybookEnabledRequest as _firebreak_v1_SetPlaybookEnabledRequest, SetPlaybookEnabledRequest__Output as _firebreak_v1_SetPlaybookEnabledRequest__Output } from './firebreak/v1/SetPlaybookEnabledRequest';
import type { SilenceRef as _firebreak_v1_SilenceRef, SilenceRef__Output as _firebreak_v1_SilenceRef__Output } from './firebreak/v1/SilenceRef';
import type { StorageHealth as _firebreak_v1_StorageHealth, StorageHealth__Output as _firebreak_v1_StorageHealth__Output } from './firebreak/v1/StorageHealth';
import type { TagGrant as _firebreak_v1_TagGrant, TagGrant__Output as _firebreak_v1_TagGrant__Output } from './firebreak/v1/TagGrant';
import type { ThrottleParams as _firebreak_v1_ThrottleParams, ThrottleParams__Output as _firebreak_v1_ThrottleParams__Output } from './firebreak/v1/ThrottleParams';
import type { UnblockParams as _firebreak_v1_UnblockParams, UnblockParams__Output as _firebreak_v1_UnblockParams__Output } from './firebreak/v1/UnblockParams';
import type { ValidatePlaybookRequest as _firebreak_v1_ValidatePlaybookRequest, ValidatePlaybookRequest__Output as _firebreak_v1_ValidatePlaybookRequest__Output } from './firebreak/v1/ValidatePlaybookRequest';
import type { VerifyAuditRequest as _firebreak_v1_VerifyAuditRequest, VerifyAuditRequest__Output as _firebreak_v1_VerifyAuditRequest__Output } from './firebreak/v1/VerifyAuditRequest';
import type { VerifyAuditResponse as _firebreak_v1_VerifyAuditResponse, VerifyAuditResponse__Output as _firebreak_v1_VerifyAuditResponse__Output } from './firebreak/v1/VerifyAuditResponse';
import type { WaitCommandRequest as _firebreak_v1_WaitCommandRequest, WaitCommandRequest__Output as _firebreak_v1_WaitCommandRequest__Output } from './firebreak/v1/WaitCommandRequest';
import type { Welcome as _firebreak_v1_Welcome, Welcome__Output as _firebreak_v1_Welcome__Output } from './firebreak/v1/Welcome';
import type { WhoAmIRequest as _firebreak_v1_WhoAmIRequest, WhoAmIRequest__Output as _firebreak_v1_WhoAmIRequest__Output } from './firebreak/v1/WhoAmIRequest';
import type { WhoAmIResponse as _firebreak_v1_WhoAmIResponse, WhoAmIResponse__Output as _firebreak_v1_WhoAmIResponse__Output } from './firebreak/v1/WhoAmIResponse';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  firebreak: {
    v1: {
      Ack: MessageTypeDefinition<_firebreak_v1_Ack, _firebreak_v1_Ack__Output>
      Action: EnumTypeDefinition
      AddOperatorRequest: MessageTypeDefinition<_firebreak_v1_AddOperatorRequest, _firebreak_v1_AddOperatorRequest__Output>
      AddOperatorResponse: MessageTypeDefinition<_firebreak_v1_AddOperatorResponse, _firebreak_v1_AddOperatorResponse__Output>
      AddSilenceRequest: MessageTypeDefinition<_firebreak_v1_AddSilenceRequest, _firebreak_v1_AddSilenceRequest__Output>
      AgentFrame: MessageTypeDefinition<_firebreak_v1_AgentFrame, _firebreak_v1_AgentFrame__Output>
      AgentHealth: MessageTypeDefinition<_firebreak_v1_AgentHealth, _firebreak_v1_AgentHealth__Output>
      AgentLink: SubtypeConstructor<typeof grpc.Client, _firebreak_v1_AgentLinkClient> & { service: _firebreak_v1_AgentLinkDefinition }
      AgentRecord: MessageTypeDefinition<_firebreak_v1_AgentRecord, _firebreak_v1_AgentRecord__Output>
      AlertRef: MessageTypeDefinition<_firebreak_v1_AlertRef, _firebreak_v1_AlertRef__Output>
      AllowEntry: MessageTypeDefinition<_firebreak_v1_AllowEntry, _firebreak_v1_AllowEntry__Output>
      AnomalyEvent: MessageTypeDefinition<_firebreak_v1_AnomalyEvent, _firebreak_v1_AnomalyEvent__Output>
      AnomalyKind: EnumTypeDefinition
      ApproveHostTagsRequest: MessageTypeDefinition<_firebreak_v1_ApproveHostTagsRequest, _firebreak_v1_ApproveHostTagsRequest__Output>
      AuditEntry: MessageTypeDefinition<_firebreak_v1_AuditEntry, _firebreak_v1_AuditEntry__Output>
      Backend: EnumTypeDefinition
      BlockParams: MessageTypeDefinition<_firebreak_v1_BlockParams, _firebreak_v1_BlockParams__Output>
      Command: MessageTypeDefinition<_firebreak_v1_Command, _firebreak_v1_Command__Output>
      CommandRef: MessageTypeDefinition<_firebreak_v1_CommandRef, _firebreak_v1_CommandRef__Output>
      CommandResult: MessageTypeDefinition<_firebreak_v1_CommandResult, _firebreak_v1_CommandResult__Output>
      CommandStatus: EnumTypeDefinition
      CommandView: MessageTypeDefinition<_firebreak_v1_CommandView, _firebreak_v1_CommandView__Output>
      Contact: MessageTypeDefinition<_firebreak_v1_Contact, _firebreak_v1_Contact__Output>
      ContainAlertRequest: MessageTypeDefinition<_firebreak_v1_ContainAlertRequest, _firebreak_v1_ContainAlertRequest__Output>
      ContainResponse: MessageTypeDefinition<_firebreak_v1_ContainResponse, _firebreak_v1_ContainResponse__Output>
      ControllerFrame: MessageTypeDefinition<_firebreak_v1_ControllerFrame, _firebreak_v1_ControllerFrame__Output>
      CreateEnrollmentTokenRequest: MessageTypeDefinition<_firebreak_v1_CreateEnrollmentTokenRequest, _firebreak_v1_CreateEnrollmentTokenRequest__Output>
      CreateEnrollmentTokenResponse: MessageTypeDefinition<_firebreak_v1_CreateEnrollmentTokenResponse, _firebreak_v1_CreateEnrollmentTokenResponse__Output>
      Direction: EnumTypeDefinition
      DiskUsage: MessageTypeDefinition<_firebreak_v1_DiskUsage, _firebreak_v1_DiskUsage__Output>
      Endpoint: MessageTypeDefinition<_firebreak_v1_Endpoint, _firebreak_v1_Endpoint__Output>
      EnforcementState: MessageTypeDefinition<_firebreak_v1_EnforcementState, _firebreak_v1_EnforcementState__Output>
      EnrollRequest: MessageTypeDefinition<_firebreak_v1_EnrollRequest, _firebreak_v1_EnrollRequest__Output>
      EnrollResponse: MessageTypeDefinition<_firebreak_v1_EnrollResponse, _firebreak_v1_EnrollResponse__Output>
      Enrollment: SubtypeConstructor<typeof grpc.Client, _firebreak_v1_EnrollmentClient> & { service: _firebreak_v1_EnrollmentDefinition }
      EnrollmentTokenRef: MessageTypeDefinition<_firebreak_v1_EnrollmentTokenRef, _firebreak_v1_EnrollmentTokenRef__Output>
      EventView: MessageTypeDefinition<_firebreak_v1_EventView, _firebreak_v1_EventView__Output>
      Evidence: MessageTypeDefinition<_firebreak_v1_Evidence, _firebreak_v1_Evidence__Output>
      FleetCommandRef: MessageTypeDefinition<_firebreak_v1_FleetCommandRef, _firebreak_v1_FleetCommandRef__Output>
      FleetCommandRequest: MessageTypeDefinition<_firebreak_v1_FleetCommandRequest, _firebreak_v1_FleetCommandRequest__Output>
      FleetIssueResponse: MessageTypeDefinition<_firebreak_v1_FleetIssueResponse, _firebreak_v1_FleetIssueResponse__Output>
      FleetPlan: MessageTypeDefinition<_firebreak_v1_FleetPlan, _firebreak_v1_FleetPlan__Output>
      Heartbeat: MessageTypeDefinition<_firebreak_v1_Heartbeat, _firebreak_v1_Heartbeat__Output>
      Hello: MessageTypeDefinition<_firebreak_v1_Hello, _firebreak_v1_Hello__Output>
      Host: MessageTypeDefinition<_firebreak_v1_Host, _firebreak_v1_Host__Output>
      HostInventory: MessageTypeDefinition<_firebreak_v1_HostInventory, _firebreak_v1_HostInventory__Output>
      HostRef: MessageTypeDefinition<_firebreak_v1_HostRef, _firebreak_v1_HostRef__Output>
      HostTags: MessageTypeDefinition<_firebreak_v1_HostTags, _firebreak_v1_HostTags__Output>
      IsolateParams: MessageTypeDefinition<_firebreak_v1_IsolateParams, _firebreak_v1_IsolateParams__Output>
      IssueCommandRequest: MessageTypeDefinition<_firebreak_v1_IssueCommandRequest, _firebreak_v1_IssueCommandRequest__Output>
      JsonDoc: MessageTypeDefinition<_firebreak_v1_JsonDoc, _firebreak_v1_JsonDoc__Output>
      JsonList: MessageTypeDefinition<_firebreak_v1_JsonList, _firebreak_v1_JsonList__Output>
      ListAgentsRequest: MessageTypeDefinition<_firebreak_v1_ListAgentsRequest, _firebreak_v1_ListAgentsRequest__Output>
      ListAgentsResponse: MessageTypeDefinition<_firebreak_v1_ListAgentsResponse, _firebreak_v1_ListAgentsResponse__Output>
      ListAlertsRequest: MessageTypeDefinition<_firebreak_v1_ListAlertsRequest, _firebreak_v1_ListAlertsRequest__Output>
      ListAuditRequest: MessageTypeDefinition<_firebreak_v1_ListAuditRequest, _firebreak_v1_ListAuditRequest__Output>
      ListAuditResponse: MessageTypeDefinition<_firebreak_v1_ListAuditResponse, _firebreak_v1_ListAuditResponse__Output>
      ListCommandsRequest: MessageTypeDefinition<_firebreak_v1_ListCommandsRequest, _firebreak_v1_ListCommandsRequest__Output>
      ListCommandsResponse: MessageTypeDefinition<_firebreak_v1_ListCommandsResponse, _firebreak_v1_ListCommandsResponse__Output>
      ListEventsRequest: MessageTypeDefinition<_firebreak_v1_ListEventsRequest, _firebreak_v1_ListEventsRequest__Output>
      ListEventsResponse: MessageTypeDefinition<_firebreak_v1_ListEventsResponse, _firebreak_v1_ListEventsResponse__Output>
      ListHostsRequest: MessageTypeDefinition<_firebreak_v1_ListHostsRequest, _firebreak_v1_ListHostsRequest__Output>
      ListHostsResponse: MessageTypeDefinition<_firebreak_v1_ListHostsResponse, _firebreak_v1_ListHostsResponse__Output>
      ListPlaybooksRequest: MessageTypeDefinition<_firebreak_v1_ListPlaybooksRequest, _firebreak_v1_ListPlaybooksRequest__Output>
      ListRunsRequest: MessageTypeDefinition<_firebreak_v1_ListRunsRequest, _firebreak_v1_ListRunsRequest__Output>
      ListSilencesRequest: MessageTypeDefinition<_firebreak_v1_ListSilencesRequest, _firebreak_v1_ListSilencesRequest__Output>
      MetricsSample: MessageTypeDefinition<_firebreak_v1_MetricsSample, _firebreak_v1_MetricsSample__Output>
      Operator: SubtypeConstructor<typeof grpc.Client, _firebreak_v1_OperatorClient> & { service: _firebreak_v1_OperatorDefinition }
      OperatorRef: MessageTypeDefinition<_firebreak_v1_OperatorRef, _firebreak_v1_OperatorRef__Output>
      PortBlock: MessageTypeDefinition<_firebreak_v1_PortBlock, _firebreak_v1_PortBlock__Output>
      PortCount: MessageTypeDefinition<_firebreak_v1_PortCount, _firebreak_v1_PortCount__Output>
      PortRange: MessageTypeDefinition<_firebreak_v1_PortRange, _firebreak_v1_PortRange__Output>
      ProcessInfo: MessageTypeDefinition<_firebreak_v1_ProcessInfo, _firebreak_v1_ProcessInfo__Output>
      Protocol: EnumTypeDefinition
      Report: MessageTypeDefinition<_firebreak_v1_Report, _firebreak_v1_Report__Output>
      RevokeEnrollmentTokenResponse: MessageTypeDefinition<_firebreak_v1_RevokeEnrollmentTokenResponse, _firebreak_v1_RevokeEnrollmentTokenResponse__Output>
      RunRef: MessageTypeDefinition<_firebreak_v1_RunRef, _firebreak_v1_RunRef__Output>
      SetHostTagsRequest: MessageTypeDefinition<_firebreak_v1_SetHostTagsRequest, _firebreak_v1_SetHostTagsRequest__Output>
      SetPlaybookEnabledRequest: MessageTypeDefinition<_firebreak_v1_SetPlaybookEnabledRequest, _firebreak_v1_SetPlaybookEnabledRequest__Output>
      SilenceRef: MessageTypeDefinition<_firebreak_v1_SilenceRef, _firebreak_v1_SilenceRef__Output>
      StorageHealth: MessageTypeDefinition<_firebreak_v1_StorageHealth, _firebreak_v1_StorageHealth__Output>
      TagGrant: MessageTypeDefinition<_firebreak_v1_TagGrant, _firebreak_v1_TagGrant__Output>
      ThrottleParams: MessageTypeDefinition<_firebreak_v1_ThrottleParams, _firebreak_v1_ThrottleParams__Output>
      UnblockParams: MessageTypeDefinition<_firebreak_v1_UnblockParams, _firebreak_v1_UnblockParams__Output>
      ValidatePlaybookRequest: MessageTypeDefinition<_firebreak_v1_ValidatePlaybookRequest, _firebreak_v1_ValidatePlaybookRequest__Output>
      VerifyAuditRequest: MessageTypeDefinition<_firebreak_v1_VerifyAuditRequest, _firebreak_v1_VerifyAuditRequest__Output>
      VerifyAuditResponse: MessageTypeDefinition<_firebreak_v1_VerifyAuditResponse, _firebreak_v1_VerifyAuditResponse__Output>
      WaitCommandRequest: MessageTypeDefinition<_firebreak_v1_WaitCommandRequest, _firebreak_v1_WaitCommandRequest__Output>
      Welcome: MessageTypeDefinition<_firebreak_v1_Welcome, _firebreak_v1_Welcome__Output>
      WhoAmIRequest: MessageTypeDefinition<_firebreak_v1_WhoAmIRequest, _firebreak_v1_WhoAmIRequest__Output>
      WhoAmIResponse: MessageTypeDefinition<_firebreak_v1_WhoAmIResponse, _firebreak_v1_WhoAmIResponse__Output>
    }
  }
}

