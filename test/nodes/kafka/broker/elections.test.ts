import { describe, expect, it } from "vitest";
import type { KafkaHarness } from "../../../../src/systems/kafka/harness.js";
import {
  controllerState,
  failedInvariants,
  isrOf,
  logEndOffset,
  logValues,
  produce,
  startedHarness,
  waitForIsr,
  waitForLeader,
} from "./protocol-helpers.js";

/**
 * The controller (facts §1.10): it fences a broker whose heartbeats stop for
 * brokerSessionTimeoutMs, takes it out of every ISR and elects a new leader from the ISR (any
 * live replica only when unclean election is enabled), bumping the leader epoch once per
 * leader change. A restarted broker registers with a new broker epoch and rejoins the ISR
 * after catching up. Elections resume when a crashed controller returns.
 */

const fastSession = { brokerSessionTimeoutMs: 3000 };

/** Collects every leader epoch in LeaderAndIsr-driven role changes seen by the brokers. */
function recordRoleChanges(h: KafkaHarness): { node: string; leader: number; leaderEpoch: number }[] {
  const changes: { node: string; leader: number; leaderEpoch: number }[] = [];
  h.sim.trace.listen((record) => {
    if (record.kind === "partition.leader" || record.kind === "partition.follower") {
      const leader = record.fields?.leader;
      changes.push({ node: record.node, leader: typeof leader === "string" ? Number(leader.slice(1)) : Number(leader), leaderEpoch: Number(record.fields?.leaderEpoch) });
    }
  });
  return changes;
}

/** The leader b1 keeps writing while both followers are cut off, until the ISR is b1 alone. */
function isrOfLeaderAlone(h: KafkaHarness): void {
  produce(h, "b1", ["shared"], { acks: -1 });
  h.apply({ kind: "partition", shape: "groups", groups: [["b1"], ["b2", "b3"]] });
  expect(produce(h, "b1", ["only-on-b1"], { acks: 1 })?.error).toBe("NONE");
  expect(waitForIsr(h, [1], 10_000)).toBe(true);
}

describe("liveness and fencing", () => {
  it("a broker whose heartbeats stop is fenced after brokerSessionTimeoutMs, not before, and leaves the ISR", () => {
    const h = startedHarness({ cluster: fastSession });
    h.apply({ kind: "partition", shape: "groups", groups: [["b3"], ["ctl"]] });
    // Its last heartbeat reached the controller at most one heartbeat interval (2 s) before the cut.
    h.runFor(900);
    expect(h.controller()?.isFenced(3)).toBe(false);
    expect(isrOf(h)).toEqual([1, 2, 3]);
    expect(h.runUntil(() => h.controller()?.isFenced(3) === true, 3000)).toBe(true);
    expect(waitForIsr(h, [1, 2], 100)).toBe(true);
    // It still fetches from b1, but a fenced broker may not rejoin (INELIGIBLE_REPLICA).
    h.runFor(3000);
    expect(isrOf(h)).toEqual([1, 2]);
    expect(controllerState(h).leader).toBe(1);
  });

  it("a fenced broker that heartbeats again is unfenced and rejoins the ISR with its broker epoch unchanged", () => {
    const h = startedHarness({ cluster: fastSession });
    const epochBefore = h.broker(3)?.registeredEpoch;
    h.apply({ kind: "partition", shape: "groups", groups: [["b3"], ["ctl"]] });
    expect(h.runUntil(() => h.controller()?.isFenced(3) === true, 6000)).toBe(true);
    h.apply({ kind: "heal" });
    expect(waitForIsr(h, [1, 2, 3], 10_000)).toBe(true);
    expect(h.controller()?.isFenced(3)).toBe(false);
    expect(h.broker(3)?.registeredEpoch).toBe(epochBefore);
  });
});

