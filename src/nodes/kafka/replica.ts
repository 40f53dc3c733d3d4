import type { Disk } from "../../../sim/disk.js";
import type { SimTimeUs } from "../../../sim/time.js";
import { PartitionLog } from "./partition-log.js";
import { ProducerStateManager } from "./producer-state.js";
import type { PartitionState } from "./protocol.js";

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
 * One broker's replica of one partition: its log and producer state (rebuilt from the log),
 * its high watermark, and, while it leads, what it knows of each follower.
 */
export class Replica {
  readonly log: PartitionLog;
  readonly producers: ProducerStateManager;
  highWatermark: number;
  state: PartitionState | undefined;
  role: ReplicaRole = "offline";
  readonly followers = new Map<number, FollowerState>();
  /** An AlterPartition is in flight: no other may be sent (Kafka allows one at a time). */
  pendingIsr: readonly number[] | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    disk: Disk,
    flushIntervalMessages: number,
    bugs: ReadonlySet<string>,
    checkpointedHighWatermark: number,
  ) {
    this.key = `${topic}-${partition}`;
    this.log = new PartitionLog(disk, this.key, flushIntervalMessages);
    this.producers = new ProducerStateManager({ bugs });
    this.producers.rebuild(this.log.allBatches);
    this.highWatermark = Math.min(checkpointedHighWatermark, this.log.logEndOffset);
  }

  /** `topic-partition`: built once, as every trace record and invariant of the replica names it. */
  readonly key: string;

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

  truncateTo(offset: number): void {
    if (offset >= this.log.logEndOffset) return;
    this.log.truncateTo(offset);
    this.producers.rebuild(this.log.allBatches);
    if (this.highWatermark > this.log.logEndOffset) this.highWatermark = this.log.logEndOffset;
  }
}
