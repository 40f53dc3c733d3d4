import type { KafkaError } from "./errors.js";
import { KAFKA_BUGS } from "./bugs.js";
import { lastOffsetOf, lastSequenceOf, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, type RecordBatch } from "./protocol.js";

/** Kafka's NUM_BATCHES_TO_RETAIN. */
export const NUM_BATCHES_TO_RETAIN = 5;
export const MAX_SEQUENCE = 2 ** 31 - 1;

interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
}

export interface ProducerStateEntry {
  producerEpoch: number;
  /** The last batches appended, oldest first (at most NUM_BATCHES_TO_RETAIN). */
  batches: BatchMetadata[];
  /** First offset of the open transaction on this partition, if any. */
  currentTxnFirstOffset: number | undefined;
}

export type ProduceValidation =
  | { readonly kind: "append" }
  | { readonly kind: "duplicate"; readonly firstOffset: number; readonly lastOffset: number }
  | { readonly kind: "error"; readonly error: KafkaError };

export interface ProducerStateOptions {
  readonly bugs: ReadonlySet<string>;
  readonly batchesToRetain?: number;
}

/**
 * Per-partition idempotence state (ProducerStateManager / ProducerAppendInfo): for each
 * producerId, its epoch and the metadata of its last 5 batches. Validation follows facts §1.1
 * in Kafka's order: duplicate, epoch, sequence. Rebuilt from the log on restart and truncation.
 */
export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerStateEntry>();
  private readonly retain: number;

  constructor(private readonly options: ProducerStateOptions) {
    this.retain = options.bugs.has(KAFKA_BUGS.dedupWindow1) ? 1 : (options.batchesToRetain ?? NUM_BATCHES_TO_RETAIN);
  }

  entry(producerId: number): Readonly<ProducerStateEntry> | undefined {
    return this.producers.get(producerId);
  }

  get producerIds(): number[] {
    return [...this.producers.keys()];
  }

  /** Validates a client's produce of `batch` (offsets not yet assigned). */
  validateClientAppend(batch: RecordBatch): ProduceValidation {
    if (batch.producerId === NO_PRODUCER_ID) return { kind: "append" };
    const entry = this.producers.get(batch.producerId);
    const bugs = this.options.bugs;
    if (entry !== undefined && !bugs.has(KAFKA_BUGS.noDedup)) {
      const duplicate = this.findDuplicate(entry, batch);
      if (duplicate !== undefined) return { kind: "duplicate", firstOffset: duplicate.firstOffset, lastOffset: duplicate.lastOffset };
    }
    if (entry === undefined || entry.producerEpoch === NO_PRODUCER_EPOCH) return { kind: "append" };
    if (batch.producerEpoch < entry.producerEpoch && !bugs.has(KAFKA_BUGS.noEpochCheck)) return { kind: "error", error: "INVALID_PRODUCER_EPOCH" };
    if (bugs.has(KAFKA_BUGS.noSequenceCheck)) return { kind: "append" };
    if (batch.producerEpoch !== entry.producerEpoch) {
      return batch.baseSequence === 0 ? { kind: "append" } : { kind: "error", error: "OUT_OF_ORDER_SEQUENCE_NUMBER" };
    }
    // An entry of this epoch with no batches yet (its epoch came from a marker) expects sequence 0:
    // ProducerAppendInfo.checkSequence takes NO_SEQUENCE as the last sequence, and NO_SEQUENCE + 1 = 0.
    const lastSeq = entry.batches[entry.batches.length - 1]?.lastSeq ?? NO_SEQUENCE;
    if (inSequence(lastSeq, batch.baseSequence)) return { kind: "append" };
    // Without the batch cache, a retry of an appended batch is taken for new data and appended again.
    if (bugs.has(KAFKA_BUGS.noDedup) && this.isRepeat(entry, batch)) return { kind: "append" };
    return { kind: "error", error: "OUT_OF_ORDER_SEQUENCE_NUMBER" };
  }

  /** Records a batch that is now in the log (leader append, follower append or log replay). */
  update(batch: RecordBatch): void {
    if (batch.producerId === NO_PRODUCER_ID) return;
    let entry = this.producers.get(batch.producerId);
    if (entry === undefined) {
      entry = { producerEpoch: batch.producerEpoch, batches: [], currentTxnFirstOffset: undefined };
      this.producers.set(batch.producerId, entry);
    }
    if (batch.producerEpoch !== entry.producerEpoch) {
      entry.producerEpoch = batch.producerEpoch;
      entry.batches = [];
    }
    if (batch.isControl) {
      entry.currentTxnFirstOffset = undefined;
      return;
    }
    if (batch.isTransactional && entry.currentTxnFirstOffset === undefined) entry.currentTxnFirstOffset = batch.baseOffset;
    entry.batches.push({ firstSeq: batch.baseSequence, lastSeq: lastSequenceOf(batch), firstOffset: batch.baseOffset, lastOffset: lastOffsetOf(batch) });
    if (entry.batches.length > this.retain) entry.batches.shift();
  }

  /** Forgets everything and replays `batches` (restart recovery, truncation). */
  rebuild(batches: readonly RecordBatch[]): void {
    this.producers.clear();
    for (const batch of batches) this.update(batch);
  }

  private isRepeat(entry: ProducerStateEntry, batch: RecordBatch): boolean {
    const oldest = entry.batches[0]?.firstSeq;
    const lastSeq = entry.batches[entry.batches.length - 1]?.lastSeq;
    return oldest !== undefined && lastSeq !== undefined && batch.baseSequence >= oldest && batch.baseSequence <= lastSeq;
  }

  private findDuplicate(entry: ProducerStateEntry, batch: RecordBatch): BatchMetadata | undefined {
    if (entry.producerEpoch !== batch.producerEpoch) return undefined;
    const lastSeq = lastSequenceOf(batch);
    return entry.batches.find((cached) => cached.firstSeq === batch.baseSequence && cached.lastSeq === lastSeq);
  }
}

/** `next == last + 1`, wrapping at Int.MAX (KAFKA-5283). */
export function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === MAX_SEQUENCE);
}
