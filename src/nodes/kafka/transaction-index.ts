/**
 * The aborted-transaction index of one partition replica (Kafka's TransactionIndex, one per
 * segment there, one per log here): an entry per ABORT marker that ended an open transaction,
 * in marker order. Rebuilt from the log with the producer state, so replicas agree on it.
 */

/** AbortedTxn: the aborted range [firstOffset, lastOffset = marker offset] of one producer. */
export interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  /** The LSO when the abort completed: no later entry starts below it (the scan's stop rule). */
  readonly lastStableOffset: number;
}

export class TransactionIndex {
  private entries: AbortedTxn[] = [];

  get all(): readonly AbortedTxn[] {
    return this.entries;
  }

  append(entry: AbortedTxn): void {
    this.entries.push(entry);
  }

  clear(): void {
    this.entries = [];
  }

  /**
   * TransactionIndex.collectAbortedTxns for a read of [fetchOffset, upperBound): every aborted
   * transaction that ends at or after the fetch offset and starts below the bound. Entries are
   * in marker (lastOffset) order; the scan stops at an entry whose completion LSO reaches the
   * bound, since every later abort starts at or after that LSO.
   */
  collectAbortedTxns(fetchOffset: number, upperBound: number): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    for (let i = this.firstEndingAtOrAfter(fetchOffset); i < this.entries.length; i++) {
      const entry = this.entries[i] as AbortedTxn;
      if (entry.firstOffset < upperBound) out.push(entry);
      if (entry.lastStableOffset >= upperBound) break;
    }
    return out;
  }

  private firstEndingAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.entries[mid] as AbortedTxn).lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
