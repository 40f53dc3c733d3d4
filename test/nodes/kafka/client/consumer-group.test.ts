import { describe, expect, it } from "vitest";
import { assignPartitions } from "../../../../src/nodes/kafka/client/assignors.js";
import type { KafkaConsumer } from "../../../../src/nodes/kafka/client/consumer.js";
import type { ConsumerOptions } from "../../../../src/nodes/kafka/client/consumer-config.js";
import type { ConsumerRebalanceListener } from "../../../../src/nodes/kafka/client/consumer-coordinator.js";
import { KafkaReader } from "../../../../src/nodes/kafka/client/reader-app.js";
import type { AssignValue, SeekValue } from "../../../../src/nodes/kafka/history-values.js";
import type { TopicPartition } from "../../../../src/nodes/kafka/protocol.js";
import { buildFakeGroupSystem, type FakeGroupSystem } from "../../../helpers/kafka-fake-group-coordinator.js";
import { addConsumer, values } from "./harness.js";

const tps = (...ps: number[]): TopicPartition[] => ps.map((partition) => ({ topic: "t", partition }));

interface Member {
  readonly consumer: KafkaConsumer;
  /** Listener calls in order: ["assigned", [0, 1]], ["revoked", …], ["lost", …]. */
  readonly events: [string, number[]][];
  /** Values returned by its polls. */
  readonly polled: string[];
}

/** A subscribed consumer whose app polls all the time (200 ms polls), as a Java poll loop does. */
function addMember(sys: FakeGroupSystem, id: string, options: Partial<ConsumerOptions> = {}): Member {
  const { consumer } = addConsumer(sys, { groupId: "g", autoOffsetReset: "earliest", ...options }, id);
  const events: [string, number[]][] = [];
  const polled: string[] = [];
  const record = (kind: string) => (partitions: readonly TopicPartition[]) => events.push([kind, partitions.map((p) => p.partition)]);
  const listener: ConsumerRebalanceListener = { onPartitionsAssigned: record("assigned"), onPartitionsRevoked: record("revoked"), onPartitionsLost: record("lost") };
  consumer.subscribe(["t"], listener);
  const loop = (): void =>
    consumer.poll(200, (result) => {
      if (result.ok) polled.push(...result.records.map((r) => r.value));
      loop();
    });
  loop();
  return { consumer, events, polled };
}

const assigned = (m: Member) => m.consumer.assignment().map((tp) => tp.partition);
const stable = (m: Member) => m.events.at(-1)?.[0] === "assigned";

describe("assignors (computed by the leader client)", () => {
  const members = [
    { memberId: "m-b", topics: ["t"] },
    { memberId: "m-a", topics: ["t"] },
  ];

  it("range gives each member a contiguous range per topic, the first members one more", () => {
    expect(assignPartitions("range", members, new Map([["t", 5]]))).toEqual([
      { memberId: "m-a", partitions: tps(0, 1, 2) },
      { memberId: "m-b", partitions: tps(3, 4) },
    ]);
  });

  it("roundrobin deals the partitions in turn over the members sorted by id", () => {
    expect(assignPartitions("roundrobin", members, new Map([["t", 5]]))).toEqual([
      { memberId: "m-a", partitions: tps(0, 2, 4) },
      { memberId: "m-b", partitions: tps(1, 3) },
    ]);
  });

  it("a topic whose partition count is unknown is assigned to nobody", () => {
    expect(assignPartitions("range", [{ memberId: "m", topics: ["t", "u"] }], new Map([["t", 1]]))).toEqual([{ memberId: "m", partitions: tps(0) }]);
  });
});

