import type { IsolationLevel } from "../protocol.js";

export type AutoOffsetReset = "earliest" | "latest" | "none";

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
    ...defined,
    bootstrapBrokers: options.bootstrapBrokers,
  };
  if (config.bootstrapBrokers.length === 0) throw new Error("consumer: bootstrapBrokers is empty");
  if (config.maxPollRecords < 1) throw new Error("consumer: maxPollRecords must be ≥ 1");
  return config;
}
