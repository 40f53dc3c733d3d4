import type { Acks } from "../protocol.js";

/** Java's MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION_FOR_IDEMPOTENCE. */
export const MAX_IN_FLIGHT_FOR_IDEMPOTENCE = 5;
/** Short.MAX_VALUE: an idempotent producer that would bump past it asks for a new producer id. */
export const MAX_PRODUCER_EPOCH = 32767;

/**
 * KafkaProducer settings: Kafka's config names in camelCase, units last. Every field is
 * optional in `ProducerOptions`; `resolveProducerConfig` applies Kafka's defaults and checks.
 */
export interface ProducerConfig {
  /** bootstrap.servers, as broker ids. */
  readonly bootstrapBrokers: readonly number[];
  /** client.id: labels traces and timers. Default `producer`. */
  readonly clientId: string;
  /** acks: -1 (all, default), 1 (leader) or 0 (no response). */
  readonly acks: Acks;
  /** enable.idempotence: default true (KIP-679). */
  readonly enableIdempotence: boolean;
  /** linger.ms: default 5 (Kafka 4.0). */
  readonly lingerMs: number;
  /** batch.size, counted in records instead of bytes. Default 16. */
  readonly batchSizeRecords: number;
  /** max.in.flight.requests.per.connection: default 5. */
  readonly maxInFlightRequestsPerConnection: number;
  /** request.timeout.ms: default 30000. */
  readonly requestTimeoutMs: number;
  /** delivery.timeout.ms: default 120000; must be ≥ lingerMs + requestTimeoutMs. */
  readonly deliveryTimeoutMs: number;
  /** retries: default Infinity (Java's Integer.MAX_VALUE). */
  readonly retries: number;
  /** retry.backoff.ms: default 100 (constant: KIP-580's exponential backoff is not modelled). */
  readonly retryBackoffMs: number;
  /** metadata.max.age.ms: default 300000. */
  readonly metadataMaxAgeMs: number;
  /** max.block.ms: how long send() waits for the topic's metadata. Default 60000. */
  readonly maxBlockMs: number;
  /** reconnect.backoff.ms: default 50 (constant; reconnect.backoff.max.ms is not modelled). */
  readonly reconnectBackoffMs: number;
  /** The largest producer epoch before a new producer id is requested (Short.MAX_VALUE); small values make exhaustion reachable. */
  readonly maxProducerEpoch: number;
  /** transactional.id: null (default) for a plain idempotent producer; set, it forces idempotence on. */
  readonly transactionalId: string | null;
  /** transaction.timeout.ms, sent in InitProducerId: default 60000. */
  readonly transactionTimeoutMs: number;
  /**
   * The transaction protocol the client speaks: 2 (KIP-890 part 2, the Kafka 4.x default:
   * partitions added by the leaders, an epoch bump per transaction) or 1 (explicit
   * AddPartitionsToTxn / AddOffsetsToTxn). Capping it at what the cluster supports is the brokers' job.
   */
  readonly transactionVersion: 1 | 2;
}

export type ProducerOptions = Partial<Omit<ProducerConfig, "bootstrapBrokers">> & { readonly bootstrapBrokers: readonly number[] };

/** Kafka's ConfigException: thrown at construction for settings Kafka rejects. */
export class ProducerConfigError extends Error {
  override readonly name = "ProducerConfigError";
}

const DEFAULTS: Omit<ProducerConfig, "bootstrapBrokers" | "enableIdempotence"> = {
  clientId: "producer",
  acks: -1,
  lingerMs: 5,
  batchSizeRecords: 16,
  maxInFlightRequestsPerConnection: 5,
  requestTimeoutMs: 30_000,
  deliveryTimeoutMs: 120_000,
  retries: Number.POSITIVE_INFINITY,
  retryBackoffMs: 100,
  metadataMaxAgeMs: 300_000,
  maxBlockMs: 60_000,
  reconnectBackoffMs: 50,
  maxProducerEpoch: MAX_PRODUCER_EPOCH,
  transactionalId: null,
  transactionTimeoutMs: 60_000,
  transactionVersion: 2,
};

/**
 * Applies defaults and Kafka's checks (ProducerConfig.postProcessAndValidateIdempotenceConfigs):
 * - idempotence set explicitly to true requires acks=-1, retries > 0 and at most 5 requests in
 *   flight per connection, else a config error;
 * - idempotence left at its default is silently disabled by a conflicting acks, retries or
 *   max.in.flight (Kafka ≥ 3.2 behaviour);
 * - delivery.timeout.ms must be at least linger.ms + request.timeout.ms;
 * - a transactional.id requires idempotence: set explicitly to false, or with a conflicting
 *   acks, retries or max.in.flight, it is a config error.
 */
export function resolveProducerConfig(options: ProducerOptions): ProducerConfig {
  const merged = { ...DEFAULTS, ...stripUndefined(options), bootstrapBrokers: options.bootstrapBrokers };
  const conflicts: string[] = [];
  if (merged.acks !== -1) conflicts.push(`acks must be -1 (all), got ${merged.acks}`);
  if (merged.retries <= 0) conflicts.push(`retries must be > 0, got ${merged.retries}`);
  if (merged.maxInFlightRequestsPerConnection > MAX_IN_FLIGHT_FOR_IDEMPOTENCE) {
    conflicts.push(`maxInFlightRequestsPerConnection must be ≤ ${MAX_IN_FLIGHT_FOR_IDEMPOTENCE}, got ${merged.maxInFlightRequestsPerConnection}`);
  }
  if (options.enableIdempotence === true && conflicts.length > 0) {
    throw new ProducerConfigError(`enableIdempotence=true: ${conflicts.join("; ")}`);
  }
  if (merged.transactionalId !== null) checkTransactional(merged.transactionalId, options.enableIdempotence, conflicts, merged.transactionTimeoutMs);
  const enableIdempotence = merged.transactionalId !== null || (options.enableIdempotence ?? conflicts.length === 0);
  if (merged.deliveryTimeoutMs < merged.lingerMs + merged.requestTimeoutMs) {
    throw new ProducerConfigError(
      `deliveryTimeoutMs (${merged.deliveryTimeoutMs}) must be ≥ lingerMs + requestTimeoutMs (${merged.lingerMs + merged.requestTimeoutMs})`,
    );
  }
  if (merged.batchSizeRecords < 1) throw new ProducerConfigError(`batchSizeRecords must be ≥ 1, got ${merged.batchSizeRecords}`);
  if (merged.maxInFlightRequestsPerConnection < 1) throw new ProducerConfigError("maxInFlightRequestsPerConnection must be ≥ 1");
  if (merged.bootstrapBrokers.length === 0) throw new ProducerConfigError("bootstrapBrokers is empty");
  return { ...merged, enableIdempotence };
}

function checkTransactional(transactionalId: string, enableIdempotence: boolean | undefined, conflicts: readonly string[], transactionTimeoutMs: number): void {
  if (transactionalId === "") throw new ProducerConfigError("transactionalId must not be empty");
  if (enableIdempotence === false) throw new ProducerConfigError("a transactionalId requires enableIdempotence");
  if (conflicts.length > 0) throw new ProducerConfigError(`transactionalId requires idempotence: ${conflicts.join("; ")}`);
  if (transactionTimeoutMs < 1) throw new ProducerConfigError(`transactionTimeoutMs must be ≥ 1, got ${transactionTimeoutMs}`);
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
