import { describe, expect, it } from "vitest";
import { markerRecord } from "../../../../src/nodes/kafka/control-records.js";
import { groupMetadataRecord, loadGroupPartition, offsetCommitRecord, toKafkaRecord, type GroupMetadataValue } from "../../../../src/nodes/kafka/group/group-log.js";
import { GroupBed, GROUP, GROUP_PARTITION, T0P0, T0P1 } from "./helpers.js";

/**
 * Loading a `__consumer_offsets` partition on becoming its leader (doLoadGroupsAndOffsets):
 * groups, committed offsets, and transactional offsets resolved by the markers that follow them.
 */

const STABLE: GroupMetadataValue = {
  version: 3,
  protocolType: "consumer",
  generation: 4,
  protocol: "range",
  leader: "c1-1-0",
  currentStateTimestampMs: 0,
  members: [
    { memberId: "c1-1-0", groupInstanceId: null, clientId: "c1", rebalanceTimeoutMs: 30_000, sessionTimeoutMs: 10_000, subscription: ["in"], assignment: [T0P0] },
    { memberId: "c2-1-1", groupInstanceId: null, clientId: "c2", rebalanceTimeoutMs: 30_000, sessionTimeoutMs: 20_000, subscription: ["in"], assignment: [T0P1] },
  ],
};

/** A bed that does not lead yet, with a log written by a previous coordinator. */
function bedWithLog(write: (bed: GroupBed) => void): GroupBed {
  const bed = new GroupBed({ lead: false });
  write(bed);
  return bed;
}

const data = (records: ReturnType<typeof offsetCommitRecord>[], txn?: { producerId: number }) => ({
  producerId: txn?.producerId ?? -1,
  producerEpoch: txn === undefined ? -1 : 0,
  isTransactional: txn !== undefined,
  isControl: false,
  records: records.map((r) => toKafkaRecord(r, 0)),
});
const control = (producerId: number, result: "COMMIT" | "ABORT") => ({ producerId, producerEpoch: 0, isTransactional: true, isControl: true, records: [markerRecord(result, 0, 0)] });

