import type { KafkaRecord, RecordBatch } from "./protocol.js";
import type { TransactionResult } from "./txn/protocol.js";

/**
 * Transaction markers as they sit in a partition: a control batch (isControl, isTransactional,
 * the producer's id and epoch, no sequence) holding one record whose key is the
 * ControlRecordType (Kafka: 0 = ABORT, 1 = COMMIT; here the name) and whose value is the
 * EndTransactionMarker (version 0, coordinator epoch) as JSON.
 */
export function markerRecord(result: TransactionResult, coordinatorEpoch: number, timestampMs: number): KafkaRecord {
  return { key: result, value: JSON.stringify({ version: 0, coordinatorEpoch }), timestampMs };
}

/** COMMIT or ABORT for a control batch, undefined for a data batch. */
export function markerResultOf(batch: RecordBatch): TransactionResult | undefined {
  if (!batch.isControl) return undefined;
  return batch.records[0]?.key === "ABORT" ? "ABORT" : "COMMIT";
}

/** The coordinator epoch a marker batch was written under (-1 when absent). */
export function markerCoordinatorEpochOf(batch: RecordBatch): number {
  const value = batch.records[0]?.value;
  if (value === undefined || value === "") return -1;
  const parsed = JSON.parse(value) as { coordinatorEpoch?: number };
  return parsed.coordinatorEpoch ?? -1;
}
