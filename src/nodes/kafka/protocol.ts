import type { KafkaError } from "./errors.js";
import type { AddOffsetsToTxnParams, AddPartitionsToTxnParams, EndTxnParams, PartitionResult, TxnMarkerEntry } from "./txn/protocol.js";

/**
 * Kafka's requests and responses, as the model exchanges them (names from the Kafka protocol;
 * only the fields the model needs). Every client request carries a `correlationId` that its
 * response echoes. Internal controller traffic follows the ZooKeeper-era push model
 * (LeaderAndIsr, UpdateMetadata, AlterPartition) with KRaft's broker heartbeats and fencing.
 */

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface KafkaRecord {
  readonly key: string | null;
  /** Tombstones of the internal topics are the empty string (the model has no null values). */
  readonly value: string;
  readonly timestampMs: number;
}

/** A record batch as it sits in the log (v2 format fields the model needs). */
export interface RecordBatch {
  /** Assigned by the leader on append; -1 while in a producer's hands. */
  readonly baseOffset: number;
  /** Leader epoch at append time: the basis of epoch-based truncation (KIP-101). */
  readonly partitionLeaderEpoch: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly isTransactional: boolean;
  readonly isControl: boolean;
  readonly records: readonly KafkaRecord[];
}

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
/** ListOffsets timestamps. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
/** Fetch replicaId of a consumer. */
export const CONSUMER_REPLICA_ID = -1;

export type Acks = -1 | 0 | 1;
export type IsolationLevel = "read_uncommitted" | "read_committed";

export function lastOffsetOf(batch: RecordBatch): number {
  return batch.baseOffset + batch.records.length - 1;
}

export function lastSequenceOf(batch: RecordBatch): number {
  return batch.baseSequence === NO_SEQUENCE ? NO_SEQUENCE : (batch.baseSequence + batch.records.length - 1) % 2 ** 31;
}

export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly replicas: readonly number[];
  /** Bumped on every ISR or leader change; AlterPartition must name the current one. */
  readonly partitionEpoch: number;
}

export interface TopicMetadata {
  readonly topic: string;
  readonly partitions: readonly PartitionState[];
}

// Client ↔ broker

export type KafkaRequest =
  | { readonly type: "Metadata"; readonly correlationId: number; readonly topics: readonly string[] | null }
  | {
      readonly type: "Produce";
      readonly correlationId: number;
      readonly acks: Acks;
      readonly timeoutMs: number;
      readonly transactionalId: string | null;
      readonly topicData: readonly { readonly topic: string; readonly partition: number; readonly batch: RecordBatch }[];
    }
  | {
      readonly type: "Fetch";
      readonly correlationId: number;
      /** A broker id for follower fetches, CONSUMER_REPLICA_ID for consumers. */
      readonly replicaId: number;
      /** The follower's broker epoch, so a leader can ignore a previous incarnation's fetches. */
      readonly replicaEpoch: number;
      readonly isolationLevel: IsolationLevel;
      readonly maxBytes: number;
      /** Long poll: how long the leader may hold a fetch that finds no data. Default 0. */
      readonly maxWaitMs?: number;
      readonly partitions: readonly {
        readonly topic: string;
        readonly partition: number;
        readonly fetchOffset: number;
        readonly currentLeaderEpoch: number;
        /** Follower fetches: epoch of the last batch it holds, for divergence detection (KIP-320). */
        readonly lastFetchedEpoch: number;
      }[];
    }
  | {
      readonly type: "ListOffsets";
      readonly correlationId: number;
      readonly isolationLevel: IsolationLevel;
      readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly timestamp: number }[];
    }
  | {
      readonly type: "OffsetsForLeaderEpoch";
      readonly correlationId: number;
      readonly replicaId: number;
      readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly leaderEpoch: number; readonly currentLeaderEpoch: number }[];
    }
  | {
      readonly type: "InitProducerId";
      readonly correlationId: number;
      readonly transactionalId: string | null;
      readonly transactionTimeoutMs: number;
      readonly producerId: number;
      readonly producerEpoch: number;
    }
  | GroupAndTxnRequest;

/** FindCoordinator key types (v0 only knew groups). */
export type CoordinatorType = "GROUP" | "TRANSACTION";

/** An offset as OffsetCommit / TxnOffsetCommit / OffsetFetch carry it. */
export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** A member's subscription (the consumer protocol's metadata) and its assignment. */
export interface GroupMemberSubscription {
  readonly memberId: string;
  readonly topics: readonly string[];
}

export interface GroupMemberAssignment {
  readonly memberId: string;
  readonly partitions: readonly TopicPartition[];
}

