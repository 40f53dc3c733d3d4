import type { Disk, DiskFile } from "../../../sim/disk.js";
import { lastOffsetOf, type RecordBatch } from "./protocol.js";

/** One entry of the leader-epoch cache: `epoch` began at `startOffset` (KIP-101). */
export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

/**
 * A replica's local log of one partition: record batches with contiguous offsets, on the
 * node's disk (so a crash may lose the unflushed tail), plus the leader-epoch cache that
 * epoch-based truncation reads. The log start offset is 0: the model has no retention.
 */
export class PartitionLog {
  private readonly batches: DiskFile<RecordBatch>;
  private readonly epochs: DiskFile<EpochEntry>;
  /** Unflushed records since the last flush, for `log.flush.interval.messages`. */
  private unflushedRecords = 0;

  constructor(
    disk: Disk,
    readonly name: string,
    /** Kafka's log.flush.interval.messages: default never (the page cache acknowledges). */
    private readonly flushIntervalMessages: number,
  ) {
    this.batches = disk.file<RecordBatch>(`log/${name}`);
    this.epochs = disk.file<EpochEntry>(`leader-epoch-checkpoint/${name}`);
    // After a crash lost part of the log, epochs that began beyond what survived are gone.
    this.dropEpochsFrom(this.logEndOffset, false);
  }

  get logStartOffset(): number {
    return 0;
  }

  get logEndOffset(): number {
    const last = this.batches.entries[this.batches.length - 1];
    return last === undefined ? 0 : lastOffsetOf(last) + 1;
  }

  get batchCount(): number {
    return this.batches.length;
  }

  get allBatches(): readonly RecordBatch[] {
    return this.batches.entries;
  }

  get latestEpoch(): number {
    return this.epochs.entries[this.epochs.length - 1]?.epoch ?? -1;
  }

  /** Epoch of the last batch in the log (the follower's lastFetchedEpoch), -1 if empty. */
  get lastBatchEpoch(): number {
    return this.batches.entries[this.batches.length - 1]?.partitionLeaderEpoch ?? -1;
  }

  /** Start offset of an epoch, or undefined if the cache has no such epoch. */
  epochStartOffset(epoch: number): number | undefined {
    return this.epochs.entries.find((e) => e.epoch === epoch)?.startOffset;
  }

  /** Records that `epoch` starts at the current log end (a new leader does this). */
  assignEpochStart(epoch: number): void {
    if (epoch <= this.latestEpoch) return;
    this.epochs.append({ epoch, startOffset: this.logEndOffset });
    this.epochs.flush();
  }

  /** Appends a batch whose offsets are already assigned; returns it. */
  append(batch: RecordBatch): RecordBatch {
    if (batch.baseOffset !== this.logEndOffset) {
      throw new Error(`${this.name}: append at ${batch.baseOffset} but log end is ${this.logEndOffset}`);
    }
    if (batch.partitionLeaderEpoch > this.latestEpoch) {
      this.epochs.append({ epoch: batch.partitionLeaderEpoch, startOffset: batch.baseOffset });
      this.epochs.flush();
    }
    this.batches.append(batch);
    this.unflushedRecords += batch.records.length;
    if (this.unflushedRecords >= this.flushIntervalMessages) this.flush();
    return batch;
  }

  flush(): void {
    this.batches.flush();
    this.unflushedRecords = 0;
  }

  /** Drops every batch at or above `offset` (a batch straddling it goes too). */
  truncateTo(offset: number): void {
    let keep = this.batches.length;
    while (keep > 0 && (this.batches.entries[keep - 1] as RecordBatch).baseOffset >= offset) keep--;
    const straddling = this.batches.entries[keep - 1];
    if (straddling !== undefined && lastOffsetOf(straddling) >= offset) keep--;
    this.batches.truncate(keep);
    this.dropEpochsFrom(this.logEndOffset);
  }

