import { describe, expect, it } from "vitest";
import { GroupBed, GROUP, GROUP_PARTITION } from "./helpers.js";

/** Rebalances after the first generation, heartbeats, session timeouts and LeaveGroup. */

describe("rebalance", () => {
  it("a new member moves a Stable group to PreparingRebalance; the others learn it from their heartbeat", () => {
    const bed = new GroupBed();
    const { leader, follower, generationId } = bed.stableGroupOfTwo();
    bed.startJoin("c3");
    expect(bed.coordinator.group(GROUP)?.state).toBe("PreparingRebalance");
    expect(bed.heartbeat("c1", leader, generationId)).toBe("REBALANCE_IN_PROGRESS");
    expect(bed.heartbeat("c2", follower, generationId)).toBe("REBALANCE_IN_PROGRESS");
  });

  it("completes the join as soon as every member has rejoined, and bumps the generation", () => {
    const bed = new GroupBed();
    const { leader, follower } = bed.stableGroupOfTwo();
    const c = bed.startJoin("c3");
    const joins = [bed.rejoin("c1", leader), bed.rejoin("c2", follower)];
    for (const id of [...joins, c.joinId]) expect(bed.answer(id, "JoinGroupResponse")).toMatchObject({ error: "NONE", generationId: 2, leader });
    expect(bed.coordinator.group(GROUP)).toMatchObject({ state: "CompletingRebalance", generationId: 2 });
    expect(bed.tracesOf("group.generation").at(-1)?.fields).toEqual({ group: GROUP, generation: 2, leader, members: 3, protocol: "range" });
  });

  it("removes members that do not rejoin within the rebalance timeout, even while they heartbeat", () => {
    const bed = new GroupBed();
    const { leader, follower, generationId } = bed.stableGroupOfTwo();
    const c = bed.startJoin("c3");
    bed.rejoin("c2", follower);
    for (let t = 0; t < 5; t++) {
      bed.runMs(5000);
      expect(bed.heartbeat("c1", leader, generationId)).toBe("REBALANCE_IN_PROGRESS");
    }
    bed.runMs(4999);
    expect(bed.response(c.joinId, "JoinGroupResponse")).toBeUndefined();
    bed.runMs(1);
    const res = bed.answer(c.joinId, "JoinGroupResponse");
    expect(res).toMatchObject({ error: "NONE", generationId: 2 });
    expect(bed.coordinator.group(GROUP)?.members.map((m) => m.memberId)).toEqual([follower, c.memberId]);
    expect(res.leader).not.toBe(leader);
  });

  it("a leader that does not rejoin hands the leadership to a member that did", () => {
    const bed = new GroupBed();
    const { follower } = bed.stableGroupOfTwo();
    const join = bed.rejoin("c2", follower); // the follower rejoins with the same metadata: no rebalance in Stable
    expect(bed.answer(join, "JoinGroupResponse")).toMatchObject({ error: "NONE", generationId: 1, members: [] });
    bed.startJoin("c3");
    const again = bed.rejoin("c2", follower);
    bed.runMs(30_000);
    expect(bed.answer(again, "JoinGroupResponse")).toMatchObject({ generationId: 2, leader: follower });
  });

  it("a rejoining leader forces a rebalance", () => {
    const bed = new GroupBed();
    const { leader } = bed.stableGroupOfTwo();
    bed.rejoin("c1", leader);
    expect(bed.coordinator.group(GROUP)?.state).toBe("PreparingRebalance");
  });

  it("followers waiting in SyncGroup get REBALANCE_IN_PROGRESS when a rebalance starts before the leader syncs", () => {
    const bed = new GroupBed();
    const a = bed.startJoin("c1");
    const b = bed.startJoin("c2");
    bed.runMs(2 * bed.config.groupInitialRebalanceDelayMs);
    const waiting = bed.sync("c2", b.memberId, 1);
    bed.startJoin("c3");
    expect(bed.answer(waiting, "SyncGroupResponse").error).toBe("REBALANCE_IN_PROGRESS");
    expect(a.memberId).not.toBe(b.memberId);
  });
});

