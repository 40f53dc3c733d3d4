import { KAFKA_ERRORS } from "../errors.js";

/** The coordinator speaks the shared table (it once had extra codes of its own). */
export const TXN_ERRORS = KAFKA_ERRORS;

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
