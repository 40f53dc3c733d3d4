import type { TopicPartition } from "../protocol.js";
import type { TxnError } from "./errors.js";

/**
 * Wire shapes of the transaction APIs, as the coordinator logic consumes and produces them
 * (names from the Kafka protocol; only the fields the model needs). They are meant to join
 * `KafkaRequest` / `KafkaResponse` in `../protocol.ts`; InitProducerId is already there.
 */

/** Kafka's internal topics. */
export const TRANSACTION_STATE_TOPIC = "__transaction_state";
export const GROUP_METADATA_TOPIC = "__consumer_offsets";

/** `transaction.version` feature level: 0 original, 1 flexible log records, 2 KIP-890 part 2. */
export type TransactionVersion = 0 | 1 | 2;

/** TransactionVersion.supportsEpochBump: an epoch bump per transaction (TV2). */
export function supportsEpochBump(version: TransactionVersion): boolean {
  return version >= 2;
}

export type TransactionResult = "COMMIT" | "ABORT";

/**
 * InitProducerId (the fields of `KafkaRequest` "InitProducerId"). `producerId`/`producerEpoch`
 * are the producer's current pair under KIP-360 (v3+), both -1 when it has none.
 */
export interface InitProducerIdParams {
  readonly transactionalId: string | null;
  readonly transactionTimeoutMs: number;
  readonly producerId: number;
  readonly producerEpoch: number;
}

/**
 * AddPartitionsToTxn. From a client (TV1, v≤3): explicit membership. From a partition leader
 * (v4+): `verifyOnly` asks whether the partitions are already in the transaction (KIP-890 part 1);
 * without it (TV2) the leader adds the partition of a first transactional produce implicitly.
 */
export interface AddPartitionsToTxnParams {
  readonly transactionalId: string | null;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly partitions: readonly TopicPartition[];
  readonly verifyOnly: boolean;
  /** The client's transaction version as the request version tells it (TV2 for implicit adds). */
  readonly transactionVersion: TransactionVersion;
}

/** AddOffsetsToTxn: adds `__consumer_offsets-partitionFor(groupId)` through AddPartitionsToTxn. */
export interface AddOffsetsToTxnParams {
  readonly transactionalId: string | null;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly groupId: string;
  readonly transactionVersion: TransactionVersion;
}

/** EndTxn; v5+ is transaction version 2 and its response carries the bumped producer id and epoch. */
export interface EndTxnParams {
  readonly transactionalId: string | null;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly result: TransactionResult;
  readonly transactionVersion: TransactionVersion;
}

/** What the coordinator answers, per API (the body of the response, without correlationId). */
export type TxnReply =
  | { readonly api: "InitProducerId"; readonly error: TxnError; readonly producerId: number; readonly producerEpoch: number }
  | { readonly api: "AddPartitionsToTxn"; readonly results: readonly PartitionResult[] }
  | { readonly api: "AddOffsetsToTxn"; readonly error: TxnError }
  | { readonly api: "EndTxn"; readonly error: TxnError; readonly producerId: number; readonly producerEpoch: number };

export interface PartitionResult {
  readonly topic: string;
  readonly partition: number;
  readonly error: TxnError;
}

/**
 * One WriteTxnMarkers entry as the coordinator sends it to a partition leader (grouped per
 * broker by the marker channel). `transactionVersion` is KIP-1228's field (WriteTxnMarkers v2).
 */
export interface TxnMarkerEntry {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly coordinatorEpoch: number;
  readonly result: TransactionResult;
  readonly transactionVersion: TransactionVersion;
  readonly partitions: readonly TopicPartition[];
}
