import type { Assertions } from "../../../sim/assertions.js";
import type { ReplicationObserver } from "../../nodes/kafka/observer.js";
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

/** A batch's identity for comparing replicas: who wrote it and what it holds. */
function signatureOf(batch: RecordBatch): string {
  return `${batch.producerId}/${batch.producerEpoch}/${batch.baseSequence}/${batch.isControl ? "control" : batch.records.map((r) => r.value).join(",")}`;
}

/**
 * Online replication invariants (RaftEventSimulationTest style), fed by brokers the moment a
 * leader is elected or a high watermark moves: checked where they could break, not rescanned.
 */
export class ReplicationInvariants implements ReplicationObserver {
  private readonly leaders = new Map<string, Map<number, number>>();
  private readonly leaderHighWatermarks = new Map<string, { epoch: number; hw: number }>();
  /** Per partition: offset of a batch below some replica's HW → its signature and who saw it first. */
  private readonly committed = new Map<string, Map<number, { signature: string; broker: number }>>();

  constructor(private readonly assert: Assertions) {
    for (const invariant of [HW_MONOTONIC, ONE_LEADER_PER_EPOCH, REPLICAS_AGREE]) assert.declare(invariant.name, "always");
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
      const key = `${partition}@${brokerId}`;
      const last = this.leaderHighWatermarks.get(key);
      if (last !== undefined && last.epoch === leaderEpoch) {
        this.assert.always(highWatermark >= last.hw, HW_MONOTONIC.name, () => ({ partition, broker: brokerId, leaderEpoch, from: last.hw, to: highWatermark }));
      }
      this.leaderHighWatermarks.set(key, { epoch: leaderEpoch, hw: highWatermark });
    }
    if (highWatermark <= previous) return;
    let known = this.committed.get(partition);
    if (known === undefined) {
      known = new Map();
      this.committed.set(partition, known);
    }
    for (let offset = previous; offset < highWatermark; ) {
      const batch = log.batchAt(offset);
      if (batch === undefined) break;
      const signature = signatureOf(batch);
      const first = known.get(batch.baseOffset);
      if (first === undefined) known.set(batch.baseOffset, { signature, broker: brokerId });
      else {
        this.assert.always(first.signature === signature, REPLICAS_AGREE.name, () => ({
          partition,
          offset: batch.baseOffset,
          brokers: [first.broker, brokerId],
          batches: [first.signature, signature],
        }));
      }
      offset = lastOffsetOf(batch) + 1;
    }
  }
}
