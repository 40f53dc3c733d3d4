import type { Assertions } from "../../../sim/assertions.js";
import type { LastStableOffsetChange, ReplicationObserver } from "../../nodes/kafka/observer.js";
import { lastOffsetOf, type RecordBatch } from "../../nodes/kafka/protocol.js";
import type { InvariantInfo } from "../violation.js";

export const HW_MONOTONIC: InvariantInfo = {
  name: "hw-monotonic",
  kind: "safety",
  when: "online",
  description: "A leader's high watermark never moves back within its leader epoch.",
};

export const ONE_LEADER_PER_EPOCH: InvariantInfo = {
  name: "one-leader-per-epoch",
  kind: "safety",
  when: "online",
  description: "At most one broker leads a partition in any leader epoch.",
};

export const REPLICAS_AGREE: InvariantInfo = {
  name: "replicas-agree",
  kind: "safety",
  when: "online",
  description: "Every replica holds the same batch at every offset below its high watermark.",
};

export const LSO_BELOW_HW: InvariantInfo = {
  name: "lso-below-hw",
  kind: "safety",
  when: "online",
  description: "A replica's last stable offset never exceeds its high watermark (read_committed never reads unreplicated data).",
};

export const LSO_MONOTONIC: InvariantInfo = {
  name: "lso-monotonic",
  kind: "safety",
  when: "online",
  description: "A leader's last stable offset never moves back within its leader epoch.",
};

/** A batch's identity for comparing replicas: who wrote it and what it holds. */
function signatureOf(batch: RecordBatch): string {
  return `${batch.producerId}/${batch.producerEpoch}/${batch.baseSequence}/${batch.isControl ? "control" : batch.records.map((r) => r.value).join(",")}`;
}

/** Index of the first batch whose last offset is at or after `offset` (batches.length if none). */
function firstBatchEndingAtOrAfter(batches: readonly RecordBatch[], offset: number): number {
  let lo = 0;
  let hi = batches.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (lastOffsetOf(batches[mid] as RecordBatch) < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Online replication invariants (RaftEventSimulationTest style), fed by brokers the moment a
 * leader is elected or a high watermark moves: checked where they could break, not rescanned.
 */
export class ReplicationInvariants implements ReplicationObserver {
  private readonly leaders = new Map<string, Map<number, number>>();
  /** Per partition, per broker: the leader epoch and HW it last reported while leading. */
  private readonly leaderHighWatermarks = new Map<string, Map<number, { epoch: number; hw: number }>>();
  /**
   * Per partition: offset of a batch below some replica's HW → the batch and who saw it first.
   * The batch itself, not its signature: followers append the very object the leader wrote, so
   * the comparison is almost always by identity, and signatures are built only for two
   * different objects.
   */
  private readonly committed = new Map<string, { batches: (RecordBatch | undefined)[]; brokers: number[] }>();
  /** Per partition, per broker: the leader epoch and LSO it last reported while leading. */
  private readonly leaderStableOffsets = new Map<string, Map<number, { epoch: number; lso: number }>>();

  constructor(private readonly assert: Assertions) {
    for (const invariant of [HW_MONOTONIC, ONE_LEADER_PER_EPOCH, REPLICAS_AGREE, LSO_BELOW_HW, LSO_MONOTONIC]) assert.declare(invariant.name, "always");
  }

  lastStableOffsetChanged(change: LastStableOffsetChange): void {
    const { partition, brokerId, isLeader, leaderEpoch, lastStableOffset, highWatermark } = change;
    this.assert.always(lastStableOffset <= highWatermark, LSO_BELOW_HW.name, () => ({ partition, broker: brokerId, lastStableOffset, highWatermark }));
    if (!isLeader) return;
    let byBroker = this.leaderStableOffsets.get(partition);
    if (byBroker === undefined) {
      byBroker = new Map();
      this.leaderStableOffsets.set(partition, byBroker);
    }
    const last = byBroker.get(brokerId);
    if (last !== undefined && last.epoch === leaderEpoch) {
      const from = last.lso;
      this.assert.always(lastStableOffset >= from, LSO_MONOTONIC.name, () => ({ partition, broker: brokerId, leaderEpoch, from, to: lastStableOffset }));
    }
    byBroker.set(brokerId, { epoch: leaderEpoch, lso: lastStableOffset });
  }

  leaderElected(partition: string, leaderEpoch: number, brokerId: number): void {
    let byEpoch = this.leaders.get(partition);
    if (byEpoch === undefined) {
      byEpoch = new Map();
      this.leaders.set(partition, byEpoch);
    }
    const existing = byEpoch.get(leaderEpoch);
    this.assert.always(existing === undefined || existing === brokerId, ONE_LEADER_PER_EPOCH.name, () => ({ partition, leaderEpoch, leaders: [existing, brokerId] }));
    if (existing === undefined) byEpoch.set(leaderEpoch, brokerId);
  }

  highWatermarkChanged(change: Parameters<ReplicationObserver["highWatermarkChanged"]>[0]): void {
    const { partition, brokerId, isLeader, leaderEpoch, previous, highWatermark, log } = change;
    if (isLeader) {
      let byBroker = this.leaderHighWatermarks.get(partition);
      if (byBroker === undefined) {
        byBroker = new Map();
        this.leaderHighWatermarks.set(partition, byBroker);
      }
      const last = byBroker.get(brokerId);
      if (last === undefined) byBroker.set(brokerId, { epoch: leaderEpoch, hw: highWatermark });
      else {
        if (last.epoch === leaderEpoch) {
          const from = last.hw;
          this.assert.always(highWatermark >= from, HW_MONOTONIC.name, () => ({ partition, broker: brokerId, leaderEpoch, from, to: highWatermark }));
        }
        last.epoch = leaderEpoch;
        last.hw = highWatermark;
      }
    }
    if (highWatermark <= previous) return;
    // Arrays indexed by base offset (log offsets are small non-negative integers): no hashing per batch.
    let known = this.committed.get(partition);
    if (known === undefined) {
      known = { batches: [], brokers: [] };
      this.committed.set(partition, known);
    }
    const { batches: firstBatches, brokers: firstBrokers } = known;
    // Walks the log from the batch holding `previous`: each step finds what log.batchAt(offset)
    // would (the first batch ending at or after it, if it starts at or before it) without a search.
    const batches = log.allBatches;
    for (let offset = previous, i = firstBatchEndingAtOrAfter(batches, previous); offset < highWatermark && i < batches.length; i++) {
      const batch = batches[i] as RecordBatch;
      if (lastOffsetOf(batch) < offset) continue;
      if (batch.baseOffset > offset) break;
      const first = firstBatches[batch.baseOffset];
      if (first === undefined) {
        firstBatches[batch.baseOffset] = batch;
        firstBrokers[batch.baseOffset] = brokerId;
      } else {
        const firstBroker = firstBrokers[batch.baseOffset] as number;
        this.assert.always(first === batch || signatureOf(first) === signatureOf(batch), REPLICAS_AGREE.name, () => ({
          partition,
          offset: batch.baseOffset,
          brokers: [firstBroker, brokerId],
          batches: [signatureOf(first), signatureOf(batch)],
        }));
      }
      offset = lastOffsetOf(batch) + 1;
    }
  }
}
