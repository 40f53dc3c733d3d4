import { describe, expect, it } from "vitest";
import { KafkaHarness } from "../../../../src/systems/kafka/harness.js";
import { controllerState, startedHarness, waitForIsr, waitForLeader } from "./protocol-helpers.js";

/**
 * Where leadership sits. The scenario's topics are created once the cluster has formed, so each
 * partition's first leader is its preferred replica (the first of its replicas: round-robin over
 * the brokers, or the topic's replicaAssignment), not the broker that registered first. After a
 * failover, KRaft's auto leader rebalance gives leadership back to the preferred replica once it
 * is in the ISR again, leader.imbalance.check.interval.seconds after the change.
 */

const threePartitions = { topics: [{ name: "events", partitions: 3, replicationFactor: 3 }] };
const leadersOf = (h: KafkaHarness, partitions = 3): number[] => Array.from({ length: partitions }, (_, p) => controllerState(h, "events", p).leader);

describe("topic creation", () => {
  it("spreads the first leaders over the brokers: each partition is led by its preferred replica", () => {
    const h = startedHarness({ cluster: threePartitions });
    expect(leadersOf(h)).toEqual([1, 2, 3]);
    expect([0, 1, 2].map((p) => controllerState(h, "events", p).replicas[0])).toEqual([1, 2, 3]);
  });

  it("follows a topic's replicaAssignment: the first broker of each list is the preferred leader", () => {
    const h = startedHarness({ cluster: { topics: [{ name: "events", partitions: 3, replicationFactor: 2, replicaAssignment: [[3, 1], [3, 2], [2, 1]] }] } });
    expect(leadersOf(h)).toEqual([3, 3, 2]);
    expect(controllerState(h, "events", 1).replicas).toEqual([3, 2]);
  });

  it("waits for every broker to register: no partition has a leader while one broker cannot reach the controller", () => {
    const h = new KafkaHarness({ cluster: { ...threePartitions, brokerSessionTimeoutMs: 9000 } });
    h.apply({ kind: "partition", shape: "one-way", from: ["b3"], to: ["ctl"] });
    h.runFor(3000);
    expect(leadersOf(h)).toEqual([-1, -1, -1]);
    h.apply({ kind: "heal" });
    expect(h.waitForLeaders(5000)).toBe(true);
    expect(leadersOf(h)).toEqual([1, 2, 3]);
  });

  it("a controller that restarts before the topics exist still creates them, once the last broker registers", () => {
    const h = new KafkaHarness({ cluster: { ...threePartitions, brokerSessionTimeoutMs: 9000 } });
    h.apply({ kind: "partition", shape: "one-way", from: ["b3"], to: ["ctl"] });
    h.runFor(1000);
    h.apply({ kind: "crash", node: "ctl", loseUnflushed: false });
    h.runFor(500);
    h.apply({ kind: "restart", node: "ctl" });
    h.runFor(1000);
    expect(leadersOf(h)).toEqual([-1, -1, -1]);
    h.apply({ kind: "heal" });
    expect(h.waitForLeaders(5000)).toBe(true);
    expect(leadersOf(h)).toEqual([1, 2, 3]);
  });

  it("creates the topics with the brokers it has a session timeout after start, and not before", () => {
    const h = new KafkaHarness({ cluster: { ...threePartitions, brokerSessionTimeoutMs: 4000 } });
    h.apply({ kind: "partition", shape: "one-way", from: ["b2", "b3"], to: ["ctl"] });
    h.runFor(3500);
    expect(leadersOf(h)).toEqual([-1, -1, -1]);
    expect(h.runUntil(() => leadersOf(h).every((l) => l !== -1), 1500)).toBe(true);
    // Only b1 was registered: it leads everything, and its preferred partitions stay balanced.
    expect(leadersOf(h)).toEqual([1, 1, 1]);
  });
});

describe("auto leader rebalance", () => {
  const failOverPartition1 = (h: KafkaHarness): void => {
    // b2 (partition 1's preferred leader) restarts: it gives up leadership at registration.
    h.apply({ kind: "crash", node: "b2", loseUnflushed: false });
    h.apply({ kind: "restart", node: "b2" });
    expect(h.runUntil(() => controllerState(h, "events", 1).leader !== 2 && controllerState(h, "events", 1).leader !== -1, 5000)).toBe(true);
    expect(waitForIsr(h, [1, 2, 3], 20_000, "events", 1)).toBe(true);
  };

  it("gives leadership back to the preferred replica once it is in the ISR, an imbalance interval after the change and not before", () => {
    const h = startedHarness({ cluster: { ...threePartitions, leaderImbalanceCheckIntervalSeconds: 10 } });
    failOverPartition1(h);
    const interim = controllerState(h, "events", 1);
    expect(interim.leader).not.toBe(2);
    // The balance was scheduled when the leader moved (at most ~2 s ago): nothing moves for a while yet.
    h.runFor(5000);
    expect(controllerState(h, "events", 1).leader).toBe(interim.leader);
    expect(waitForLeader(h, 2, 10_000, "events", 1)).toBe(true);
    const back = controllerState(h, "events", 1);
    expect(back.leader).toBe(2);
    expect(back.leaderEpoch).toBe(interim.leaderEpoch + 1);
    // The other partitions never moved.
    expect([controllerState(h, "events", 0).leader, controllerState(h, "events", 2).leader]).toEqual([1, 3]);
  });

  it("leaves leadership where it is with autoLeaderRebalanceEnable false", () => {
    const h = startedHarness({ cluster: { ...threePartitions, leaderImbalanceCheckIntervalSeconds: 10, autoLeaderRebalanceEnable: false } });
    failOverPartition1(h);
    const interim = controllerState(h, "events", 1).leader;
    h.runFor(30_000);
    expect(controllerState(h, "events", 1).leader).toBe(interim);
  });

  it("does not move leadership to a preferred replica outside the ISR", () => {
    const h = startedHarness({ cluster: { ...threePartitions, leaderImbalanceCheckIntervalSeconds: 5, brokerSessionTimeoutMs: 3000 } });
    // b2 is fenced (its heartbeats are lost) and leaves every ISR; it cannot rejoin while fenced.
    h.apply({ kind: "partition", shape: "one-way", from: ["b2"], to: ["ctl"] });
    expect(waitForIsr(h, [1, 3], 10_000, "events", 1)).toBe(true);
    const interim = controllerState(h, "events", 1).leader;
    expect(interim).not.toBe(2);
    h.runFor(20_000);
    expect(controllerState(h, "events", 1).leader).toBe(interim);
  });
});
