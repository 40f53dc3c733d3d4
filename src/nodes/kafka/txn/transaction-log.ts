import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, type KafkaRecord, type RecordBatch } from "../protocol.js";
import type { TxnCoordinatorConfig } from "./config.js";
import type { TransactionVersion } from "./protocol.js";
import { IllegalTxnStateError, TRANSACTION_STATES, TransactionMetadata, transactionStateFromId, type TxnTransitMetadata } from "./transaction-metadata.js";

/**
 * The records of `__transaction_state` (Kafka's TransactionLog, TransactionLogKey /
 * TransactionLogValue) and the replay a new coordinator does when it becomes leader of one of
 * its partitions. The topic is compacted; a null value (tombstone) deletes an expired id.
 */

export interface TransactionLogKey {
  readonly version: 0;
  readonly transactionalId: string;
}

/**
 * TransactionLogValue. Version 0 has no tagged fields; version 1 (written once the cluster's
 * transaction.version is ≥ 1) adds PreviousProducerId, NextProducerId and
 * ClientTransactionVersion. `lastProducerEpoch`, `pendingState` and `hasFailedEpochFence` are
 * never persisted: a coordinator that loads the log starts them at -1 / none / false.
 */
export interface TransactionLogValue {
  readonly version: 0 | 1;
  readonly producerId: number;
  readonly previousProducerId: number;
  readonly nextProducerId: number;
  readonly producerEpoch: number;
  readonly transactionTimeoutMs: number;
  /** TransactionState id (0 Empty … 7 PrepareEpochFence). */
  readonly transactionStatus: number;
  /** Null for Empty; otherwise grouped by topic. */
  readonly transactionPartitions: readonly { readonly topic: string; readonly partitionIds: readonly number[] }[] | null;
  readonly transactionLastUpdateTimestampMs: number;
  readonly transactionStartTimestampMs: number;
  readonly clientTransactionVersion: TransactionVersion;
}

export interface TransactionLogRecord {
  readonly key: TransactionLogKey;
  /** Null: a tombstone (the transactional id expired). */
  readonly value: TransactionLogValue | null;
}

/**
 * The value version the cluster writes. Kafka: TV ≥ 1 enables the flexible record (an early
 * 4.0 build had this inverted; the feature is documented as "TV_1 enables flexible records").
 */
export function transactionLogValueVersion(clusterTransactionVersion: TransactionVersion): 0 | 1 {
  return clusterTransactionVersion >= 1 ? 1 : 0;
}

/** TransactionLog.valueToBytes as data: the record appended for a transition. */
export function transactionLogRecord(transactionalId: string, transit: TxnTransitMetadata, clusterTransactionVersion: TransactionVersion): TransactionLogRecord {
  if (transit.txnState === "Empty" && transit.topicPartitions.length > 0) {
    throw new IllegalTxnStateError(`Transaction is not expected to have any partitions since its state is Empty: ${JSON.stringify(transit)}`);
  }
  const version = transactionLogValueVersion(clusterTransactionVersion);
  const byTopic = new Map<string, number[]>();
  for (const p of transit.topicPartitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
  return {
    key: { version: 0, transactionalId },
    value: {
      version,
      producerId: transit.producerId,
      // Tagged fields: absent from version 0, so they read back as their defaults.
      previousProducerId: version >= 1 ? transit.previousProducerId : NO_PRODUCER_ID,
      nextProducerId: version >= 1 ? transit.nextProducerId : NO_PRODUCER_ID,
      clientTransactionVersion: version >= 1 ? transit.clientTransactionVersion : 0,
      producerEpoch: transit.producerEpoch,
      transactionTimeoutMs: transit.txnTimeoutMs,
      transactionStatus: TRANSACTION_STATES[transit.txnState].id,
      transactionPartitions: transit.txnState === "Empty" ? null : [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds })),
      transactionLastUpdateTimestampMs: transit.txnLastUpdateTimestamp,
      transactionStartTimestampMs: transit.txnStartTimestamp,
    },
  };
}

/** The tombstone written when a transactional id expires. */
export function transactionLogTombstone(transactionalId: string): TransactionLogRecord {
  return { key: { version: 0, transactionalId }, value: null };
}

