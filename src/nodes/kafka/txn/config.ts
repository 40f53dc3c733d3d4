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
};

export function txnCoordinatorConfig(overrides: Partial<TxnCoordinatorConfig> = {}): TxnCoordinatorConfig {
  const config = { ...DEFAULT_TXN_COORDINATOR_CONFIG, ...overrides };
  if (!Number.isInteger(config.maxProducerEpoch) || config.maxProducerEpoch < 2 || config.maxProducerEpoch > SHORT_MAX_VALUE) {
    throw new Error(`maxProducerEpoch must be an integer in [2, ${SHORT_MAX_VALUE}], got ${config.maxProducerEpoch}`);
  }
  return config;
}
