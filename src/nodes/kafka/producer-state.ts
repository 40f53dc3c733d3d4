import type { KafkaError } from "./errors.js";
import { KAFKA_BUGS } from "./bugs.js";
import { markerCoordinatorEpochOf, markerResultOf } from "./control-records.js";
import { lastOffsetOf, lastSequenceOf, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE, type RecordBatch } from "./protocol.js";
import type { TransactionVersion } from "./txn/protocol.js";

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
  /** Coordinator epoch of the last marker written for this producer (-1: none yet). */
  coordinatorEpoch: number;
}

/** A transaction a marker ended on this partition: [firstOffset, lastOffset = the marker's offset]. */
export interface CompletedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly isAborted: boolean;
}

/**
 * KIP-890 part 1 (VerificationStateEntry): the leader asked the coordinator whether a first
 * transactional batch may start a transaction here. The append must present the same guard; a
 * marker or the start of a transaction drops the entry, so an answer that arrives after the
 * transaction ended cannot open a new one (the ABA race the guard exists for).
 */
export interface VerificationStateEntry {
  readonly guard: number;
  /** The lowest sequence seen while verifying at `epoch` (KAFKA-14920). */
  lowestSequence: number;
  epoch: number;
}

/** How the append of a transactional batch must be verified (facts §1.1 step 2). */
export interface AppendVerification {
  /** transaction.partition.verification.enable (and no `no-partition-verification`). */
  readonly required: boolean;
  /** The guard the verification of this request created, if it ran. */
  readonly guard: number | undefined;
}

export const NO_VERIFICATION: AppendVerification = { required: false, guard: undefined };

export type ProduceValidation =
  | { readonly kind: "append" }
  | { readonly kind: "duplicate"; readonly firstOffset: number; readonly lastOffset: number }
  | { readonly kind: "error"; readonly error: KafkaError };

export interface ProducerStateOptions {
  readonly bugs: ReadonlySet<string>;
  readonly batchesToRetain?: number;
}

const APPEND: ProduceValidation = { kind: "append" };

function rejected(error: KafkaError): ProduceValidation {
  return { kind: "error", error };
}

/**
 * Per-partition producer state (ProducerStateManager / ProducerAppendInfo): for each
 * producerId, its epoch, the metadata of its last 5 batches, its open transaction and the
 * coordinator epoch of its last marker; the partition's ongoing transactions (by first offset)
 * and the completed ones whose marker is not yet below the high watermark, which together give
 * the first unstable offset (facts §1.4). Client validation follows facts §1.1 in Kafka's order:
 * duplicate, verification, epoch, sequence, transaction consistency. Rebuilt from the log on
 * restart and truncation; verification entries live in memory only.
 */
