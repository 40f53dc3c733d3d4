/**
 * Kafka error codes the model returns, as one table: the code, the name, whether the Java
 * client treats it as retriable, and the class a transactional producer gives it (facts §1.9).
 * `indefinite` says whether a request that failed with it may nevertheless have been applied.
 */
export type ErrorClass = "none" | "retriable" | "abortable" | "fatal";

export interface KafkaErrorInfo {
  readonly code: number;
  readonly retriable: boolean;
  readonly producerClass: ErrorClass;
  readonly indefinite: boolean;
  readonly description: string;
}

export const KAFKA_ERRORS = {
  NONE: { code: 0, retriable: false, producerClass: "none", indefinite: false, description: "success" },
  OFFSET_OUT_OF_RANGE: { code: 1, retriable: false, producerClass: "fatal", indefinite: false, description: "fetch offset outside [logStart, LEO]" },
  CORRUPT_MESSAGE: { code: 2, retriable: true, producerClass: "retriable", indefinite: false, description: "a batch failed validation" },
  UNKNOWN_TOPIC_OR_PARTITION: { code: 3, retriable: true, producerClass: "retriable", indefinite: false, description: "this broker does not host the partition" },
  LEADER_NOT_AVAILABLE: { code: 5, retriable: true, producerClass: "retriable", indefinite: false, description: "no leader right now (election in progress)" },
  NOT_LEADER_OR_FOLLOWER: { code: 6, retriable: true, producerClass: "retriable", indefinite: true, description: "stale leader: refresh metadata and retry (KAFKA-13574: the write may have happened)" },
  REQUEST_TIMED_OUT: { code: 7, retriable: true, producerClass: "retriable", indefinite: true, description: "acks=all not satisfied within the request timeout; the data may be in the log" },
  NETWORK_EXCEPTION: { code: 13, retriable: true, producerClass: "retriable", indefinite: true, description: "the connection was lost with the request in flight" },
  COORDINATOR_LOAD_IN_PROGRESS: { code: 14, retriable: true, producerClass: "retriable", indefinite: false, description: "coordinator still loading its partition" },
  COORDINATOR_NOT_AVAILABLE: { code: 15, retriable: true, producerClass: "retriable", indefinite: false, description: "coordinator unavailable" },
  NOT_COORDINATOR: { code: 16, retriable: true, producerClass: "retriable", indefinite: false, description: "coordinator moved" },
  NOT_ENOUGH_REPLICAS: { code: 19, retriable: true, producerClass: "retriable", indefinite: false, description: "ISR below min.insync.replicas: nothing appended" },
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: { code: 20, retriable: true, producerClass: "retriable", indefinite: true, description: "ISR shrank below the minimum after the append: the data is in the leader log" },
  NOT_CONTROLLER: { code: 41, retriable: true, producerClass: "retriable", indefinite: false, description: "request sent to a node that is not the controller" },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { code: 45, retriable: false, producerClass: "abortable", indefinite: false, description: "sequence is not last+1 (or not 0 in a new epoch)" },
  DUPLICATE_SEQUENCE_NUMBER: { code: 46, retriable: false, producerClass: "none", indefinite: false, description: "legacy: treated as success without an offset" },
  INVALID_PRODUCER_EPOCH: { code: 47, retriable: false, producerClass: "abortable", indefinite: false, description: "batch or marker epoch below the partition's epoch" },
  INVALID_TXN_STATE: { code: 48, retriable: false, producerClass: "fatal", indefinite: false, description: "request not valid in the transaction's state" },
  INVALID_PRODUCER_ID_MAPPING: { code: 49, retriable: false, producerClass: "abortable", indefinite: false, description: "no or different pid for the transactional.id" },
  INVALID_TRANSACTION_TIMEOUT: { code: 50, retriable: false, producerClass: "fatal", indefinite: false, description: "timeout above transaction.max.timeout.ms" },
  CONCURRENT_TRANSACTIONS: { code: 51, retriable: true, producerClass: "retriable", indefinite: false, description: "a transition is pending" },
  TRANSACTION_COORDINATOR_FENCED: { code: 52, retriable: false, producerClass: "fatal", indefinite: false, description: "marker coordinator epoch below the partition's" },
  FENCED_LEADER_EPOCH: { code: 74, retriable: true, producerClass: "retriable", indefinite: false, description: "the request's leader epoch is older than the broker's" },
  UNKNOWN_LEADER_EPOCH: { code: 75, retriable: true, producerClass: "retriable", indefinite: false, description: "the request's leader epoch is newer than the broker's" },
  STALE_BROKER_EPOCH: { code: 77, retriable: false, producerClass: "fatal", indefinite: false, description: "the request came from a previous incarnation of the broker" },
  INELIGIBLE_REPLICA: { code: 107, retriable: false, producerClass: "fatal", indefinite: false, description: "AlterPartition named a fenced or offline replica" },
  INVALID_UPDATE_VERSION: { code: 95, retriable: false, producerClass: "fatal", indefinite: false, description: "AlterPartition based on a stale partition epoch" },
  UNSTABLE_OFFSET_COMMIT: { code: 88, retriable: true, producerClass: "retriable", indefinite: false, description: "pending transactional offsets (require_stable)" },
  PRODUCER_FENCED: { code: 90, retriable: false, producerClass: "fatal", indefinite: false, description: "a newer producer epoch exists" },
  TRANSACTION_ABORTABLE: { code: 120, retriable: false, producerClass: "abortable", indefinite: false, description: "verification failed: abort the transaction" },
} as const satisfies Record<string, KafkaErrorInfo>;

export type KafkaError = keyof typeof KAFKA_ERRORS;

export function isRetriable(error: KafkaError): boolean {
  return KAFKA_ERRORS[error].retriable;
}