describe("joining a group", () => {
  it("a first JoinGroup without a member id gets MEMBER_ID_REQUIRED and joins again with the id it was given", () => {
    const sys = buildFakeGroupSystem({ topics: [{ name: "t", partitions: 2 }] });
    const m = addMember(sys, "c1");
    expect(sys.runUntil(() => stable(m), 10_000)).toBe(true);
    const joins = sys.cluster.requests("JoinGroup");
    expect(joins.map((j) => j.memberId)).toEqual(["", "c1-0"]);
    expect(joins[1]?.protocols).toEqual([{ name: "range", topics: ["t"] }]);
  });

  it("a lone member is the leader and is assigned every partition", () => {
    const sys = buildFakeGroupSystem({ topics: [{ name: "t", partitions: 3 }] });
    const m = addMember(sys, "c1");
    expect(sys.runUntil(() => stable(m), 10_000)).toBe(true);
    expect(m.events).toEqual([
      ["revoked", []],
      ["assigned", [0, 1, 2]],
    ]);
    expect(sys.cluster.requests("SyncGroup")[0]?.assignments).toEqual([{ memberId: "c1-0", partitions: tps(0, 1, 2) }]);
  });

  it("a second member makes the group rebalance: the first revokes everything, then the leader's range assignment splits the partitions", () => {
    const sys = buildFakeGroupSystem({ topics: [{ name: "t", partitions: 4 }] });
    const m1 = addMember(sys, "c1");
    expect(sys.runUntil(() => stable(m1), 10_000)).toBe(true);
    const m2 = addMember(sys, "c2");
    expect(sys.runUntil(() => stable(m2) && stable(m1) && m1.events.length === 4, 20_000)).toBe(true);
    expect(m1.events).toEqual([
      ["revoked", []],
      ["assigned", [0, 1, 2, 3]],
      ["revoked", [0, 1, 2, 3]],
      ["assigned", [0, 1]],
    ]);
    expect(assigned(m2)).toEqual([2, 3]);
    expect(m1.consumer.groupMetadata().generationId).toBe(2);
  });

  it("roundrobin, when chosen, is what the leader assigns with", () => {
    const sys = buildFakeGroupSystem({ topics: [{ name: "t", partitions: 4 }] });
    const m1 = addMember(sys, "c1", { partitionAssignmentStrategy: ["roundrobin"] });
    const m2 = addMember(sys, "c2", { partitionAssignmentStrategy: ["roundrobin"] });
    expect(sys.runUntil(() => stable(m1) && stable(m2) && assigned(m1).length + assigned(m2).length === 4, 20_000)).toBe(true);
    expect([assigned(m1), assigned(m2)]).toEqual([
      [0, 2],
      [1, 3],
    ]);
  });

  it("groupMetadata carries the group, the generation and the member id", () => {
    const sys = buildFakeGroupSystem();
    const m = addMember(sys, "c1");
    expect(sys.runUntil(() => stable(m), 10_000)).toBe(true);
    expect(m.consumer.groupMetadata()).toEqual({ groupId: "g", generationId: 1, memberId: "c1-0", groupInstanceId: null });
  });
});

describe("positions from committed offsets", () => {
  it("a newly assigned partition resumes from the group's committed offset, one without from auto.offset.reset", () => {
    const sys = buildFakeGroupSystem({ topics: [{ name: "t", partitions: 2 }] });
    sys.cluster.appendBatch("t-0", values("a", 4));
    sys.cluster.appendBatch("t-1", values("b", 2));
    sys.groups.commit("g", "t-0", 2);
    const m = addMember(sys, "c1");
    const resets: [string, number, string][] = [];
    m.consumer.onReset((tp, offset, reason) => resets.push([`${tp.topic}-${tp.partition}`, offset, reason]));
    expect(sys.runUntil(() => m.polled.length === 4, 10_000)).toBe(true);
    expect([...m.polled].sort()).toEqual(["a2", "a3", "b0", "b1"]);
    expect(resets).toEqual([
      ["t-0", 2, "committed"],
      ["t-1", 0, "earliest"],
    ]);
  });

  it("OffsetFetch asks requireStable, and UNSTABLE_OFFSET_COMMIT is retried after the backoff until the offset is stable", () => {
    const sys = buildFakeGroupSystem();
    sys.cluster.appendBatch("t-0", values("a", 4));
    sys.groups.commit("g", "t-0", 3);
    sys.groups.markUnstable("g", "t-0", 2);
    const m = addMember(sys, "c1");
    expect(sys.runUntil(() => m.polled.length > 0, 10_000)).toBe(true);
    expect(m.polled).toEqual(["a3"]);
    const fetches = sys.cluster.requests("OffsetFetch");
    expect(fetches).toHaveLength(3);
    expect(fetches.every((f) => f.requireStable)).toBe(true);
  });

  it("commitOffsets sends OffsetCommit with the member's generation and id, and the group keeps the offset", () => {
    const sys = buildFakeGroupSystem();
    const m = addMember(sys, "c1");
    expect(sys.runUntil(() => stable(m), 10_000)).toBe(true);
    let ok: boolean | undefined;
    m.consumer.commitOffsets([{ topic: "t", partition: 0, offset: 5 }], (r) => (ok = r.ok));
    expect(sys.runUntil(() => ok !== undefined)).toBe(true);
    expect(ok).toBe(true);
    expect(sys.groups.committed("g", "t-0")).toBe(5);
    expect(sys.cluster.requests("OffsetCommit")[0]).toMatchObject({ generationId: 1, memberId: "c1-0" });
  });

  it("a commit answered ILLEGAL_GENERATION fails as COMMIT_FAILED and the member rejoins", () => {
    const sys = buildFakeGroupSystem();
    const m = addMember(sys, "c1");
    expect(sys.runUntil(() => stable(m), 10_000)).toBe(true);
    sys.cluster.inject({ api: "OffsetCommit", action: { kind: "error", error: "ILLEGAL_GENERATION" } });
    let error: string | undefined;
    m.consumer.commitOffsets([{ topic: "t", partition: 0, offset: 1 }], (r) => (error = r.ok ? "NONE" : r.error));
    expect(sys.runUntil(() => error !== undefined && m.events.length === 4, 10_000)).toBe(true);
    expect(error).toBe("COMMIT_FAILED");
    expect(m.events.slice(2)).toEqual([
      ["lost", [0]],
      ["assigned", [0]],
    ]);
  });
});

