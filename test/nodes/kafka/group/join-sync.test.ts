import { describe, expect, it } from "vitest";
import { GroupBed, GROUP, GROUP_PARTITION, T0P0, T0P1 } from "./helpers.js";

/** JoinGroup and SyncGroup (Kafka's classic GroupCoordinator): KIP-394, the join phase, the leader, the generation. */

describe("JoinGroup", () => {
  it("answers a first join with an empty member id MEMBER_ID_REQUIRED and a member id derived from the client (KIP-394)", () => {
    const bed = new GroupBed();
    const res = bed.answer(bed.send("c1", bed.joinRequest("")), "JoinGroupResponse");
    expect(res.error).toBe("MEMBER_ID_REQUIRED");
    expect(res.memberId).toBe("c1-1-0");
    expect(bed.coordinator.group(GROUP)).toMatchObject({ state: "Empty", members: [] });
  });

  it("holds the first join of an Empty group for group.initial.rebalance.delay.ms, then completes generation 1", () => {
    const bed = new GroupBed({ config: { groupInitialRebalanceDelayMs: 3000 } });
    const a = bed.startJoin("c1");
    bed.runMs(2999);
    expect(bed.response(a.joinId, "JoinGroupResponse")).toBeUndefined();
    expect(bed.coordinator.group(GROUP)?.state).toBe("PreparingRebalance");
    bed.runMs(1);
    expect(bed.answer(a.joinId, "JoinGroupResponse")).toMatchObject({ error: "NONE", generationId: 1, leader: a.memberId, protocolName: "range" });
    expect(bed.coordinator.group(GROUP)).toMatchObject({ state: "CompletingRebalance", generationId: 1, leader: a.memberId });
  });

  it("extends the initial delay by another delay while new members keep arriving (InitialDelayedJoin)", () => {
    const bed = new GroupBed({ config: { groupInitialRebalanceDelayMs: 3000 } });
    const a = bed.startJoin("c1");
    bed.runMs(1000);
    const b = bed.startJoin("c2");
    bed.runMs(2000);
    expect(bed.response(a.joinId, "JoinGroupResponse")).toBeUndefined();
    bed.runMs(3000);
    expect(bed.answer(a.joinId, "JoinGroupResponse")).toMatchObject({ error: "NONE", generationId: 1, leader: a.memberId });
    expect(bed.answer(b.joinId, "JoinGroupResponse")).toMatchObject({ error: "NONE", generationId: 1, leader: a.memberId });
  });

  it("never extends the initial delay past the rebalance timeout", () => {
    const bed = new GroupBed({ config: { groupInitialRebalanceDelayMs: 3000 } });
    const a = bed.startJoin("c1", { rebalanceTimeoutMs: 5000 });
    for (let i = 2; i <= 5; i++) {
      bed.runMs(1000);
      bed.startJoin(`c${i}`, { rebalanceTimeoutMs: 5000 });
    }
    // 3000 ms, then min(3000, 5000 - 3000) = 2000 ms more; the arrival at 4000 no longer extends it.
    expect(bed.response(a.joinId, "JoinGroupResponse")).toBeUndefined();
    bed.runMs(1000);
    expect(bed.answer(a.joinId, "JoinGroupResponse")).toMatchObject({ error: "NONE", generationId: 1 });
  });

  it("gives the leader every member's subscription and followers none", () => {
    const bed = new GroupBed();
    const a = bed.startJoin("c1", { topics: ["x"] });
    const b = bed.startJoin("c2", { topics: ["x", "y"] });
    bed.runMs(2 * bed.config.groupInitialRebalanceDelayMs);
    expect(bed.answer(a.joinId, "JoinGroupResponse").members).toEqual([
      { memberId: a.memberId, topics: ["x"] },
      { memberId: b.memberId, topics: ["x", "y"] },
    ]);
    expect(bed.answer(b.joinId, "JoinGroupResponse").members).toEqual([]);
  });

  it("selects the protocol most members prefer among those all support", () => {
    const bed = new GroupBed();
    const first = bed.answer(bed.send("c1", bed.joinRequest("", ["in"], { protocols: ["range", "roundrobin"] })), "JoinGroupResponse");
    const a = bed.send("c1", bed.joinRequest(first.memberId, ["in"], { protocols: ["range", "roundrobin"] }));
    for (const client of ["c2", "c3"]) {
      const r = bed.answer(bed.send(client, bed.joinRequest("", ["in"], { protocols: ["roundrobin", "range"] })), "JoinGroupResponse");
      bed.send(client, bed.joinRequest(r.memberId, ["in"], { protocols: ["roundrobin", "range"] }));
    }
    bed.runMs(2 * bed.config.groupInitialRebalanceDelayMs);
    expect(bed.answer(a, "JoinGroupResponse").protocolName).toBe("roundrobin");
  });

  it("refuses a member whose protocols share none with the group's (INCONSISTENT_GROUP_PROTOCOL)", () => {
    const bed = new GroupBed();
    bed.startJoin("c1");
    const res = bed.answer(bed.send("c2", bed.joinRequest("", ["in"], { protocols: ["sticky"] })), "JoinGroupResponse");
    expect(res.error).toBe("INCONSISTENT_GROUP_PROTOCOL");
  });

  it("refuses a session timeout outside group.min/max.session.timeout.ms", () => {
    const bed = new GroupBed();
    expect(bed.answer(bed.send("c1", bed.joinRequest("", ["in"], { sessionTimeoutMs: 5999 })), "JoinGroupResponse").error).toBe("INVALID_SESSION_TIMEOUT");
  });

  it("answers a join with a member id for an unknown group UNKNOWN_MEMBER_ID", () => {
    const bed = new GroupBed();
    expect(bed.answer(bed.rejoin("c1", "c1-1-7"), "JoinGroupResponse").error).toBe("UNKNOWN_MEMBER_ID");
  });

  it("answers NOT_COORDINATOR for a group whose partition this broker does not lead", () => {
    const bed = new GroupBed({ lead: false });
    for (let p = 0; p < 4; p++) if (p !== GROUP_PARTITION) bed.coordinator.onBecomeLeader(p, 1);
    bed.runMs(bed.config.offsetsLoadDelayMs);
    expect(bed.answer(bed.send("c1", bed.joinRequest("")), "JoinGroupResponse").error).toBe("NOT_COORDINATOR");
  });
});