describe("heartbeats and session timeouts", () => {
  it("answers a heartbeat of a current member NONE, of an unknown member UNKNOWN_MEMBER_ID, of another generation ILLEGAL_GENERATION", () => {
    const bed = new GroupBed();
    const { leader, generationId } = bed.stableGroupOfTwo();
    expect(bed.heartbeat("c1", leader, generationId)).toBe("NONE");
    expect(bed.heartbeat("c1", "nobody", generationId)).toBe("UNKNOWN_MEMBER_ID");
    expect(bed.heartbeat("c1", leader, generationId - 1)).toBe("ILLEGAL_GENERATION");
  });

  it("answers a heartbeat for an unknown group UNKNOWN_MEMBER_ID, while loading NONE, and elsewhere NOT_COORDINATOR", () => {
    const bed = new GroupBed({ lead: false });
    expect(bed.heartbeat("c1", "m", 1)).toBe("NOT_COORDINATOR");
    bed.coordinator.onBecomeLeader(GROUP_PARTITION, 1);
    expect(bed.heartbeat("c1", "m", 1)).toBe("NONE");
    bed.runMs(bed.config.offsetsLoadDelayMs);
    expect(bed.heartbeat("c1", "m", 1)).toBe("UNKNOWN_MEMBER_ID");
  });

  it("removes a member whose session expires and rebalances the others", () => {
    const bed = new GroupBed();
    const { leader, follower, generationId } = bed.stableGroupOfTwo();
    for (let t = 0; t < 2; t++) {
      bed.runMs(4000);
      expect(bed.heartbeat("c2", follower, generationId)).toBe("NONE");
    }
    bed.runMs(4000);
    expect(bed.heartbeat("c2", follower, generationId)).toBe("REBALANCE_IN_PROGRESS");
    expect(bed.coordinator.group(GROUP)?.members.map((m) => m.memberId)).toEqual([follower]);
    expect(bed.coordinator.group(GROUP)?.state).toBe("PreparingRebalance");
    expect(bed.tracesOf("group.member.removed").map((t) => t.fields)).toContainEqual({ group: GROUP, memberId: leader, reason: "session-timeout" });
  });

  it("the last member leaving by session timeout empties the group and bumps the generation, stored in the log", () => {
    const bed = new GroupBed();
    const a = bed.startJoin("c1");
    bed.runMs(bed.config.groupInitialRebalanceDelayMs);
    const sync = bed.sync("c1", a.memberId, 1, [{ memberId: a.memberId, partitions: [] }]);
    bed.runMs(bed.appendDelayMs);
    expect(bed.answer(sync, "SyncGroupResponse").error).toBe("NONE");
    bed.runMs(10_000 + bed.appendDelayMs);
    expect(bed.coordinator.group(GROUP)).toMatchObject({ state: "Empty", generationId: 2, members: [] });
    expect(bed.records(GROUP_PARTITION).at(-1)).toMatchObject({ kind: "group", value: { generation: 2, members: [] } });
  });

  it("forgets a member id handed out with MEMBER_ID_REQUIRED when its owner does not come back within the session timeout", () => {
    const bed = new GroupBed();
    const first = bed.answer(bed.send("c1", bed.joinRequest("")), "JoinGroupResponse");
    bed.runMs(10_000);
    expect(bed.answer(bed.rejoin("c1", first.memberId), "JoinGroupResponse").error).toBe("UNKNOWN_MEMBER_ID");
  });

  it("expires a member by the coordinator's own monotonic clock (a clock running 10% slow expires it late)", () => {
    const bed = new GroupBed();
    const { leader, follower, generationId } = bed.stableGroupOfTwo();
    bed.sim.node("b1").clock.setDrift(bed.sim.nowUs, -100_000);
    expect(bed.heartbeat("c1", leader, generationId)).toBe("NONE");
    expect(bed.heartbeat("c2", follower, generationId)).toBe("NONE");
    bed.runMs(11_000);
    expect(bed.coordinator.group(GROUP)?.members).toHaveLength(2);
    bed.runMs(200);
    expect(bed.coordinator.group(GROUP)?.members).toHaveLength(0);
  });
});

describe("LeaveGroup", () => {
  it("removes the member at once and rebalances the rest", () => {
    const bed = new GroupBed();
    const { leader, follower } = bed.stableGroupOfTwo();
    const res = bed.answer(bed.send("c1", { type: "LeaveGroup", groupId: GROUP, memberId: leader }), "LeaveGroupResponse");
    expect(res.error).toBe("NONE");
    expect(bed.coordinator.group(GROUP)).toMatchObject({ state: "PreparingRebalance", leader: follower });
  });

  it("answers an unknown member UNKNOWN_MEMBER_ID", () => {
    const bed = new GroupBed();
    bed.stableGroupOfTwo();
    expect(bed.answer(bed.send("c1", { type: "LeaveGroup", groupId: GROUP, memberId: "ghost" }), "LeaveGroupResponse").error).toBe("UNKNOWN_MEMBER_ID");
  });
});
