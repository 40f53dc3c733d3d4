import type { TransactionVersion } from "./protocol.js";

/** Transaction coordinator settings, named after Kafka's configs (camelCase, units last). */
export interface TxnCoordinatorConfig {
  /** transaction.max.timeout.ms: InitProducerId with a larger timeout gets INVALID_TRANSACTION_TIMEOUT. */
  readonly transactionMaxTimeoutMs: number;
  /** transactional.id.expiration.ms: idle ids in Empty/Complete* are tombstoned after this. */
  readonly transactionalIdExpirationMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms. */
  readonly removeExpiredTransactionalIdsIntervalMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms. */
  readonly abortTimedOutTransactionsIntervalMs: number;
  /** The finalized `transaction.version` feature level of the cluster (server side). */
  readonly transactionVersion: TransactionVersion;
  /**
   * Largest producer epoch (Kafka: Short.MaxValue = 32767, not configurable). An epoch is
   * exhausted at maxProducerEpoch - 1; lower it to make exhaustion and PID rotation reachable.
   */
  readonly maxProducerEpoch: number;
  /** transaction.state.log.num.partitions. */
  readonly transactionStateTopicPartitions: number;
  /** offsets.topic.num.partitions, for AddOffsetsToTxn's partitionFor(groupId). */
  readonly offsetsTopicPartitions: number;
  /**
   * request.timeout.ms of the broker: a WriteTxnMarkers request unanswered this long is given up
   * and its markers are sent again; also the timeout of the tombstone appends.
   */
  readonly requestTimeoutMs: number;
  /**
   * How long the marker channel waits before sending markers again (a partition without a known
   * leader, a retriable marker error, a lost request) and before re-appending a Complete* record
   * that failed with COORDINATOR_NOT_AVAILABLE. Kafka's sender thread retries on its next poll;
   * the model uses retry.backoff.ms.
   */
  readonly retryBackoffMs: number;
  /**
   * Model parameter (no Kafka config): how long loading a `__transaction_state` partition takes
   * after the election. Kafka loads on a scheduler thread; requests meanwhile get
   * COORDINATOR_LOAD_IN_PROGRESS. 0 still loads in a later event, never inside the election.
   */
  readonly transactionLogLoadTimeMs: number;
}

export const SHORT_MAX_VALUE = 32767;

export const DEFAULT_TXN_COORDINATOR_CONFIG: TxnCoordinatorConfig = {
  transactionMaxTimeoutMs: 900_000,
  transactionalIdExpirationMs: 604_800_000,
  removeExpiredTransactionalIdsIntervalMs: 3_600_000,
  abortTimedOutTransactionsIntervalMs: 10_000,
  transactionVersion: 2,
  maxProducerEpoch: SHORT_MAX_VALUE,
  transactionStateTopicPartitions: 50,
  offsetsTopicPartitions: 50,
  requestTimeoutMs: 30_000,
  retryBackoffMs: 100,
  transactionLogLoadTimeMs: 0,
};

export function txnCoordinatorConfig(overrides: Partial<TxnCoordinatorConfig> = {}): TxnCoordinatorConfig {
  const config = { ...DEFAULT_TXN_COORDINATOR_CONFIG, ...overrides };
  if (!Number.isInteger(config.maxProducerEpoch) || config.maxProducerEpoch < 2 || config.maxProducerEpoch > SHORT_MAX_VALUE) {
    throw new Error(`maxProducerEpoch must be an integer in [2, ${SHORT_MAX_VALUE}], got ${config.maxProducerEpoch}`);
  }
  return config;
}
