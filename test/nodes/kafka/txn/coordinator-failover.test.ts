import { describe, expect, it } from "vitest";
import { TXN_COVERAGE } from "../../../../src/nodes/kafka/txn/coverage.js";
import { CoordinatorHarness, TP_A0, TP_A1 } from "./actor-harness.js";
import { must } from "./helpers.js";

const tv1 = { config: { transactionVersion: 1 as const } };

/** A TV1 transaction left in PrepareCommit (its markers not yet answered) on `h`. */
function preparedCommit(h: CoordinatorHarness, transactionalId: string): { producerId: number; producerEpoch: number } {
  const producer = h.initProducer(transactionalId);
  h.addPartitions(transactionalId, producer, [TP_A0, TP_A1]);
  h.request({ type: "EndTxn", transactionalId, ...producer, result: "COMMIT", transactionVersion: 1 });
  h.completeAppends();
  return producer;
}

describe("TransactionCoordinator: loading, failover and resignation", () => {
  it("a new coordinator that loads a PrepareCommit sends its markers again under its own epoch, then completes it", () => {
    const old = new CoordinatorHarness(tv1);
    const producer = preparedCommit(old, "t1");
    const partition = old.partitionOf("t1");

    const h = new CoordinatorHarness({ ...tv1, lead: [] });
    h.services.logs.set(partition, must(old.services.logs.get(partition)));
    h.coordinator.onBecomeLeader(partition, 4);
    h.advance(0);
    expect(h.coordinator.transactionState("t1")).toMatchObject({ state: "PrepareCommit", pendingState: "CompleteCommit", coordinatorEpoch: 4 });
    expect(h.markerRequests().map((s) => s.request.markers)).toEqual([[{ ...producer, coordinatorEpoch: 4, result: "COMMIT", transactionVersion: 0, partitions: [TP_A0, TP_A1] }]]);
    expect(h.hits(TXN_COVERAGE.failoverDuringPrepareCommit)).toBe(1);

    h.answerAllMarkers();
    h.completeAppends();
    expect(h.coordinator.transactionState("t1")?.state).toBe("CompleteCommit");
  });

  it("traces every loaded transaction as a txn.state record with reason reload", () => {
    const old = new CoordinatorHarness(tv1);
    preparedCommit(old, "t1");
    const partition = old.partitionOf("t1");
    const h = new CoordinatorHarness({ ...tv1, lead: [] });
    h.services.logs.set(partition, must(old.services.logs.get(partition)));
    h.coordinator.onBecomeLeader(partition, 2);
    h.advance(0);
    expect(h.tracesOf("txn.state").map((r) => r.fields)).toEqual([
      { txnId: "t1", state: "PrepareCommit", producerId: 1000, epoch: 0, partitions: "a-0,a-1", coordinatorEpoch: 2, reason: "reload" },
    ]);
  });

  it("on resignation answers NOT_COORDINATOR to a request waiting on its append, and nothing more when the append returns", () => {
    const h = new CoordinatorHarness(tv1);
    const producer = h.initProducer("t1");
    const add = h.request({ type: "AddPartitionsToTxn", transactionalId: "t1", ...producer, partitions: [TP_A0], verifyOnly: false, transactionVersion: 1 });
    h.coordinator.onResign(h.partitionOf("t1"), 0);
    expect(h.responseTo(add)).toMatchObject({ results: [{ ...TP_A0, error: "NOT_COORDINATOR" }] });
    h.completeAppends();
    expect(h.responsesTo(add)).toHaveLength(1);
    expect(h.coordinator.ownedPartitions).not.toContain(h.partitionOf("t1"));
    expect(h.coordinator.transactionState("t1")).toBeUndefined();
  });

  it("on resignation drops the partition's marker work: a late marker answer appends nothing", () => {
    const h = new CoordinatorHarness(tv1);
    preparedCommit(h, "t1");
    h.coordinator.onResign(h.partitionOf("t1"), 1);
    expect(h.coordinator.pendingMarkerTransactionalIds).toEqual([]);
    h.answerAllMarkers();
    h.advance(h.config.retryBackoffMs);
    expect(h.services.pendingAppends).toEqual([]);
  });

  it("ignores a resignation older than the epoch it loaded", () => {
    const h = new CoordinatorHarness();
    const partition = h.partitionOf("t1");
    h.coordinator.onBecomeLeader(partition, 5);
    h.advance(0);
    h.coordinator.onResign(partition, 4);
    expect(h.coordinator.ownedPartitions).toContain(partition);
  });

  it("a re-election answers the requests waiting on appends of the older epoch with NOT_COORDINATOR", () => {
    const h = new CoordinatorHarness();
    const id = h.request({ type: "InitProducerId", transactionalId: "t1", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    h.coordinator.onBecomeLeader(h.partitionOf("t1"), 1);
    expect(h.responseTo(id)).toMatchObject({ error: "NOT_COORDINATOR" });
    h.completeAppends();
    h.advance(0);
    expect(h.responsesTo(id)).toHaveLength(1);
    // The record did reach the log, so the reloaded coordinator knows the id.
    expect(h.coordinator.transactionState("t1")).toMatchObject({ state: "Empty", producerEpoch: 0, coordinatorEpoch: 1 });
  });
});
