import type { NodeContext } from "../../../../sim/actor.js";
import { isRetriable, type KafkaError } from "../errors.js";
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, NO_SEQUENCE } from "../protocol.js";
import { incrementSequence, type ProducerBatch } from "./producer-batch.js";

const NO_LAST_ACKED_SEQUENCE = -1;

/** Producer guards that can be switched off by name. */
export const PRODUCER_BUGS = {
  /**
   * platformatic/kafka #326: the next sequence is read off the last acknowledged one instead of
   * being reserved as each batch is drained, so batches drained while another is in flight get
   * its base sequence. The broker takes each as a duplicate of the first and acknowledges it
   * with the first's offset: the record is dropped with a success.
   */
  racySequence: "racy-sequence",
} as const;

/** Per-partition sequence bookkeeping (Java's TxnPartitionEntry). */
interface PartitionEntry {
  /** The producer id and epoch this partition's sequences belong to. */
  producerId: number;
  producerEpoch: number;
  /** Base sequence of the next new batch. */
  nextSequence: number;
  lastAckedSequence: number;
  lastAckedOffset: number;
  /** Batches with a sequence that have not completed, ordered by (producerId, epoch, sequence). */
  inflight: ProducerBatch[];
}

export type IdempotenceState = "uninitialized" | "initializing" | "ready" | "fatal";

/**
 * The idempotent (non-transactional) half of Java's TransactionManager: the producer id and
 * epoch, per-partition sequence numbers, and the rules that keep retries deduplicated and in
 * order (facts §1.1, "Client-side rules").
 *
 * - Sequences are assigned when a batch is drained, one partition at a time, and never change
 *   on a retry; a retry is sent only when it is the lowest sequence in flight for its partition.
 * - OUT_OF_ORDER_SEQUENCE_NUMBER on the batch right after the last acknowledged one means a
 *   real gap: the epoch is bumped locally (no request) and only that partition's in-flight
 *   batches are rewritten from sequence 0 with the new epoch. Other partitions finish their
 *   in-flight batches with the old epoch and restart at 0 once they have drained. Any other
 *   OUT_OF_ORDER_SEQUENCE_NUMBER is retried (an earlier batch is still on its way).
 * - A batch that expired after being retried leaves its partition "unresolved": no new
 *   sequences until the in-flight batches drain; then, if the acknowledged sequences do not
 *   reach the next sequence, the epoch is bumped for that partition.
 * - Bumping past the maximum epoch (Short.MAX_VALUE) drops the producer id: a new one is
 *   requested with InitProducerId.
 *
 * A transactional producer (`transactional`) never bumps locally: a failed batch makes the
 * transaction abortable (see TransactionManager), later in-flight batches of the partition move
 * down by its record count, and OUT_OF_ORDER_SEQUENCE_NUMBER on the next sequence is not retried.
 * Its epoch changes only through InitProducerId or a TV2 EndTxn, which restart every partition at 0.
 */