describe("rebalances", () => {
  it("a heartbeat answered REBALANCE_IN_PROGRESS makes the member revoke, drop its positions and rejoin; it resumes from the committed offset", () => {
    const sys = buildFakeGroupSystem();
    sys.cluster.appendBatch("t-0", values("a", 4));
    const m = addMember(sys, "c1");
    expect(sys.runUntil(() => m.polled.length === 4, 10_000)).toBe(true);
    let committed = false;
    m.consumer.commitOffsets([{ topic: "t", partition: 0, offset: 2 }], () => (committed = true));
    expect(sys.runUntil(() => committed)).toBe(true);
    sys.cluster.inject({ api: "Heartbeat", action: { kind: "error", error: "REBALANCE_IN_PROGRESS" } });
    const before = m.events.length;
    expect(sys.runUntil(() => m.events.length === before + 2, 10_000)).toBe(true);
    expect(m.events.slice(before)).toEqual([
      ["revoked", [0]],
      ["assigned", [0]],
    ]);
    expect(sys.runUntil(() => m.polled.length === 6, 10_000)).toBe(true);
    expect(m.polled.slice(4)).toEqual(["a2", "a3"]);
    expect(m.consumer.groupMetadata().generationId).toBe(2);
  });

  it("a heartbeat answered UNKNOWN_MEMBER_ID loses the partitions and joins again without a member id", () => {
    const sys = buildFakeGroupSystem();
    const m = addMember(sys, "c1");
    expect(sys.runUntil(() => stable(m), 10_000)).toBe(true);
    sys.groups.group("g").members.delete("c1-0");
    expect(sys.runUntil(() => m.events.length === 4, 10_000)).toBe(true);
    expect(m.events.slice(2)).toEqual([
      ["lost", [0]],
      ["assigned", [0]],
    ]);
    expect(sys.cluster.requests("JoinGroup").map((j) => j.memberId)).toEqual(["", "c1-0", "", "c1-1"]);
  });

  it("a member that closes sends LeaveGroup and the other takes over its partitions", () => {
    const sys = buildFakeGroupSystem({ topics: [{ name: "t", partitions: 2 }] });
    const m1 = addMember(sys, "c1");
    const m2 = addMember(sys, "c2");
    expect(sys.runUntil(() => stable(m1) && stable(m2) && assigned(m1).length === 1 && assigned(m2).length === 1, 20_000)).toBe(true);
    let closed = false;
    m1.consumer.close(() => (closed = true));
    expect(sys.runUntil(() => closed && assigned(m2).length === 2, 20_000)).toBe(true);
    expect(sys.cluster.requests("LeaveGroup")).toHaveLength(1);
    expect(m1.events.at(-1)).toEqual(["revoked", [0]]);
  });
});

