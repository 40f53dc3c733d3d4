import { describe, expect, it } from "vitest";
import { GROUP_REACHABLE } from "../../../../src/nodes/kafka/group/coordinator.js";
import { GroupBed, GROUP, GROUP_PARTITION, T0P0, T0P1 } from "./helpers.js";

/**
 * TxnOffsetCommit (facts §1.5, §1.6): KIP-447 validation, offsets pending per producer until the
 * producer's marker lands on the group's `__consumer_offsets` partition, and require_stable.
 */

const PID = 4000;
const at = (offset: number) => [{ ...T0P0, offset }];

describe("TxnOffsetCommit", () => {
  it("appends the offsets as a transactional batch with the producer's id and epoch", () => {
    const bed = new GroupBed();
    expect(bed.txnOffsetCommit(PID, at(10), { producerEpoch: 3 })).toEqual(["NONE"]);
    expect(bed.appends.at(-1)).toMatchObject({ partition: GROUP_PARTITION, acks: -1, producerId: PID, producerEpoch: 3, isTransactional: true });
    expect(bed.logs.get(GROUP_PARTITION)?.at(-1)).toMatchObject({ producerId: PID, producerEpoch: 3, isTransactional: true, isControl: false });
  });

  it("keeps the offsets pending, invisible to OffsetFetch, until the marker", () => {
    const bed = new GroupBed();
    bed.offsetCommit("c1", at(5));
    bed.txnOffsetCommit(PID, at(10));
    expect(bed.coordinator.pendingTxnOffsets(GROUP)).toEqual(new Map([[PID, [{ ...T0P0, offset: 10 }]]]));
    expect(bed.offsetFetch([T0P0], false).offsets).toEqual([{ ...T0P0, offset: 5, error: "NONE" }]);
  });

  it("a COMMIT marker on the group's partition makes the producer's pending offsets the committed ones", () => {
    const bed = new GroupBed();
    bed.offsetCommit("c1", at(5));
    bed.txnOffsetCommit(PID, [{ ...T0P0, offset: 10 }, { ...T0P1, offset: 20 }]);
    bed.marker(GROUP_PARTITION, PID, "COMMIT");
    expect(bed.coordinator.committedOffsets(GROUP)).toEqual([
      { ...T0P0, offset: 10 },
      { ...T0P1, offset: 20 },
    ]);
    expect(bed.coordinator.pendingTxnOffsets(GROUP).size).toBe(0);
    expect(bed.reachedCount(GROUP_REACHABLE.txnOffsetsCommitted)).toBe(1);
    expect(bed.tracesOf("group.txn-offsets").at(-1)?.fields).toEqual({ group: GROUP, producerId: PID, result: "COMMIT", resolved: 2, applied: 2 });
  });

  it("an ABORT marker discards them and the previous offset stays", () => {
    const bed = new GroupBed();
    bed.offsetCommit("c1", at(5));
    bed.txnOffsetCommit(PID, at(10));
    bed.marker(GROUP_PARTITION, PID, "ABORT");
    expect(bed.coordinator.committedOffsets(GROUP)).toEqual([{ ...T0P0, offset: 5 }]);
    expect(bed.coordinator.pendingTxnOffsets(GROUP).size).toBe(0);
    expect(bed.reachedCount(GROUP_REACHABLE.txnOffsetsAborted)).toBe(1);
  });

  it("a marker of another producer, or on another partition, leaves the pending offsets alone", () => {
    const bed = new GroupBed();
    bed.txnOffsetCommit(PID, at(10));
    bed.marker(GROUP_PARTITION, PID + 1, "COMMIT");
    bed.marker((GROUP_PARTITION + 1) % 4, PID, "COMMIT");
    expect(bed.coordinator.committedOffsets(GROUP)).toEqual([]);
    expect(bed.coordinator.pendingTxnOffsets(GROUP).get(PID)).toEqual([{ ...T0P0, offset: 10 }]);
  });

  it("a committed transactional offset does not replace a plain commit appended after it (log position decides, not the value)", () => {
    const bed = new GroupBed();
    bed.txnOffsetCommit(PID, at(10));
    bed.offsetCommit("c1", at(7));
    bed.marker(GROUP_PARTITION, PID, "COMMIT");
    expect(bed.coordinator.committedOffsets(GROUP)).toEqual([{ ...T0P0, offset: 7 }]);
  });

  it("a COMMIT marker that lands before the offsets' append has reported back still applies them (KAFKA-17507's window)", () => {
    const bed = new GroupBed();
    const id = bed.send("p1", bed.txnOffsetCommitRequest(PID, at(10)));
    bed.marker(GROUP_PARTITION, PID, "COMMIT");
    expect(bed.coordinator.committedOffsets(GROUP)).toEqual([{ ...T0P0, offset: 10 }]);
    bed.runMs(bed.appendDelayMs);
    expect(bed.answer(id, "TxnOffsetCommitResponse").results[0]?.error).toBe("NONE");
    expect(bed.coordinator.pendingTxnOffsets(GROUP).size).toBe(0);
  });

  it("a failed append drops the pending offsets", () => {
    const bed = new GroupBed();
    bed.failNextAppend = { error: "NOT_ENOUGH_REPLICAS", appended: false };
    expect(bed.txnOffsetCommit(PID, at(10))).toEqual(["COORDINATOR_NOT_AVAILABLE"]);
    expect(bed.coordinator.pendingTxnOffsets(GROUP).size).toBe(0);
  });

  it("passes the append's producer-epoch error through (the client turns it into PRODUCER_FENCED)", () => {
    const bed = new GroupBed();
    bed.failNextAppend = { error: "INVALID_PRODUCER_EPOCH", appended: false };
    expect(bed.txnOffsetCommit(PID, at(10))).toEqual(["INVALID_PRODUCER_EPOCH"]);
  });

  describe("KIP-447 validation", () => {
    it("accepts the current member and generation of the group", () => {
      const bed = new GroupBed();
      const { leader, generationId } = bed.stableGroupOfTwo();
      expect(bed.txnOffsetCommit(PID, at(10), { memberId: leader, generationId })).toEqual(["NONE"]);
    });

    it("refuses a zombie of an old generation with ILLEGAL_GENERATION", () => {
      const bed = new GroupBed();
      const { leader, generationId } = bed.stableGroupOfTwo();
      expect(bed.txnOffsetCommit(PID, at(10), { memberId: leader, generationId: generationId - 1 })).toEqual(["ILLEGAL_GENERATION"]);
      expect(bed.coordinator.pendingTxnOffsets(GROUP).size).toBe(0);
    });

    it("refuses a member the group no longer has with UNKNOWN_MEMBER_ID", () => {
      const bed = new GroupBed();
      const { generationId } = bed.stableGroupOfTwo();
      expect(bed.txnOffsetCommit(PID, at(10), { memberId: "c7-1-9", generationId })).toEqual(["UNKNOWN_MEMBER_ID"]);
    });

    it("refuses a group.instance.id the group does not know with UNKNOWN_MEMBER_ID", () => {
      const bed = new GroupBed();
      const { leader, generationId } = bed.stableGroupOfTwo();
      const res = bed.call("p1", { ...bed.txnOffsetCommitRequest(PID, at(10), { memberId: leader, generationId }), groupInstanceId: "i-1" }, "TxnOffsetCommitResponse");
      expect(res.results.map((r) => r.error)).toEqual(["UNKNOWN_MEMBER_ID"]);
    });

    it("accepts a request without group metadata (old clients) even when the group has members", () => {
      const bed = new GroupBed();
      bed.stableGroupOfTwo();
      expect(bed.txnOffsetCommit(PID, at(10))).toEqual(["NONE"]);
    });
  });
});

