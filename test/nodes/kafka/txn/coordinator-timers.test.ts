import { describe, expect, it } from "vitest";
import { msToUs } from "../../../../sim/time.js";
import { TRANSACTION_STATE_TOPIC } from "../../../../src/nodes/kafka/txn/protocol.js";
import { TOMBSTONE_VALUE } from "../../../../src/nodes/kafka/txn/transaction-log.js";
import { CoordinatorHarness, TP_A0 } from "./actor-harness.js";

/** An Ongoing transaction started at the coordinator's wall-clock time now. */
function ongoing(h: CoordinatorHarness, transactionalId: string, transactionTimeoutMs: number): { producerId: number; producerEpoch: number } {
  const producer = h.initProducer(transactionalId, transactionTimeoutMs);
  h.addPartitions(transactionalId, producer, [TP_A0]);
  return producer;
}

describe("TransactionCoordinator: the timeout and expiry scans", () => {
  it("does not abort a transaction whose timeout has not passed on the coordinator's clock", () => {
    const h = new CoordinatorHarness();
    ongoing(h, "t1", 60_000);
    h.advance(h.config.abortTimedOutTransactionsIntervalMs);
    expect(h.services.pendingAppends).toEqual([]);
    expect(h.coordinator.transactionState("t1")?.state).toBe("Ongoing");
  });

  it("aborts with a fence at the first scan when the coordinator's wall clock runs ahead past the timeout", () => {
    const h = new CoordinatorHarness();
    const producer = ongoing(h, "t1", 60_000);
    h.node.clock.step(msToUs(61_000));
    h.advance(h.config.abortTimedOutTransactionsIntervalMs - 1);
    expect(h.services.pendingAppends).toEqual([]);
    h.advance(1);
    expect(h.services.pendingAppends).toHaveLength(1);
    h.completeAppends();
    expect(h.coordinator.transactionState("t1")).toMatchObject({ state: "PrepareAbort", producerEpoch: producer.producerEpoch + 1 });
    expect(h.tracesOf("txn.state").at(-1)?.fields).toMatchObject({ state: "PrepareAbort", reason: "timeout" });
    expect(h.markerRequests()[0]?.request.markers[0]).toMatchObject({ result: "ABORT", producerEpoch: producer.producerEpoch + 1 });
  });

  it("repeats the timeout scan every interval", () => {
    const h = new CoordinatorHarness();
    h.advance(h.config.abortTimedOutTransactionsIntervalMs);
    ongoing(h, "t1", 15_000);
    h.advance(h.config.abortTimedOutTransactionsIntervalMs);
    expect(h.services.pendingAppends).toEqual([]);
    h.advance(h.config.abortTimedOutTransactionsIntervalMs);
    expect(h.services.pendingAppends).toHaveLength(1);
  });

  it("fences the zombie: after the timeout abort its EndTxn gets PRODUCER_FENCED", () => {
    const h = new CoordinatorHarness();
    const producer = ongoing(h, "t1", 10_000);
    h.node.clock.step(msToUs(10_001));
    h.advance(h.config.abortTimedOutTransactionsIntervalMs);
    h.completeAppends();
    h.answerAllMarkers();
    h.completeAppends();
    const end = h.request({ type: "EndTxn", transactionalId: "t1", ...producer, result: "COMMIT", transactionVersion: 2 });
    expect(h.responseTo(end)).toMatchObject({ error: "PRODUCER_FENCED" });
  });

  it("tombstones an idle transactional id at the expiry scan and forgets it", () => {
    const h = new CoordinatorHarness({ config: { transactionalIdExpirationMs: 1_000, removeExpiredTransactionalIdsIntervalMs: 5_000 } });
    h.initProducer("t1");
    h.advance(5_000);
    expect(h.services.pendingAppends.map((p) => p.append)).toEqual([
      expect.objectContaining({ topic: TRANSACTION_STATE_TOPIC, partition: h.partitionOf("t1"), acks: -1, timeoutMs: h.config.requestTimeoutMs }),
    ]);
    expect(h.services.pendingAppends[0]?.append.records[0]?.value).toBe(TOMBSTONE_VALUE);
    h.completeAppends();
    expect(h.coordinator.transactionState("t1")).toBeUndefined();
    expect(h.tracesOf("txn.state").at(-1)?.fields).toMatchObject({ txnId: "t1", state: "Dead", reason: "expired" });
  });

  it("keeps an id whose tombstone append failed", () => {
    const h = new CoordinatorHarness({ config: { transactionalIdExpirationMs: 1_000, removeExpiredTransactionalIdsIntervalMs: 5_000 } });
    h.initProducer("t1");
    h.advance(5_000);
    h.completeAppends("NOT_ENOUGH_REPLICAS");
    expect(h.coordinator.transactionState("t1")).toMatchObject({ state: "Empty", pendingState: null });
  });
});
