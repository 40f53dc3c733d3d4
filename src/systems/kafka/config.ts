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
  };
}

export function controllerConfigOf(cluster: KafkaCluster): ControllerConfig {
  return {
    brokerSessionTimeoutMs: cluster.brokerSessionTimeoutMs,
    uncleanLeaderElectionEnable: cluster.uncleanLeaderElectionEnable,
    producerIdBlockSize: cluster.producerIdBlockSize,
  };
}
