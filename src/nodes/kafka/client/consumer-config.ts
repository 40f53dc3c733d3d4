import type { IsolationLevel } from "../protocol.js";

export type AutoOffsetReset = "earliest" | "latest" | "none";

/** partition.assignment.strategy entries: Kafka's eager client-side assignors. */
export type AssignorName = "range" | "roundrobin";

/** KafkaConsumer settings: Kafka's config names in camelCase, units last. */
export interface ConsumerConfig {
  /** bootstrap.servers, as broker ids. */
  readonly bootstrapBrokers: readonly number[];
  /** client.id: labels traces and timers. Default `consumer`. */
  readonly clientId: string;
  /** isolation.level: default read_uncommitted. */
  readonly isolationLevel: IsolationLevel;
  /** auto.offset.reset: default latest. */
  readonly autoOffsetReset: AutoOffsetReset;
  /** fetch.max.wait.ms (default 500): sent with each Fetch; the leader holds a fetch that finds no data up to this long. */
  readonly fetchMaxWaitMs: number;
  /** fetch.max.bytes: sent as the Fetch request's maxBytes. Default 52428800. */
  readonly fetchMaxBytes: number;
  /** max.poll.records: default 500. */
  readonly maxPollRecords: number;
  /** request.timeout.ms: default 30000. */
  readonly requestTimeoutMs: number;
  /** default.api.timeout.ms: how long endOffsets and partitionsFor keep trying. Default 60000. */
  readonly defaultApiTimeoutMs: number;
  /** retry.backoff.ms: default 100. */
  readonly retryBackoffMs: number;
  /** metadata.max.age.ms: default 300000. */
  readonly metadataMaxAgeMs: number;
  /** reconnect.backoff.ms: default 50. */
  readonly reconnectBackoffMs: number;
  /** group.id: required for subscribe(), commitOffsets() and groupMetadata(). Default null. */
  readonly groupId: string | null;
  /**
   * group.instance.id (KIP-345): a static member. It keeps its place and assignment across a
   * restart within the session timeout (no rebalance while the group is Stable), does not leave
   * the group on close, and a newer instance with the same id fences it (FENCED_INSTANCE_ID,
   * fatal). Default null (a dynamic member).
   */
  readonly groupInstanceId: string | null;
  /** partition.assignment.strategy, in preference order (sent as the JoinGroup protocols). Default [range]. */
  readonly partitionAssignmentStrategy: readonly AssignorName[];
  /** heartbeat.interval.ms: default 3000. */
  readonly heartbeatIntervalMs: number;
  /** session.timeout.ms: default 45000. */
  readonly sessionTimeoutMs: number;
  /** max.poll.interval.ms (also the JoinGroup rebalance timeout): default 300000. */
  readonly maxPollIntervalMs: number;
  /** enable.auto.commit: only false is modelled (commit with commitOffsets). */
  readonly enableAutoCommit: false;
}

export type ConsumerOptions = Partial<Omit<ConsumerConfig, "bootstrapBrokers">> & { readonly bootstrapBrokers: readonly number[] };

export function resolveConsumerConfig(options: ConsumerOptions): ConsumerConfig {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<ConsumerConfig>;
  const config: ConsumerConfig = {
    clientId: "consumer",
    isolationLevel: "read_uncommitted",
    autoOffsetReset: "latest",
    fetchMaxWaitMs: 500,
    fetchMaxBytes: 52_428_800,
    maxPollRecords: 500,
    requestTimeoutMs: 30_000,
    defaultApiTimeoutMs: 60_000,
    retryBackoffMs: 100,
    metadataMaxAgeMs: 300_000,
    reconnectBackoffMs: 50,
    groupId: null,
    groupInstanceId: null,
    partitionAssignmentStrategy: ["range"],
    heartbeatIntervalMs: 3000,
    sessionTimeoutMs: 45_000,
    maxPollIntervalMs: 300_000,
    enableAutoCommit: false,
    ...defined,
    bootstrapBrokers: options.bootstrapBrokers,
  };
  if (config.bootstrapBrokers.length === 0) throw new Error("consumer: bootstrapBrokers is empty");
  if (config.maxPollRecords < 1) throw new Error("consumer: maxPollRecords must be ≥ 1");
  if ((config.enableAutoCommit as boolean) !== false) throw new Error("consumer: enableAutoCommit=true is not modelled");
  if (config.groupId === "") throw new Error("consumer: groupId must not be empty (INVALID_GROUP_ID)");
  if (config.partitionAssignmentStrategy.length === 0) throw new Error("consumer: partitionAssignmentStrategy is empty");
  if (config.heartbeatIntervalMs >= config.sessionTimeoutMs) throw new Error("consumer: heartbeatIntervalMs must be below sessionTimeoutMs");
  return config;
}
