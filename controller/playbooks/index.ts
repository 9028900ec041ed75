// The playbooks' public API, for the controller, the CLI and the simulator.
import type { AlertHost, FleetHost, FleetView } from './match.ts';

export { PlaybookEngine, PlaybookError, countStatuses } from './engine.ts';
export type {
  ActionKind, ActionLift, ActionStatus, EngineSnapshot, ManualPlan, PlaybookEngineOptions, PlaybookPorts, PlaybookRun, PlaybookStatus, RunAction, RunSummary,
} from './engine.ts';
export { RUN_SEQ_COUNTER, snapshotFromRows } from './journal.ts';
export { PlaybookSource, formatIssue, loadPlaybookDir, parsePlaybook, validatePlaybookFile } from './loader.ts';
export type { LoadResult, LoadedPlaybook, ParseOutcome, PlaybookIssue } from './loader.ts';
export { staticFleet, whenMatches, NEVER_ISOLATE_TAG } from './match.ts';
export type { AlertHost, FleetHost, FleetView, MatchVerdict } from './match.ts';
export { webhookNotifier, type Notify, type NotifyResult } from './notify.ts';
export { DEFAULT_BLAST_RADIUS, blastLimit, type BlastRadius, type ControllerLink } from './guards.ts';
export { PlaybookSchema, parseDuration, type Playbook } from './schema.ts';

/** The part of the pipeline's AlertBook the fleet view reads (structural, so nothing couples to its internals). */
export interface AlertHostSource {
  alertHosts(id: string): AlertHost[];
}

/**
 * A FleetView over the controller's in-memory host registry and the pipeline's alert book:
 *   fleetView(() => hostsById, pipeline.book)
 * `hosts` must be synchronous: keep the registry in memory (tags from Hello, online from the gateway).
 */
export function fleetView(hosts: () => ReadonlyMap<string, FleetHost>, book: AlertHostSource): FleetView {
  return {
    hosts: () => hosts().values(),
    host: (id) => hosts().get(id),
    size: () => hosts().size,
    alertHosts: (id): AlertHost[] => book.alertHosts(id),
  };
}
