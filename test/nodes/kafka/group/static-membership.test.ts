import { describe, expect, it } from "vitest";
import { GROUP, GroupBed, T0P0, T0P1 } from "./helpers.js";

/**
 * KIP-345 static membership at the coordinator (Kafka's GroupCoordinator 3.x): a member with a
 * group.instance.id joins without MEMBER_ID_REQUIRED; a new instance with the same id takes the
 * old member's place and assignment under a new member id, without a rebalance while the group
 * is Stable, and every request of the old member id is then refused with FENCED_INSTANCE_ID
 * (offset commits included: under exactly-once v2 this is what stops a zombie instance whose
 * generation is still current).
 */

const PID = 4000;

function staticJoin(bed: GroupBed, client: string, instanceId: string): number {
  return bed.send(client, { ...bed.joinRequest(""), groupInstanceId: instanceId });
}

/** Two static members, i-1 (on c1, the leader, owning T0P0) and i-2 (on c2, owning T0P1), Stable at generation 1. */
function stableStaticGroup(bed: GroupBed): { leader: string; follower: string; generationId: number } {
  const a = staticJoin(bed, "c1", "i-1");
  const b = staticJoin(bed, "c2", "i-2");
  bed.runMs(2 * bed.config.groupInitialRebalanceDelayMs);
  const leaderJoin = bed.answer(a, "JoinGroupResponse");
  const followerJoin = bed.answer(b, "JoinGroupResponse");
  expect([leaderJoin.error, followerJoin.error]).toEqual(["NONE", "NONE"]);
  const generationId = leaderJoin.generationId;
  const syncs = [
    bed.send("c1", { type: "SyncGroup", groupId: GROUP, generationId, memberId: leaderJoin.memberId, groupInstanceId: "i-1", assignments: [
      { memberId: leaderJoin.memberId, partitions: [T0P0] },
      { memberId: followerJoin.memberId, partitions: [T0P1] },
    ] }),
    bed.send("c2", { type: "SyncGroup", groupId: GROUP, generationId, memberId: followerJoin.memberId, groupInstanceId: "i-2", assignments: [] }),
  ];
  bed.runMs(bed.appendDelayMs);
  for (const id of syncs) expect(bed.answer(id, "SyncGroupResponse").error).toBe("NONE");
  return { leader: leaderJoin.memberId, follower: followerJoin.memberId, generationId };
}

