import { partitionKey, type TopicPartition } from "../protocol.js";

/**
 * A group's committed offsets and the commits still in flight (Kafka's offset half of
 * GroupMetadata): plain commits pending their append, and transactional commits pending per
 * producer until that producer's marker lands on the group's `__consumer_offsets` partition
 * (facts §1.5). Which of two commits of a partition wins is decided by the log position of their
 * records, never by the offset value.
 */

export interface OffsetAndMetadata {
  readonly offset: number;
  readonly commitTimestampMs: number;
}

/** Kafka's CommitRecordMetadataAndOffset: the offset and where its record sits in the log. */
export interface CommitRecord {
  readonly topicPartition: TopicPartition;
  readonly offsetAndMetadata: OffsetAndMetadata;
  /** Base offset of the batch that holds the record; undefined until its append completes. */
  readonly appendedBatchOffset: number | undefined;
}

/**
 * Kafka's olderThan compares log positions and throws when one is unknown. A COMMIT marker can
 * find a transactional commit whose append has not reported back yet (the record is in the log,
 * before the marker: KAFKA-17507's window, where 3.x threw IllegalStateException); the model
 * treats an unknown position as the newest when it is the candidate, and a committed record
 * whose position is still unknown (until its append reports back) as older than any later
 * commit: otherwise it could never be replaced.
 */
function olderThan(current: CommitRecord, candidate: CommitRecord): boolean {
  if (candidate.appendedBatchOffset === undefined) return true;
  if (current.appendedBatchOffset === undefined) return true;
  return current.appendedBatchOffset < candidate.appendedBatchOffset;
}

function sameOffset(a: OffsetAndMetadata, b: OffsetAndMetadata): boolean {
  return a.offset === b.offset && a.commitTimestampMs === b.commitTimestampMs;
}

/** What a marker did to a producer's pending offsets. */
export interface TxnCompletion {
  readonly producerId: number;
  readonly isCommit: boolean;
  /** Pending commits the marker resolved (applied or discarded). */
  readonly resolved: readonly CommitRecord[];
  /** Of those, the commits a COMMIT installed (an older record does not replace a newer one). */
  readonly applied: readonly CommitRecord[];
}

const LOADED_EPOCH = -1;

export class GroupOffsets {
  private readonly committed = new Map<string, CommitRecord>();
  private readonly pendingOffsetCommits = new Map<string, OffsetAndMetadata>();
  /** producerId → producer epoch of the commit → partition → the pending record. */
  private readonly pendingTransactionalOffsetCommits = new Map<number, Map<number, Map<string, CommitRecord>>>();

  /** Installs what a load found (GroupMetadata.initializeOffsets). */
  initialize(committed: readonly CommitRecord[], pending: ReadonlyMap<number, readonly CommitRecord[]>): void {
    for (const record of committed) this.committed.set(keyOf(record.topicPartition), record);
    // Records found in the log precede every marker still to come: epoch -1 lets the next marker resolve them.
    for (const [producerId, records] of pending) {
      this.pendingTransactionalOffsetCommits.set(producerId, new Map([[LOADED_EPOCH, new Map(records.map((r) => [keyOf(r.topicPartition), r]))]]));
    }
  }

  offset(tp: TopicPartition): CommitRecord | undefined {
    return this.committed.get(keyOf(tp));
  }

  /** Every partition with a committed offset, in first-commit order. */
  allOffsets(): readonly CommitRecord[] {
    return [...this.committed.values()];
  }

  get isEmpty(): boolean {
    return this.committed.size === 0 && this.pendingOffsetCommits.size === 0 && this.pendingTransactionalOffsetCommits.size === 0;
  }

  // ── plain commits ──

  prepareOffsetCommit(offsets: readonly { topicPartition: TopicPartition; offsetAndMetadata: OffsetAndMetadata }[]): void {
    for (const o of offsets) this.pendingOffsetCommits.set(keyOf(o.topicPartition), o.offsetAndMetadata);
  }

  /** The record is in the log at `appendedBatchOffset`: install it unless a newer record is. */
  onOffsetCommitAppend(record: CommitRecord): void {
    const key = keyOf(record.topicPartition);
    const staged = this.pendingOffsetCommits.get(key);
    if (staged === undefined) return;
    const current = this.committed.get(key);
    if (current === undefined || olderThan(current, record)) this.committed.set(key, record);
    if (sameOffset(staged, record.offsetAndMetadata)) this.pendingOffsetCommits.delete(key);
  }

  failPendingOffsetWrite(tp: TopicPartition, offsetAndMetadata: OffsetAndMetadata): void {
    const key = keyOf(tp);
    const staged = this.pendingOffsetCommits.get(key);
    if (staged !== undefined && sameOffset(staged, offsetAndMetadata)) this.pendingOffsetCommits.delete(key);
  }

  // ── transactional commits ──

