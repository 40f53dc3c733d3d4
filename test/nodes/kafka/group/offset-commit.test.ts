import { describe, expect, it } from "vitest";
import { GroupBed, GROUP, GROUP_PARTITION, T0P0, T0P1 } from "./helpers.js";

/** OffsetCommit and OffsetFetch (GroupCoordinator.handleCommitOffsets, GroupMetadataManager.storeOffsets/getOffsets). */

const at = (offset: number) => [{ ...T0P0, offset }];

describe("OffsetCommit", () => {
  it("accepts a simple commit (generation -1, no member) for a group that does not exist, creating an Empty group", () => {
    const bed = new GroupBed();
    expect(bed.offsetCommit("c1", at(5))).toEqual(["NONE"]);
    expect(bed.coordinator.group(GROUP)?.state).toBe("Empty");
    expect(bed.coordinator.committedOffsets(GROUP)).toEqual([{ ...T0P0, offset: 5 }]);
  });

  it("refuses a commit with a generation for a group that does not exist (ILLEGAL_GENERATION)", () => {
    const bed = new GroupBed();
    expect(bed.offsetCommit("c1", at(5), { memberId: "m", generationId: 3 })).toEqual(["ILLEGAL_GENERATION"]);
  });

  it("answers only after the offset record is appended to the group's partition with acks=all", () => {
    const bed = new GroupBed();
    const id = bed.send("c1", { type: "OffsetCommit", groupId: GROUP, generationId: -1, memberId: "", groupInstanceId: null, offsets: at(7) });
    expect(bed.response(id, "OffsetCommitResponse")).toBeUndefined();
    expect(bed.appends.at(-1)).toMatchObject({ topic: "__consumer_offsets", partition: GROUP_PARTITION, acks: -1 });
    expect(bed.appends.at(-1)?.isTransactional).toBeUndefined();
    bed.runMs(bed.appendDelayMs);
    expect(bed.answer(id, "OffsetCommitResponse").results).toEqual([{ ...T0P0, error: "NONE" }]);
    expect(bed.records(GROUP_PARTITION)).toEqual([{ kind: "offset", key: { version: 1, group: GROUP, ...T0P0 }, value: expect.objectContaining({ offset: 7 }) }]);
  });

  it("accepts a commit of the current member and generation of a Stable group", () => {
    const bed = new GroupBed();
    const { leader, generationId } = bed.stableGroupOfTwo();
    expect(bed.offsetCommit("c1", at(9), { memberId: leader, generationId })).toEqual(["NONE"]);
  });

  it("refuses a commit of an old generation (ILLEGAL_GENERATION) and of an unknown member (UNKNOWN_MEMBER_ID)", () => {
    const bed = new GroupBed();
    const { leader, generationId } = bed.stableGroupOfTwo();
    expect(bed.offsetCommit("c1", at(9), { memberId: leader, generationId: generationId - 1 })).toEqual(["ILLEGAL_GENERATION"]);
    expect(bed.offsetCommit("c1", at(9), { memberId: "zombie", generationId })).toEqual(["UNKNOWN_MEMBER_ID"]);
    expect(bed.coordinator.committedOffsets(GROUP)).toEqual([]);
  });

  it("refuses a simple commit to a group with members (UNKNOWN_MEMBER_ID)", () => {
    const bed = new GroupBed();
    bed.stableGroupOfTwo();
    expect(bed.offsetCommit("c9", at(1))).toEqual(["UNKNOWN_MEMBER_ID"]);
  });

  it("answers REBALANCE_IN_PROGRESS while the group completes a rebalance, and accepts commits while it prepares one", () => {
    const bed = new GroupBed();
    const a = bed.startJoin("c1");
    bed.runMs(bed.config.groupInitialRebalanceDelayMs);
    expect(bed.offsetCommit("c1", at(1), { memberId: a.memberId, generationId: 1 })).toEqual(["REBALANCE_IN_PROGRESS"]);
    const sync = bed.sync("c1", a.memberId, 1, [{ memberId: a.memberId, partitions: [T0P0] }]);
    bed.runMs(bed.appendDelayMs);
    expect(bed.answer(sync, "SyncGroupResponse").error).toBe("NONE");
    bed.startJoin("c2");
    expect(bed.coordinator.group(GROUP)?.state).toBe("PreparingRebalance");
    expect(bed.offsetCommit("c1", at(2), { memberId: a.memberId, generationId: 1 })).toEqual(["NONE"]);
  });

  it("maps a failed append to the coordinator error and keeps the previous offset", () => {
    const bed = new GroupBed();
    bed.offsetCommit("c1", at(3));
    bed.failNextAppend = { error: "NOT_ENOUGH_REPLICAS", appended: false };
    expect(bed.offsetCommit("c1", at(4))).toEqual(["COORDINATOR_NOT_AVAILABLE"]);
    bed.failNextAppend = { error: "NOT_LEADER_OR_FOLLOWER", appended: false };
    expect(bed.offsetCommit("c1", at(4))).toEqual(["NOT_COORDINATOR"]);
    expect(bed.coordinator.committedOffsets(GROUP)).toEqual([{ ...T0P0, offset: 3 }]);
  });

  it("traces offset.commit with the group, the latency and whether it was transactional", () => {
    const bed = new GroupBed();
    bed.offsetCommit("c1", at(3));
    expect(bed.tracesOf("offset.commit").map((t) => t.fields)).toEqual([{ group: GROUP, latencyUs: bed.appendDelayMs * 1000, transactional: false }]);
  });
});

describe("OffsetFetch", () => {
  it("returns the committed offsets, -1 for a partition without one", () => {
    const bed = new GroupBed();
    bed.offsetCommit("c1", at(11));
    expect(bed.offsetFetch([T0P0, T0P1], true)).toMatchObject({
      error: "NONE",
      offsets: [
        { ...T0P0, offset: 11, error: "NONE" },
        { ...T0P1, offset: -1, error: "NONE" },
      ],
    });
  });

  it("returns every committed partition when asked for all (partitions null)", () => {
    const bed = new GroupBed();
    bed.offsetCommit("c1", [{ ...T0P1, offset: 2 }, { ...T0P0, offset: 1 }]);
    expect(bed.offsetFetch(null, false).offsets.map((o) => [o.partition, o.offset])).toEqual([
      [1, 2],
      [0, 1],
    ]);
  });

  it("answers COORDINATOR_LOAD_IN_PROGRESS while the partition loads and NOT_COORDINATOR where it is not led", () => {
    const bed = new GroupBed({ lead: false });
    expect(bed.offsetFetch([T0P0], true).error).toBe("NOT_COORDINATOR");
    bed.coordinator.onBecomeLeader(GROUP_PARTITION, 1);
    const id = bed.send("c1", { type: "OffsetFetch", groupId: GROUP, partitions: [T0P0], requireStable: true });
    expect(bed.answer(id, "OffsetFetchResponse").error).toBe("COORDINATOR_LOAD_IN_PROGRESS");
  });

  it("with requireStable, answers UNSTABLE_OFFSET_COMMIT for a partition whose plain commit is still being appended", () => {
    const bed = new GroupBed();
    bed.send("c1", { type: "OffsetCommit", groupId: GROUP, generationId: -1, memberId: "", groupInstanceId: null, offsets: at(5) });
    const fetch = bed.send("c2", { type: "OffsetFetch", groupId: GROUP, partitions: [T0P0], requireStable: true });
    expect(bed.answer(fetch, "OffsetFetchResponse").offsets).toEqual([{ ...T0P0, offset: -1, error: "UNSTABLE_OFFSET_COMMIT" }]);
  });
});