describe("static membership (KIP-345)", () => {
  it("a static member joins without MEMBER_ID_REQUIRED: its first JoinGroup gets a member id and a generation", () => {
    const bed = new GroupBed();
    const id = staticJoin(bed, "c1", "i-1");
    bed.runMs(bed.config.groupInitialRebalanceDelayMs + 10);
    const res = bed.answer(id, "JoinGroupResponse");
    expect(res.error).toBe("NONE");
    expect(res.memberId).not.toBe("");
    expect(res.generationId).toBe(1);
    expect(res.leader).toBe(res.memberId);
  });

  it("a new instance takes over in Stable without a rebalance: a new member id, the same generation and assignment; the old id is fenced", () => {
    const bed = new GroupBed();
    const { follower, generationId } = stableStaticGroup(bed);
    const rejoin = staticJoin(bed, "c2b", "i-2");
    bed.runMs(bed.appendDelayMs);
    const res = bed.answer(rejoin, "JoinGroupResponse");
    expect(res.error).toBe("NONE");
    expect(res.memberId).not.toBe(follower);
    expect(res.generationId, "no rebalance: the generation stays").toBe(generationId);
    expect(res.members).toEqual([]);
    const sync = bed.answer(bed.send("c2b", { type: "SyncGroup", groupId: GROUP, generationId, memberId: res.memberId, groupInstanceId: "i-2", assignments: [] }), "SyncGroupResponse");
    expect(sync).toMatchObject({ error: "NONE", partitions: [T0P1] });
    expect(bed.coordinator.group(GROUP)?.state).toBe("Stable");
    // The old instance, with its still-current generation:
    expect(bed.answer(bed.send("c2", { type: "Heartbeat", groupId: GROUP, generationId, memberId: follower, groupInstanceId: "i-2" }), "HeartbeatResponse").error).toBe("FENCED_INSTANCE_ID");
  });

  it("the replaced leader's instance keeps leading under its new id, though the JoinGroup answer names the old id (as Kafka does)", () => {
    const bed = new GroupBed();
    const { leader, generationId } = stableStaticGroup(bed);
    const rejoin = staticJoin(bed, "c1b", "i-1");
    bed.runMs(bed.appendDelayMs);
    const res = bed.answer(rejoin, "JoinGroupResponse");
    expect(res.generationId).toBe(generationId);
    expect(res.leader, "the leader before the replacement").toBe(leader);
    expect(bed.coordinator.group(GROUP)?.leader).toBe(res.memberId);
  });

  it("a fenced instance's OffsetCommit and TxnOffsetCommit get FENCED_INSTANCE_ID; the new instance commits", () => {
    const bed = new GroupBed();
    const { follower, generationId } = stableStaticGroup(bed);
    const rejoin = staticJoin(bed, "c2b", "i-2");
    bed.runMs(bed.appendDelayMs);
    const newId = bed.answer(rejoin, "JoinGroupResponse").memberId;
    const offsets = [{ ...T0P1, offset: 7 }];
    const zombieCommit = bed.call("c2", { type: "OffsetCommit", groupId: GROUP, generationId, memberId: follower, groupInstanceId: "i-2", offsets }, "OffsetCommitResponse");
    expect(zombieCommit.results.map((r) => r.error)).toEqual(["FENCED_INSTANCE_ID"]);
    const zombieTxn = bed.call("p2", { ...bed.txnOffsetCommitRequest(PID, offsets, { memberId: follower, generationId }), groupInstanceId: "i-2" }, "TxnOffsetCommitResponse");
    expect(zombieTxn.results.map((r) => r.error)).toEqual(["FENCED_INSTANCE_ID"]);
    const live = bed.call("c2b", { type: "OffsetCommit", groupId: GROUP, generationId, memberId: newId, groupInstanceId: "i-2", offsets }, "OffsetCommitResponse");
    expect(live.results.map((r) => r.error)).toEqual(["NONE"]);
  });

  it("a JoinGroup of the old member id after the takeover is FENCED_INSTANCE_ID", () => {
    const bed = new GroupBed();
    const { follower } = stableStaticGroup(bed);
    staticJoin(bed, "c2b", "i-2");
    bed.runMs(bed.appendDelayMs);
    const res = bed.answer(bed.send("c2", { ...bed.joinRequest(follower), groupInstanceId: "i-2" }), "JoinGroupResponse");
    expect(res.error).toBe("FENCED_INSTANCE_ID");
  });

  it("a takeover during CompletingRebalance starts the rebalance over", () => {
    const bed = new GroupBed();
    const a = staticJoin(bed, "c1", "i-1");
    const b = staticJoin(bed, "c2", "i-2");
    bed.runMs(2 * bed.config.groupInitialRebalanceDelayMs);
    expect(bed.answer(a, "JoinGroupResponse").error).toBe("NONE");
    expect(bed.answer(b, "JoinGroupResponse").error).toBe("NONE");
    expect(bed.coordinator.group(GROUP)?.state).toBe("CompletingRebalance");
    staticJoin(bed, "c2b", "i-2");
    expect(bed.coordinator.group(GROUP)?.state).toBe("PreparingRebalance");
  });

  it("a static member that stops heartbeating leaves after its session timeout, and the group rebalances", () => {
    const bed = new GroupBed();
    const { leader, generationId } = stableStaticGroup(bed);
    for (let t = 0; t < 12; t++) {
      bed.runMs(1000);
      expect(bed.answer(bed.send("c1", { type: "Heartbeat", groupId: GROUP, generationId, memberId: leader, groupInstanceId: "i-1" }), "HeartbeatResponse").error).toMatch(/NONE|REBALANCE_IN_PROGRESS/);
    }
    expect(bed.coordinator.group(GROUP)?.members.map((m) => m.groupInstanceId)).toEqual(["i-1"]);
  });
});