describe("static membership (group.instance.id)", () => {
  it("a static member names its instance on every group request and does not leave the group on close", () => {
    const sys = buildFakeGroupSystem({ topics: [{ name: "t", partitions: 2 }] });
    const m = addMember(sys, "c1", { groupInstanceId: "instance-1" });
    expect(sys.runUntil(() => stable(m), 10_000)).toBe(true);
    sys.runMs(5000);
    const groupRequests = sys.cluster.received.map((r) => r.request).filter((r) => r.type === "JoinGroup" || r.type === "SyncGroup" || r.type === "Heartbeat");
    expect(groupRequests.length).toBeGreaterThan(2);
    for (const request of groupRequests) expect(request).toMatchObject({ groupInstanceId: "instance-1" });
    expect(m.consumer.groupMetadata()).toMatchObject({ groupInstanceId: "instance-1" });
    let closed = false;
    m.consumer.close(() => (closed = true));
    expect(sys.runUntil(() => closed, 10_000)).toBe(true);
    expect(sys.cluster.requests("LeaveGroup"), "a static member's place waits for it").toHaveLength(0);
  });
});

describe("coordinator discovery", () => {
  it("FindCoordinator(GROUP) names the coordinator every group request goes to", () => {
    const sys = buildFakeGroupSystem({ brokers: [1, 2], coordinator: 2 });
    const m = addMember(sys, "c1");
    expect(sys.runUntil(() => stable(m), 10_000)).toBe(true);
    expect(sys.cluster.requests("FindCoordinator")[0]).toMatchObject({ key: "g", keyType: "GROUP" });
    const groupRequests = sys.cluster.received.filter((r) => r.request.type === "JoinGroup" || r.request.type === "SyncGroup");
    expect(groupRequests.every((r) => r.broker === 2)).toBe(true);
  });

  it("NOT_COORDINATOR makes the member find the coordinator again and carry on with the new one", () => {
    const sys = buildFakeGroupSystem({ brokers: [1, 2] });
    const m = addMember(sys, "c1");
    expect(sys.runUntil(() => stable(m), 10_000)).toBe(true);
    sys.groups.coordinator = 2;
    const heartbeatsTo2 = () => sys.cluster.received.filter((r) => r.request.type === "Heartbeat" && r.broker === 2).length;
    expect(sys.runUntil(() => heartbeatsTo2() > 0, 20_000)).toBe(true);
    expect(sys.cluster.requests("FindCoordinator")).toHaveLength(2);
    expect(m.events).toHaveLength(2);
    expect(m.consumer.groupMetadata().generationId).toBe(1);
  });
});

describe("KafkaReader as a group member", () => {
  it("records every assignment with its isolation level and a seek for each position taken from a committed offset", () => {
    const sys = buildFakeGroupSystem({ topics: [{ name: "t", partitions: 2 }] });
    sys.cluster.appendBatch("t-0", values("a", 3));
    sys.groups.commit("g", "t-0", 1);
    const drain = { active: false };
    sys.sim.addNode("r1", (ctx) => new KafkaReader(ctx, { bootstrapBrokers: sys.cluster.brokers, topics: ["t"], drain, pollTimeoutMs: 200, groupId: "g", isolationLevel: "read_committed", commitAfterPoll: true }));
    sys.sim.node("r1").start();
    expect(sys.runUntil(() => sys.groups.committed("g", "t-0") === 3, 10_000)).toBe(true);
    const oks = sys.sim.history.all().filter((op) => op.type === "ok");
    expect(oks.filter((op) => op.f === "assign").map((op) => op.value as AssignValue)).toEqual([
      {
        partitions: [
          ["t", 0],
          ["t", 1],
        ],
        isolationLevel: "read_committed",
      },
    ]);
    expect(oks.filter((op) => op.f === "seek").map((op) => op.value as SeekValue)).toEqual([
      { topic: "t", partition: 0, offset: 1 },
      { topic: "t", partition: 1, offset: 0 },
    ]);
  });
});