describe("loading", () => {
  it("answers COORDINATOR_LOAD_IN_PROGRESS until the load finishes", () => {
    const bed = new GroupBed({ lead: false });
    bed.coordinator.onBecomeLeader(GROUP_PARTITION, 1);
    expect(bed.answer(bed.send("c1", bed.joinRequest("")), "JoinGroupResponse").error).toBe("COORDINATOR_LOAD_IN_PROGRESS");
    bed.runMs(bed.config.offsetsLoadDelayMs);
    expect(bed.answer(bed.send("c1", bed.joinRequest("")), "JoinGroupResponse").error).toBe("MEMBER_ID_REQUIRED");
  });

  it("rebuilds static members: a loaded group.instance.id still fences a member id other than the one it maps to", () => {
    const members = STABLE.members.map((m, i) => ({ ...m, groupInstanceId: `i-${i + 1}` }));
    const bed = bedWithLog((b) => b.appendBatch(GROUP_PARTITION, { producerId: -1, producerEpoch: -1, isTransactional: false, isControl: false, records: [toKafkaRecord(groupMetadataRecord(GROUP, { ...STABLE, members }), 0)] }));
    bed.coordinator.onBecomeLeader(GROUP_PARTITION, 1);
    bed.runMs(bed.config.offsetsLoadDelayMs);
    const heartbeat = (memberId: string) => bed.answer(bed.send("c1", { type: "Heartbeat", groupId: GROUP, generationId: 4, memberId, groupInstanceId: "i-1" }), "HeartbeatResponse").error;
    expect(heartbeat("c1-1-0")).toBe("NONE");
    expect(heartbeat("c1-9-9")).toBe("FENCED_INSTANCE_ID");
  });

  it("rebuilds a group from its last metadata record: Stable with its members, generation, leader and assignments", () => {
    const bed = bedWithLog((b) => b.appendBatch(GROUP_PARTITION, { producerId: -1, producerEpoch: -1, isTransactional: false, isControl: false, records: [toKafkaRecord(groupMetadataRecord(GROUP, STABLE), 0)] }));
    bed.leadAll(2);
    expect(bed.coordinator.group(GROUP)).toEqual({
      state: "Stable",
      generationId: 4,
      leader: "c1-1-0",
      protocol: "range",
      members: [
        { memberId: "c1-1-0", groupInstanceId: null, clientId: "c1", assignment: [T0P0] },
        { memberId: "c2-1-1", groupInstanceId: null, clientId: "c2", assignment: [T0P1] },
      ],
    });
    expect(bed.heartbeat("c1", "c1-1-0", 4)).toBe("NONE");
  });

  it("starts the loaded members' sessions at load time: a member that never heartbeats is removed", () => {
    const bed = bedWithLog((b) => b.appendBatch(GROUP_PARTITION, { producerId: -1, producerEpoch: -1, isTransactional: false, isControl: false, records: [toKafkaRecord(groupMetadataRecord(GROUP, STABLE), 0)] }));
    bed.leadAll(2);
    bed.runMs(10_000);
    expect(bed.coordinator.group(GROUP)?.members.map((m) => m.memberId)).toEqual(["c2-1-1"]);
  });

  it("replays offsets: plain commits, transactional commits resolved by their producer's marker, and pending ones", () => {
    const bed = bedWithLog((b) => {
      b.appendBatch(GROUP_PARTITION, data([offsetCommitRecord(GROUP, T0P0, 5, 0)]));
      b.appendBatch(GROUP_PARTITION, data([offsetCommitRecord(GROUP, T0P0, 10, 0)], { producerId: 7 }));
      b.appendBatch(GROUP_PARTITION, data([offsetCommitRecord(GROUP, T0P1, 99, 0)], { producerId: 8 }));
      b.appendBatch(GROUP_PARTITION, data([offsetCommitRecord(GROUP, T0P1, 20, 0)], { producerId: 9 }));
      b.appendBatch(GROUP_PARTITION, control(7, "COMMIT"));
      b.appendBatch(GROUP_PARTITION, control(8, "ABORT"));
    });
    bed.leadAll(2);
    expect(bed.coordinator.committedOffsets(GROUP)).toEqual([{ ...T0P0, offset: 10 }]);
    expect(bed.coordinator.pendingTxnOffsets(GROUP)).toEqual(new Map([[9, [{ ...T0P1, offset: 20 }]]]));
    expect(bed.coordinator.group(GROUP)?.state).toBe("Empty");
    expect(bed.offsetFetch([T0P1], true).offsets[0]?.error).toBe("UNSTABLE_OFFSET_COMMIT");
  });

  it("a pending offset loaded from the log is committed by a marker that lands later", () => {
    const bed = bedWithLog((b) => b.appendBatch(GROUP_PARTITION, data([offsetCommitRecord(GROUP, T0P1, 20, 0)], { producerId: 9 })));
    bed.leadAll(2);
    bed.marker(GROUP_PARTITION, 9, "COMMIT");
    expect(bed.coordinator.committedOffsets(GROUP)).toEqual([{ ...T0P1, offset: 20 }]);
  });

  it("a marker appended while the partition loads is replayed from the log", () => {
    const bed = bedWithLog((b) => b.appendBatch(GROUP_PARTITION, data([offsetCommitRecord(GROUP, T0P1, 20, 0)], { producerId: 9 })));
    bed.coordinator.onBecomeLeader(GROUP_PARTITION, 2);
    bed.marker(GROUP_PARTITION, 9, "COMMIT");
    bed.runMs(bed.config.offsetsLoadDelayMs);
    expect(bed.coordinator.committedOffsets(GROUP)).toEqual([{ ...T0P1, offset: 20 }]);
    expect(bed.coordinator.pendingTxnOffsets(GROUP).size).toBe(0);
  });

  it("what one coordinator wrote, the next one loads: a group, an offset and a pending transactional offset", () => {
    const first = new GroupBed();
    const { leader, generationId } = first.stableGroupOfTwo();
    first.offsetCommit("c1", [{ ...T0P0, offset: 3 }], { memberId: leader, generationId });
    first.txnOffsetCommit(11, [{ ...T0P1, offset: 8 }]);
    const loaded = loadGroupPartition(first.logs.get(GROUP_PARTITION) ?? []);
    expect(loaded.groups.get(GROUP)).toMatchObject({ generation: generationId, leader });
    expect(loaded.offsets.get(GROUP)?.map((r) => r.offsetAndMetadata.offset)).toEqual([3]);
    expect([...(loaded.pendingTxnOffsets.get(GROUP)?.keys() ?? [])]).toEqual([11]);
  });

  it("after a failover the next coordinator continues the group: same generation, offsets, and a pending offset its marker commits", () => {
    const first = new GroupBed();
    const { leader, follower, generationId } = first.stableGroupOfTwo();
    first.offsetCommit("c1", [{ ...T0P0, offset: 3 }], { memberId: leader, generationId });
    first.txnOffsetCommit(11, [{ ...T0P1, offset: 8 }], { memberId: follower, generationId });
    const next = bedWithLog((b) => b.logs.set(GROUP_PARTITION, [...(first.logs.get(GROUP_PARTITION) ?? [])]));
    next.leadAll(2);
    expect(next.coordinator.group(GROUP)).toMatchObject({ state: "Stable", generationId, leader });
    expect(next.heartbeat("c2", follower, generationId)).toBe("NONE");
    expect(next.offsetFetch([T0P0, T0P1], true).offsets.map((o) => o.error)).toEqual(["NONE", "UNSTABLE_OFFSET_COMMIT"]);
    next.marker(GROUP_PARTITION, 11, "COMMIT");
    expect(next.coordinator.committedOffsets(GROUP)).toEqual([
      { ...T0P0, offset: 3 },
      { ...T0P1, offset: 8 },
    ]);
  });

  it("a tombstone removes a group", () => {
    const loaded = loadGroupPartition([
      { baseOffset: 0, partitionLeaderEpoch: 0, baseSequence: -1, ...data([]), records: [toKafkaRecord(groupMetadataRecord(GROUP, STABLE), 0)] },
      { baseOffset: 1, partitionLeaderEpoch: 0, baseSequence: -1, ...data([]), records: [{ key: JSON.stringify({ version: 2, group: GROUP }), value: "", timestampMs: 0 }] },
    ]);
    expect(loaded.groups.size).toBe(0);
  });
});