/** The metadata a value describes (TransactionLog.read): no pending state, no last epoch. */
export function metadataFromLogValue(transactionalId: string, value: TransactionLogValue, maxProducerEpoch: number): TransactionMetadata {
  const state = transactionStateFromId(value.transactionStatus);
  const topicPartitions = state === "Empty" ? [] : (value.transactionPartitions ?? []).flatMap((t) => t.partitionIds.map((partition) => ({ topic: t.topic, partition })));
  return new TransactionMetadata({
    transactionalId,
    producerId: value.producerId,
    previousProducerId: value.previousProducerId,
    nextProducerId: value.nextProducerId,
    producerEpoch: value.producerEpoch,
    lastProducerEpoch: NO_PRODUCER_EPOCH,
    txnTimeoutMs: value.transactionTimeoutMs,
    state,
    topicPartitions,
    txnStartTimestamp: value.transactionStartTimestampMs,
    txnLastUpdateTimestamp: value.transactionLastUpdateTimestampMs,
    clientTransactionVersion: value.clientTransactionVersion,
    maxProducerEpoch,
  });
}

// ── Records as they sit in a partition ───────────────────────────────────────────────────

/**
 * The data plane's `KafkaRecord` has a non-null string value, so a tombstone is stored with
 * this value. (`KafkaRecord.value` should become `string | null` for compacted topics.)
 */
export const TOMBSTONE_VALUE = "";

/** Encodes a record for a `__transaction_state` batch (key and value as JSON). */
export function toKafkaRecord(record: TransactionLogRecord, timestampMs: number): KafkaRecord {
  return { key: JSON.stringify(record.key), value: record.value === null ? TOMBSTONE_VALUE : JSON.stringify(record.value), timestampMs };
}

export function fromKafkaRecord(record: KafkaRecord): TransactionLogRecord {
  if (record.key === null) throw new IllegalTxnStateError("Transaction state log's key should not be null");
  const key = JSON.parse(record.key) as TransactionLogKey;
  const value = record.value === TOMBSTONE_VALUE ? null : (JSON.parse(record.value) as TransactionLogValue);
  return { key, value };
}

/** The transaction-log records of a partition's batches, in log order (control batches skipped). */
export function recordsOfBatches(batches: readonly RecordBatch[]): TransactionLogRecord[] {
  return batches.filter((b) => !b.isControl).flatMap((b) => b.records.map(fromKafkaRecord));
}

// ── Loading a partition on failover ─────────────────────────────────────────────────────

export interface LoadedTxnPartition {
  /** The cache of the partition, by transactional id, in first-seen order. */
  readonly transactions: ReadonlyMap<string, TransactionMetadata>;
  /** Ids in PrepareCommit / PrepareAbort: their markers must be (re)sent, then Complete* appended. */
  readonly toComplete: readonly { readonly transactionalId: string; readonly result: "COMMIT" | "ABORT" }[];
  /** Ids in Ongoing: the timeout scan aborts them later, against this coordinator's clock. */
  readonly ongoing: readonly string[];
}

/**
 * Rebuilds a partition's cache from its records, from log start to the end (Kafka's
 * loadTransactionMetadata): the last value of each key wins, a tombstone removes it. Records
 * that are not transaction-log records are a model error. Nothing is prepared here: the cache
 * runs prepareComplete on the Prepare* entries once it installs them.
 */
export function loadPartition(records: readonly TransactionLogRecord[], config: Pick<TxnCoordinatorConfig, "maxProducerEpoch">): LoadedTxnPartition {
  const transactions = new Map<string, TransactionMetadata>();
  for (const record of records) {
    const id = record.key.transactionalId;
    if (record.value === null) transactions.delete(id);
    else transactions.set(id, metadataFromLogValue(id, record.value, config.maxProducerEpoch));
  }
  const toComplete: { transactionalId: string; result: "COMMIT" | "ABORT" }[] = [];
  const ongoing: string[] = [];
  for (const [transactionalId, metadata] of transactions) {
    if (metadata.state === "PrepareCommit") toComplete.push({ transactionalId, result: "COMMIT" });
    else if (metadata.state === "PrepareAbort") toComplete.push({ transactionalId, result: "ABORT" });
    else if (metadata.state === "Ongoing") ongoing.push(transactionalId);
  }
  return { transactions, toComplete, ongoing };
}

// ── Which partition holds an id ─────────────────────────────────────────────────────────

/** Java's String.hashCode: s[0]*31^(n-1) + … + s[n-1] over UTF-16 code units, in int32 arithmetic. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: Math.abs, except that Integer.MIN_VALUE maps to 0 instead of itself. */
export function kafkaUtilsAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/**
 * `Utils.abs(key.hashCode) % partitions`: the `__transaction_state` partition of a
 * transactional id (and, with the offsets topic's count, the `__consumer_offsets` partition of a
 * group id).
 */
export function partitionFor(key: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`partition count must be a positive integer, got ${partitions}`);
  return kafkaUtilsAbs(javaStringHashCode(key)) % partitions;
}
