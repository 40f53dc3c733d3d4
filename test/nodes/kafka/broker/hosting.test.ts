import { describe, expect, it } from "vitest";
import type { KafkaError } from "../../../../src/nodes/kafka/errors.js";
import { brokerIdOf, brokerNode } from "../../../../src/nodes/kafka/names.js";
import type { KafkaMessage } from "../../../../src/nodes/kafka/protocol.js";
import { GROUP_METADATA_TOPIC, TRANSACTION_STATE_TOPIC } from "../../../../src/nodes/kafka/txn/protocol.js";
import { partitionFor } from "../../../../src/nodes/kafka/txn/transaction-log.js";
import { cutOffFollowers, startedTxnCluster, TOPIC, writeMarker, type TxnCluster } from "./protocol-helpers.js";
import { scriptedCoordinators, type ScriptedCoordinator } from "./scripted-coordinator.js";

/**
 * Hosting coordinators (coordinator-host.ts): the broker answers FindCoordinator, routes
 * coordinator requests and responses, reports leadership of the coordinator's partitions and
 * markers on them, and gives the coordinator an acks=all append path.
 */

const TXN_PARTITIONS = 3;

function hosted(types?: readonly string[]): { c: TxnCluster; fakes: Map<number, ScriptedCoordinator> } {
  const { byBroker, factories } = scriptedCoordinators(TRANSACTION_STATE_TOPIC, types);
  const c = startedTxnCluster({
    broker: { transactionVersion: 1, transactionPartitionVerificationEnable: false },
    topics: [
      { name: TOPIC, partitions: 1, replicationFactor: 3 },
      { name: TRANSACTION_STATE_TOPIC, partitions: TXN_PARTITIONS, replicationFactor: 3 },
    ],
    coordinators: factories,
  });
  return { c, fakes: byBroker };
}

function fake(fakes: Map<number, ScriptedCoordinator>, node: string): ScriptedCoordinator {
  return fakes.get(brokerIdOf(node) as number) as ScriptedCoordinator;
}

describe("FindCoordinator", () => {
  it("names the leader of the key's partition of __transaction_state", () => {
    const { c } = hosted();
    const partition = partitionFor("my-txn", TXN_PARTITIONS);
    const response = c.call<"FindCoordinatorResponse">("b1", { type: "FindCoordinator", key: "my-txn", keyType: "TRANSACTION" });
    expect(response).toMatchObject({ error: "NONE", nodeId: c.leaderOf(TRANSACTION_STATE_TOPIC, partition) });
  });

  it("answers COORDINATOR_NOT_AVAILABLE when the internal topic does not exist", () => {
    const { c } = hosted();
    const response = c.call<"FindCoordinatorResponse">("b1", { type: "FindCoordinator", key: "g", keyType: "GROUP" });
    expect(response).toMatchObject({ error: "COORDINATOR_NOT_AVAILABLE", nodeId: -1 });
    expect(GROUP_METADATA_TOPIC).toBe("__consumer_offsets");
  });
});

