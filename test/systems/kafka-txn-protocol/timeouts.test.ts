import { describe, expect, it } from "vitest";
import { addPartitions, endTxn, initProducer, markersOf, produceTxn, tp, TOPIC, TXN_ID, txnHarness, waitForState } from "./helpers.js";

/**
 * facts §1.3 "Timeouts": every scan interval the coordinator fences (epoch + 1, KAFKA-6119) and
 * aborts each Ongoing transaction whose txnStartTimestamp + txnTimeoutMs has passed.
 */

const TXN_TIMEOUT_MS = 2000;
const SCAN_INTERVAL_MS = 1000;

/** A transaction with data on events-0 and a 2 s timeout, scanned every second. */
function transactionWithTimeout(transactionVersion: 1 | 2) {
  const h = txnHarness({ cluster: { transactionVersion, transactionAbortTimedOutTransactionCleanupIntervalMs: SCAN_INTERVAL_MS } });
  const p = initProducer(h, { transactionTimeoutMs: TXN_TIMEOUT_MS });
  if (transactionVersion === 1) expect(addPartitions(h, p, [tp(0)])).toEqual(["NONE"]);
  expect(produceTxn(h, p, ["a"]).error).toBe("NONE");
  return { h, p };
}

describe("transaction timeout (transaction version 1)", () => {
  it("the transaction is still Ongoing before its timeout has passed", () => {
    const { h } = transactionWithTimeout(1);
    h.runFor(TXN_TIMEOUT_MS - 200);
    expect(h.transactionState(TXN_ID)?.state).toBe("Ongoing");
  });

  it("after the timeout and one scan the coordinator has aborted it at epoch + 1", () => {
    const { h, p } = transactionWithTimeout(1);
    h.runFor(TXN_TIMEOUT_MS + SCAN_INTERVAL_MS + 100);
    expect(h.transactionState(TXN_ID)).toMatchObject({ state: "CompleteAbort", producerId: p.producerId, producerEpoch: p.producerEpoch + 1, pendingState: null });
    expect(markersOf(h, 0)).toEqual([{ producerId: p.producerId, producerEpoch: p.producerEpoch + 1, offset: 1 }]);
    expect(h.abortedTransactions(TOPIC, 0)).toMatchObject([{ producerId: p.producerId, firstOffset: 0, lastOffset: 1 }]);
  });

  it("the timed-out producer is fenced: its Produce is INVALID_PRODUCER_EPOCH, its EndTxn PRODUCER_FENCED", () => {
    const { h, p } = transactionWithTimeout(1);
    h.runFor(TXN_TIMEOUT_MS + SCAN_INTERVAL_MS + 100);
    expect(produceTxn(h, p, ["late"], { baseSequence: 1 }).error).toBe("INVALID_PRODUCER_EPOCH");
    expect(endTxn(h, p, "COMMIT").error).toBe("PRODUCER_FENCED");
    expect(h.transactionState(TXN_ID)?.state).toBe("CompleteAbort");
  });

  it("the timeout runs from the transaction's start (its first AddPartitionsToTxn), not from InitProducerId", () => {
    const h = txnHarness({ cluster: { transactionAbortTimedOutTransactionCleanupIntervalMs: SCAN_INTERVAL_MS } });
    const p = initProducer(h, { transactionTimeoutMs: TXN_TIMEOUT_MS });
    h.runFor(3 * TXN_TIMEOUT_MS);
    expect(h.transactionState(TXN_ID)?.state).toBe("Empty");
    addPartitions(h, p, [tp(0)]);
    h.runFor(TXN_TIMEOUT_MS - 200);
    expect(h.transactionState(TXN_ID)?.state).toBe("Ongoing");
    expect(waitForState(h, "CompleteAbort", TXN_ID, TXN_TIMEOUT_MS + SCAN_INTERVAL_MS)).toBe(true);
  });

  it("a new producer after the timeout abort gets the next epoch (epoch + 2)", () => {
    const { h, p } = transactionWithTimeout(1);
    h.runFor(TXN_TIMEOUT_MS + SCAN_INTERVAL_MS + 100);
    expect(initProducer(h)).toMatchObject({ producerId: p.producerId, producerEpoch: p.producerEpoch + 2 });
  });
});

describe("transaction timeout (transaction version 2)", () => {
  it("the coordinator aborts at epoch + 1 (one bump, KAFKA-19367) and the producer's EndTxn(COMMIT) is PRODUCER_FENCED (KAFKA-20785)", () => {
    const { h, p } = transactionWithTimeout(2);
    h.runFor(TXN_TIMEOUT_MS + SCAN_INTERVAL_MS + 100);
    expect(h.transactionState(TXN_ID)).toMatchObject({ state: "CompleteAbort", producerEpoch: p.producerEpoch + 1 });
    expect(markersOf(h, 0)).toEqual([{ producerId: p.producerId, producerEpoch: p.producerEpoch + 1, offset: 1 }]);
    expect(endTxn(h, p, "COMMIT", 2).error).toBe("PRODUCER_FENCED");
  });
});
