import { describe, expect, it } from "vitest";
import { KAFKA_BUGS } from "../../../../src/nodes/kafka/bugs.js";
import type { KafkaHarness } from "../../../../src/systems/kafka/harness.js";
import { failedInvariants, highWatermark, logValues, produce, startedHarness, waitForIsr, waitForLeader } from "./protocol-helpers.js";

/**
 * Log truncation on leader change (facts §1.10). A follower truncates where its log and the
 * leader's diverge, found by leader epoch (KIP-101; in the fetch itself since KIP-320, and
 * across several epochs since KIP-279), never to its own high watermark, which may be stale.
 */

function recordTruncations(h: KafkaHarness, broker: string): { from: number; to: number }[] {
  const truncations: { from: number; to: number }[] = [];
  h.sim.trace.listen((record) => {
    if (record.kind === "partition.truncate" && record.node === broker) truncations.push({ from: Number(record.fields?.from), to: Number(record.fields?.to) });
  });
  return truncations;
}

describe("divergence truncation", () => {
  it("a deposed leader drops its unreplicated suffix and takes the new leader's log (KIP-101, KIP-320)", () => {
    const h = startedHarness({ cluster: { brokerSessionTimeoutMs: 3000 } });
    produce(h, "b1", ["m1"], { acks: -1 });
    h.apply({ kind: "partition", shape: "isolate", node: "b1" });
    // b1 still leads epoch 1 by its own account and takes acks=1 writes nobody replicates.
    expect(produce(h, "b1", ["lost1"], { acks: 1 })?.error).toBe("NONE");
    expect(produce(h, "b1", ["lost2"], { acks: 1 })?.error).toBe("NONE");
    expect(waitForLeader(h, 2, 10_000)).toBe(true);
    expect(produce(h, "b2", ["n1"], { acks: -1 })).toMatchObject({ error: "NONE", baseOffset: 1 });
    const truncations = recordTruncations(h, "b1");
    h.apply({ kind: "heal" });
    expect(waitForIsr(h, [1, 2, 3], 20_000)).toBe(true);
    h.runFor(1000);
    expect(truncations).toEqual([{ from: 3, to: 1 }]);
    for (const broker of [1, 2, 3]) expect(logValues(h, broker)).toEqual(["m1", "n1"]);
    expect(h.sim.assert.failures).toEqual([]);
  });

  it("a follower whose last epoch the leader never had truncates to where its own epochs meet the leader's (KIP-279)", () => {
    const h = startedHarness({ cluster: { brokerSessionTimeoutMs: 3000 } });
    produce(h, "b1", ["m1"], { acks: -1 });
    // b2 stops receiving from b1 (it stays in the ISR); b3 keeps up with epoch 1.
    h.apply({ kind: "hold", type: "FetchResponse", from: "b1", to: "b2", durationMs: 600_000, count: Number.POSITIVE_INFINITY });
    for (const value of ["c1", "c2", "c3"]) produce(h, "b1", [value], { acks: 1 });
    h.runFor(100);
    expect(logValues(h, 3)).toEqual(["m1", "c1", "c2", "c3"]);
    expect(logValues(h, 2)).toEqual(["m1"]);
    // b1 dies; b2 leads epoch 2 from offset 1 and writes where b3 (cut off from it) cannot see.
    h.apply({ kind: "partition", shape: "groups", groups: [["b2"], ["b3"]] });
    h.apply({ kind: "crash", node: "b1", loseUnflushed: false });
    expect(waitForLeader(h, 2, 10_000)).toBe(true);
    produce(h, "b2", ["x1"], { acks: 1 });
    produce(h, "b2", ["x2"], { acks: 1 });
    // b2 loses the controller; b3, still in the ISR, leads epoch 3 from offset 4.
    h.apply({ kind: "partition", shape: "groups", groups: [["b2"], ["ctl"]] });
    expect(waitForLeader(h, 3, 10_000)).toBe(true);
    expect(h.replica(3, "events", 0)?.log.endOffsetForEpoch(2)).toEqual({ epoch: 1, endOffset: 4 });
    const truncations = recordTruncations(h, "b2");
    h.apply({ kind: "heal" });
    // b2's last epoch (2) is unknown to b3, which answers with epoch 1 ending at 4. b2's own
    // epoch 1 ends at 1, so it keeps [m1] only: keeping up to 3 would keep x1 and x2.
    expect(waitForIsr(h, [2, 3], 20_000)).toBe(true);
    expect(truncations[0]).toEqual({ from: 3, to: 1 });
    expect(logValues(h, 2)).toEqual(["m1", "c1", "c2", "c3"]);
    expect(h.sim.assert.failures).toEqual([]);
  });
});

describe("truncation to the high watermark (pre-KIP-101)", () => {
  /**
   * KIP-101's first scenario, with a leader change in place of the follower's restart: m2 is
   * acknowledged with acks=all while the followers still hold HW 1. b1 dies; b2 leads and b3,
   * cut off from b2, becomes its follower; b2 dies and b3 leads.
   */
  function staleHighWatermarkThenTwoFailovers(bugs: readonly string[]): KafkaHarness {
    const h = startedHarness({ bugs, cluster: { brokerSessionTimeoutMs: 3000 } });
    produce(h, "b1", ["m1"], { acks: -1 });
    h.runFor(1000);
    expect(produce(h, "b1", ["m2"], { acks: -1 })).toMatchObject({ error: "NONE", baseOffset: 1 });
    expect(highWatermark(h, 3)).toBe(1);
    h.apply({ kind: "partition", shape: "groups", groups: [["b2"], ["b3"]] });
    h.apply({ kind: "crash", node: "b1", loseUnflushed: false });
    expect(waitForLeader(h, 2, 10_000)).toBe(true);
    h.runFor(100);
    h.apply({ kind: "crash", node: "b2", loseUnflushed: false });
    expect(waitForLeader(h, 3, 10_000)).toBe(true);
    return h;
  }

  it("without the switch the new leader keeps the acknowledged write", () => {
    const h = staleHighWatermarkThenTwoFailovers([]);
    expect(produce(h, "b3", ["m3"], { acks: -1 })).toMatchObject({ error: "NONE", baseOffset: 2 });
    expect(logValues(h, 3)).toEqual(["m1", "m2", "m3"]);
    expect(h.sim.assert.failures).toEqual([]);
  });

  it(`${KAFKA_BUGS.truncateToHw}: the follower drops the acknowledged write at its stale HW, is elected, and overwrites it (replicas-agree fires)`, () => {
    const h = staleHighWatermarkThenTwoFailovers([KAFKA_BUGS.truncateToHw]);
    expect(logValues(h, 3)).toEqual(["m1"]);
    expect(produce(h, "b3", ["m3"], { acks: -1 })).toMatchObject({ error: "NONE", baseOffset: 1 });
    expect(failedInvariants(h)).toEqual(["replicas-agree"]);
    const failure = h.sim.assert.failures[0];
    expect(failure?.details).toMatchObject({ offset: 1, brokers: [1, 3] });
  });
});
