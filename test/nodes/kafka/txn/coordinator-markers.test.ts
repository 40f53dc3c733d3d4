import { describe, expect, it } from "vitest";
import type { TopicPartition } from "../../../../src/nodes/kafka/protocol.js";
import { TXN_COVERAGE } from "../../../../src/nodes/kafka/txn/coverage.js";
import { CoordinatorHarness, TP_A0, TP_A1, TP_B0 } from "./actor-harness.js";
import { must } from "./helpers.js";

/** A TV1 transaction over `partitions`, with EndTxn(result) answered: its markers are on their way. */
function prepared(h: CoordinatorHarness, transactionalId: string, partitions: readonly TopicPartition[], result: "COMMIT" | "ABORT" = "COMMIT"): { producerId: number; producerEpoch: number } {
  const producer = h.initProducer(transactionalId);
  h.addPartitions(transactionalId, producer, partitions);
  const end = h.request({ type: "EndTxn", transactionalId, ...producer, result, transactionVersion: 1 });
  h.completeAppends();
  expect(h.responseTo(end)).toMatchObject({ error: "NONE" });
  return producer;
}

const tv1 = { config: { transactionVersion: 1 as const } };

describe("TransactionCoordinator: the marker channel", () => {
  it("sends one WriteTxnMarkers per partition leader, carrying the Prepare's id, epoch and coordinator epoch", () => {
    const h = new CoordinatorHarness(tv1);
    h.services.leaders.set("a-0", 1).set("a-1", 2).set("b-0", 1);
    const producer = prepared(h, "t1", [TP_A0, TP_A1, TP_B0]);
    const sent = h.markerRequests();
    expect(sent.map((s) => s.to)).toEqual(["b1", "b2"]);
    expect(sent[0]?.request.markers).toEqual([{ ...producer, coordinatorEpoch: 0, result: "COMMIT", transactionVersion: 0, partitions: [TP_A0, TP_B0] }]);
    expect(sent[1]?.request.markers[0]?.partitions).toEqual([TP_A1]);
  });

  it("appends Complete* only once every leader has acknowledged its markers", () => {
    const h = new CoordinatorHarness(tv1);
    h.services.leaders.set("a-1", 2);
    prepared(h, "t1", [TP_A0, TP_A1]);
    const [toB1, toB2] = h.markerRequests();
    h.answerMarkers(must(toB1));
    expect(h.services.pendingAppends).toHaveLength(0);
    expect(h.coordinator.transactionState("t1")?.partitions).toEqual([TP_A1]);
    h.answerMarkers(must(toB2));
    h.completeAppends();
    expect(h.coordinator.transactionState("t1")?.state).toBe("CompleteCommit");
    expect(h.coordinator.pendingMarkerTransactionalIds).toEqual([]);
  });

  it("keeps one request in flight per broker: later markers wait for the answer and then go together", () => {
    const h = new CoordinatorHarness(tv1);
    prepared(h, "t1", [TP_A0]);
    prepared(h, "t2", [TP_A1]);
    prepared(h, "t3", [TP_B0]);
    expect(h.markerRequests()).toHaveLength(1);
    h.answerMarkers(must(h.markerRequests()[0]));
    const second = h.markerRequests()[1];
    expect(second?.request.markers.map((m) => m.partitions)).toEqual([[TP_A1], [TP_B0]]);
  });

  it("sends a marker again to the new leader after NOT_LEADER_OR_FOLLOWER, after the retry backoff", () => {
    const h = new CoordinatorHarness(tv1);
    prepared(h, "t1", [TP_A0]);
    h.services.leaders.set("a-0", 3);
    h.answerMarkers(must(h.markerRequests()[0]), () => "NOT_LEADER_OR_FOLLOWER");
    expect(h.markerRequests()).toHaveLength(1);
    h.advance(h.config.retryBackoffMs - 1);
    expect(h.markerRequests()).toHaveLength(1);
    h.advance(1);
    expect(h.markerRequests().map((s) => s.to)).toEqual(["b1", "b3"]);
    expect(h.hits(TXN_COVERAGE.markerRetried)).toBe(1);
    h.answerMarkers(must(h.markerRequests()[1]));
    h.completeAppends();
    expect(h.coordinator.transactionState("t1")?.state).toBe("CompleteCommit");
  });

  it("holds markers for a partition without a leader and sends them once a leader is known", () => {
    const h = new CoordinatorHarness(tv1);
    h.services.leaders.set("a-0", -1);
    prepared(h, "t1", [TP_A0]);
    expect(h.markerRequests()).toEqual([]);
    h.advance(h.config.retryBackoffMs);
    expect(h.markerRequests()).toEqual([]);
    h.services.leaders.set("a-0", 2);
    h.advance(h.config.retryBackoffMs);
    expect(h.markerRequests().map((s) => s.to)).toEqual(["b2"]);
  });

  it("sends markers again when a request times out, and ignores the late answer", () => {
    const h = new CoordinatorHarness(tv1);
    prepared(h, "t1", [TP_A0]);
    const first = must(h.markerRequests()[0]);
    h.advance(h.config.requestTimeoutMs + h.config.retryBackoffMs);
    expect(h.markerRequests()).toHaveLength(2);
    expect(h.answerMarkers(first)).toBe(true);
    expect(h.services.pendingAppends).toEqual([]);
    h.answerMarkers(must(h.markerRequests()[1]));
    expect(h.services.pendingAppends).toHaveLength(1);
  });

  it("sends markers again when the connection to the leader breaks", () => {
    const h = new CoordinatorHarness(tv1);
    prepared(h, "t1", [TP_A0]);
    h.coordinator.onDisconnect?.("b1");
    h.advance(h.config.retryBackoffMs);
    expect(h.markerRequests().map((s) => s.to)).toEqual(["b1", "b1"]);
  });

  it("stops sending a transaction's markers on INVALID_PRODUCER_EPOCH: it stays in Prepare*", () => {
    const h = new CoordinatorHarness(tv1);
    prepared(h, "t1", [TP_A0]);
    h.answerMarkers(must(h.markerRequests()[0]), () => "INVALID_PRODUCER_EPOCH");
    h.advance(10 * h.config.retryBackoffMs);
    expect(h.markerRequests()).toHaveLength(1);
    expect(h.services.pendingAppends).toEqual([]);
    expect(h.coordinator.transactionState("t1")?.state).toBe("PrepareCommit");
  });

  it("appends Complete* again after the retry backoff when it fails with NOT_ENOUGH_REPLICAS", () => {
    const h = new CoordinatorHarness(tv1);
    prepared(h, "t1", [TP_A0]);
    h.answerAllMarkers();
    h.completeAppends("NOT_ENOUGH_REPLICAS");
    expect(h.coordinator.transactionState("t1")?.pendingState).toBe("CompleteCommit");
    h.advance(h.config.retryBackoffMs);
    h.completeAppends();
    expect(h.coordinator.transactionState("t1")).toMatchObject({ state: "CompleteCommit", pendingState: null });
  });

  it("completes a TV2 abort of an empty transaction without sending any marker", () => {
    const h = new CoordinatorHarness();
    const producer = h.initProducer("t1");
    const end = h.request({ type: "EndTxn", transactionalId: "t1", ...producer, result: "ABORT", transactionVersion: 2 });
    h.completeAppends();
    expect(h.responseTo(end)).toMatchObject({ error: "NONE", producerEpoch: producer.producerEpoch + 1 });
    h.completeAppends();
    expect(h.markerRequests()).toEqual([]);
    expect(h.coordinator.transactionState("t1")?.state).toBe("CompleteAbort");
  });
});
