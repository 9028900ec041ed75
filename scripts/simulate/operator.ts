// The simulator reads what operators would read: alerts, events and hosts from
// the controller's Operator API over gRPC, with the admin credential the
// controller wrote on its first start.
import type { AlertDetail, AlertSummary } from '../../controller/pipeline/stage-types.ts';
import { call, loadCredentials, operatorClient } from '../../controller/cli/client.ts';
import type { CommandView__Output, EventView__Output, OperatorClient } from '../../proto/wire.ts';

type Unary = (client: OperatorClient, method: string, req: unknown, timeoutMs?: number) => Promise<unknown>;
const rpc: Unary = (client, method, req, timeoutMs) => {
  if (typeof (client as unknown as Record<string, unknown>)[method] !== 'function') {
    return Promise.reject(new Error(`the controller's Operator API has no ${method} RPC: this simulator needs a controller built from the same proto/firebreak.proto`));
  }
  return (call as unknown as Unary)(client, method, req, timeoutMs);
};

/** The alert JSON travels as text inside a proto message; take the first string field that parses as JSON. */
function jsonPayload<T>(res: unknown, what: string): T {
  if (res && typeof res === 'object') {
    for (const v of Object.values(res as Record<string, unknown>)) {
      if (typeof v !== 'string' || v.length === 0) continue;
      try { return JSON.parse(v) as T; } catch { /* not the JSON field */ }
    }
  }
  throw new Error(`${what}: the controller's answer carries no JSON text field (got ${JSON.stringify(res).slice(0, 200)})`);
}

export class OperatorApi {
  readonly client: OperatorClient;

  constructor(address: string, credentialsFile: string) {
    this.client = operatorClient(address, loadCredentials(credentialsFile).cred);
  }

  /** Every alert the controller holds: active ones and resolved ones (merged incidents resolve as 'merged'). */
  async listAlerts(): Promise<AlertSummary[]> {
    const out: AlertSummary[] = [];
    for (const status of ['active', 'resolved']) {
      const res = (await rpc(this.client, 'ListAlerts', { status, limit: 10_000 })) as { items?: string[] };
      if (!Array.isArray(res.items)) throw new Error(`ListAlerts: expected a JsonList with items, got ${JSON.stringify(res).slice(0, 200)}`);
      for (const item of res.items) out.push(JSON.parse(item) as AlertSummary);
    }
    return out;
  }

  async getAlert(id: string): Promise<AlertDetail> {
    return jsonPayload<AlertDetail>(await rpc(this.client, 'GetAlert', { alertId: id }), 'GetAlert');
  }

  /** Events of one host, oldest first (the API answers newest first). */
  async hostEvents(hostId: string, limit = 10_000): Promise<EventView__Output[]> {
    const res = (await rpc(this.client, 'ListEvents', { hostId, limit })) as { events: EventView__Output[] };
    return [...res.events].reverse();
  }

  async createEnrollmentToken(uses: number, ttlS: number): Promise<string> {
    const res = (await rpc(this.client, 'CreateEnrollmentToken', { uses, ttlS, tags: {} })) as { token: string };
    return res.token;
  }

  /** Commands, newest first. */
  async listCommands(limit = 100_000): Promise<CommandView__Output[]> {
    const res = (await rpc(this.client, 'ListCommands', { limit })) as { commands: CommandView__Output[] };
    return res.commands;
  }

  close(): void {
    this.client.close();
  }
}
