import type { KafkaError } from "./errors.js";

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
    };

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
  | { readonly type: "InitProducerIdResponse"; readonly correlationId: number; readonly error: KafkaError; readonly producerId: number; readonly producerEpoch: number };

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
