import type { TransactionVersion } from "./txn/protocol.js";

/** Broker and controller settings, named after Kafka's configs (camelCase, units last). */
export interface BrokerConfig {
  /** min.insync.replicas (Kafka's default is 1). */
  readonly minInsyncReplicas: number;
  /** Topic-level min.insync.replicas where a topic overrides the broker's (transaction.state.log.min.isr for __transaction_state). */
  readonly topicMinInsyncReplicas?: Readonly<Record<string, number>>;
  readonly replicaLagTimeMaxMs: number;
  /** replica.fetch.wait.max.ms: how long a leader holds a follower fetch that finds nothing. */
  readonly replicaFetchWaitMaxMs: number;
  readonly replicaFetchBackoffMs: number;
  /** replica.socket.timeout.ms: the follower's fetch request timeout. */
  readonly replicaSocketTimeoutMs: number;
  /** log.flush.interval.messages: Infinity = never fsync per append (Kafka's default). */
  readonly logFlushIntervalMessages: number;
  readonly replicaHighWatermarkCheckpointIntervalMs: number;
  readonly brokerHeartbeatIntervalMs: number;
  /** Records a fetch may return per partition (stands in for max.bytes). */
  readonly fetchMaxBatches: number;
  /**
   * The transaction version producers use (Kafka: the `transaction.version` feature and the
   * Produce version): 2 = KIP-890 part 2, the leader adds a partition to the transaction
   * itself; below 2 it only verifies. Default 2.
   */
  readonly transactionVersion?: TransactionVersion;
  /** transaction.partition.verification.enable (KIP-890 part 1). Default true. */
  readonly transactionPartitionVerificationEnable?: boolean;
  /** request.timeout.ms of the broker's own requests (verification, markers' acks=all wait). Default 30000. */
  readonly requestTimeoutMs?: number;
}

export interface ControllerConfig {
  readonly brokerSessionTimeoutMs: number;
  readonly uncleanLeaderElectionEnable: boolean;
  readonly producerIdBlockSize: number;
  /** auto.leader.rebalance.enable: move leadership back to each partition's preferred replica. */
  readonly autoLeaderRebalanceEnable: boolean;
  /** leader.imbalance.check.interval.seconds: how long a partition may lead from a non-preferred replica before the controller acts. */
  readonly leaderImbalanceCheckIntervalSeconds: number;
}

export interface TopicConfig {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  /** Per partition, its replicas (the preferred leader first); omitted: round-robin over the brokers. */
  readonly replicaAssignment?: readonly (readonly number[])[];
}

export const DEFAULT_BROKER_CONFIG: BrokerConfig = {
  minInsyncReplicas: 1,
  replicaLagTimeMaxMs: 30_000,
  replicaFetchWaitMaxMs: 500,
  replicaFetchBackoffMs: 1000,
  replicaSocketTimeoutMs: 30_000,
  logFlushIntervalMessages: Number.POSITIVE_INFINITY,
  replicaHighWatermarkCheckpointIntervalMs: 5000,
  brokerHeartbeatIntervalMs: 2000,
  fetchMaxBatches: 64,
  transactionVersion: 2,
  transactionPartitionVerificationEnable: true,
  requestTimeoutMs: 30_000,
};

export const DEFAULT_CONTROLLER_CONFIG: ControllerConfig = {
  brokerSessionTimeoutMs: 9000,
  uncleanLeaderElectionEnable: false,
  producerIdBlockSize: 1000,
  autoLeaderRebalanceEnable: true,
  leaderImbalanceCheckIntervalSeconds: 300,
};
