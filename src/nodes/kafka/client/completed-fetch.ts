import type { FetchPartitionResponse, IsolationLevel, RecordBatch } from "../protocol.js";
import { markerResultOf } from "../control-records.js";
import { lastOffsetOf } from "../protocol.js";

export interface ConsumerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string;
  readonly timestampMs: number;
}

export type ControlType = "COMMIT" | "ABORT";

/** Consumer guards that can be switched off by name. */
export const CONSUMER_BUGS = {
  /**
   * kafka-node #1336, aiokafka #781: the position moves past data batches only, so a fetch that
   * ends in a control batch (a transaction marker at the end of the log) leaves the position on
   * the marker, and the consumer fetches it again and again until more data follows it.
   */
  stuckOnTrailingMarker: "stuck-on-trailing-marker",
} as const;

/** The type of a control batch's marker (see ../control-records.ts). */
export function controlTypeOf(batch: RecordBatch): ControlType | undefined {
  return markerResultOf(batch);
}

/**
 * The records one partition's fetch response yields to the application (Java's CompletedFetch):
 * records at or after the fetch offset, in offset order; control batches are never returned,
 * and `nextFetchOffset` moves past them, so positions have gaps where markers sit. Under
 * read_committed, batches of aborted transactions are dropped too: the response's aborted list
 * is consumed in first-offset order; a producer id enters the aborted set when one of its
 * aborted transactions starts at or before the batch's last offset, and leaves it at its ABORT
 * marker.
 */
export class CompletedFetch {
  readonly records: ConsumerRecord[] = [];
  /** The position after the last batch of the response (past trailing control batches). */
  readonly nextFetchOffset: number;
  /** How many of `records` the application has taken. */
  taken = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /** The position the fetch was made from: the records are valid only while the position is there. */
    readonly fetchOffset: number,
    response: FetchPartitionResponse,
    isolationLevel: IsolationLevel,
    /** CONSUMER_BUGS.stuckOnTrailingMarker: control batches do not move the position. */
    controlBatchesHoldPosition = false,
  ) {
    let next = fetchOffset;
    const aborted = [...(response.abortedTransactions ?? [])].sort((a, b) => a.firstOffset - b.firstOffset || a.producerId - b.producerId);
    const abortedProducerIds = new Set<number>();
    for (const batch of [...response.batches].sort((a, b) => a.baseOffset - b.baseOffset)) {
      const last = lastOffsetOf(batch);
      if (last < fetchOffset) continue;
      if (isolationLevel === "read_committed" && batch.producerId >= 0) {
        while (aborted.length > 0 && (aborted[0] as { firstOffset: number }).firstOffset <= last) {
          abortedProducerIds.add((aborted.shift() as { producerId: number }).producerId);
        }
        if (controlTypeOf(batch) === "ABORT") abortedProducerIds.delete(batch.producerId);
        else if (batch.isTransactional && !batch.isControl && abortedProducerIds.has(batch.producerId)) {
          next = Math.max(next, last + 1);
          continue;
        }
      }
      if (!batch.isControl) {
        batch.records.forEach((record, i) => {
          const offset = batch.baseOffset + i;
          if (offset < fetchOffset) return;
          this.records.push({ topic, partition, offset, key: record.key, value: record.value, timestampMs: record.timestampMs });
        });
      } else if (controlBatchesHoldPosition) {
        continue;
      }
      next = Math.max(next, last + 1);
    }
    this.nextFetchOffset = next;
  }

  get exhausted(): boolean {
    return this.taken >= this.records.length;
  }

  /** The position after the records taken so far (or after the whole response once all are taken). */
  get position(): number {
    if (this.exhausted) return this.nextFetchOffset;
    return this.taken === 0 ? this.fetchOffset : (this.records[this.taken - 1] as ConsumerRecord).offset + 1;
  }

  take(max: number): ConsumerRecord[] {
    const out = this.records.slice(this.taken, this.taken + max);
    this.taken += out.length;
    return out;
  }
}
