import type { SimTimeUs } from "../../../../sim/time.js";
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, partitionKey, type KafkaRecord, type RecordBatch } from "../protocol.js";

/** int32 sequence arithmetic with Kafka's wrap (DefaultRecordBatch.incrementSequence). */
export const MAX_SEQUENCE = 2 ** 31 - 1;

export function incrementSequence(sequence: number, increment: number): number {
  return sequence > MAX_SEQUENCE - increment ? increment - (MAX_SEQUENCE - sequence) - 1 : sequence + increment;
}

/** What the producer reports for one record. */
export type SendResult =
  | {
      readonly ok: true;
      readonly topic: string;
      readonly partition: number;
      /** -1 when the broker gave no offset (acks=0, legacy DUPLICATE_SEQUENCE_NUMBER). */
      readonly offset: number;
      /** acks=0: the record left the client; nobody confirmed it was written. */
      readonly unconfirmed: boolean;
    }
  | {
      readonly ok: false;
      readonly topic: string;
      /** The partition the record was bound for, undefined if it never got one. */
      readonly partition: number | undefined;
      readonly error: string;
      /**
       * True only when the record was definitely not written: it was never sent, or every
       * attempt ended with an error that says nothing was appended (NOT_ENOUGH_REPLICAS, …).
       * False (indefinite) when any attempt may have been appended: a lost connection, a
       * request timeout, NOT_ENOUGH_REPLICAS_AFTER_APPEND, REQUEST_TIMED_OUT,
       * NOT_LEADER_OR_FOLLOWER (KAFKA-13574), or a delivery timeout while a request was out.
       */
      readonly definite: boolean;
    };

export type SendCallback = (result: SendResult) => void;

export interface PendingRecord {
  readonly record: KafkaRecord;
  readonly callback: SendCallback;
}

/**
 * A batch of records for one partition (Java's ProducerBatch). It keeps its producer state
 * (producer id, epoch, base sequence) across retries, so a retry is deduplicated by the broker;
 * only an epoch bump rewrites it (`resetProducerState`).
 */
export class ProducerBatch {
  readonly tp: string;
  readonly records: PendingRecord[] = [];
  /** Times the batch was put back for a retry (Java's attempts()). */
  attempts = 0;
  /** Times a request carrying the batch was sent. */
  sends = 0;
  /** When the batch was created or last re-enqueued (wall clock): linger and backoff count from here. */
  lastAttemptUs: SimTimeUs;
  producerId = NO_PRODUCER_ID;
  producerEpoch = NO_PRODUCER_EPOCH;
  baseSequence = NO_SEQUENCE;
  /** Set when an epoch bump or a failed batch rewrote the sequence (Java's sequenceHasBeenReset). */
  sequenceHasBeenReset = false;
  /** Re-enqueued at least once (Java's inRetry()). */
  inRetry = false;
  /** Some attempt may have been appended (see SendResult.definite). */
  maybeWritten = false;
  /** Written inside a transaction (set with its producer state, when drained). */
  transactional = false;
  /** No more records go in once drained. */
  closed = false;
  done = false;

  constructor(
    readonly id: number,
    readonly topic: string,
    readonly partition: number,
    readonly createdUs: SimTimeUs,
  ) {
    this.tp = partitionKey(topic, partition);
    this.lastAttemptUs = createdUs;
  }

  get recordCount(): number {
    return this.records.length;
  }

  get hasSequence(): boolean {
    return this.baseSequence !== NO_SEQUENCE;
  }

  get lastSequence(): number {
    return incrementSequence(this.baseSequence, this.recordCount - 1);
  }

  isFull(batchSizeRecords: number): boolean {
    return this.records.length >= batchSizeRecords;
  }

  setProducerState(producerId: number, producerEpoch: number, baseSequence: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.baseSequence = baseSequence;
  }

  resetProducerState(producerId: number, producerEpoch: number, baseSequence: number): void {
    this.sequenceHasBeenReset = true;
    this.setProducerState(producerId, producerEpoch, baseSequence);
  }

  reenqueued(nowUs: SimTimeUs): void {
    this.attempts++;
    this.lastAttemptUs = nowUs;
    this.inRetry = true;
  }

  /** The batch as it goes on the wire now (a snapshot: later rewrites do not change a sent request). */
  toRecordBatch(): RecordBatch {
    return {
      baseOffset: -1,
      partitionLeaderEpoch: -1,
      producerId: this.producerId,
      producerEpoch: this.producerEpoch,
      baseSequence: this.baseSequence,
      isTransactional: this.transactional,
      isControl: false,
      records: this.records.map((r) => r.record),
    };
  }
}