export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerStateEntry>();
  /**
   * First offset → producer id of every open transaction. A transaction starts at the log end,
   * so insertion order is first-offset order and the first key is the smallest.
   */
  private readonly ongoingTxns = new Map<number, number>();
  /** Completed transactions whose marker the high watermark has not yet passed (unreplicatedTxns). */
  private unreplicatedTxns: CompletedTxn[] = [];
  private readonly verificationStates = new Map<number, VerificationStateEntry>();
  private nextVerificationGuard = 1;
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

  /**
   * UnifiedLog.hasOngoingTransaction: an open transaction of this producer *at this epoch*. Under
   * transaction version 2 the next transaction's first batch carries the bumped epoch while the
   * previous one may still wait for its marker here: that batch must be verified (the coordinator
   * answers CONCURRENT_TRANSACTIONS until the markers are written), not slipped into the old one.
   */
  hasOngoingTransaction(producerId: number, producerEpoch: number): boolean {
    const entry = this.producers.get(producerId);
    return entry?.currentTxnFirstOffset !== undefined && entry.producerEpoch === producerEpoch;
  }

  /** Open transactions as (producerId, firstOffset), oldest first. */
  get ongoingTransactions(): { readonly producerId: number; readonly firstOffset: number }[] {
    return [...this.ongoingTxns].map(([firstOffset, producerId]) => ({ producerId, firstOffset }));
  }

  /**
   * The smallest first offset of an ongoing transaction or of a completed one whose marker is
   * not yet below the HW; undefined when every transaction is decided and replicated.
   */
  get firstUnstableOffset(): number | undefined {
    let first: number | undefined;
    for (const offset of this.ongoingTxns.keys()) {
      first = offset;
      break;
    }
    for (const txn of this.unreplicatedTxns) if (first === undefined || txn.firstOffset < first) first = txn.firstOffset;
    return first;
  }

  /** The HW moved: completed transactions whose marker is now below it are stable (onHighWatermarkUpdated). */
  onHighWatermarkUpdated(highWatermark: number): void {
    if (this.unreplicatedTxns.length === 0) return;
    this.unreplicatedTxns = this.unreplicatedTxns.filter((txn) => txn.lastOffset >= highWatermark);
  }

  /**
   * The LSO recorded with an aborted transaction in the index (ProducerStateManager.lastStableOffset
   * of a completed transaction): the first offset of another open transaction, else past the marker.
   */
  lastStableOffsetAfter(completed: CompletedTxn): number {
    for (const [firstOffset, producerId] of this.ongoingTxns) if (producerId !== completed.producerId) return firstOffset;
    return completed.lastOffset + 1;
  }

  // ── Validation ───────────────────────────────────────────────────────────────────────

  /** Validates a client's produce of `batch` (offsets not yet assigned). */
  validateClientAppend(batch: RecordBatch, verification: AppendVerification = NO_VERIFICATION): ProduceValidation {
    if (batch.producerId === NO_PRODUCER_ID) return APPEND;
    const entry = this.producers.get(batch.producerId);
    const bugs = this.options.bugs;
    if (entry !== undefined && !bugs.has(KAFKA_BUGS.noDedup)) {
      const duplicate = this.findDuplicate(entry, batch);
      if (duplicate !== undefined) return { kind: "duplicate", firstOffset: duplicate.firstOffset, lastOffset: duplicate.lastOffset };
    }
    if (this.missingRequiredVerification(batch, verification)) return rejected("INVALID_TXN_STATE");
    if (entry === undefined || entry.producerEpoch === NO_PRODUCER_EPOCH) return this.checkSequenceDuringVerification(batch) ?? APPEND;
    if (batch.producerEpoch < entry.producerEpoch && !bugs.has(KAFKA_BUGS.noEpochCheck)) return rejected("INVALID_PRODUCER_EPOCH");
    const sequence = this.checkSequence(entry, batch);
    if (sequence !== undefined) return sequence;
    return this.checkTransactionConsistency(entry, batch) ?? APPEND;
  }

  /**
   * Validates an append a hosted coordinator makes (AppendOrigin.COORDINATOR, e.g. a
   * TxnOffsetCommit): the epoch check and transaction consistency, no sequence check.
   */
  validateCoordinatorAppend(batch: RecordBatch): ProduceValidation {
    if (batch.producerId === NO_PRODUCER_ID) return APPEND;
    const entry = this.producers.get(batch.producerId);
    if (entry === undefined || entry.producerEpoch === NO_PRODUCER_EPOCH) return APPEND;
    if (batch.producerEpoch < entry.producerEpoch && !this.options.bugs.has(KAFKA_BUGS.noEpochCheck)) return rejected("INVALID_PRODUCER_EPOCH");
    return this.checkTransactionConsistency(entry, batch) ?? APPEND;
  }

  /**
   * ProducerAppendInfo.appendEndTxnMarker's checks, in Kafka's order: the producer epoch, then
   * the coordinator epoch. Under transaction version 2 the marker carries the bumped epoch and
   * must be above the partition's (KIP-1228), except a retry of the marker that already ended the
   * transaction here: same epoch, no open transaction (KAFKA-19999).
   */
  validateMarker(producerId: number, producerEpoch: number, coordinatorEpoch: number, transactionVersion: TransactionVersion): KafkaError {
    const entry = this.producers.get(producerId);
    if (entry === undefined) return "NONE";
    const bugs = this.options.bugs;
    if (!bugs.has(KAFKA_BUGS.noMarkerEpochCheck) && entry.producerEpoch !== NO_PRODUCER_EPOCH && this.markerEpochFenced(entry, producerEpoch, transactionVersion)) {
      return "INVALID_PRODUCER_EPOCH";
    }
    if (!bugs.has(KAFKA_BUGS.noCoordinatorEpochCheck) && coordinatorEpoch < entry.coordinatorEpoch) return "TRANSACTION_COORDINATOR_FENCED";
    return "NONE";
  }

  private markerEpochFenced(entry: ProducerStateEntry, markerEpoch: number, transactionVersion: TransactionVersion): boolean {
    if (transactionVersion < 2) return markerEpoch < entry.producerEpoch;
    if (markerEpoch > entry.producerEpoch) return false;
    if (this.options.bugs.has(KAFKA_BUGS.noMarkerRetryRule)) return true;
    return !(markerEpoch === entry.producerEpoch && entry.currentTxnFirstOffset === undefined);
  }

  /** Step 2: a transactional batch that would start a transaction must carry the guard its verification created. */
  private missingRequiredVerification(batch: RecordBatch, verification: AppendVerification): boolean {
    if (!verification.required || !batch.isTransactional || batch.isControl) return false;
    if (this.hasOngoingTransaction(batch.producerId, batch.producerEpoch)) return false;
    const state = this.verificationStates.get(batch.producerId);
    return state === undefined || verification.guard === undefined || state.guard !== verification.guard;
  }

  /** KAFKA-14920: while verifying, a batch above the lowest sequence seen is out of order (it is retried). */
  private checkSequenceDuringVerification(batch: RecordBatch): ProduceValidation | undefined {
    if (this.options.bugs.has(KAFKA_BUGS.noSequenceCheck)) return undefined;
    const state = this.verificationStates.get(batch.producerId);
    if (state !== undefined && batch.baseSequence > state.lowestSequence) return rejected("OUT_OF_ORDER_SEQUENCE_NUMBER");
    return undefined;
  }

  private checkSequence(entry: ProducerStateEntry, batch: RecordBatch): ProduceValidation | undefined {
    const bugs = this.options.bugs;
    if (bugs.has(KAFKA_BUGS.noSequenceCheck)) return undefined;
    const duringVerification = this.checkSequenceDuringVerification(batch);
    if (duringVerification !== undefined) return duringVerification;
    if (batch.producerEpoch !== entry.producerEpoch) {
      return batch.baseSequence === 0 ? undefined : rejected("OUT_OF_ORDER_SEQUENCE_NUMBER");
    }
    // An entry of this epoch with no batches yet (its epoch came from a marker) expects sequence 0:
    // ProducerAppendInfo.checkSequence takes NO_SEQUENCE as the last sequence, and NO_SEQUENCE + 1 = 0.
    const lastSeq = entry.batches[entry.batches.length - 1]?.lastSeq ?? NO_SEQUENCE;
    if (inSequence(lastSeq, batch.baseSequence)) return undefined;
    // Without the batch cache, a retry of an appended batch is taken for new data and appended again.
    if (bugs.has(KAFKA_BUGS.noDedup) && this.isRepeat(entry, batch)) return undefined;
    return rejected("OUT_OF_ORDER_SEQUENCE_NUMBER");
  }

  /** Step 5: a non-transactional batch while this producer has a transaction open here. */
  private checkTransactionConsistency(entry: ProducerStateEntry, batch: RecordBatch): ProduceValidation | undefined {
    if (!batch.isTransactional && entry.currentTxnFirstOffset !== undefined) return rejected("INVALID_TXN_STATE");
    return undefined;
  }

  // ── Verification state (KIP-890 part 1) ──────────────────────────────────────────────

  /**
   * maybeCreateVerificationStateEntry: the guard of this producer's verification, a new one if
   * none is pending. A pending one keeps the lowest sequence of the latest epoch.
   */
  startVerification(producerId: number, baseSequence: number, producerEpoch: number): number {
    const existing = this.verificationStates.get(producerId);
    if (existing === undefined) {
      const guard = this.nextVerificationGuard++;
      this.verificationStates.set(producerId, { guard, lowestSequence: baseSequence, epoch: producerEpoch });
      return guard;
    }
    if (producerEpoch > existing.epoch) {
      existing.epoch = producerEpoch;
      existing.lowestSequence = baseSequence;
    } else if (producerEpoch === existing.epoch) {
      existing.lowestSequence = Math.min(existing.lowestSequence, baseSequence);
    }
    return existing.guard;
  }

  verificationState(producerId: number): Readonly<VerificationStateEntry> | undefined {
    return this.verificationStates.get(producerId);
  }

  // ── Updates ──────────────────────────────────────────────────────────────────────────

  /**
   * Records a batch that is now in the log (leader append, follower append or log replay).
   * Returns the transaction a marker completed, if the producer had one open here.
   */
  update(batch: RecordBatch): CompletedTxn | undefined {
    if (batch.producerId === NO_PRODUCER_ID) return undefined;
    let entry = this.producers.get(batch.producerId);
    if (entry === undefined) {
      entry = { producerEpoch: batch.producerEpoch, batches: [], currentTxnFirstOffset: undefined, coordinatorEpoch: -1 };
      this.producers.set(batch.producerId, entry);
    }
    if (batch.producerEpoch !== entry.producerEpoch) {
      entry.producerEpoch = batch.producerEpoch;
      entry.batches = [];
    }
    if (batch.isControl) return this.completeTxn(batch, entry);
    if (batch.isTransactional && entry.currentTxnFirstOffset === undefined) {
      entry.currentTxnFirstOffset = batch.baseOffset;
      this.ongoingTxns.set(batch.baseOffset, batch.producerId);
      this.verificationStates.delete(batch.producerId);
    }
    entry.batches.push({ firstSeq: batch.baseSequence, lastSeq: lastSequenceOf(batch), firstOffset: batch.baseOffset, lastOffset: lastOffsetOf(batch) });
    if (entry.batches.length > this.retain) entry.batches.shift();
    return undefined;
  }

  private completeTxn(marker: RecordBatch, entry: ProducerStateEntry): CompletedTxn | undefined {
    entry.coordinatorEpoch = coordinatorEpochOf(marker);
    this.verificationStates.delete(marker.producerId);
    const firstOffset = entry.currentTxnFirstOffset;
    if (firstOffset === undefined) return undefined;
    entry.currentTxnFirstOffset = undefined;
    this.ongoingTxns.delete(firstOffset);
    const completed: CompletedTxn = { producerId: marker.producerId, firstOffset, lastOffset: marker.baseOffset, isAborted: markerResultOf(marker) === "ABORT" };
    this.unreplicatedTxns.push(completed);
    return completed;
  }

  /** Forgets the log-derived state (verification entries stay, as Kafka keeps them apart). */
  clear(): void {
    this.producers.clear();
    this.ongoingTxns.clear();
    this.unreplicatedTxns = [];
  }

  /** Forgets everything derived from the log and replays `batches` (restart recovery, truncation). */
  rebuild(batches: readonly RecordBatch[]): void {
    this.clear();
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

/** The marker's coordinator epoch; -1 for a control batch whose value is not an EndTransactionMarker. */
function coordinatorEpochOf(marker: RecordBatch): number {
  return marker.records[0]?.value.startsWith("{") === true ? markerCoordinatorEpochOf(marker) : -1;
}

/** `next == last + 1`, wrapping at Int.MAX (KAFKA-5283). */
export function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === MAX_SEQUENCE);
}
