import type { TxnCoordinatorConfig } from "./config.js";
import { partitionFor, type LoadedTxnPartition } from "./transaction-log.js";
import type { TransactionMetadata } from "./transaction-metadata.js";

/**
 * The coordinator's in-memory state (Kafka's TransactionStateManager cache): for each
 * `__transaction_state` partition this broker leads, the coordinator epoch (the partition's
 * leader epoch) and the metadata of its transactional ids. A partition being loaded answers
 * COORDINATOR_LOAD_IN_PROGRESS; one this broker does not own answers NOT_COORDINATOR.
 * Plain in-memory data: the actor decides when partitions are loaded and unloaded.
 */

export type TxnStateLookup =
  | { readonly ok: false; readonly error: "COORDINATOR_LOAD_IN_PROGRESS" | "NOT_COORDINATOR" }
  | { readonly ok: true; readonly coordinatorEpoch: number; readonly metadata: TransactionMetadata | undefined };

interface CacheEntry {
  readonly coordinatorEpoch: number;
  readonly metadata: Map<string, TransactionMetadata>;
}

export interface TimedOutTransaction {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
}

export class TransactionStateCache {
  /** Partition → coordinator epoch being loaded. */
  private readonly loading = new Map<number, number>();
  private readonly entries = new Map<number, CacheEntry>();

  constructor(readonly config: Pick<TxnCoordinatorConfig, "transactionStateTopicPartitions" | "maxProducerEpoch">) {}

  partitionFor(transactionalId: string): number {
    return partitionFor(transactionalId, this.config.transactionStateTopicPartitions);
  }

  /** Kafka's getTransactionState. */
  get(transactionalId: string): TxnStateLookup {
    const partition = this.partitionFor(transactionalId);
    if (this.loading.has(partition)) return { ok: false, error: "COORDINATOR_LOAD_IN_PROGRESS" };
    const entry = this.entries.get(partition);
    if (entry === undefined) return { ok: false, error: "NOT_COORDINATOR" };
    return { ok: true, coordinatorEpoch: entry.coordinatorEpoch, metadata: entry.metadata.get(transactionalId) };
  }

  /** Kafka's putTransactionStateIfNotExists: the existing metadata wins. */
  putIfNotExists(metadata: TransactionMetadata): TxnStateLookup {
    const lookup = this.get(metadata.transactionalId);
    if (!lookup.ok || lookup.metadata !== undefined) return lookup;
    const entry = this.entries.get(this.partitionFor(metadata.transactionalId)) as CacheEntry;
    entry.metadata.set(metadata.transactionalId, metadata);
    return { ok: true, coordinatorEpoch: entry.coordinatorEpoch, metadata };
  }

  /** Drops an expired id (after its tombstone is in the log). */
  remove(transactionalId: string): void {
    this.entries.get(this.partitionFor(transactionalId))?.metadata.delete(transactionalId);
  }

  /** Becoming leader of a partition: requests for its ids wait until `finishLoading`. */
  startLoading(partition: number, coordinatorEpoch: number): void {
    this.entries.delete(partition);
    this.loading.set(partition, coordinatorEpoch);
  }

  isLoading(partition: number): boolean {
    return this.loading.has(partition);
  }

  /** The coordinator epoch a partition is being loaded at, if it is. */
  loadingEpochOf(partition: number): number | undefined {
    return this.loading.get(partition);
  }

  /**
   * Installs a loaded partition, if it is still being loaded at that epoch (a newer election or
   * a resignation meanwhile discards the load, as in Kafka). Returns whether it was installed.
   */
  finishLoading(partition: number, coordinatorEpoch: number, loaded: LoadedTxnPartition): boolean {
    if (this.loading.get(partition) !== coordinatorEpoch) return false;
    this.loading.delete(partition);
    this.entries.set(partition, { coordinatorEpoch, metadata: new Map(loaded.transactions) });
    return true;
  }

  /** Resigning leadership: forget the partition (Kafka's removeTransactionsForTxnTopicPartition). */
  unload(partition: number): void {
    this.loading.delete(partition);
    this.entries.delete(partition);
  }

  coordinatorEpochOf(partition: number): number | undefined {
    return this.entries.get(partition)?.coordinatorEpoch;
  }

  get ownedPartitions(): number[] {
    return [...this.entries.keys()].sort((a, b) => a - b);
  }

  /** Every cached id of a partition (read access for harnesses and reports). */
  transactionsOf(partition: number): ReadonlyMap<string, TransactionMetadata> {
    return this.entries.get(partition)?.metadata ?? new Map();
  }

  /** Every cached id, partition by partition in ascending order. */
  *all(): Iterable<{ readonly partition: number; readonly coordinatorEpoch: number; readonly metadata: TransactionMetadata }> {
    for (const partition of this.ownedPartitions) {
      const entry = this.entries.get(partition) as CacheEntry;
      for (const metadata of entry.metadata.values()) yield { partition, coordinatorEpoch: entry.coordinatorEpoch, metadata };
    }
  }

  /**
   * Kafka's timedOutTransactions: Ongoing, no pending transition, and
   * `txnStartTimestamp + txnTimeoutMs < now` on this coordinator's clock.
   */
  timedOutTransactions(nowMs: number): TimedOutTransaction[] {
    const out: TimedOutTransaction[] = [];
    for (const { metadata } of this.all()) {
      if (metadata.pendingTransitionInProgress || metadata.state !== "Ongoing") continue;
      if (metadata.txnStartTimestamp + metadata.txnTimeoutMs < nowMs) {
        out.push({ transactionalId: metadata.transactionalId, producerId: metadata.producerId, producerEpoch: metadata.producerEpoch });
      }
    }
    return out;
  }
}
