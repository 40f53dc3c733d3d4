import type { TopicPartition } from "../protocol.js";
import type { TxnError } from "./errors.js";
import type { TransactionResult, TransactionVersion, TxnMarkerEntry } from "./protocol.js";
import type { TransactionMetadata, TxnTransitMetadata } from "./transaction-metadata.js";

/**
 * The second phase of a transaction (Kafka's TransactionMarkerChannelManager and
 * TransactionMarkerRequestCompletionHandler, facts §1.3): once Prepare* is in the log, a
 * WriteTxnMarkers entry goes to the leader of every partition of the transaction; each
 * acknowledged partition leaves the metadata; when none is left, Complete* is appended.
 */
export interface TxnMarkerWork {
  readonly transactionalId: string;
  /** The coordinator epoch the markers carry; stale once the coordinator moves. */
  readonly coordinatorEpoch: number;
  /** Producer id, epoch (the Prepare*'s), result and partitions of the markers. */
  readonly entry: TxnMarkerEntry;
  /** The Complete* transition prepared with the markers, appended once all are written. */
  readonly complete: TxnTransitMetadata;
}

/**
 * The markers for a transaction whose Prepare* is installed: the metadata's producer id and
 * epoch and its remaining partitions. `transactionVersion` is what WriteTxnMarkers v2 carries
 * (KIP-1228); a bug switch that withheld the TV2 bump passes 1 so that leaders accept an equal
 * epoch.
 */
export function markerWorkFor(
  transactionalId: string,
  coordinatorEpoch: number,
  result: TransactionResult,
  metadata: TransactionMetadata,
  complete: TxnTransitMetadata,
  transactionVersion: TransactionVersion = metadata.clientTransactionVersion,
): TxnMarkerWork {
  return {
    transactionalId,
    coordinatorEpoch,
    entry: { producerId: metadata.producerId, producerEpoch: metadata.producerEpoch, coordinatorEpoch, result, transactionVersion, partitions: metadata.topicPartitions },
    complete,
  };
}

/**
 * What the completion handler does with one partition's WriteTxnMarkers error:
 * - `written`: the marker is in the partition's log; the partition leaves the transaction;
 * - `retry`: send this partition's marker again (leader moved, ISR short, timeout);
 * - `abandon`: stop sending this transaction's markers (a newer epoch or coordinator fenced
 *   them); the transaction stays in Prepare* on this coordinator;
 * - `drop`: the partition cannot take markers (old message format); treated as written;
 * - `illegal`: Kafka throws IllegalStateException.
 */
export type MarkerErrorAction = "written" | "retry" | "abandon" | "drop" | "illegal";

export function markerErrorAction(error: TxnError): MarkerErrorAction {
  switch (error) {
    case "NONE":
      return "written";
    case "UNKNOWN_TOPIC_OR_PARTITION":
    case "NOT_LEADER_OR_FOLLOWER":
    case "NOT_ENOUGH_REPLICAS":
    case "NOT_ENOUGH_REPLICAS_AFTER_APPEND":
    case "REQUEST_TIMED_OUT":
    case "KAFKA_STORAGE_ERROR":
      return "retry";
    case "INVALID_PRODUCER_EPOCH":
    case "TRANSACTION_COORDINATOR_FENCED":
      return "abandon";
    case "UNSUPPORTED_FOR_MESSAGE_FORMAT":
    case "UNSUPPORTED_VERSION":
      return "drop";
    default:
      return "illegal";
  }
}

export interface MarkerPartitionResult {
  readonly partition: TopicPartition;
  readonly error: TxnError;
}
