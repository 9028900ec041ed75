// The dashboard's view of the API's JSON: types only, from where the controller
// defines them (the .proto's generated types, the pipeline's and the playbook
// engine's records), so nothing is declared twice. esbuild drops these imports.
export type { AlertDetail, AlertSummary, SpreadNode, SpreadEdge, TimelineBucket, SilenceView } from '../../controller/pipeline/stage-types.ts';
export type { PlaybookRun, RunAction, RunSummary } from '../../controller/playbooks/records.ts';
export type { Role } from '../../controller/trust/roles.ts';
export type { AuditEntry__Output as AuditEntry, CommandView__Output as CommandView, EventView__Output as EventView, Host__Output as Host, StorageHealth__Output as StorageHealth } from '../../proto/types.ts';

/** GET /api/me, POST /api/login. */
export interface Me {
  name: string;
  role: import('../../controller/trust/roles.ts').Role;
  csrf: string;
}

/** What every action answers to `"dryRun": true`. */
export interface Preview {
  summary: string;
  changes: unknown[];
}
