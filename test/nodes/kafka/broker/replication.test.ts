import { describe, expect, it } from "vitest";
import { KAFKA_BUGS } from "../../../../src/nodes/kafka/bugs.js";
import type { KafkaHarness } from "../../../../src/systems/kafka/harness.js";
import {
  controllerState,
  failedInvariants,
  highWatermark,
  isrOf,
  logEndOffset,
  logValues,
  produce,
  startedHarness,
  waitForIsr,
  waitForLeader,
} from "./protocol-helpers.js";

/**
 * Replication (facts §1.10): followers fetch from the leader; the leader's high watermark is the
 * smallest log end over the ISR and reaches followers on their next fetch; a follower that stops
 * catching up leaves the ISR after replicaLagTimeMaxMs; a follower rejoins once its log end
 * reaches the high watermark and the start of the leader's epoch (KAFKA-7128).
 */

function cutOff(h: KafkaHarness, a: string, b: string): void {
  h.apply({ kind: "partition", shape: "groups", groups: [[a], [b]] });
}

describe("fetching and the high watermark", () => {
  it("followers fetch every batch: all replicas end with the same batches, stamped with the leader's epoch", () => {
    const h = startedHarness();
    for (const value of ["a", "b", "c"]) produce(h, "b1", [value], { acks: 1 });
    h.runFor(1000);
    const [leader, ...followers] = h.replicas("events", 0);
    for (const follower of followers) expect(follower.batches).toEqual(leader?.batches);
    expect(leader?.batches.map((b) => b.partitionLeaderEpoch)).toEqual([1, 1, 1]);
    expect(logValues(h, 3)).toEqual(["a", "b", "c"]);
  });

  it("the leader's high watermark follows the ISR's smallest log end; followers learn it on their next fetch", () => {
    const h = startedHarness();
    expect(produce(h, "b1", ["a"], { acks: -1 })?.error).toBe("NONE");
    // The fetch that moved the leader's HW is parked at the leader (long poll): the followers still have the old one.
    expect(highWatermark(h, 1)).toBe(1);
    expect(highWatermark(h, 2)).toBe(0);
    expect(highWatermark(h, 3)).toBe(0);
    h.runFor(600);
    expect(highWatermark(h, 2)).toBe(1);
    expect(highWatermark(h, 3)).toBe(1);
    expect(h.sim.assert.failures).toEqual([]);
  });

  it("a follower outside the ISR does not hold the high watermark back", () => {
    const h = startedHarness({ cluster: { replicaLagTimeMaxMs: 2000 } });
    cutOff(h, "b1", "b3");
    produce(h, "b1", ["a"], { acks: 1 });
    expect(waitForIsr(h, [1, 2], 10_000)).toBe(true);
    expect(produce(h, "b1", ["b"], { acks: -1 })?.error).toBe("NONE");
    expect(highWatermark(h, 1)).toBe(2);
    expect(logEndOffset(h, 3)).toBe(0);
  });
});

describe("ISR shrink", () => {
  it("a follower that stops fetching leaves the ISR after replicaLagTimeMaxMs, and not before", () => {
    const lagMs = 4000;
    const h = startedHarness({ cluster: { replicaLagTimeMaxMs: lagMs } });
    const cutAtMs = h.sim.nowUs / 1000;
    cutOff(h, "b1", "b3");
    produce(h, "b1", ["a"], { acks: 1 });
    // b3's last caught-up fetch came at most one long poll (500 ms) before the cut.
    h.runFor(lagMs - 600 - (h.sim.nowUs / 1000 - cutAtMs));
    expect(isrOf(h)).toEqual([1, 2, 3]);
    expect(waitForIsr(h, [1, 2], lagMs)).toBe(true);
    expect(controllerState(h).leader).toBe(1);
  });

  it("a follower at the leader's log end stays in the ISR however long it does not fetch (Replica.isCaughtUp)", () => {
    const h = startedHarness({ cluster: { replicaLagTimeMaxMs: 2000 } });
    produce(h, "b1", ["a"], { acks: -1 });
    h.runFor(600);
    cutOff(h, "b1", "b3");
    h.runFor(10_000);
    expect(isrOf(h)).toEqual([1, 2, 3]);
    // New data makes it lag; it was last caught up long ago, so the next check removes it.
    produce(h, "b1", ["b"], { acks: 1 });
    expect(waitForIsr(h, [1, 2], 1500)).toBe(true);
  });
});