describe("SyncGroup", () => {
  it("makes followers wait for the leader's assignment, stores it, then answers everyone and the group is Stable", () => {
    const bed = new GroupBed();
    const a = bed.startJoin("c1");
    const b = bed.startJoin("c2");
    bed.runMs(2 * bed.config.groupInitialRebalanceDelayMs);
    const follower = bed.sync("c2", b.memberId, 1);
    bed.runMs(100);
    expect(bed.response(follower, "SyncGroupResponse")).toBeUndefined();
    const leader = bed.sync("c1", a.memberId, 1, [
      { memberId: a.memberId, partitions: [T0P0] },
      { memberId: b.memberId, partitions: [T0P1] },
    ]);
    expect(bed.response(leader, "SyncGroupResponse")).toBeUndefined(); // not before the group record is appended
    bed.runMs(bed.appendDelayMs);
    expect(bed.answer(leader, "SyncGroupResponse")).toEqual({ type: "SyncGroupResponse", correlationId: leader, error: "NONE", partitions: [T0P0] });
    expect(bed.answer(follower, "SyncGroupResponse").partitions).toEqual([T0P1]);
    expect(bed.coordinator.group(GROUP)?.state).toBe("Stable");
    const stored = bed.records(GROUP_PARTITION).at(-1);
    expect(stored).toMatchObject({ kind: "group", value: { generation: 1, leader: a.memberId, protocol: "range" } });
    expect(bed.appends.at(-1)?.acks).toBe(-1);
  });

  it("propagates a failed group append to the waiting members and rebalances", () => {
    const bed = new GroupBed();
    const a = bed.startJoin("c1");
    bed.runMs(2 * bed.config.groupInitialRebalanceDelayMs);
    bed.failNextAppend = { error: "NOT_LEADER_OR_FOLLOWER", appended: false };
    const sync = bed.sync("c1", a.memberId, 1, [{ memberId: a.memberId, partitions: [T0P0] }]);
    bed.runMs(bed.appendDelayMs);
    expect(bed.answer(sync, "SyncGroupResponse").error).toBe("NOT_COORDINATOR");
    expect(bed.coordinator.group(GROUP)?.state).toBe("PreparingRebalance");
  });

  it("answers a sync of another generation ILLEGAL_GENERATION and one during the join phase REBALANCE_IN_PROGRESS", () => {
    const bed = new GroupBed();
    const { leader, follower, generationId } = bed.stableGroupOfTwo();
    expect(bed.answer(bed.sync("c1", leader, generationId + 1), "SyncGroupResponse").error).toBe("ILLEGAL_GENERATION");
    bed.startJoin("c3");
    expect(bed.answer(bed.sync("c2", follower, generationId), "SyncGroupResponse").error).toBe("REBALANCE_IN_PROGRESS");
  });

  it("removes members that do not sync within the rebalance timeout and rebalances", () => {
    const bed = new GroupBed();
    const a = bed.startJoin("c1", { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 });
    const b = bed.startJoin("c2", { rebalanceTimeoutMs: 20_000, sessionTimeoutMs: 30_000 });
    bed.runMs(2 * bed.config.groupInitialRebalanceDelayMs);
    bed.sync("c2", b.memberId, 1);
    bed.runMs(20_000);
    expect(bed.coordinator.group(GROUP)?.members.map((m) => m.memberId)).toEqual([b.memberId]);
    expect(bed.tracesOf("group.member.removed").map((t) => t.fields)).toContainEqual({ group: GROUP, memberId: a.memberId, reason: "sync-timeout" });
  });
});

describe("determinism", () => {
  it("the same requests at the same times give the same trace", () => {
    const hashes = [0, 1].map(() => {
      const bed = new GroupBed();
      const { leader, generationId } = bed.stableGroupOfTwo();
      bed.offsetCommit("c1", [{ ...T0P0, offset: 1 }], { memberId: leader, generationId });
      bed.startJoin("c3");
      bed.runMs(60_000);
      return bed.sim.trace.hash;
    });
    expect(hashes[0]).toBe(hashes[1]);
  });
});
