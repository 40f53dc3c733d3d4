import { describe, expect, it } from "vitest";
import { KAFKA_BUGS } from "../../../../src/nodes/kafka/bugs.js";
import { batchOf, type KafkaHarness } from "../../../../src/systems/kafka/harness.js";
import { highWatermark, isrOf, logEndOffset, logValues, produce, startedHarness, waitForIsr } from "./protocol-helpers.js";

/**
 * Produce acknowledgements (facts §1.10): acks=0 gets no answer, acks=1 is answered after the
 * leader's append, acks=-1 after the high watermark passes the batch, and min.insync.replicas
 * guards acks=-1 before the append and gates the high watermark (KIP-966).
 */

/** Cuts the leader b1 off from both followers (the controller and clients still reach everyone). */
function isolateLeaderFromFollowers(h: KafkaHarness): void {
  h.apply({ kind: "partition", shape: "groups", groups: [["b1"], ["b2", "b3"]] });
}

function responseOf(h: KafkaHarness, correlationId: number) {
  const response = h.response(correlationId);
  return response?.type === "ProduceResponse" ? response.responses[0] : undefined;
}

function sendProduce(h: KafkaHarness, values: readonly string[], acks: -1 | 0 | 1, timeoutMs = 30_000): number {
  return h.send("b1", { type: "Produce", acks, timeoutMs, transactionalId: null, topicData: [{ topic: "events", partition: 0, batch: batchOf(values) }] });
}

describe("acks", () => {
  it("acks=0: the leader appends and never answers", () => {
    const h = startedHarness();
    const id = sendProduce(h, ["fire-and-forget"], 0);
    h.runFor(2000);
    expect(h.response(id)).toBeUndefined();
    expect(logValues(h, 1)).toEqual(["fire-and-forget"]);
  });

  it("acks=1: answered after the leader's append, before any follower has the batch", () => {
    const h = startedHarness();
    isolateLeaderFromFollowers(h);
    const response = produce(h, "b1", ["leader-only"], { acks: 1 });
    expect(response).toMatchObject({ error: "NONE", baseOffset: 0 });
    expect(logEndOffset(h, 1)).toBe(1);
    expect(logEndOffset(h, 2)).toBe(0);
    expect(logEndOffset(h, 3)).toBe(0);
    expect(highWatermark(h, 1)).toBe(0);
  });

  it("acks=-1: answered only once the high watermark passes the batch, i.e. every ISR member has it", () => {
    const h = startedHarness();
    isolateLeaderFromFollowers(h);
    const id = sendProduce(h, ["a", "b"], -1);
    h.runFor(1000);
    expect(h.response(id), "no answer while the followers cannot fetch").toBeUndefined();
    expect(logEndOffset(h, 1)).toBe(2);
    h.apply({ kind: "heal" });
    expect(h.runUntil(() => h.response(id) !== undefined, 10_000)).toBe(true);
    expect(responseOf(h, id)).toMatchObject({ error: "NONE", baseOffset: 0 });
    expect(highWatermark(h, 1)).toBeGreaterThanOrEqual(2);
    for (const follower of [2, 3]) expect(logEndOffset(h, follower)).toBeGreaterThanOrEqual(2);
    expect(h.sim.assert.failures).toEqual([]);
  });

  it("acks=-1: REQUEST_TIMED_OUT when the high watermark does not reach the batch in time, and the batch stays in the leader's log", () => {
    const h = startedHarness();
    isolateLeaderFromFollowers(h);
    const response = produce(h, "b1", ["maybe"], { acks: -1, timeoutMs: 1500, waitMs: 3000 });
    expect(response?.error).toBe("REQUEST_TIMED_OUT");
    expect(logValues(h, 1)).toEqual(["maybe"]);
    expect(isrOf(h)).toEqual([1, 2, 3]);
  });
});

