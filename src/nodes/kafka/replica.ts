import type { Disk } from "../../../sim/disk.js";
import type { SimTimeUs } from "../../../sim/time.js";
import { KAFKA_BUGS } from "./bugs.js";
import { PartitionLog } from "./partition-log.js";
import { ProducerStateManager, type CompletedTxn } from "./producer-state.js";
import type { PartitionState, RecordBatch } from "./protocol.js";
import { TransactionIndex } from "./transaction-index.js";

export type ReplicaRole = "leader" | "follower" | "offline";

/** What the leader knows of one follower (Kafka's Replica state on the leader). */
export interface FollowerState {
  /** The follower's log end, as its last fetch said; -1 until it fetched. */
  logEndOffset: number;
  lastCaughtUpTimeUs: SimTimeUs;
  /** Leader's log end at the follower's previous fetch: reaching it means caught up then. */
  leaderEndOffsetAtLastFetch: number;
  lastFetchTimeUs: SimTimeUs;
}

/**
 * One broker's replica of one partition: its log, producer state and aborted-transaction index
 * (both rebuilt from the log), its high watermark and last stable offset, and, while it leads,
 * what it knows of each follower.
 */
export class Replica {
  readonly log: PartitionLog;
  readonly producers: ProducerStateManager;
  readonly transactionIndex = new TransactionIndex();
  state: PartitionState | undefined;
  role: ReplicaRole = "offline";
  readonly followers = new Map<number, FollowerState>();
  /** An AlterPartition is in flight: no other may be sent (Kafka allows one at a time). */
  pendingIsr: readonly number[] | undefined;
  /** The LSO last reported to the observer (-1: none yet). */
  reportedLastStableOffset = -1;
  private hw = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
    disk: Disk,
    flushIntervalMessages: number,
    private readonly bugs: ReadonlySet<string>,
    checkpointedHighWatermark: number,
  ) {
    this.key = `${topic}-${partition}`;
    this.log = new PartitionLog(disk, this.key, flushIntervalMessages);
    this.producers = new ProducerStateManager({ bugs });
    this.rebuildFromLog();
    this.highWatermark = Math.min(checkpointedHighWatermark, this.log.logEndOffset);
  }

  /** `topic-partition`: built once, as every trace record and invariant of the replica names it. */
  readonly key: string;

  get highWatermark(): number {
    return this.hw;
  }

  /** Setting the HW also retires completed transactions whose marker it passed (facts §1.4). */
  set highWatermark(offset: number) {
    this.hw = offset;
    this.producers.onHighWatermarkUpdated(offset);
  }

  /**
   * UnifiedLog.lastStableOffset: the first unstable offset if it is below the HW, else the HW.
   * Under `lso-ignores-open-txns` always the HW; under `lso-off-by-one` one past the first
   * unstable offset (Redpanda #3036: an exclusive bound used as an inclusive one).
   */
  get lastStableOffset(): number {
    const hw = this.hw;
    if (this.bugs.has(KAFKA_BUGS.lsoIgnoresOpenTxns)) return hw;
    const first = this.producers.firstUnstableOffset;
    if (first === undefined || first >= hw) return hw;
    return this.bugs.has(KAFKA_BUGS.lsoOffByOne) ? first + 1 : first;
  }

  get leaderEpoch(): number {
    return this.state?.leaderEpoch ?? -1;
  }

  get isr(): readonly number[] {
    return this.state?.isr ?? [];
  }

  /** The ISR the leader computes its HW over: current plus pending additions (KIP-497's maximal ISR). */
  get maximalIsr(): readonly number[] {
    const pending = this.pendingIsr;
    if (pending === undefined) return this.isr;
    return [...this.isr, ...pending.filter((id) => !this.isr.includes(id))];
  }

  /** Appends a batch whose offsets are assigned and records it in the producer state and index. */
  append(batch: RecordBatch): { readonly batch: RecordBatch; readonly completedTxn: CompletedTxn | undefined } {
    const appended = this.log.append(batch);
    return { batch: appended, completedTxn: this.applyToState(appended) };
  }

  truncateTo(offset: number): void {
    if (offset >= this.log.logEndOffset) return;
    this.log.truncateTo(offset);
    this.rebuildFromLog();
    this.highWatermark = Math.min(this.hw, this.log.logEndOffset);
  }

  /** Replays the log into the producer state and the aborted-transaction index. */
  private rebuildFromLog(): void {
    this.producers.clear();
    this.transactionIndex.clear();
    for (const batch of this.log.allBatches) this.applyToState(batch);
  }

  private applyToState(batch: RecordBatch): CompletedTxn | undefined {
    const completed = this.producers.update(batch);
    if (completed?.isAborted) {
      const { producerId, firstOffset, lastOffset } = completed;
      this.transactionIndex.append({ producerId, firstOffset, lastOffset, lastStableOffset: this.producers.lastStableOffsetAfter(completed) });
    }
    return completed;
  }
}
