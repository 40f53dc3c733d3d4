import type { HostedCoordinator } from "./coordinator-host.js";
import type { KafkaError } from "./errors.js";
import type { GroupAndTxnRequest, GroupAndTxnResponse, KafkaRequest, KafkaResponse } from "./protocol.js";
import type { TransactionResult } from "./txn/protocol.js";

/** A request a broker hands to a hosted coordinator (FindCoordinator and WriteTxnMarkers it answers itself). */
export type CoordinatorRequest = Exclude<GroupAndTxnRequest, { type: "FindCoordinator" | "WriteTxnMarkers" }> | Extract<KafkaRequest, { type: "InitProducerId" }>;

/**
 * Routes coordinator traffic between a broker and the coordinators it hosts (Kafka's KafkaApis
 * handing requests to the transaction and group coordinators): requests go to the coordinator
 * that handles their type, or get NOT_COORDINATOR when none is hosted; responses to the
 * coordinators' own requests, leadership changes of their topics' partitions, markers on those
 * partitions and broken connections are passed on.
 */
export class CoordinatorRouter {
  constructor(private readonly coordinators: readonly HostedCoordinator[]) {}

  /** The hosted coordinator that owns partitions of `topic`, for harnesses and liveness checks. */
  coordinatorOf(topic: string): HostedCoordinator | undefined {
    return this.coordinators.find((c) => c.topic === topic);
  }

  /** The coordinator answering `request`, if this broker hosts one. */
  handlerFor(request: CoordinatorRequest): HostedCoordinator | undefined {
    return this.coordinators.find((c) => c.handles(request.type));
  }

  /** Offers a response to each coordinator in turn; false when none claims it. */
  offerResponse(from: string, response: GroupAndTxnResponse): boolean {
    return this.coordinators.some((c) => c.onResponse(from, response));
  }

  becameLeader(topic: string, partition: number, leaderEpoch: number): void {
    for (const c of this.coordinators) if (c.topic === topic) c.onBecomeLeader(partition, leaderEpoch);
  }

  resigned(topic: string, partition: number, leaderEpoch: number): void {
    for (const c of this.coordinators) if (c.topic === topic) c.onResign(partition, leaderEpoch);
  }

  markerAppended(topic: string, partition: number, producerId: number, producerEpoch: number, result: TransactionResult, transactionVersion: number): void {
    for (const c of this.coordinators) if (c.topic === topic) c.onMarkerAppended?.(partition, producerId, producerEpoch, result, transactionVersion);
  }

  disconnected(peer: string): void {
    for (const c of this.coordinators) c.onDisconnect?.(peer);
  }
}

/** The answer to a coordinator request when the broker hosts no coordinator for it. */
export function coordinatorErrorResponse(request: CoordinatorRequest, error: KafkaError): KafkaResponse {
  const correlationId = request.correlationId;
  switch (request.type) {
    case "InitProducerId":
      return { type: "InitProducerIdResponse", correlationId, error, producerId: -1, producerEpoch: -1 };
    case "AddPartitionsToTxn":
      return { type: "AddPartitionsToTxnResponse", correlationId, results: request.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error })) };
    case "AddOffsetsToTxn":
      return { type: "AddOffsetsToTxnResponse", correlationId, error };
    case "EndTxn":
      return { type: "EndTxnResponse", correlationId, error, producerId: -1, producerEpoch: -1 };
    case "TxnOffsetCommit":
      return { type: "TxnOffsetCommitResponse", correlationId, results: request.offsets.map((o) => ({ topic: o.topic, partition: o.partition, error })) };
    case "OffsetCommit":
      return { type: "OffsetCommitResponse", correlationId, results: request.offsets.map((o) => ({ topic: o.topic, partition: o.partition, error })) };
    case "OffsetFetch":
      return { type: "OffsetFetchResponse", correlationId, error, offsets: [] };
    case "JoinGroup":
      return { type: "JoinGroupResponse", correlationId, error, generationId: -1, protocolName: null, leader: "", memberId: request.memberId, members: [] };
    case "SyncGroup":
      return { type: "SyncGroupResponse", correlationId, error, partitions: [] };
    case "Heartbeat":
      return { type: "HeartbeatResponse", correlationId, error };
    case "LeaveGroup":
      return { type: "LeaveGroupResponse", correlationId, error };
    default: {
      const unknown: never = request;
      throw new Error(`not a coordinator request: ${JSON.stringify(unknown)}`);
    }
  }
}
