import { z } from "zod";
import { TRANSACTION_STATE_TOPIC } from "../../nodes/kafka/txn/protocol.js";
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
        /**
         * Kafka's manual replica assignment (kafka-topics --replica-assignment): per partition,
         * its replicas' broker ids, the preferred leader first. Omitted: the brokers round-robin.
         */
        replicaAssignment: z.array(z.array(z.int().min(1).max(9)).min(1)).optional(),
        /** The topic's own min.insync.replicas; omitted: the cluster's. */
        minInsyncReplicas: z.int().min(1).max(9).optional(),
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
  /** auto.leader.rebalance.enable: leadership goes back to each partition's preferred replica (the first of its replicas). */
  autoLeaderRebalanceEnable: z.boolean().default(DEFAULT_CONTROLLER_CONFIG.autoLeaderRebalanceEnable),
  /** leader.imbalance.check.interval.seconds (Kafka: 300): the delay before the controller moves leadership back. */
  leaderImbalanceCheckIntervalSeconds: z.int().min(1).max(86_400).default(DEFAULT_CONTROLLER_CONFIG.leaderImbalanceCheckIntervalSeconds),
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
  /** transaction.state.log.min.isr (Kafka: 2): __transaction_state's min.insync.replicas, whatever the cluster's. */
  transactionStateLogMinIsr: z.int().min(1).max(9).default(2),
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
}).check((ctx) => checkTopics(ctx.value, (path, message, input) => ctx.issues.push({ code: "custom", path, message, input })));

/** Kafka refuses such topics at creation (INVALID_REPLICATION_FACTOR, INVALID_REPLICA_ASSIGNMENT); a scenario gets the error up front. */
interface TopicInput {
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly replicaAssignment?: readonly (readonly number[])[] | undefined;
}

function checkTopics(cluster: { readonly brokers: number; readonly topics: readonly TopicInput[] }, report: (path: (string | number)[], message: string, input: unknown) => void): void {
  cluster.topics.forEach((topic, t) => {
    if (topic.replicationFactor > cluster.brokers) report(["topics", t, "replicationFactor"], `a replication factor of at most the ${cluster.brokers} brokers`, topic.replicationFactor);
    const assignment = topic.replicaAssignment;
    if (assignment === undefined) return;
    if (assignment.length !== topic.partitions) report(["topics", t, "replicaAssignment"], `one replica list per partition (${topic.partitions})`, assignment);
    assignment.forEach((replicas, p) => {
      const path = ["topics", t, "replicaAssignment", p];
      if (replicas.length !== topic.replicationFactor) report(path, `${topic.replicationFactor} broker ids (the replication factor)`, replicas);
      replicas.forEach((id, i) => {
        if (id > cluster.brokers) report([...path, i], `a broker id from 1 to ${cluster.brokers}`, id);
        else if (replicas.indexOf(id) < i) report([...path, i], `a broker not already in partition ${p}'s replicas`, id);
      });
    });
  });
}

export type KafkaCluster = z.infer<typeof kafkaClusterSchema>;
export type KafkaClusterInput = z.input<typeof kafkaClusterSchema>;

export function brokerConfigOf(cluster: KafkaCluster): BrokerConfig {
  return {
    minInsyncReplicas: cluster.minInsyncReplicas,
    topicMinInsyncReplicas: topicMinInsyncReplicasOf(cluster),
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

/** Topic-level min.insync.replicas: the topics that set one, and __transaction_state's transaction.state.log.min.isr. */
function topicMinInsyncReplicasOf(cluster: KafkaCluster): Record<string, number> {
  const out: Record<string, number> = { [TRANSACTION_STATE_TOPIC]: cluster.transactionStateLogMinIsr };
  for (const topic of cluster.topics) if (topic.minInsyncReplicas !== undefined) out[topic.name] = topic.minInsyncReplicas;
  return out;
}

export function controllerConfigOf(cluster: KafkaCluster): ControllerConfig {
  return {
    brokerSessionTimeoutMs: cluster.brokerSessionTimeoutMs,
    uncleanLeaderElectionEnable: cluster.uncleanLeaderElectionEnable,
    producerIdBlockSize: cluster.producerIdBlockSize,
    autoLeaderRebalanceEnable: cluster.autoLeaderRebalanceEnable,
    leaderImbalanceCheckIntervalSeconds: cluster.leaderImbalanceCheckIntervalSeconds,
  };
}