/**
 * Requests to the transaction and group coordinators, and the coordinator-to-leader
 * WriteTxnMarkers. A broker routes them to the coordinator it hosts for the key's partition of
 * `__transaction_state` / `__consumer_offsets` (NOT_COORDINATOR when it does not lead it).
 */
export type GroupAndTxnRequest =
  | { readonly type: "FindCoordinator"; readonly correlationId: number; readonly key: string; readonly keyType: CoordinatorType }
  | ({ readonly type: "AddPartitionsToTxn"; readonly correlationId: number } & AddPartitionsToTxnParams)
  | ({ readonly type: "AddOffsetsToTxn"; readonly correlationId: number } & AddOffsetsToTxnParams)
  | ({ readonly type: "EndTxn"; readonly correlationId: number } & EndTxnParams)
  | { readonly type: "WriteTxnMarkers"; readonly correlationId: number; readonly markers: readonly TxnMarkerEntry[] }
  | {
      readonly type: "TxnOffsetCommit";
      readonly correlationId: number;
      readonly transactionalId: string;
      readonly groupId: string;
      readonly producerId: number;
      readonly producerEpoch: number;
      /** KIP-447 group metadata: -1 / "" from clients that do not send it. */
      readonly generationId: number;
      readonly memberId: string;
      readonly groupInstanceId: string | null;
      readonly offsets: readonly PartitionOffset[];
    }
  | {
      readonly type: "OffsetCommit";
      readonly correlationId: number;
      readonly groupId: string;
      readonly generationId: number;
      readonly memberId: string;
      readonly groupInstanceId: string | null;
      readonly offsets: readonly PartitionOffset[];
    }
  | {
      readonly type: "OffsetFetch";
      readonly correlationId: number;
      readonly groupId: string;
      /** null: every partition the group has offsets for. */
      readonly partitions: readonly TopicPartition[] | null;
      /** KIP-447: refuse with UNSTABLE_OFFSET_COMMIT while transactional offsets are pending. */
      readonly requireStable: boolean;
    }
  | {
      readonly type: "JoinGroup";
      readonly correlationId: number;
      readonly groupId: string;
      readonly sessionTimeoutMs: number;
      readonly rebalanceTimeoutMs: number;
      /** "" on the first join (KIP-394: the coordinator answers MEMBER_ID_REQUIRED with an id). */
      readonly memberId: string;
      readonly groupInstanceId: string | null;
      readonly protocolType: string;
      /** Assignor names in preference order ("range", "roundrobin"), each with the member's topics. */
      readonly protocols: readonly { readonly name: string; readonly topics: readonly string[] }[];
    }
  | {
      readonly type: "SyncGroup";
      readonly correlationId: number;
      readonly groupId: string;
      readonly generationId: number;
      readonly memberId: string;
      readonly groupInstanceId: string | null;
      /** Only the leader sends assignments; followers send none. */
      readonly assignments: readonly GroupMemberAssignment[];
    }
  | { readonly type: "Heartbeat"; readonly correlationId: number; readonly groupId: string; readonly generationId: number; readonly memberId: string; readonly groupInstanceId: string | null }
  | { readonly type: "LeaveGroup"; readonly correlationId: number; readonly groupId: string; readonly memberId: string };

export type GroupAndTxnResponse =
  | { readonly type: "FindCoordinatorResponse"; readonly correlationId: number; readonly error: KafkaError; readonly nodeId: number }
  | { readonly type: "AddPartitionsToTxnResponse"; readonly correlationId: number; readonly results: readonly PartitionResult[] }
  | { readonly type: "AddOffsetsToTxnResponse"; readonly correlationId: number; readonly error: KafkaError }
  /** v5+ (transaction version 2) carries the producer id and epoch after the end's bump. */
  | { readonly type: "EndTxnResponse"; readonly correlationId: number; readonly error: KafkaError; readonly producerId: number; readonly producerEpoch: number }
  | {
      readonly type: "WriteTxnMarkersResponse";
      readonly correlationId: number;
      readonly markers: readonly { readonly producerId: number; readonly partitions: readonly PartitionResult[] }[];
    }
  | { readonly type: "TxnOffsetCommitResponse"; readonly correlationId: number; readonly results: readonly PartitionResult[] }
  | { readonly type: "OffsetCommitResponse"; readonly correlationId: number; readonly results: readonly PartitionResult[] }
  | {
      readonly type: "OffsetFetchResponse";
      readonly correlationId: number;
      readonly error: KafkaError;
      /** offset -1: no committed offset. */
      readonly offsets: readonly (PartitionOffset & { readonly error: KafkaError })[];
    }
  | {
      readonly type: "JoinGroupResponse";
      readonly correlationId: number;
      readonly error: KafkaError;
      readonly generationId: number;
      readonly protocolName: string | null;
      readonly leader: string;
      readonly memberId: string;
      /** Filled for the leader only: every member's subscription. */
      readonly members: readonly GroupMemberSubscription[];
    }
  | { readonly type: "SyncGroupResponse"; readonly correlationId: number; readonly error: KafkaError; readonly partitions: readonly TopicPartition[] }
  | { readonly type: "HeartbeatResponse"; readonly correlationId: number; readonly error: KafkaError }
  | { readonly type: "LeaveGroupResponse"; readonly correlationId: number; readonly error: KafkaError };