  /** Batches that contain offsets in [fromOffset, toOffsetExclusive), at most `maxBatches`. */
  read(fromOffset: number, toOffsetExclusive: number, maxBatches: number): RecordBatch[] {
    const out: RecordBatch[] = [];
    for (let i = this.indexOfBatchContaining(fromOffset); i < this.batches.length && out.length < maxBatches; i++) {
      const batch = this.batches.entries[i] as RecordBatch;
      if (batch.baseOffset >= toOffsetExclusive) break;
      if (lastOffsetOf(batch) >= toOffsetExclusive) break;
      out.push(batch);
    }
    return out;
  }

  /**
   * KIP-101's end offset for an epoch: the largest cached epoch ≤ `epoch`, and where the next
   * epoch starts (or the log end). `{-1, -1}` when the cache knows no such epoch.
   */
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: number } {
    const i = this.epochIndexAtOrBelow(epoch);
    if (i < 0) return { epoch: -1, endOffset: -1 };
    return { epoch: (this.epochs.entries[i] as EpochEntry).epoch, endOffset: this.epochEndAt(i) };
  }

  /**
   * A leader's KIP-320 check of a follower at `offset` whose last fetched epoch is `epoch`:
   * endOffsetForEpoch(epoch) when the logs diverge (that epoch is not in this cache, or it ends
   * before `offset`), undefined when they agree. Nothing is allocated when they agree.
   */
  divergenceAt(epoch: number, offset: number): { epoch: number; endOffset: number } | undefined {
    const i = this.epochIndexAtOrBelow(epoch);
    const foundEpoch = i < 0 ? -1 : (this.epochs.entries[i] as EpochEntry).epoch;
    const endOffset = i < 0 ? -1 : this.epochEndAt(i);
    return foundEpoch === epoch && endOffset >= offset ? undefined : { epoch: foundEpoch, endOffset };
  }

  /** Index of the largest cached epoch ≤ `epoch`, -1 if none. */
  private epochIndexAtOrBelow(epoch: number): number {
    const entries = this.epochs.entries;
    for (let i = entries.length - 1; i >= 0; i--) if ((entries[i] as EpochEntry).epoch <= epoch) return i;
    return -1;
  }

  /** Where the cached epoch at index `i` ends: the next epoch's start, or the log end. */
  private epochEndAt(i: number): number {
    const next = this.epochs.entries[i + 1];
    return next === undefined ? this.logEndOffset : next.startOffset;
  }

  /** The batch holding `offset`, or undefined. */
  batchAt(offset: number): RecordBatch | undefined {
    const batch = this.batches.entries[this.indexOfBatchContaining(offset)];
    return batch !== undefined && batch.baseOffset <= offset && lastOffsetOf(batch) >= offset ? batch : undefined;
  }

  /** Index of the first batch whose last offset is at or after `offset` (the batch count if none). */
  private indexOfBatchContaining(offset: number): number {
    const entries = this.batches.entries;
    const n = entries.length;
    if (n === 0 || lastOffsetOf(entries[n - 1] as RecordBatch) < offset) return n;
    // Readers mostly ask near the end (followers and consumers fetch what was just appended):
    // gallop back from the last batch to bracket the answer, then binary-search the bracket.
    // Last offsets never decrease along the log, so the answer is the same as a search of all.
    let hi = n - 1; // lastOffsetOf(entries[hi]) >= offset
    let step = 1;
    let lo = hi - step;
    while (lo >= 0 && lastOffsetOf(entries[lo] as RecordBatch) >= offset) {
      hi = lo;
      step *= 2;
      lo = hi - step;
    }
    lo = lo < 0 ? 0 : lo + 1; // every batch before lo ends before offset
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (lastOffsetOf(entries[mid] as RecordBatch) < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Kafka's truncateFromEnd: epochs that start at or beyond the end no longer have a start. */
  private dropEpochsFrom(endOffset: number, inclusive = true): void {
    let keep = this.epochs.length;
    const beyond = (entry: EpochEntry) => (inclusive ? entry.startOffset >= endOffset : entry.startOffset > endOffset);
    while (keep > 0 && beyond(this.epochs.entries[keep - 1] as EpochEntry)) keep--;
    if (keep !== this.epochs.length) {
      this.epochs.truncate(keep);
      this.epochs.flush();
    }
  }
}