describe("clean elections", () => {
  it("a fenced leader is replaced by the first live ISR member, in one change that bumps the leader epoch by one", () => {
    const h = startedHarness({ cluster: fastSession });
    produce(h, "b1", ["a"], { acks: -1 });
    expect(controllerState(h)).toMatchObject({ leader: 1, leaderEpoch: 1 });
    const changes = recordRoleChanges(h);
    h.apply({ kind: "crash", node: "b1", loseUnflushed: false });
    expect(waitForLeader(h, 2, 10_000)).toBe(true);
    expect(controllerState(h)).toMatchObject({ leader: 2, leaderEpoch: 2, isr: [2, 3] });
    // No intermediate leaderless epoch reached the brokers.
    expect(changes).toEqual([
      { node: "b2", leader: 2, leaderEpoch: 2 },
      { node: "b3", leader: 2, leaderEpoch: 2 },
    ]);
    expect(produce(h, "b2", ["b"], { acks: -1 })).toMatchObject({ error: "NONE", baseOffset: 1 });
    expect(h.sim.assert.failures).toEqual([]);
  });

  it("a live replica outside the ISR is not elected: with the last ISR member gone the partition has no leader", () => {
    const h = startedHarness({ cluster: { ...fastSession, replicaLagTimeMaxMs: 2000 } });
    isrOfLeaderAlone(h);
    h.apply({ kind: "crash", node: "b1", loseUnflushed: false });
    h.apply({ kind: "heal" });
    h.runFor(6000);
    // KRaft keeps the last ISR member in the ISR, leaderless.
    expect(controllerState(h)).toMatchObject({ leader: -1, isr: [1] });
    expect(h.leaderOf("events", 0)).toBeUndefined();
    expect(produce(h, "b2", ["x"], { acks: 1 })?.error).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(failedInvariants(h)).toEqual([]);
  });

  it("when the last ISR member returns it is elected again, and the others rejoin from it without losing its writes", () => {
    // The followers' last fetch went to the crashed b1 and is lost: they notice at the request timeout.
    const h = startedHarness({ cluster: { ...fastSession, replicaLagTimeMaxMs: 2000, replicaSocketTimeoutMs: 5000 } });
    isrOfLeaderAlone(h);
    h.apply({ kind: "crash", node: "b1", loseUnflushed: false });
    h.apply({ kind: "heal" });
    h.runFor(6000);
    const leaderlessEpoch = controllerState(h).leaderEpoch;
    h.apply({ kind: "restart", node: "b1" });
    expect(waitForLeader(h, 1, 10_000)).toBe(true);
    expect(controllerState(h).leaderEpoch).toBe(leaderlessEpoch + 1);
    expect(waitForIsr(h, [1, 2, 3], 10_000)).toBe(true);
    for (const broker of [1, 2, 3]) expect(logValues(h, broker)).toEqual(["shared", "only-on-b1"]);
    expect(failedInvariants(h)).toEqual([]);
  });
});

describe("unclean elections", () => {
  it("with uncleanLeaderElectionEnable a live out-of-ISR replica is elected with an ISR of itself, and the old leader's writes are lost", () => {
    const h = startedHarness({ cluster: { ...fastSession, replicaLagTimeMaxMs: 2000, uncleanLeaderElectionEnable: true } });
    isrOfLeaderAlone(h);
    const epochBefore = controllerState(h).leaderEpoch;
    h.apply({ kind: "crash", node: "b1", loseUnflushed: false });
    h.apply({ kind: "heal" });
    expect(waitForLeader(h, 2, 10_000)).toBe(true);
    expect(controllerState(h)).toMatchObject({ leader: 2, leaderEpoch: epochBefore + 1 });
    expect(controllerState(h).isr).toContain(2);
    expect(logValues(h, 2)).toEqual(["shared"]);
    expect(produce(h, "b2", ["after"], { acks: 1 })).toMatchObject({ error: "NONE", baseOffset: 1 });
    h.apply({ kind: "restart", node: "b1" });
    expect(waitForIsr(h, [1, 2, 3], 20_000)).toBe(true);
    expect(logValues(h, 1)).toEqual(["shared", "after"]);
    // b1 had committed "only-on-b1" at offset 1 (its ISR was itself): the unclean election overwrote it.
    expect(failedInvariants(h)).toEqual(["replicas-agree"]);
  });

  it("unclean election picks no leader when no assigned replica is live", () => {
    const h = startedHarness({ cluster: { ...fastSession, uncleanLeaderElectionEnable: true } });
    for (const node of ["b1", "b2", "b3"]) h.apply({ kind: "crash", node, loseUnflushed: false });
    h.runFor(6000);
    expect(controllerState(h).leader).toBe(-1);
  });
});

