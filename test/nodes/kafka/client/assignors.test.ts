import { describe, expect, it } from "vitest";
import { assignPartitions } from "../../../../src/nodes/kafka/client/assignors.js";

/** Kafka's RangeAssignor and RoundRobinAssignor (run by the group leader client) on the examples of their Javadoc. */

const tp = (topic: string, partition: number) => ({ topic, partition });

describe("range assignor", () => {
  it("gives each member a contiguous range per topic, the first members one extra (Javadoc: C0 t0p0 t0p1 t1p0 t1p1, C1 t0p2 t1p2)", () => {
    const result = assignPartitions("range", [
      { memberId: "C1", topics: ["t0", "t1"] },
      { memberId: "C0", topics: ["t0", "t1"] },
    ], new Map([["t0", 3], ["t1", 3]]));
    expect(result).toEqual([
      { memberId: "C0", partitions: [tp("t0", 0), tp("t0", 1), tp("t1", 0), tp("t1", 1)] },
      { memberId: "C1", partitions: [tp("t0", 2), tp("t1", 2)] },
    ]);
  });

  it("splits a topic only among its subscribers and leaves a member with nothing an empty list", () => {
    const result = assignPartitions("range", [
      { memberId: "m1", topics: ["a"] },
      { memberId: "m2", topics: ["a", "b"] },
      { memberId: "m3", topics: ["c"] },
    ], new Map([["a", 5], ["b", 1]]));
    expect(result).toEqual([
      { memberId: "m1", partitions: [tp("a", 0), tp("a", 1), tp("a", 2)] },
      { memberId: "m2", partitions: [tp("a", 3), tp("a", 4), tp("b", 0)] },
      { memberId: "m3", partitions: [] },
    ]);
  });
});

describe("round-robin assignor", () => {
  it("deals all partitions in topic order over the sorted members (Javadoc: C0 t0p0 t0p2 t1p1, C1 t0p1 t1p0 t1p2)", () => {
    const result = assignPartitions("roundrobin", [
      { memberId: "C0", topics: ["t0", "t1"] },
      { memberId: "C1", topics: ["t0", "t1"] },
    ], new Map([["t0", 3], ["t1", 3]]));
    expect(result).toEqual([
      { memberId: "C0", partitions: [tp("t0", 0), tp("t0", 2), tp("t1", 1)] },
      { memberId: "C1", partitions: [tp("t0", 1), tp("t1", 0), tp("t1", 2)] },
    ]);
  });

  it("skips members not subscribed to a partition's topic (Javadoc: C0 t0p0; C1 t1p0; C2 t1p1 t2p0 t2p1 t2p2)", () => {
    const result = assignPartitions("roundrobin", [
      { memberId: "C0", topics: ["t0"] },
      { memberId: "C1", topics: ["t0", "t1"] },
      { memberId: "C2", topics: ["t0", "t1", "t2"] },
    ], new Map([["t0", 1], ["t1", 2], ["t2", 3]]));
    expect(result).toEqual([
      { memberId: "C0", partitions: [tp("t0", 0)] },
      { memberId: "C1", partitions: [tp("t1", 0)] },
      { memberId: "C2", partitions: [tp("t1", 1), tp("t2", 0), tp("t2", 1), tp("t2", 2)] },
    ]);
  });
});
