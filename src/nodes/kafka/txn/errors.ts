import { KAFKA_ERRORS, type KafkaErrorInfo } from "../errors.js";

/**
 * Error codes the transaction coordinator needs that the data plane's table does not have yet
 * (same shape as KAFKA_ERRORS, facts §1.9). They belong in `../errors.ts`; until they move there,
 * the coordinator speaks `TxnError`, the union of both tables.
 */
export const TXN_EXTRA_ERRORS = {
  UNKNOWN_SERVER_ERROR: { code: -1, retriable: false, producerClass: "fatal", indefinite: true, description: "unexpected server error (Kafka's IllegalStateException paths)" },
  MESSAGE_TOO_LARGE: { code: 10, retriable: false, producerClass: "fatal", indefinite: false, description: "record larger than the maximum message size" },
  RECORD_LIST_TOO_LARGE: { code: 18, retriable: false, producerClass: "fatal", indefinite: false, description: "batch larger than the segment size" },
  UNSUPPORTED_VERSION: { code: 35, retriable: false, producerClass: "fatal", indefinite: false, description: "the request version is not supported" },
  INVALID_REQUEST: { code: 42, retriable: false, producerClass: "fatal", indefinite: false, description: "malformed request (for example an empty transactional.id)" },
  UNSUPPORTED_FOR_MESSAGE_FORMAT: { code: 43, retriable: false, producerClass: "fatal", indefinite: false, description: "the message format does not support the request" },
  KAFKA_STORAGE_ERROR: { code: 56, retriable: true, producerClass: "retriable", indefinite: true, description: "the log directory is offline" },
} as const satisfies Record<string, KafkaErrorInfo>;

export const TXN_ERRORS = { ...KAFKA_ERRORS, ...TXN_EXTRA_ERRORS } as const;

export type TxnError = keyof typeof TXN_ERRORS;

/**
 * How `TransactionStateManager.appendTransactionToLog` turns the error of an append to
 * `__transaction_state` into the coordinator error the client sees (facts §1.3).
 */
export function coordinatorErrorForAppend(error: TxnError): TxnError {
  switch (error) {
    case "UNKNOWN_TOPIC_OR_PARTITION":
    case "NOT_ENOUGH_REPLICAS":
    case "NOT_ENOUGH_REPLICAS_AFTER_APPEND":
    case "REQUEST_TIMED_OUT":
      return "COORDINATOR_NOT_AVAILABLE";
    case "NOT_LEADER_OR_FOLLOWER":
    case "KAFKA_STORAGE_ERROR":
      return "NOT_COORDINATOR";
    case "MESSAGE_TOO_LARGE":
    case "RECORD_LIST_TOO_LARGE":
      return "UNKNOWN_SERVER_ERROR";
    default:
      return error;
  }
}
