// Operator roles, ordered: each role may do everything the ones below it may.
export const ROLES = ['viewer', 'responder', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export class PermissionDeniedError extends Error {
  override name = 'PermissionDeniedError';
  constructor(readonly have: Role | undefined, readonly need: Role, what?: string) {
    super(`${what ?? 'this call'} needs role ${need}; ${have ? `this credential has role ${have}` : 'no valid credential was presented'}`);
  }
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function parseRole(value: string): Role {
  if (!isRole(value)) throw new Error(`role ${JSON.stringify(value)} is not one of ${ROLES.join(', ')}`);
  return value;
}

export function roleAtLeast(have: Role | undefined, need: Role): boolean {
  return have !== undefined && ROLES.indexOf(have) >= ROLES.indexOf(need);
}

/** Throws PermissionDeniedError (map it to grpc PERMISSION_DENIED and audit it) unless have >= need. */
export function requireRole(have: Role | undefined, need: Role, what?: string): void {
  if (!roleAtLeast(have, need)) throw new PermissionDeniedError(have, need, what);
}

/**
 * The role each Operator RPC needs. Keyed by method name so the gateway can
 * refuse any method missing from this table (deny by default).
 */
export const OPERATOR_RPC_ROLES: Readonly<Record<string, Role>> = {
  WhoAmI: 'viewer',
  ListHosts: 'viewer',
  GetHost: 'viewer',
  ListEvents: 'viewer',
  ListCommands: 'viewer',
  GetCommand: 'viewer',
  WaitCommand: 'viewer',
  IssueCommand: 'responder',
  // a plan changes nothing: a viewer (and the dashboard) may see what a selector picks
  PlanFleetCommand: 'viewer',
  // an isolation above the blast radius also needs admin (checked in operator-fleet.ts)
  IssueFleetCommand: 'responder',
  ContainAlert: 'responder',
  // RPCs planned by issue 6, listed now so each has its role from the start:
  ListAlerts: 'viewer',
  GetAlert: 'viewer',
  ListSilences: 'viewer',
  AckAlert: 'responder',
  AddSilence: 'responder',
  ExpireSilence: 'responder',
  ListPlaybooks: 'viewer',
  ValidatePlaybook: 'viewer',
  ListRuns: 'viewer',
  GetRun: 'viewer',
  ApproveRun: 'responder',
  SetPlaybookEnabled: 'admin',
  CreateEnrollmentToken: 'admin',
  RevokeEnrollmentToken: 'admin',
  AddOperator: 'admin',
  RemoveOperator: 'admin',
  RotateOperator: 'admin',
  // a tag such as never-isolate or mail-relay exempts a host from containment: a policy change, like enabling a playbook
  SetHostTags: 'admin',
  ApproveHostTags: 'admin',
  RevokeAgent: 'admin',
  AllowReenroll: 'admin',
  ListAgents: 'admin',
  ListAudit: 'admin',
  VerifyAudit: 'admin',
};

/** The role an RPC needs, or undefined: refuse a method not in the table. */
export function roleForRpc(method: string): Role | undefined {
  return Object.hasOwn(OPERATOR_RPC_ROLES, method) ? OPERATOR_RPC_ROLES[method] : undefined;
}
