// The standard gRPC health service and server reflection, on the agent and
// operator ports: load balancers and Kubernetes probes ask grpc.health.v1,
// grpcurl lists and calls the API without a local copy of the .proto. Both
// answer without an operator token: they reveal whether a service is up and
// the public schema, nothing of the fleet. The agent service reports
// NOT_SERVING while the store refuses writes (reports would be refused), so a
// balancer can send agents to another controller.
import type * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath, type ServingStatus } from 'grpc-health-check';
import { firebreakPackageDefinition } from '../proto/wire.ts';

export const AGENT_SERVICE = 'firebreak.v1.AgentLink';
export const OPERATOR_SERVICE = 'firebreak.v1.Operator';

export class Probes {
  private readonly health = new HealthImplementation({ '': 'NOT_SERVING', [AGENT_SERVICE]: 'NOT_SERVING', [OPERATOR_SERVICE]: 'NOT_SERVING' });
  // the health service's schema too, so grpcurl can call it by name
  private readonly reflection = new ReflectionService({ ...firebreakPackageDefinition(), ...loadSync(healthProtoPath) });

  addTo(...servers: grpc.Server[]): void {
    for (const s of servers) {
      this.health.addToServer(s);
      this.reflection.addToServer(s);
    }
  }

  /** Called once the listeners are up, and again whenever the store's state changes. */
  serving(storageOk: boolean): void {
    this.set('', 'SERVING');
    this.set(OPERATOR_SERVICE, 'SERVING');
    this.set(AGENT_SERVICE, storageOk ? 'SERVING' : 'NOT_SERVING');
  }

  /** Shutting down: probes see it before the listeners close. */
  stopping(): void {
    for (const s of ['', AGENT_SERVICE, OPERATOR_SERVICE]) this.set(s, 'NOT_SERVING');
  }

  private readonly current = new Map<string, ServingStatus>();
  private set(service: string, status: ServingStatus): void {
    // setStatus notifies every Watch stream: only on a change
    if (this.current.get(service) === status) return;
    this.current.set(service, status);
    this.health.setStatus(service, status);
  }
}