describe("min.insync.replicas", () => {
  const cluster = { minInsyncReplicas: 2, replicaLagTimeMaxMs: 2000 };

  /** The followers stop fetching and the leader shrinks the ISR to itself. */
  function shrinkIsrToLeader(h: KafkaHarness): void {
    isolateLeaderFromFollowers(h);
    produce(h, "b1", ["lagging"], { acks: 1 });
    expect(waitForIsr(h, [1], 10_000)).toBe(true);
  }

  it("acks=-1 with the ISR below min.insync.replicas gets NOT_ENOUGH_REPLICAS and appends nothing", () => {
    const h = startedHarness({ cluster });
    shrinkIsrToLeader(h);
    const endBefore = logEndOffset(h, 1);
    expect(produce(h, "b1", ["refused"], { acks: -1 })?.error).toBe("NOT_ENOUGH_REPLICAS");
    expect(logEndOffset(h, 1)).toBe(endBefore);
    expect(logValues(h, 1)).not.toContain("refused");
  });

  it("acks=1 is not subject to min.insync.replicas", () => {
    const h = startedHarness({ cluster });
    shrinkIsrToLeader(h);
    expect(produce(h, "b1", ["accepted"], { acks: 1 })?.error).toBe("NONE");
    expect(logValues(h, 1)).toContain("accepted");
  });

  it("the effective minimum is min(min.insync.replicas, replication factor)", () => {
    const h = startedHarness({
      cluster: { ...cluster, minInsyncReplicas: 3, topics: [{ name: "events", partitions: 1, replicationFactor: 3 }, { name: "solo", partitions: 1, replicationFactor: 1 }] },
    });
    const leader = h.leaderNode("solo", 0);
    expect(produce(h, leader, ["one-replica"], { acks: -1, topic: "solo" })).toMatchObject({ error: "NONE", baseOffset: 0 });
  });

  it("the high watermark does not advance while the ISR is below min.insync.replicas (KIP-966), and resumes when it recovers", () => {
    const h = startedHarness({ cluster });
    shrinkIsrToLeader(h);
    const frozen = highWatermark(h, 1);
    produce(h, "b1", ["x", "y"], { acks: 1 });
    h.runFor(3000);
    expect(logEndOffset(h, 1)).toBeGreaterThan(frozen);
    expect(highWatermark(h, 1)).toBe(frozen);
    h.apply({ kind: "heal" });
    expect(h.runUntil(() => isrOf(h).length >= 2 && highWatermark(h, 1) === logEndOffset(h, 1), 10_000)).toBe(true);
    expect(h.sim.assert.failures).toEqual([]);
  });

  it("an ISR expansion still in flight does not lift the gate: the high watermark waits for the controller to commit it", () => {
    const h = startedHarness({ cluster });
    shrinkIsrToLeader(h);
    const frozen = highWatermark(h, 1);
    h.apply({ kind: "heal" });
    h.apply({ kind: "hold", type: "AlterPartition", from: "b1", to: "ctl", durationMs: 3000, count: 1 });
    // The followers catch up and b1 proposes {1,2}; while that is pending the committed ISR is still {1}.
    expect(h.runUntil(() => (h.replica(1, "events", 0)?.pendingIsr ?? []).length >= 2, 5000)).toBe(true);
    h.runFor(1000);
    expect(logEndOffset(h, 2)).toBe(logEndOffset(h, 1));
    expect(highWatermark(h, 1)).toBe(frozen);
    expect(h.runUntil(() => highWatermark(h, 1) === logEndOffset(h, 1), 10_000)).toBe(true);
    expect(isrOf(h).length).toBeGreaterThanOrEqual(2);
  });

  it(`${KAFKA_BUGS.noMinIsrHwGate}: the high watermark advances over an ISR of the leader alone`, () => {
    for (const bugs of [[], [KAFKA_BUGS.noMinIsrHwGate]]) {
      const h = startedHarness({ cluster, bugs });
      shrinkIsrToLeader(h);
      produce(h, "b1", ["x"], { acks: 1 });
      h.runFor(1000);
      if (bugs.length === 0) expect(highWatermark(h, 1)).toBeLessThan(logEndOffset(h, 1));
      else expect(highWatermark(h, 1)).toBe(logEndOffset(h, 1));
    }
  });

  it(`an ISR that shrinks below the minimum after the append: the produce times out under KIP-966, and gets NOT_ENOUGH_REPLICAS_AFTER_APPEND with ${KAFKA_BUGS.noMinIsrHwGate}`, () => {
    for (const bugs of [[], [KAFKA_BUGS.noMinIsrHwGate]]) {
      const h = startedHarness({ cluster, bugs });
      isolateLeaderFromFollowers(h);
      // Accepted: the ISR is still {1,2,3} when the batch is appended.
      const id = sendProduce(h, ["appended"], -1, 20_000);
      expect(waitForIsr(h, [1], 10_000)).toBe(true);
      expect(h.runUntil(() => h.response(id) !== undefined, 30_000)).toBe(true);
      expect(responseOf(h, id)?.error).toBe(bugs.length === 0 ? "REQUEST_TIMED_OUT" : "NOT_ENOUGH_REPLICAS_AFTER_APPEND");
      // Either way the data is in the leader's log: both errors are indefinite.
      expect(logValues(h, 1)).toEqual(["appended"]);
    }
  });
});