describe("routing", () => {
  it("hands a request to the hosted coordinator that handles its type", () => {
    const { c, fakes } = hosted();
    c.send("b2", { type: "EndTxn", transactionalId: "t", producerId: 1, producerEpoch: 0, result: "COMMIT", transactionVersion: 2 });
    c.send("b2", { type: "InitProducerId", transactionalId: "t", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    c.runFor(50);
    expect(fake(fakes, "b2").requests.map((r) => [r.from, r.request.type])).toEqual([
      ["script", "EndTxn"],
      ["script", "InitProducerId"],
    ]);
  });

  it("answers NOT_COORDINATOR, in the request's own response shape, when no hosted coordinator handles it", () => {
    const { c } = hosted();
    const expectNotCoordinator = (error: KafkaError | undefined) => expect(error).toBe("NOT_COORDINATOR");
    expectNotCoordinator(c.call<"HeartbeatResponse">("b1", { type: "Heartbeat", groupId: "g", generationId: 1, memberId: "m", groupInstanceId: null })?.error);
    expectNotCoordinator(
      c.call<"JoinGroupResponse">("b1", { type: "JoinGroup", groupId: "g", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: "", groupInstanceId: null, protocolType: "consumer", protocols: [] })?.error,
    );
    const commit = c.call<"OffsetCommitResponse">("b1", { type: "OffsetCommit", groupId: "g", generationId: 1, memberId: "m", groupInstanceId: null, offsets: [{ topic: TOPIC, partition: 0, offset: 3 }] });
    expect(commit?.results).toEqual([{ topic: TOPIC, partition: 0, error: "NOT_COORDINATOR" }]);
    expectNotCoordinator(c.call<"OffsetFetchResponse">("b1", { type: "OffsetFetch", groupId: "g", partitions: null, requireStable: true })?.error);
  });

  it("without any hosted coordinator a transactional InitProducerId gets NOT_COORDINATOR", () => {
    const c = startedTxnCluster();
    const response = c.call<"InitProducerIdResponse">("b1", { type: "InitProducerId", transactionalId: "t", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(response).toMatchObject({ error: "NOT_COORDINATOR", producerId: -1 });
  });
});

describe("leadership", () => {
  it("tells the coordinator it leads each partition of its topic it was elected for, with the leader epoch", () => {
    const { c, fakes } = hosted();
    for (let p = 0; p < TXN_PARTITIONS; p++) {
      const leader = c.leaderReplica(TRANSACTION_STATE_TOPIC, p);
      expect(fake(fakes, c.leaderNode(TRANSACTION_STATE_TOPIC, p)).events).toContain(`leader ${p} epoch ${leader.leaderEpoch}`);
    }
    // Partitions of other topics are not reported.
    expect([...fakes.values()].flatMap((f) => f.events).filter((e) => e.startsWith("leader"))).toHaveLength(TXN_PARTITIONS);
  });

  it("tells the old leader's coordinator it resigned and the new one it leads, after a failover", () => {
    const { c, fakes } = hosted();
    const old = c.leaderNode(TRANSACTION_STATE_TOPIC, 0);
    const oldFake = fake(fakes, old);
    // Cut the old leader off from the controller: it is fenced, another is elected, and it learns it when healed.
    c.apply({ kind: "partition", shape: "groups", groups: [[old], c.brokerIds.map(brokerNode).filter((n) => n !== old).concat(["ctl", "script"])] });
    expect(c.runUntil(() => c.brokerIds.some((id) => brokerNode(id) !== old && c.replica(id, TRANSACTION_STATE_TOPIC, 0)?.role === "leader"), 15_000)).toBe(true);
    const newLeader = c.brokerIds.find((id) => brokerNode(id) !== old && c.replica(id, TRANSACTION_STATE_TOPIC, 0)?.role === "leader") as number;
    const epoch = c.replica(newLeader, TRANSACTION_STATE_TOPIC, 0)?.leaderEpoch;
    expect(fakes.get(newLeader)?.events).toContain(`leader 0 epoch ${epoch}`);
    c.apply({ kind: "heal" });
    expect(c.runUntil(() => oldFake.events.some((e) => e.startsWith("resign 0")), 15_000)).toBe(true);
  });
});

describe("broker services", () => {
  it("appendInternal with acks=all completes only after the HW passes the append", () => {
    const { c, fakes } = hosted();
    const leaderNode = c.leaderNode(TRANSACTION_STATE_TOPIC, 1);
    const services = fake(fakes, leaderNode).services;
    cutOffFollowers(c, TRANSACTION_STATE_TOPIC, 1);
    const done: [KafkaError, number][] = [];
    services.appendInternal({ topic: TRANSACTION_STATE_TOPIC, partition: 1, records: [{ key: "k", value: "v", timestampMs: 0 }], acks: -1, timeoutMs: 60_000 }, (error, baseOffset) =>
      done.push([error, baseOffset]),
    );
    c.runFor(1000);
    expect(services.readLocalLog(TRANSACTION_STATE_TOPIC, 1)).toHaveLength(1);
    expect(done).toEqual([]);
    c.apply({ kind: "heal" });
    expect(c.runUntil(() => done.length > 0, 10_000)).toBe(true);
    expect(done).toEqual([["NONE", 0]]);
    expect(c.leaderReplica(TRANSACTION_STATE_TOPIC, 1).highWatermark).toBeGreaterThanOrEqual(1);
  });

  it("appendInternal on a partition this broker does not lead fails with NOT_LEADER_OR_FOLLOWER", () => {
    const { c, fakes } = hosted();
    const follower = c.brokerIds.map(brokerNode).find((n) => n !== c.leaderNode(TRANSACTION_STATE_TOPIC, 0)) as string;
    const done: KafkaError[] = [];
    fake(fakes, follower).services.appendInternal({ topic: TRANSACTION_STATE_TOPIC, partition: 0, records: [], acks: -1, timeoutMs: 1000 }, (error) => done.push(error));
    expect(done).toEqual(["NOT_LEADER_OR_FOLLOWER"]);
  });

  it("knows leaders and partition counts from metadata, and hands out producer ids from the broker's block", () => {
    const { c, fakes } = hosted();
    const services = fake(fakes, "b1").services;
    expect(services.partitionCount(TRANSACTION_STATE_TOPIC)).toBe(TXN_PARTITIONS);
    expect(services.partitionCount("nope")).toBe(0);
    expect(services.leaderOf(TOPIC, 0)).toBe(c.leaderOf(TOPIC, 0));
    const first = services.generateProducerId();
    const second = services.generateProducerId();
    expect(first).toBeDefined();
    expect(second).toBe((first as number) + 1);
  });

  it("passes the responses to the coordinator's own requests (WriteTxnMarkersResponse) to it", () => {
    const { c, fakes } = hosted();
    const sender = c.brokerIds.map(brokerNode).find((n) => n !== c.leaderNode(TOPIC, 0)) as string;
    const marker = { producerId: 9, producerEpoch: 0, coordinatorEpoch: 0, result: "ABORT" as const, transactionVersion: 1 as const, partitions: [{ topic: TOPIC, partition: 0 }] };
    const request: KafkaMessage = { type: "WriteTxnMarkers", correlationId: 77, markers: [marker] };
    fake(fakes, sender).services.ctx.send(c.leaderNode(TOPIC, 0), request);
    c.runFor(500);
    expect(fake(fakes, sender).responses).toEqual([
      { type: "WriteTxnMarkersResponse", correlationId: 77, markers: [{ producerId: 9, partitions: [{ topic: TOPIC, partition: 0, error: "NONE" }] }] },
    ]);
  });

  it("reports a marker on one of its partitions once it is replicated", () => {
    const { c, fakes } = hosted();
    const node = c.leaderNode(TRANSACTION_STATE_TOPIC, 2);
    expect(writeMarker(c, "COMMIT", { producerId: 9, producerEpoch: 1, topic: TRANSACTION_STATE_TOPIC, partition: 2 })).toBe("NONE");
    expect(fake(fakes, node).events).toContain("marker 2 9/1 COMMIT");
    expect(writeMarker(c, "COMMIT", { producerId: 9, producerEpoch: 1 })).toBe("NONE");
    expect([...fakes.values()].flatMap((f) => f.events).filter((e) => e.startsWith("marker"))).toHaveLength(1);
  });
});