describe("require_stable", () => {
  it("answers UNSTABLE_OFFSET_COMMIT at partition level (top level NONE) while a transactional offset is pending", () => {
    const bed = new GroupBed();
    bed.offsetCommit("c1", [{ ...T0P1, offset: 3 }]);
    bed.txnOffsetCommit(PID, at(10));
    expect(bed.offsetFetch([T0P0, T0P1], true)).toMatchObject({
      error: "NONE",
      offsets: [
        { ...T0P0, offset: -1, error: "UNSTABLE_OFFSET_COMMIT" },
        { ...T0P1, offset: 3, error: "NONE" },
      ],
    });
    expect(bed.reachedCount(GROUP_REACHABLE.unstableOffsetFetch)).toBe(1);
  });

  it("returns the committed offsets without requireStable", () => {
    const bed = new GroupBed();
    bed.offsetCommit("c1", at(5));
    bed.txnOffsetCommit(PID, at(10));
    expect(bed.offsetFetch([T0P0], false).offsets).toEqual([{ ...T0P0, offset: 5, error: "NONE" }]);
  });

  it("is stable again once the marker resolved the pending offsets", () => {
    const bed = new GroupBed();
    bed.txnOffsetCommit(PID, at(10));
    bed.marker(GROUP_PARTITION, PID, "COMMIT");
    expect(bed.offsetFetch([T0P0], true).offsets).toEqual([{ ...T0P0, offset: 10, error: "NONE" }]);
  });
});