describe("resigning", () => {
  it("drops the partition's groups: later requests get NOT_COORDINATOR and waiting joins are answered NOT_COORDINATOR", () => {
    const bed = new GroupBed();
    const a = bed.startJoin("c1");
    bed.coordinator.onResign(GROUP_PARTITION, 1);
    expect(bed.answer(a.joinId, "JoinGroupResponse").error).toBe("NOT_COORDINATOR");
    expect(bed.coordinator.group(GROUP)).toBeUndefined();
    expect(bed.heartbeat("c1", a.memberId, 0)).toBe("NOT_COORDINATOR");
  });

  it("answers members waiting in SyncGroup NOT_COORDINATOR", () => {
    const bed = new GroupBed();
    bed.startJoin("c1");
    const b = bed.startJoin("c2");
    bed.runMs(2 * bed.config.groupInitialRebalanceDelayMs);
    const waiting = bed.sync("c2", b.memberId, 1);
    bed.coordinator.onResign(GROUP_PARTITION, 1);
    expect(bed.answer(waiting, "SyncGroupResponse").error).toBe("NOT_COORDINATOR");
  });

  it("a loading partition that is resigned never finishes its load", () => {
    const bed = bedWithLog((b) => b.appendBatch(GROUP_PARTITION, data([offsetCommitRecord(GROUP, T0P0, 5, 0)])));
    bed.coordinator.onBecomeLeader(GROUP_PARTITION, 1);
    bed.coordinator.onResign(GROUP_PARTITION, 1);
    bed.runMs(bed.config.offsetsLoadDelayMs);
    expect(bed.coordinator.ownedPartitions()).toEqual([]);
    expect(bed.coordinator.group(GROUP)).toBeUndefined();
  });
});
