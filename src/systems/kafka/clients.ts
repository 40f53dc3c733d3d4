import { z } from "zod";

const topicName = z.string().min(1).max(249);
const ms = (max: number) => z.int().min(1).max(max);

/** `clients:` entry: writers that send unique values through an idempotent (by default) producer. */
export const kafkaWriterSchema = z.strictObject({
  kind: z.literal("kafka-writer"),
  count: z.int().min(1).max(100).default(1),
  topic: topicName.default("events"),
  opsPerSec: z.number().gt(0).max(100_000).default(50),
  /** Sends outstanding at once per writer (each slot is its own history process). */
  concurrency: z.int().min(1).max(100).default(1),
  /** Keys k0..k(n-1) drawn per record; omitted: null keys (sticky partitioning). */
  keyCount: z.int().min(1).max(1_000_000).optional(),
  acks: z.union([z.literal(-1), z.literal(0), z.literal(1), z.literal("all")]).default(-1),
  /** Omitted: Kafka's default (on unless acks/retries/max.in.flight conflict). */
  enableIdempotence: z.boolean().optional(),
  lingerMs: z.int().min(0).max(60_000).default(5),
  batchSizeRecords: z.int().min(1).max(100_000).default(16),
  maxInFlightRequestsPerConnection: z.int().min(1).max(100).default(5),
  requestTimeoutMs: ms(600_000).default(30_000),
  deliveryTimeoutMs: ms(3_600_000).default(120_000),
  /** Omitted: Integer.MAX_VALUE (retry until the delivery timeout). */
  retries: z.int().min(0).max(2_147_483_647).optional(),
  retryBackoffMs: z.int().min(0).max(60_000).default(100),
  metadataMaxAgeMs: ms(3_600_000).default(300_000),
  maxProducerEpoch: z.int().min(1).max(32_767).default(32_767),
});

/** `clients:` entry: readers that consume every partition from the beginning and record what they saw. */
export const kafkaReaderSchema = z.strictObject({
  kind: z.literal("kafka-reader"),
  count: z.int().min(1).max(100).default(1),
  /** Omitted: every topic of the cluster. */
  topics: z.array(topicName).min(1).optional(),
  isolationLevel: z.enum(["read_uncommitted", "read_committed"]).default("read_uncommitted"),
  pollTimeoutMs: ms(60_000).default(1000),
  fetchMaxWaitMs: z.int().min(0).max(60_000).default(500),
  maxPollRecords: z.int().min(1).max(100_000).default(500),
  requestTimeoutMs: ms(600_000).default(30_000),
  /**
   * Start reading at this simulated time (from the beginning, as always). A late reader sees
   * the final log: it reveals acknowledged writes that vanished after an earlier reader saw them.
   * The liveness phase's heal-all may start it earlier, once the fault window is over.
   */
  startMs: z.int().min(0).max(86_400_000).default(0),
  /** Read as a member of this consumer group (subscribe) instead of assigning every partition. */
  groupId: z.string().min(1).max(249).optional(),
  /** With a groupId: the consumer's group.instance.id (KIP-345), a static member; readers sharing one take each other's place. */
  groupInstanceId: z.string().min(1).max(249).optional(),
  /** With a groupId: commit the positions after each poll that returned records. */
  commitAfterPoll: z.boolean().default(false),
}).check((ctx) => {
  if (ctx.value.groupInstanceId !== undefined && ctx.value.groupId === undefined) {
    ctx.issues.push({ code: "custom", path: ["groupInstanceId"], message: "no groupInstanceId without a groupId (a static member belongs to a group)", input: ctx.value.groupInstanceId });
  }
});

/** `clients:` entry: transactional writers, one transaction at a time, some aborted on purpose. */
export const kafkaTxnWriterSchema = z.strictObject({
  kind: z.literal("kafka-txn-writer"),
  count: z.int().min(1).max(100).default(1),
  /** Each send picks one of these topics (seeded). */
  topics: z.array(topicName).min(1).default(["events"]),
  /** transactional.id; omitted: the node id. Two writers with the same id fence each other. */
  transactionalId: z.string().min(1).max(249).optional(),
  transactionsPerSec: z.number().gt(0).max(10_000).default(10),
  sendsPerTxnMin: z.int().min(1).max(1000).default(1),
  sendsPerTxnMax: z.int().min(1).max(1000).default(5),
  /** Fraction of transactions aborted on purpose. */
  abortRatio: z.number().min(0).max(1).default(0.2),
  keyCount: z.int().min(1).max(1_000_000).optional(),
  transactionTimeoutMs: ms(900_000).default(60_000),
  /** The client's transaction version (the cluster's caps it). */
  transactionVersion: z.union([z.literal(1), z.literal(2)]).default(2),
  lingerMs: z.int().min(0).max(60_000).default(5),
  requestTimeoutMs: ms(600_000).default(30_000),
  deliveryTimeoutMs: ms(3_600_000).default(120_000),
  retryBackoffMs: z.int().min(0).max(60_000).default(100),
  /** Start at this simulated time (a replacement instance for a fencing scenario). */
  startMs: z.int().min(0).max(86_400_000).default(0),
});

export type KafkaWriterConfig = z.infer<typeof kafkaWriterSchema>;
export type KafkaReaderConfig = z.infer<typeof kafkaReaderSchema>;
/** `clients:` entry: consume-transform-produce copiers in the EOS v2 style (one transactional producer per instance). */
export const kafkaCopierSchema = z.strictObject({
  kind: z.literal("kafka-copier"),
  count: z.int().min(1).max(100).default(1),
  inputTopic: topicName.default("input"),
  outputTopic: topicName.default("output"),
  groupId: z.string().min(1).max(249).default("copier"),
  /** transactional.id; omitted: the node id. A second copier with the same id fences the first. */
  transactionalId: z.string().min(1).max(249).optional(),
  /**
   * The consumer's group.instance.id (KIP-345): a static member that keeps its partitions across
   * a restart within its session timeout. Omitted: a dynamic member. A second copier with the same
   * id takes its place and fences it (FENCED_INSTANCE_ID).
   */
  groupInstanceId: z.string().min(1).max(249).optional(),
  /** Streams' commit.interval.ms under exactly-once. */
  commitIntervalMs: ms(600_000).default(100),
  maxPollRecords: z.int().min(1).max(100_000).default(1000),
  transactionTimeoutMs: ms(900_000).default(10_000),
  transactionVersion: z.union([z.literal(1), z.literal(2)]).default(2),
  /** Fraction of transactions aborted on purpose (their inputs are copied again). */
  abortRatio: z.number().min(0).max(1).default(0),
  /**
   * When fenced (its transaction timed out, for one), rebuild the producer and rejoin the group as
   * a Kafka Streams thread does, instead of stopping as a plain application does. Two live
   * copiers sharing a transactional.id must not both do it: they would fence each other forever.
   */
  rebuildOnFenced: z.boolean().default(false),
  requestTimeoutMs: ms(600_000).default(30_000),
  sessionTimeoutMs: ms(1_800_000).default(10_000),
  heartbeatIntervalMs: ms(600_000).default(3000),
  /** Start at this simulated time (a replacement instance for a fencing scenario). */
  startMs: z.int().min(0).max(86_400_000).default(0),
});

export type KafkaCopierConfig = z.infer<typeof kafkaCopierSchema>;
export type KafkaTxnWriterConfig = z.infer<typeof kafkaTxnWriterSchema>;
export type KafkaClient = KafkaWriterConfig | KafkaReaderConfig | KafkaTxnWriterConfig | KafkaCopierConfig;
