import type { BrokerServices, CoordinatorFactory, HostedCoordinator } from "../../../../src/nodes/kafka/coordinator-host.js";
import type { CoordinatorRequest } from "../../../../src/nodes/kafka/coordinator-router.js";
import type { KafkaError } from "../../../../src/nodes/kafka/errors.js";
import type { GroupAndTxnRequest, GroupAndTxnResponse, KafkaMessage } from "../../../../src/nodes/kafka/protocol.js";
import { TRANSACTION_STATE_TOPIC } from "../../../../src/nodes/kafka/txn/protocol.js";

type AddPartitions = Extract<GroupAndTxnRequest, { type: "AddPartitionsToTxn" }>;

/**
 * A hosted coordinator whose answers a test scripts: it records every request, response,
 * leadership change and marker the broker routes to it, and answers AddPartitionsToTxn with
 * `answer` (or holds the answers until `release`).
 */
export class ScriptedCoordinator implements HostedCoordinator {
  readonly requests: { readonly from: string; readonly request: CoordinatorRequest }[] = [];
  readonly responses: GroupAndTxnResponse[] = [];
  readonly events: string[] = [];
  answer: (request: AddPartitions) => KafkaError = () => "NONE";
  hold = false;
  private readonly held: (() => void)[] = [];

  constructor(
    readonly services: BrokerServices,
    readonly topic = TRANSACTION_STATE_TOPIC,
    private readonly types: readonly string[] = ["AddPartitionsToTxn", "InitProducerId", "EndTxn", "AddOffsetsToTxn"],
  ) {}

  handles(type: GroupAndTxnRequest["type"] | "InitProducerId"): boolean {
    return this.types.includes(type);
  }

  onRequest(from: string, request: CoordinatorRequest): void {
    this.requests.push({ from, request });
    if (request.type !== "AddPartitionsToTxn") return;
    const reply = () => {
      const error = this.answer(request);
      const response: KafkaMessage = {
        type: "AddPartitionsToTxnResponse",
        correlationId: request.correlationId,
        results: request.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error })),
      };
      this.services.ctx.send(from, response);
    };
    if (this.hold) this.held.push(reply);
    else reply();
  }

  release(): void {
    this.hold = false;
    for (const reply of this.held.splice(0)) reply();
  }

  onResponse(_from: string, response: GroupAndTxnResponse): boolean {
    this.responses.push(response);
    return response.type === "WriteTxnMarkersResponse";
  }

  onBecomeLeader(partition: number, leaderEpoch: number): void {
    this.events.push(`leader ${partition} epoch ${leaderEpoch}`);
  }

  onResign(partition: number, leaderEpoch: number): void {
    this.events.push(`resign ${partition} epoch ${leaderEpoch}`);
  }

  onMarkerAppended(partition: number, producerId: number, producerEpoch: number, result: "COMMIT" | "ABORT", _transactionVersion: number): void {
    this.events.push(`marker ${partition} ${producerId}/${producerEpoch} ${result}`);
  }

  onDisconnect(peer: string): void {
    this.events.push(`disconnect ${peer}`);
  }
}

/** One ScriptedCoordinator per broker incarnation, the latest reachable by broker id. */
export function scriptedCoordinators(topic = TRANSACTION_STATE_TOPIC, types?: readonly string[]) {
  const byBroker = new Map<number, ScriptedCoordinator>();
  const factories = (brokerId: number): CoordinatorFactory[] => [
    (services) => {
      const coordinator = new ScriptedCoordinator(services, topic, types);
      byBroker.set(brokerId, coordinator);
      return coordinator;
    },
  ];
  return { byBroker, factories };
}