describe("broker restarts", () => {
  it("a restarted broker registers with a new broker epoch and rejoins the ISR once it has caught up", () => {
    const h = startedHarness({ cluster: fastSession });
    const epochBefore = h.broker(3)?.registeredEpoch ?? -1;
    h.apply({ kind: "crash", node: "b3", loseUnflushed: false });
    expect(waitForIsr(h, [1, 2], 10_000)).toBe(true);
    for (const value of ["a", "b", "c"]) expect(produce(h, "b1", [value], { acks: -1 })?.error).toBe("NONE");
    let b3EndAtRejoin = -1;
    h.sim.trace.listen((record) => {
      if (record.kind === "partition.alter-isr" && record.node === "b1" && record.fields?.to === "1,2,3") b3EndAtRejoin = h.replica(1, "events", 0)?.followers.get(3)?.logEndOffset ?? -1;
    });
    h.apply({ kind: "restart", node: "b3" });
    expect(waitForIsr(h, [1, 2, 3], 10_000)).toBe(true);
    expect(h.broker(3)?.registeredEpoch).toBeGreaterThan(epochBefore);
    expect(b3EndAtRejoin).toBe(logEndOffset(h, 1));
    expect(logValues(h, 3)).toEqual(["a", "b", "c"]);
    expect(h.sim.assert.failures).toEqual([]);
  });

  it("a restarted leader gives up leadership at registration: a new leader epoch starts on another ISR member", () => {
    const h = startedHarness({ cluster: fastSession });
    produce(h, "b1", ["a"], { acks: -1 });
    h.apply({ kind: "crash", node: "b1", loseUnflushed: false });
    h.apply({ kind: "restart", node: "b1" });
    expect(waitForLeader(h, 2, 5000)).toBe(true);
    expect(controllerState(h)).toMatchObject({ leader: 2, leaderEpoch: 2 });
    expect(waitForIsr(h, [1, 2, 3], 10_000)).toBe(true);
    expect(h.sim.assert.failures).toEqual([]);
  });
});

describe("controller failure", () => {
  it("no election happens while the controller is down; a restarted controller fences the dead leader and elects a new one", () => {
    const h = startedHarness({ cluster: fastSession });
    produce(h, "b1", ["a"], { acks: -1 });
    h.apply({ kind: "crash", node: "ctl", loseUnflushed: false });
    h.apply({ kind: "crash", node: "b1", loseUnflushed: false });
    h.runFor(10_000);
    expect(h.leaderOf("events", 0)).toBeUndefined();
    for (const broker of [2, 3]) expect(h.replica(broker, "events", 0)).toMatchObject({ role: "follower", leaderEpoch: 1 });
    h.apply({ kind: "restart", node: "ctl" });
    expect(waitForLeader(h, 2, 10_000)).toBe(true);
    expect(controllerState(h)).toMatchObject({ leader: 2, leaderEpoch: 2, isr: [2, 3] });
    expect(produce(h, "b2", ["b"], { acks: -1 })).toMatchObject({ error: "NONE", baseOffset: 1 });
    expect(h.sim.assert.failures).toEqual([]);
  });

  it("a restarted controller re-sends partition state that a crash kept from a broker", () => {
    const h = startedHarness({ cluster: fastSession });
    // The controller's LeaderAndIsr for the new epoch is lost with the controller.
    h.apply({ kind: "hold", type: "LeaderAndIsr", from: "ctl", durationMs: 1_000_000, count: Number.POSITIVE_INFINITY });
    h.apply({ kind: "crash", node: "b1", loseUnflushed: false });
    expect(h.runUntil(() => controllerState(h).leader === 2, 10_000)).toBe(true);
    h.apply({ kind: "crash", node: "ctl", loseUnflushed: false });
    h.apply({ kind: "heal" });
    expect(h.leaderOf("events", 0)).toBeUndefined();
    h.apply({ kind: "restart", node: "ctl" });
    expect(waitForLeader(h, 2, 10_000)).toBe(true);
    expect(h.replica(3, "events", 0)?.leaderEpoch).toBe(2);
  });
});
