import type { PartitionLog } from "./partition-log.js";

/**
 * What brokers report for online invariants (checked in src/checks, wired by the system):
 * the moment a replica claims leadership, and every high-watermark move.
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
}

export const NO_OBSERVER: ReplicationObserver = {
  leaderElected: () => undefined,
  highWatermarkChanged: () => undefined,
};
