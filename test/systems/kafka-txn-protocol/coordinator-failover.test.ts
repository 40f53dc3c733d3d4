import { describe, expect, it } from "vitest";
import { brokerNode } from "../../../src/nodes/kafka/names.js";
import type { KafkaHarness } from "../../../src/systems/kafka/harness.js";
import {
  addPartitions,
  holdMarkers,
  initProducer,
  markersOf,
  offsetsOf,
  produceTxn,
  sendEndTxn,
  TIMEOUT_MS,
  tp,
  TXN_ID,
  txnHarness,
  transactionStateOf,
  waitForState,
} from "./helpers.js";

/** Whether `node` is the id's coordinator now (undefined while the partition has no leader). */
function leads(h: KafkaHarness, node: string): boolean | undefined {
  try {
    return h.coordinatorNode("TRANSACTION", TXN_ID) === node;
  } catch {
    return undefined;
  }
}

/** facts §1.3 "Coordinator failover and loading": routing, and a new coordinator finishing Prepare*. */

describe("coordinator routing", () => {
  it("a broker that does not lead the id's __transaction_state partition answers NOT_COORDINATOR", () => {
    const h = txnHarness();
    const coordinator = h.coordinatorNode("TRANSACTION", TXN_ID);
    const other = [1, 2, 3].map(brokerNode).find((n) => n !== coordinator) as string;
    const response = h.call<"InitProducerIdResponse">(other, { type: "InitProducerId", transactionalId: TXN_ID, transactionTimeoutMs: TIMEOUT_MS, producerId: -1, producerEpoch: -1 });
    expect(response?.error).toBe("NOT_COORDINATOR");
  });
});

describe("coordinator failover", () => {
  it("a new coordinator reloads a PrepareCommit transaction, sends its markers again and completes the commit", () => {
    const h = txnHarness({ cluster: { brokerSessionTimeoutMs: 3000 } });
    const p = initProducer(h);
    expect(addPartitions(h, p, [tp(0)])).toEqual(["NONE"]);
    expect(produceTxn(h, p, ["a"]).error).toBe("NONE");
    // The old coordinator's markers never land in time: it dies in PrepareCommit.
    holdMarkers(h, 120_000);
    const id = sendEndTxn(h, p, "COMMIT");
    h.runUntil(() => h.response(id) !== undefined);
    const before = h.transactionState(TXN_ID);
    expect(before?.state).toBe("PrepareCommit");
    const oldCoordinator = h.coordinatorNode("TRANSACTION", TXN_ID);
    h.apply({ kind: "crash", node: oldCoordinator, loseUnflushed: false });

    expect(waitForState(h, "CompleteCommit", TXN_ID, 30_000)).toBe(true);
    expect(h.coordinatorNode("TRANSACTION", TXN_ID)).not.toBe(oldCoordinator);
    expect(h.transactionState(TXN_ID)?.coordinatorEpoch).toBeGreaterThan(before?.coordinatorEpoch ?? Infinity);
    h.runFor(500);
    expect(markersOf(h, 0)).toEqual([{ producerId: p.producerId, producerEpoch: p.producerEpoch, offset: 1 }]);
    expect(offsetsOf(h, 0).lastStableOffset).toBe(2);
  });

  it("an Ongoing transaction survives the failover: the new coordinator knows its partitions and the producer's epoch", () => {
    const h = txnHarness({ cluster: { brokerSessionTimeoutMs: 3000 } });
    const p = initProducer(h);
    addPartitions(h, p, [tp(0), tp(1)]);
    const oldCoordinator = h.coordinatorNode("TRANSACTION", TXN_ID);
    h.apply({ kind: "crash", node: oldCoordinator, loseUnflushed: false });
    expect(h.runUntil(() => leads(h, oldCoordinator) === false && transactionStateOf(h)?.state === "Ongoing", 30_000)).toBe(true);
    expect(h.transactionState(TXN_ID)).toMatchObject({ producerId: p.producerId, producerEpoch: p.producerEpoch, partitions: [tp(0), tp(1)] });
  });

  it("the new coordinator times an Ongoing transaction out from its persisted start, not from the reload", () => {
    const h = txnHarness({ cluster: { brokerSessionTimeoutMs: 3000, transactionAbortTimedOutTransactionCleanupIntervalMs: 1000 } });
    const p = initProducer(h, { transactionTimeoutMs: 5000 });
    const startMs = h.sim.nowUs / 1000;
    addPartitions(h, p, [tp(0)]);
    const oldCoordinator = h.coordinatorNode("TRANSACTION", TXN_ID);
    h.apply({ kind: "crash", node: oldCoordinator, loseUnflushed: false });
    expect(h.runUntil(() => leads(h, oldCoordinator) === false && transactionStateOf(h)?.state === "Ongoing", 30_000)).toBe(true);
    // Reloaded at least 3 s (the session timeout) after the start: a timer restarted by the reload would fire after startMs + 8 s.
    expect(waitForState(h, "CompleteAbort", TXN_ID, 30_000)).toBe(true);
    expect(h.sim.nowUs / 1000 - startMs).toBeLessThan(5000 + 1000 + 500);
    expect(h.transactionState(TXN_ID)?.producerEpoch).toBe(p.producerEpoch + 1);
  });
});

