import type { PartitionLog } from "./partition-log.js";

/** A replica's last stable offset moved (facts §1.4): for LSO ≤ HW and LSO monotonic on a leader within an epoch. */
export interface LastStableOffsetChange {
  readonly partition: string;
  readonly brokerId: number;
  readonly isLeader: boolean;
  readonly leaderEpoch: number;
  /** -1 on the first report of a replica incarnation. */
  readonly previous: number;
  readonly lastStableOffset: number;
  readonly highWatermark: number;
}

/**
 * What brokers report for online invariants (checked in src/checks, wired by the system):
 * the moment a replica claims leadership, every high-watermark move and every LSO move.
 */
export interface ReplicationObserver {
  leaderElected(partition: string, leaderEpoch: number, brokerId: number): void;
  highWatermarkChanged(change: {
    readonly partition: string;
    readonly brokerId: number;
    readonly isLeader: boolean;
    readonly leaderEpoch: number;
    readonly previous: number;
    readonly highWatermark: number;
    readonly log: PartitionLog;
  }): void;
  lastStableOffsetChanged(change: LastStableOffsetChange): void;
}

export const NO_OBSERVER: ReplicationObserver = {
  leaderElected: () => undefined,
  highWatermarkChanged: () => undefined,
  lastStableOffsetChanged: () => undefined,
};