  /**
   * Stages the producer's offsets as pending under its epoch and returns what they replaced (a
   * commit of the same transaction for the same partition). Each transaction's offsets are kept
   * apart: under transaction version 2 a producer's next transaction may commit offsets before
   * the marker of its previous one lands here, and that marker must not resolve them.
   */
  prepareTxnOffsetCommit(producerId: number, producerEpoch: number, offsets: readonly { topicPartition: TopicPartition; offsetAndMetadata: OffsetAndMetadata }[]): Map<string, CommitRecord> {
    const pending = this.pendingOf(producerId, producerEpoch, true) as Map<string, CommitRecord>;
    const replaced = new Map<string, CommitRecord>();
    for (const o of offsets) {
      const key = keyOf(o.topicPartition);
      const previous = pending.get(key);
      if (previous !== undefined) replaced.set(key, previous);
      pending.set(key, { ...o, appendedBatchOffset: undefined });
    }
    return replaced;
  }

  /** The record is appended: remember where, in the pending commit, or in the committed one if a marker applied it first. */
  onTxnOffsetCommitAppend(producerId: number, producerEpoch: number, record: CommitRecord): void {
    const pending = this.pendingOf(producerId, producerEpoch, false);
    const key = keyOf(record.topicPartition);
    const staged = pending?.get(key);
    if (pending !== undefined && staged !== undefined && sameOffset(staged.offsetAndMetadata, record.offsetAndMetadata)) pending.set(key, record);
    const committed = this.committed.get(key);
    if (committed !== undefined && committed.appendedBatchOffset === undefined && sameOffset(committed.offsetAndMetadata, record.offsetAndMetadata)) this.committed.set(key, record);
  }

  /** The append failed: drop the staged offset, or put back the one it replaced. */
  failPendingTxnOffsetCommit(producerId: number, producerEpoch: number, tp: TopicPartition, replaced?: CommitRecord): void {
    const pending = this.pendingOf(producerId, producerEpoch, false);
    if (pending === undefined) return;
    if (replaced !== undefined) pending.set(keyOf(tp), replaced);
    else pending.delete(keyOf(tp));
    if (pending.size === 0) this.dropEpoch(producerId, producerEpoch);
  }

  hasPendingTxnOffsets(producerId: number): boolean {
    return this.pendingTransactionalOffsetCommits.has(producerId);
  }

  /**
   * The producer's marker landed: COMMIT installs the pending offsets of the transaction it ends
   * (by log position), ABORT drops them. The marker ends the transactions of epochs up to its own
   * (transaction version 1: same epoch) or below its own (version 2: the marker carries the
   * bumped epoch, the producer's next transaction already uses it).
   */
  completePendingTxnOffsetCommit(producerId: number, markerEpoch: number, transactionVersion: number, isCommit: boolean): TxnCompletion {
    const byEpoch = this.pendingTransactionalOffsetCommits.get(producerId);
    const resolved: CommitRecord[] = [];
    for (const [epoch, pending] of byEpoch ?? []) {
      if (transactionVersion >= 2 ? epoch >= markerEpoch : epoch > markerEpoch) continue;
      resolved.push(...pending.values());
      byEpoch?.delete(epoch);
    }
    if (byEpoch !== undefined && byEpoch.size === 0) this.pendingTransactionalOffsetCommits.delete(producerId);
    const applied: CommitRecord[] = [];
    if (isCommit) {
      for (const record of resolved) {
        const key = keyOf(record.topicPartition);
        const current = this.committed.get(key);
        if (current === undefined || olderThan(current, record)) {
          this.committed.set(key, record);
          applied.push(record);
        }
      }
    }
    return { producerId, isCommit, resolved, applied };
  }

  /** Plain commits in flight or transactional commits pending for this partition (KIP-447's unstable offsets). */
  hasPendingOffsetCommitsForTopicPartition(tp: TopicPartition): boolean {
    const key = keyOf(tp);
    if (this.pendingOffsetCommits.has(key)) return true;
    for (const byEpoch of this.pendingTransactionalOffsetCommits.values()) for (const pending of byEpoch.values()) if (pending.has(key)) return true;
    return false;
  }

  /** Pending transactional commits, by producer id, in arrival order. */
  pendingTxnOffsets(): ReadonlyMap<number, readonly CommitRecord[]> {
    return new Map([...this.pendingTransactionalOffsetCommits].map(([producerId, byEpoch]) => [producerId, [...byEpoch.values()].flatMap((pending) => [...pending.values()])]));
  }

  private pendingOf(producerId: number, producerEpoch: number, create: boolean): Map<string, CommitRecord> | undefined {
    let byEpoch = this.pendingTransactionalOffsetCommits.get(producerId);
    if (byEpoch === undefined) {
      if (!create) return undefined;
      byEpoch = new Map();
      this.pendingTransactionalOffsetCommits.set(producerId, byEpoch);
    }
    let pending = byEpoch.get(producerEpoch);
    if (pending === undefined && create) {
      pending = new Map();
      byEpoch.set(producerEpoch, pending);
    }
    return pending;
  }

  private dropEpoch(producerId: number, producerEpoch: number): void {
    const byEpoch = this.pendingTransactionalOffsetCommits.get(producerId);
    byEpoch?.delete(producerEpoch);
    if (byEpoch !== undefined && byEpoch.size === 0) this.pendingTransactionalOffsetCommits.delete(producerId);
  }
}

export function keyOf(tp: TopicPartition): string {
  return partitionKey(tp.topic, tp.partition);
}