describe("ISR expansion", () => {
  it("a returning follower rejoins only once its log end reaches the high watermark", () => {
    const h = startedHarness({ cluster: { replicaLagTimeMaxMs: 2000, fetchMaxBatches: 1 } });
    cutOff(h, "b1", "b3");
    for (let i = 0; i < 5; i++) produce(h, "b1", [`v${i}`], { acks: 1 });
    expect(waitForIsr(h, [1, 2], 10_000)).toBe(true);
    expect(highWatermark(h, 1)).toBe(5);

    const behindAtFetch: number[] = [];
    const atExpansion: { followerEnd: number; highWatermark: number }[] = [];
    h.sim.trace.listen((record) => {
      if (record.kind === "net.deliver" && record.node === "b1" && record.fields?.from === "b3" && record.fields.type === "Fetch") {
        behindAtFetch.push(logEndOffset(h, 3));
      }
      if (record.kind === "partition.alter-isr" && record.node === "b1" && record.fields?.to === "1,2,3") {
        const follower = h.replica(1, "events", 0)?.followers.get(3);
        atExpansion.push({ followerEnd: follower?.logEndOffset ?? -1, highWatermark: highWatermark(h, 1) });
      }
    });
    h.apply({ kind: "heal" });
    expect(waitForIsr(h, [1, 2, 3], 10_000)).toBe(true);
    // It fetched one batch at a time, below the HW, without being added...
    expect(behindAtFetch.filter((end) => end < 5).length).toBeGreaterThanOrEqual(4);
    // ...and was added exactly once, at a fetch from the HW.
    expect(atExpansion).toEqual([{ followerEnd: 5, highWatermark: 5 }]);
  });

  it("a fenced follower that keeps fetching is not proposed for the ISR (KIP-841), so the high watermark never waits for it; unfenced, it rejoins", () => {
    const h = startedHarness({ cluster: { brokerSessionTimeoutMs: 3000 } });
    const proposals: string[] = [];
    h.sim.trace.listen((record) => {
      if (record.kind === "partition.alter-isr" && record.node === "b1") proposals.push(String(record.fields?.to));
    });
    // b3 loses the controller only: it is fenced and leaves the ISR, but still fetches from b1.
    h.apply({ kind: "partition", shape: "one-way", from: ["b3"], to: ["ctl"] });
    expect(waitForIsr(h, [1, 2], 10_000)).toBe(true);
    for (const value of ["a", "b", "c"]) expect(produce(h, "b1", [value], { acks: -1 })?.error).toBe("NONE");
    h.runFor(2000);
    expect(logValues(h, 3)).toEqual(["a", "b", "c"]);
    expect(isrOf(h)).toEqual([1, 2]);
    expect(proposals).toEqual([]);
    h.apply({ kind: "heal" });
    expect(waitForIsr(h, [1, 2, 3], 10_000)).toBe(true);
    expect(proposals).toEqual(["1,2,3"]);
  });

  /**
   * KAFKA-7128. b3 restarts while cut off from the leader b1 (so it leaves the ISR) with the
   * log [m1 m2]. m3 is acknowledged with acks=all by b1 and b2, and b1 crashes before b2 learns
   * HW 3. b2 leads epoch 2 from offset 3 with HW 2, frozen there because its ISR {2} is below
   * min.insync.replicas 2. b3 fetches at offset 2 (≥ HW) while b2's answers are held back.
   */
  function followerBelowEpochStart(bugs: readonly string[]): KafkaHarness {
    const h = startedHarness({ bugs, cluster: { minInsyncReplicas: 2, brokerSessionTimeoutMs: 3000, replicaSocketTimeoutMs: 5000 } });
    produce(h, "b1", ["m1"], { acks: -1 });
    produce(h, "b1", ["m2"], { acks: -1 });
    h.runFor(1000);
    cutOff(h, "b1", "b3");
    h.apply({ kind: "crash", node: "b3", loseUnflushed: false });
    h.apply({ kind: "restart", node: "b3" });
    expect(waitForIsr(h, [1, 2], 5000)).toBe(true);
    expect(produce(h, "b1", ["m3"], { acks: -1 })?.error).toBe("NONE");
    expect(highWatermark(h, 2)).toBe(2);
    h.apply({ kind: "crash", node: "b1", loseUnflushed: false });
    h.apply({ kind: "hold", type: "FetchResponse", from: "b2", to: "b3", durationMs: 600_000, count: Number.POSITIVE_INFINITY });
    expect(waitForLeader(h, 2, 10_000)).toBe(true);
    expect(h.replica(2, "events", 0)?.log.epochStartOffset(2)).toBe(3);
    h.runFor(3000);
    expect(logEndOffset(h, 3)).toBe(2);
    expect(highWatermark(h, 2)).toBe(2);
    return h;
  }

  it("a follower at or above the HW but below the start offset of the leader's epoch does not join the ISR until it reaches it (KAFKA-7128)", () => {
    const h = followerBelowEpochStart([]);
    expect(isrOf(h)).toEqual([2]);
    h.apply({ kind: "heal" });
    expect(waitForIsr(h, [2, 3], 20_000)).toBe(true);
    expect(logValues(h, 3)).toEqual(["m1", "m2", "m3"]);
    expect(h.sim.assert.failures).toEqual([]);
  });

  it(`${KAFKA_BUGS.noIsrJoinRule}: that follower joins the ISR at the HW, short of the leader epoch's start`, () => {
    const h = followerBelowEpochStart([KAFKA_BUGS.noIsrJoinRule]);
    expect(isrOf(h)).toEqual([2, 3]);
    expect(logValues(h, 3)).toEqual(["m1", "m2"]);
  });

  it(`${KAFKA_BUGS.noIsrJoinRule}: the early joiner is elected and an acknowledged write is lost (replicas-agree fires); with the rule the partition goes offline instead`, () => {
    for (const bugs of [[], [KAFKA_BUGS.noIsrJoinRule]]) {
      const h = followerBelowEpochStart(bugs);
      h.apply({ kind: "crash", node: "b2", loseUnflushed: false });
      h.runFor(5000);
      if (bugs.length === 0) {
        expect(controllerState(h)).toMatchObject({ leader: -1, isr: [2] });
        expect(h.leaderOf("events", 0)).toBeUndefined();
        expect(failedInvariants(h)).toEqual([]);
        continue;
      }
      expect(controllerState(h)).toMatchObject({ leader: 3, isr: [3] });
      expect(produce(h, "b3", ["m4"], { acks: 1 })).toMatchObject({ error: "NONE", baseOffset: 2 });
      h.apply({ kind: "heal" });
      h.apply({ kind: "restart", node: "b1" });
      expect(waitForIsr(h, [1, 3], 20_000)).toBe(true);
      h.runFor(1000);
      expect(logValues(h, 1)).toEqual(["m1", "m2", "m4"]);
      expect(failedInvariants(h)).toContain("replicas-agree");
    }
  });
});
