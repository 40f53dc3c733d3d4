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
  UNKNOWN_SERVER_ERROR: { code: -1, retriable: false, producerClass: "fatal", indefinite: true, description: "unexpected server error (Kafka's IllegalStateException paths)" },
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
  MESSAGE_TOO_LARGE: { code: 10, retriable: false, producerClass: "fatal", indefinite: false, description: "record larger than the maximum message size" },
  RECORD_LIST_TOO_LARGE: { code: 18, retriable: false, producerClass: "fatal", indefinite: false, description: "batch larger than the segment size" },
  NOT_ENOUGH_REPLICAS: { code: 19, retriable: true, producerClass: "retriable", indefinite: false, description: "ISR below min.insync.replicas: nothing appended" },
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: { code: 20, retriable: true, producerClass: "retriable", indefinite: true, description: "ISR shrank below the minimum after the append: the data is in the leader log" },
  TOPIC_AUTHORIZATION_FAILED: { code: 29, retriable: false, producerClass: "fatal", indefinite: false, description: "the client may not write to the topic (internal topics, for clients)" },
  ILLEGAL_GENERATION: { code: 22, retriable: false, producerClass: "abortable", indefinite: false, description: "the group generation is not the current one (a rebalance happened)" },
  INCONSISTENT_GROUP_PROTOCOL: { code: 23, retriable: false, producerClass: "fatal", indefinite: false, description: "the member's protocols do not match the group's" },
  INVALID_GROUP_ID: { code: 24, retriable: false, producerClass: "fatal", indefinite: false, description: "empty or null group id" },
  UNKNOWN_MEMBER_ID: { code: 25, retriable: false, producerClass: "abortable", indefinite: false, description: "the member id is not in the group" },
  INVALID_SESSION_TIMEOUT: { code: 26, retriable: false, producerClass: "fatal", indefinite: false, description: "session timeout outside the broker's allowed range" },
  REBALANCE_IN_PROGRESS: { code: 27, retriable: false, producerClass: "abortable", indefinite: false, description: "the group is rebalancing: rejoin" },
  UNSUPPORTED_VERSION: { code: 35, retriable: false, producerClass: "fatal", indefinite: false, description: "the request version is not supported" },
  NOT_CONTROLLER: { code: 41, retriable: true, producerClass: "retriable", indefinite: false, description: "request sent to a node that is not the controller" },
  INVALID_REQUEST: { code: 42, retriable: false, producerClass: "fatal", indefinite: false, description: "malformed request (for example an empty transactional.id)" },
  UNSUPPORTED_FOR_MESSAGE_FORMAT: { code: 43, retriable: false, producerClass: "fatal", indefinite: false, description: "the message format does not support the request" },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { code: 45, retriable: false, producerClass: "abortable", indefinite: false, description: "sequence is not last+1 (or not 0 in a new epoch)" },
  DUPLICATE_SEQUENCE_NUMBER: { code: 46, retriable: false, producerClass: "none", indefinite: false, description: "legacy: treated as success without an offset" },
  INVALID_PRODUCER_EPOCH: { code: 47, retriable: false, producerClass: "abortable", indefinite: false, description: "batch or marker epoch below the partition's epoch" },
  INVALID_TXN_STATE: { code: 48, retriable: false, producerClass: "fatal", indefinite: false, description: "request not valid in the transaction's state" },
  INVALID_PRODUCER_ID_MAPPING: { code: 49, retriable: false, producerClass: "abortable", indefinite: false, description: "no or different pid for the transactional.id" },
  INVALID_TRANSACTION_TIMEOUT: { code: 50, retriable: false, producerClass: "fatal", indefinite: false, description: "timeout above transaction.max.timeout.ms" },
  CONCURRENT_TRANSACTIONS: { code: 51, retriable: true, producerClass: "retriable", indefinite: false, description: "a transition is pending" },
  TRANSACTION_COORDINATOR_FENCED: { code: 52, retriable: false, producerClass: "fatal", indefinite: false, description: "marker coordinator epoch below the partition's" },
  KAFKA_STORAGE_ERROR: { code: 56, retriable: true, producerClass: "retriable", indefinite: true, description: "the log directory is offline" },
  OPERATION_NOT_ATTEMPTED: { code: 55, retriable: false, producerClass: "abortable", indefinite: false, description: "another part of the request failed, so this part was not tried" },
  UNKNOWN_PRODUCER_ID: { code: 59, retriable: false, producerClass: "abortable", indefinite: false, description: "the broker has no state for this producer id" },
  FENCED_LEADER_EPOCH: { code: 74, retriable: true, producerClass: "retriable", indefinite: false, description: "the request's leader epoch is older than the broker's" },
  UNKNOWN_LEADER_EPOCH: { code: 75, retriable: true, producerClass: "retriable", indefinite: false, description: "the request's leader epoch is newer than the broker's" },
  STALE_BROKER_EPOCH: { code: 77, retriable: false, producerClass: "fatal", indefinite: false, description: "the request came from a previous incarnation of the broker" },
  INELIGIBLE_REPLICA: { code: 107, retriable: false, producerClass: "fatal", indefinite: false, description: "AlterPartition named a fenced or offline replica" },
  INVALID_UPDATE_VERSION: { code: 95, retriable: false, producerClass: "fatal", indefinite: false, description: "AlterPartition based on a stale partition epoch" },
  MEMBER_ID_REQUIRED: { code: 79, retriable: false, producerClass: "none", indefinite: false, description: "JoinGroup without a member id: rejoin with the id in the response (KIP-394)" },
  FENCED_INSTANCE_ID: { code: 82, retriable: false, producerClass: "fatal", indefinite: false, description: "a newer member with the same group.instance.id exists" },
  UNSTABLE_OFFSET_COMMIT: { code: 88, retriable: true, producerClass: "retriable", indefinite: false, description: "pending transactional offsets (require_stable)" },
  PRODUCER_FENCED: { code: 90, retriable: false, producerClass: "fatal", indefinite: false, description: "a newer producer epoch exists" },
  TRANSACTION_ABORTABLE: { code: 120, retriable: false, producerClass: "abortable", indefinite: false, description: "verification failed: abort the transaction" },
} as const satisfies Record<string, KafkaErrorInfo>;

export type KafkaError = keyof typeof KAFKA_ERRORS;

export function isRetriable(error: KafkaError): boolean {
  return KAFKA_ERRORS[error].retriable;
}