export interface ProducePartitionResponse {
  readonly topic: string;
  readonly partition: number;
  readonly error: KafkaError;
  readonly baseOffset: number;
  readonly logStartOffset: number;
}

export interface FetchPartitionResponse {
  readonly topic: string;
  readonly partition: number;
  readonly error: KafkaError;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  readonly logStartOffset: number;
  /** Set when the follower's log diverges from the leader's at lastFetchedEpoch (KIP-320). */
  readonly divergingEpoch: { readonly epoch: number; readonly endOffset: number } | null;
  readonly abortedTransactions: readonly { readonly producerId: number; readonly firstOffset: number }[] | null;
  readonly batches: readonly RecordBatch[];
}

export type KafkaResponse =
  | {
      readonly type: "MetadataResponse";
      readonly correlationId: number;
      readonly brokers: readonly number[];
      readonly controllerId: number;
      readonly topics: readonly TopicMetadata[];
    }
  | { readonly type: "ProduceResponse"; readonly correlationId: number; readonly responses: readonly ProducePartitionResponse[] }
  | { readonly type: "FetchResponse"; readonly correlationId: number; readonly error: KafkaError; readonly partitions: readonly FetchPartitionResponse[] }
  | {
      readonly type: "ListOffsetsResponse";
      readonly correlationId: number;
      readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaError; readonly offset: number; readonly leaderEpoch: number }[];
    }
  | {
      readonly type: "OffsetsForLeaderEpochResponse";
      readonly correlationId: number;
      readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaError; readonly leaderEpoch: number; readonly endOffset: number }[];
    }
  | { readonly type: "InitProducerIdResponse"; readonly correlationId: number; readonly error: KafkaError; readonly producerId: number; readonly producerEpoch: number }
  | GroupAndTxnResponse;

// Controller ↔ broker

export type ControllerMessage =
  | { readonly type: "BrokerHeartbeat"; readonly brokerId: number; readonly brokerEpoch: number }
  | { readonly type: "BrokerHeartbeatResponse"; readonly brokerEpoch: number; readonly fenced: boolean }
  | {
      readonly type: "LeaderAndIsr";
      readonly controllerEpoch: number;
      readonly brokerEpoch: number;
      readonly partitionStates: readonly PartitionState[];
    }
  | { readonly type: "UpdateMetadata"; readonly controllerEpoch: number; readonly controllerId: number; readonly liveBrokers: readonly number[]; readonly topics: readonly TopicMetadata[] }
  | {
      readonly type: "AlterPartition";
      readonly brokerId: number;
      readonly brokerEpoch: number;
      readonly topic: string;
      readonly partition: number;
      readonly leaderEpoch: number;
      readonly partitionEpoch: number;
      readonly newIsr: readonly number[];
    }
  | { readonly type: "AlterPartitionResponse"; readonly error: KafkaError; readonly state: PartitionState | null; readonly topic: string; readonly partition: number }
  | { readonly type: "AllocateProducerIds"; readonly brokerId: number; readonly brokerEpoch: number }
  | { readonly type: "AllocateProducerIdsResponse"; readonly error: KafkaError; readonly producerIdStart: number; readonly producerIdLen: number };

export type KafkaMessage = KafkaRequest | KafkaResponse | ControllerMessage;

const partitionKeys = new Map<string, (string | undefined)[]>();

export function partitionKey(topic: string, partition: number): string {
  // One string per partition (a pure function, so a process-wide memo is safe): every request
  // looks its partitions up by key, and a string used again is not hashed again.
  if (!Number.isInteger(partition) || partition < 0 || partition >= 1024) return `${topic}-${partition}`;
  let keys = partitionKeys.get(topic);
  if (keys === undefined) {
    keys = [];
    partitionKeys.set(topic, keys);
  }
  return (keys[partition] ??= `${topic}-${partition}`);
}