export class IdempotenceManager {
  producerId = NO_PRODUCER_ID;
  producerEpoch = NO_PRODUCER_EPOCH;
  private currentState: IdempotenceState = "uninitialized";
  private fatal: string | undefined;
  private epochBumpRequired = false;
  private readonly partitionsToRewrite = new Set<string>();
  private readonly unresolved = new Map<string, number>();
  private readonly entries = new Map<string, PartitionEntry>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly maxProducerEpoch: number,
    private readonly owner: string,
    readonly transactional = false,
  ) {}

  get state(): IdempotenceState {
    return this.currentState;
  }

  get fatalError(): string | undefined {
    return this.fatal;
  }

  get hasProducerId(): boolean {
    return this.producerId !== NO_PRODUCER_ID;
  }

  // ---- producer id ----

  /**
   * Java's bumpIdempotentEpochAndResetIdIfNeeded: applies a pending local epoch bump, and
   * returns true when an InitProducerId request must now be sent (state becomes initializing).
   */
  bumpEpochAndResetIdIfNeeded(): boolean {
    if (this.currentState === "fatal" || this.transactional) return false;
    if (this.epochBumpRequired) this.bumpEpoch();
    if (this.currentState !== "initializing" && !this.hasProducerId) {
      this.currentState = "initializing";
      return true;
    }
    return false;
  }

  setProducerIdAndEpoch(producerId: number, producerEpoch: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    this.currentState = "ready";
    this.ctx.trace("producer.pid", { owner: this.owner, producerId, producerEpoch });
  }

  transitionToFatal(error: string): void {
    this.currentState = "fatal";
    this.fatal = error;
  }

  /** Java's resetSequenceNumbers: after a new producer id or epoch from the coordinator. */
  resetSequenceNumbers(): void {
    this.entries.clear();
    this.unresolved.clear();
    this.partitionsToRewrite.clear();
    this.epochBumpRequired = false;
  }

  private bumpEpoch(): void {
    if (this.producerEpoch >= this.maxProducerEpoch) {
      this.ctx.trace("producer.epoch-exhausted", { owner: this.owner, producerId: this.producerId, producerEpoch: this.producerEpoch });
      this.producerId = NO_PRODUCER_ID;
      this.producerEpoch = NO_PRODUCER_EPOCH;
      this.currentState = "uninitialized";
    } else {
      this.producerEpoch++;
      this.ctx.trace("producer.epoch-bump", { owner: this.owner, producerId: this.producerId, producerEpoch: this.producerEpoch, partitions: [...this.partitionsToRewrite].join(",") });
    }
    for (const tp of this.partitionsToRewrite) {
      this.startSequencesAtBeginning(this.entry(tp));
      this.unresolved.delete(tp);
    }
    this.partitionsToRewrite.clear();
    this.epochBumpRequired = false;
  }

  private requestEpochBumpForPartition(tp: string): void {
    this.epochBumpRequired = true;
    this.partitionsToRewrite.add(tp);
  }

  // ---- draining ----

  /** Java's RecordAccumulator.shouldStopDrainBatchesForPartition (idempotent part). */
  shouldStopDrain(batch: ProducerBatch): boolean {
    if (this.currentState === "fatal" || !this.hasProducerId) return true;
    if (!batch.hasSequence) {
      // A new batch must not start the new epoch at sequence 0 while old-epoch batches are out.
      if (this.hasInflightBatches(batch.tp) && this.hasStaleProducerIdAndEpoch(batch.tp)) return true;
      if (this.unresolved.has(batch.tp)) return true;
    }
    const first = this.firstInFlightSequence(batch.tp);
    // A retried batch goes out only when it is the lowest sequence in flight: retries stay in order.
    return first !== NO_SEQUENCE && batch.hasSequence && batch.baseSequence !== first;
  }

  /** Called as a new batch is drained: stamps the producer state and the next sequence, atomically. */
  assignSequence(batch: ProducerBatch): void {
    const entry = this.entry(batch.tp);
    if (this.hasStaleProducerIdAndEpoch(batch.tp) && entry.inflight.length === 0) this.startSequencesAtBeginning(entry);
    batch.transactional = this.transactional;
    const base = this.ctx.bugs.has(PRODUCER_BUGS.racySequence) ? incrementSequence(entry.lastAckedSequence, 1) : entry.nextSequence;
    batch.setProducerState(this.producerId, this.producerEpoch, base);
    entry.nextSequence = incrementSequence(base, batch.recordCount);
    this.addInflight(entry, batch);
  }

  firstInFlightSequence(tp: string): number {
    return this.entries.get(tp)?.inflight[0]?.baseSequence ?? NO_SEQUENCE;
  }

  hasInflightBatches(tp: string): boolean {
    return (this.entries.get(tp)?.inflight.length ?? 0) > 0;
  }

  nextSequence(tp: string): number {
    return this.entries.get(tp)?.nextSequence ?? 0;
  }

  lastAckedSequence(tp: string): number {
    return this.entries.get(tp)?.lastAckedSequence ?? NO_LAST_ACKED_SEQUENCE;
  }

  hasUnresolvedSequence(tp: string): boolean {
    return this.unresolved.has(tp);
  }

  // ---- completions ----

  handleCompletedBatch(batch: ProducerBatch, baseOffset: number): void {
    const entry = this.entry(batch.tp);
    if (batch.lastSequence > entry.lastAckedSequence) entry.lastAckedSequence = batch.lastSequence;
    if (baseOffset >= 0) entry.lastAckedOffset = Math.max(entry.lastAckedOffset, baseOffset + batch.recordCount - 1);
    this.removeInflight(entry, batch);
  }

  /**
   * Java's handleFailedBatch for the idempotent producer: OUT_OF_ORDER_SEQUENCE_NUMBER, or a
   * definite failure (`adjustSequences`), bumps the epoch for the partition; an expiry only
   * stops tracking the batch.
   */
  handleFailedBatch(batch: ProducerBatch, error: string, adjustSequences: boolean): void {
    this.removeInflight(this.entry(batch.tp), batch);
    if (this.currentState === "fatal") return;
    if (!this.transactional) {
      if (error === "OUT_OF_ORDER_SEQUENCE_NUMBER" || adjustSequences) this.requestEpochBumpForPartition(batch.tp);
    } else if (error === "UNKNOWN_PRODUCER_ID") {
      this.entries.delete(batch.tp);
      this.unresolved.delete(batch.tp);
    } else if (adjustSequences) {
      this.adjustSequencesDueToFailedBatch(batch);
    }
  }

  /** Java's adjustSequencesDueToFailedBatch: the failed batch's sequences are given to the later batches. */
  private adjustSequencesDueToFailedBatch(failed: ProducerBatch): void {
    const entry = this.entries.get(failed.tp);
    if (entry === undefined || !failed.hasSequence) return;
    entry.nextSequence = Math.max(0, entry.nextSequence - failed.recordCount);
    for (const batch of entry.inflight) {
      if (batch.baseSequence < failed.baseSequence) continue;
      batch.resetProducerState(batch.producerId, batch.producerEpoch, Math.max(0, batch.baseSequence - failed.recordCount));
    }
  }

  /** Java's TransactionManager.canRetry for an idempotent producer. */
  canRetry(error: KafkaError, batch: ProducerBatch): boolean {
    if (error === "OUT_OF_ORDER_SEQUENCE_NUMBER") {
      const unresolved = this.unresolved.has(batch.tp);
      if (!unresolved && (batch.sequenceHasBeenReset || !this.isNextSequence(batch.tp, batch.baseSequence))) return true;
      // A real gap: a transactional producer aborts instead (the batch fails, the transaction is abortable).
      if (this.transactional) return false;
      if (!unresolved || this.unresolved.get(batch.tp) === batch.baseSequence) {
        this.ctx.trace("producer.sequence-gap", { owner: this.owner, tp: batch.tp, baseSequence: batch.baseSequence, lastAcked: this.lastAckedSequence(batch.tp) });
        this.requestEpochBumpForPartition(batch.tp);
      }
      return true;
    }
    return isRetriable(error);
  }

  /** A batch that was retried expired: its partition is unresolved until its in-flight batches drain. */
  markSequenceUnresolved(batch: ProducerBatch): void {
    const next = incrementSequence(batch.lastSequence, 1);
    const current = this.unresolved.get(batch.tp);
    this.unresolved.set(batch.tp, current === undefined ? next : Math.max(current, next));
  }

  /**
   * Java's maybeResolveSequences: run before every send loop. Returns true when a transactional
   * producer lost track of a partition (its retried batches expired unacknowledged): the
   * transaction must then be aborted.
   */
  maybeResolveSequences(): boolean {
    if (this.unresolved.size === 0) return false;
    let lost = false;
    for (const [tp] of [...this.unresolved]) {
      if (this.hasInflightBatches(tp)) continue;
      if (!this.isNextSequence(tp, this.nextSequence(tp))) {
        this.ctx.trace("producer.unresolved", { owner: this.owner, tp, nextSequence: this.nextSequence(tp), lastAcked: this.lastAckedSequence(tp) });
        if (this.transactional) lost = true;
        else this.requestEpochBumpForPartition(tp);
      }
      this.unresolved.delete(tp);
    }
    return lost;
  }

  // ---- helpers ----

  private isNextSequence(tp: string, sequence: number): boolean {
    return sequence - this.lastAckedSequence(tp) === 1;
  }

  private hasStaleProducerIdAndEpoch(tp: string): boolean {
    const entry = this.entry(tp);
    return entry.producerId !== this.producerId || entry.producerEpoch !== this.producerEpoch;
  }

  /** Rewrites the partition's in-flight batches from sequence 0 under the current producer id and epoch. */
  private startSequencesAtBeginning(entry: PartitionEntry): void {
    let sequence = 0;
    for (const batch of entry.inflight) {
      batch.resetProducerState(this.producerId, this.producerEpoch, sequence);
      sequence = incrementSequence(sequence, batch.recordCount);
    }
    entry.inflight.sort(compareBatches);
    entry.producerId = this.producerId;
    entry.producerEpoch = this.producerEpoch;
    entry.nextSequence = sequence;
    entry.lastAckedSequence = NO_LAST_ACKED_SEQUENCE;
  }

  private addInflight(entry: PartitionEntry, batch: ProducerBatch): void {
    if (entry.inflight.includes(batch)) return;
    entry.inflight.push(batch);
    entry.inflight.sort(compareBatches);
  }

  private removeInflight(entry: PartitionEntry, batch: ProducerBatch): void {
    const index = entry.inflight.indexOf(batch);
    if (index >= 0) entry.inflight.splice(index, 1);
  }

  private entry(tp: string): PartitionEntry {
    let entry = this.entries.get(tp);
    if (entry === undefined) {
      entry = {
        producerId: NO_PRODUCER_ID,
        producerEpoch: NO_PRODUCER_EPOCH,
        nextSequence: 0,
        lastAckedSequence: NO_LAST_ACKED_SEQUENCE,
        lastAckedOffset: -1,
        inflight: [],
      };
      this.entries.set(tp, entry);
    }
    return entry;
  }
}

/** Java's PRODUCER_BATCH_COMPARATOR: producer id, then epoch, then base sequence. */
function compareBatches(a: ProducerBatch, b: ProducerBatch): number {
  return a.producerId - b.producerId || a.producerEpoch - b.producerEpoch || a.baseSequence - b.baseSequence;
}
