import { z } from "zod";
import { DEFAULT_BROKER_CONFIG, DEFAULT_CONTROLLER_CONFIG, type BrokerConfig, type ControllerConfig } from "../../nodes/kafka/broker-config.js";

const topicName = z.string().regex(/^[a-zA-Z0-9._-]+$/, "a topic name of letters, digits, '.', '_' and '-'").max(249);
const positiveMs = (max: number) => z.int().min(1).max(max);

/** `cluster:` for Kafka. Config names are Kafka's, camelCased, units last. */
export const kafkaClusterSchema = z.strictObject({
  kind: z.literal("kafka"),
  brokers: z.int().min(1).max(9).default(3),
  topics: z
    .array(
      z.strictObject({
        name: topicName,
        partitions: z.int().min(1).max(64).default(1),
        replicationFactor: z.int().min(1).max(9).default(3),
      }),
    )
    .min(1)
    .default([{ name: "events", partitions: 1, replicationFactor: 3 }]),
  minInsyncReplicas: z.int().min(1).max(9).default(DEFAULT_BROKER_CONFIG.minInsyncReplicas),
  uncleanLeaderElectionEnable: z.boolean().default(DEFAULT_CONTROLLER_CONFIG.uncleanLeaderElectionEnable),
  replicaLagTimeMaxMs: positiveMs(600_000).default(DEFAULT_BROKER_CONFIG.replicaLagTimeMaxMs),
  replicaFetchWaitMaxMs: positiveMs(60_000).default(DEFAULT_BROKER_CONFIG.replicaFetchWaitMaxMs),
  replicaFetchBackoffMs: positiveMs(60_000).default(DEFAULT_BROKER_CONFIG.replicaFetchBackoffMs),
  replicaSocketTimeoutMs: positiveMs(600_000).default(DEFAULT_BROKER_CONFIG.replicaSocketTimeoutMs),
  /** log.flush.interval.messages; omitted = never fsync per append (Kafka's default). */
  logFlushIntervalMessages: z.int().min(1).max(1_000_000_000).optional(),
  replicaHighWatermarkCheckpointIntervalMs: positiveMs(600_000).default(DEFAULT_BROKER_CONFIG.replicaHighWatermarkCheckpointIntervalMs),
  brokerHeartbeatIntervalMs: positiveMs(60_000).default(DEFAULT_BROKER_CONFIG.brokerHeartbeatIntervalMs),
  brokerSessionTimeoutMs: positiveMs(600_000).default(DEFAULT_CONTROLLER_CONFIG.brokerSessionTimeoutMs),
  producerIdBlockSize: z.int().min(1).max(1_000_000).default(DEFAULT_CONTROLLER_CONFIG.producerIdBlockSize),
  fetchMaxBatches: z.int().min(1).max(10_000).default(DEFAULT_BROKER_CONFIG.fetchMaxBatches),
  /** The finalized `transaction.version` feature: 2 (KIP-890 part 2, Kafka 4.x default) or 1. */
  transactionVersion: z.union([z.literal(1), z.literal(2)]).default(2),
  /** transaction.partition.verification.enable (KIP-890 part 1; used with transaction version 1). */
  transactionPartitionVerificationEnable: z.boolean().default(true),
  /**
   * transaction.state.log.num.partitions and offsets.topic.num.partitions. Kafka's default is 50
   * each; the model defaults to 3 so that short runs exercise several coordinators without
   * replicating 100 idle partitions. The internal topics exist only when a client needs them.
   */
  transactionStateLogNumPartitions: z.int().min(1).max(64).default(3),
  offsetsTopicNumPartitions: z.int().min(1).max(64).default(3),
  /** transaction.max.timeout.ms. */
  transactionMaxTimeoutMs: positiveMs(3_600_000).default(900_000),
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms. */
  transactionAbortTimedOutTransactionCleanupIntervalMs: positiveMs(3_600_000).default(10_000),
  /** transactional.id.expiration.ms (7 days in Kafka). */
  transactionalIdExpirationMs: positiveMs(2_147_483_647).default(604_800_000),
  /** Largest producer epoch (Kafka: Short.MaxValue). Lower it to reach epoch exhaustion and PID rotation. */
  maxProducerEpoch: z.int().min(2).max(32_767).default(32_767),
  /** group.initial.rebalance.delay.ms. */
  groupInitialRebalanceDelayMs: z.int().min(0).max(600_000).default(3000),
});

export type KafkaCluster = z.infer<typeof kafkaClusterSchema>;
export type KafkaClusterInput = z.input<typeof kafkaClusterSchema>;

export function brokerConfigOf(cluster: KafkaCluster): BrokerConfig {
  return {
    minInsyncReplicas: cluster.minInsyncReplicas,
    replicaLagTimeMaxMs: cluster.replicaLagTimeMaxMs,
    replicaFetchWaitMaxMs: cluster.replicaFetchWaitMaxMs,
    replicaFetchBackoffMs: cluster.replicaFetchBackoffMs,
    replicaSocketTimeoutMs: cluster.replicaSocketTimeoutMs,
    logFlushIntervalMessages: cluster.logFlushIntervalMessages ?? Number.POSITIVE_INFINITY,
    replicaHighWatermarkCheckpointIntervalMs: cluster.replicaHighWatermarkCheckpointIntervalMs,
    brokerHeartbeatIntervalMs: cluster.brokerHeartbeatIntervalMs,
    fetchMaxBatches: cluster.fetchMaxBatches,
    transactionVersion: cluster.transactionVersion,
    transactionPartitionVerificationEnable: cluster.transactionPartitionVerificationEnable,
  };
}

export function controllerConfigOf(cluster: KafkaCluster): ControllerConfig {
  return {
    brokerSessionTimeoutMs: cluster.brokerSessionTimeoutMs,
    uncleanLeaderElectionEnable: cluster.uncleanLeaderElectionEnable,
    producerIdBlockSize: cluster.producerIdBlockSize,
  };
}
