import { describe, expect, it } from "vitest";
import { brokerNode, CONTROLLER_NODE } from "../../../src/nodes/kafka/names.js";
import {
  addPartitions,
  endTxn,
  holdMarkers,
  initProducer,
  initProducerIdResponse,
  markersOf,
  produceTxn,
  sendEndTxn,
  tp,
  TXN_ID,
  txnHarness,
  waitForState,
} from "./helpers.js";

/** facts §1.2: InitProducerId — epoch bumps, fencing, KIP-360 expected epochs, exhaustion. */

describe("InitProducerId: first use and validation", () => {
  it("the first InitProducerId of a transactional id hands out a producer id at epoch 0 and leaves the id Empty", () => {
    const h = txnHarness();
    const response = initProducerIdResponse(h);
    expect(response.error).toBe("NONE");
    expect(response.producerId).toBeGreaterThanOrEqual(0);
    expect(response.producerEpoch).toBe(0);
    expect(h.transactionState(TXN_ID)).toMatchObject({ state: "Empty", producerId: response.producerId, producerEpoch: 0, pendingState: null });
  });

  it("a null transactional id gets a fresh producer id at epoch 0 and no coordinator state", () => {
    const h = txnHarness();
    const first = initProducerIdResponse(h, { transactionalId: null });
    const second = initProducerIdResponse(h, { transactionalId: null });
    expect([first.error, second.error]).toEqual(["NONE", "NONE"]);
    expect([first.producerEpoch, second.producerEpoch]).toEqual([0, 0]);
    expect(second.producerId).not.toBe(first.producerId);
  });

  it("an empty transactional id is INVALID_REQUEST", () => {
    const h = txnHarness();
    expect(initProducerIdResponse(h, { transactionalId: "" }).error).toBe("INVALID_REQUEST");
  });

  it("a transaction timeout above transaction.max.timeout.ms is INVALID_TRANSACTION_TIMEOUT and creates no state", () => {
    const h = txnHarness({ cluster: { transactionMaxTimeoutMs: 30_000 } });
    expect(initProducerIdResponse(h, { transactionTimeoutMs: 30_001 }).error).toBe("INVALID_TRANSACTION_TIMEOUT");
    expect(h.transactionState(TXN_ID)).toBeUndefined();
    expect(initProducerIdResponse(h, { transactionTimeoutMs: 30_000 }).error).toBe("NONE");
  });

  it("a transaction timeout of 0 is INVALID_TRANSACTION_TIMEOUT", () => {
    const h = txnHarness();
    expect(initProducerIdResponse(h, { transactionTimeoutMs: 0 }).error).toBe("INVALID_TRANSACTION_TIMEOUT");
  });
});

describe("InitProducerId: two-phase transitions", () => {
  /** Hold the followers' fetches from the id's coordinator: its acks=all appends to __transaction_state wait. */
  function stallTransactionLog(h: ReturnType<typeof txnHarness>, durationMs = 1000) {
    h.apply({ kind: "hold", type: "Fetch", to: h.coordinatorNode("TRANSACTION", TXN_ID), durationMs, count: 2 });
  }

  it("the answer waits until the new epoch is replicated in __transaction_state (acks=all)", () => {
    const h = txnHarness();
    initProducer(h);
    h.runFor(100);
    stallTransactionLog(h);
    const id = h.send(h.coordinatorNode("TRANSACTION", TXN_ID), { type: "InitProducerId", transactionalId: TXN_ID, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    h.runFor(500);
    expect(h.response(id)).toBeUndefined();
    expect(h.transactionState(TXN_ID)).toMatchObject({ producerEpoch: 0, pendingState: "Empty" });
    h.runFor(1000);
    expect(h.response(id)).toMatchObject({ error: "NONE", producerEpoch: 1 });
  });

  it("while a transition's append is in flight, InitProducerId and EndTxn get CONCURRENT_TRANSACTIONS", () => {
    const h = txnHarness();
    const p = initProducer(h);
    h.runFor(100);
    stallTransactionLog(h);
    h.send(h.coordinatorNode("TRANSACTION", TXN_ID), { type: "AddPartitionsToTxn", transactionalId: TXN_ID, producerId: p.producerId, producerEpoch: p.producerEpoch, partitions: [tp(0)], verifyOnly: false, transactionVersion: 1 });
    h.runFor(10);
    expect(h.transactionState(TXN_ID)).toMatchObject({ state: "Empty", pendingState: "Ongoing" });
    expect(initProducerIdResponse(h).error).toBe("CONCURRENT_TRANSACTIONS");
    expect(endTxn(h, p, "COMMIT").error).toBe("CONCURRENT_TRANSACTIONS");
  });
});

describe("InitProducerId: epoch bumps fence the previous producer", () => {
  it("a second InitProducerId keeps the producer id and bumps the epoch by one", () => {
    const h = txnHarness();
    const first = initProducer(h);
    const second = initProducer(h);
    expect(second.producerId).toBe(first.producerId);
    expect(second.producerEpoch).toBe(first.producerEpoch + 1);
    expect(h.transactionState(TXN_ID)).toMatchObject({ state: "Empty", producerEpoch: first.producerEpoch + 1 });
  });

  it("the fenced epoch's AddPartitionsToTxn and EndTxn are PRODUCER_FENCED", () => {
    const h = txnHarness();
    const zombie = initProducer(h);
    initProducer(h);
    expect(addPartitions(h, zombie, [tp(0)])).toEqual(["PRODUCER_FENCED"]);
    expect(endTxn(h, zombie, "COMMIT").error).toBe("PRODUCER_FENCED");
  });

  it("the fenced epoch's first transactional Produce fails verification with INVALID_PRODUCER_EPOCH", () => {
    const h = txnHarness();
    const zombie = initProducer(h);
    initProducer(h);
    // The partition never saw the new epoch: only the coordinator, asked by KIP-890 verification, knows.
    const result = produceTxn(h, zombie, ["zombie"]);
    expect(result.error).toBe("INVALID_PRODUCER_EPOCH");
    expect(h.replicas("events", 0).every((r) => r.logEndOffset === 0)).toBe(true);
  });
});

describe("InitProducerId during a transaction (PrepareEpochFence)", () => {
  function ongoing() {
    const h = txnHarness();
    const zombie = initProducer(h);
    expect(addPartitions(h, zombie, [tp(0)])).toEqual(["NONE"]);
    expect(produceTxn(h, zombie, ["a"]).error).toBe("NONE");
    return { h, zombie };
  }

  it("answers CONCURRENT_TRANSACTIONS and aborts the open transaction with a marker at epoch + 1", () => {
    const { h, zombie } = ongoing();
    expect(initProducerIdResponse(h).error).toBe("CONCURRENT_TRANSACTIONS");
    expect(waitForState(h, "CompleteAbort")).toBe(true);
    expect(h.transactionState(TXN_ID)?.producerEpoch).toBe(zombie.producerEpoch + 1);
    expect(markersOf(h, 0)).toEqual([{ producerId: zombie.producerId, producerEpoch: zombie.producerEpoch + 1, offset: 1 }]);
    expect(h.abortedTransactions("events", 0)).toMatchObject([{ producerId: zombie.producerId, firstOffset: 0, lastOffset: 1 }]);
  });

  it("the retried InitProducerId then hands out epoch old + 2 (the fence epoch is never handed out)", () => {
    const { h, zombie } = ongoing();
    expect(initProducerIdResponse(h).error).toBe("CONCURRENT_TRANSACTIONS");
    waitForState(h, "CompleteAbort");
    const fresh = initProducer(h);
    expect(fresh).toMatchObject({ producerId: zombie.producerId, producerEpoch: zombie.producerEpoch + 2 });
  });

  it("the zombie's Produce after the fence marker is INVALID_PRODUCER_EPOCH at the partition", () => {
    const { h, zombie } = ongoing();
    initProducerIdResponse(h);
    waitForState(h, "CompleteAbort");
    expect(produceTxn(h, zombie, ["late"], { baseSequence: 1 }).error).toBe("INVALID_PRODUCER_EPOCH");
  });

  it("the zombie's EndTxn(COMMIT) after the fence is PRODUCER_FENCED and commits nothing", () => {
    const { h, zombie } = ongoing();
    initProducerIdResponse(h);
    waitForState(h, "CompleteAbort");
    expect(endTxn(h, zombie, "COMMIT").error).toBe("PRODUCER_FENCED");
    expect(h.transactionState(TXN_ID)?.state).toBe("CompleteAbort");
  });

  it("the same fence under transaction version 2 also ends at epoch old + 2 for the new producer", () => {
    const h = txnHarness({ cluster: { transactionVersion: 2 } });
    const zombie = initProducer(h);
    expect(produceTxn(h, zombie, ["a"]).error).toBe("NONE");
    expect(h.transactionState(TXN_ID)?.state).toBe("Ongoing");
    expect(initProducerIdResponse(h).error).toBe("CONCURRENT_TRANSACTIONS");
    expect(waitForState(h, "CompleteAbort")).toBe(true);
    expect(markersOf(h, 0)).toEqual([{ producerId: zombie.producerId, producerEpoch: zombie.producerEpoch + 1, offset: 1 }]);
    expect(initProducer(h).producerEpoch).toBe(zombie.producerEpoch + 2);
  });

  it("while the abort's markers are outstanding (PrepareAbort) InitProducerId stays CONCURRENT_TRANSACTIONS", () => {
    const { h } = ongoing();
    holdMarkers(h);
    expect(initProducerIdResponse(h).error).toBe("CONCURRENT_TRANSACTIONS");
    h.runFor(100);
    expect(h.transactionState(TXN_ID)?.state).toBe("PrepareAbort");
    expect(initProducerIdResponse(h).error).toBe("CONCURRENT_TRANSACTIONS");
  });

  it("while a commit's markers are outstanding (PrepareCommit) InitProducerId is CONCURRENT_TRANSACTIONS", () => {
    const { h, zombie } = ongoing();
    holdMarkers(h);
    const id = sendEndTxn(h, zombie, "COMMIT");
    h.runUntil(() => h.response(id) !== undefined);
    expect(h.transactionState(TXN_ID)?.state).toBe("PrepareCommit");
    expect(initProducerIdResponse(h).error).toBe("CONCURRENT_TRANSACTIONS");
  });
});

describe("a fence whose log append fails (KAFKA-9666)", () => {
  it("repeated InitProducerIds against an unwritable transaction log reuse the fence epoch: the new producer still gets old + 2", () => {
    const h = txnHarness({ cluster: { minInsyncReplicas: 2, replicaLagTimeMaxMs: 2000, brokerSessionTimeoutMs: 3000 } });
    const zombie = initProducer(h);
    expect(addPartitions(h, zombie, [tp(0)])).toEqual(["NONE"]);
    // Cut the coordinator off from the other brokers: __transaction_state drops below min ISR.
    const coordinator = h.coordinatorNode("TRANSACTION", TXN_ID);
    const others = [1, 2, 3].map(brokerNode).filter((n) => n !== coordinator);
    h.apply({ kind: "partition", shape: "groups", groups: [[coordinator, "script", CONTROLLER_NODE], others] });
    h.runFor(10_000);
    for (let attempt = 0; attempt < 3; attempt++) expect(initProducerIdResponse(h).error).toBe("COORDINATOR_NOT_AVAILABLE");
    expect(h.transactionState(TXN_ID)).toMatchObject({ state: "Ongoing", producerEpoch: zombie.producerEpoch + 1 });
    h.apply({ kind: "heal" });
    // Once the ISR is back, the next attempt fences (and aborts) at the epoch the failed ones raised.
    let error = initProducerIdResponse(h).error;
    for (let wait = 0; wait < 60 && error !== "CONCURRENT_TRANSACTIONS"; wait++) {
      h.runFor(500);
      error = initProducerIdResponse(h).error;
    }
    expect(error).toBe("CONCURRENT_TRANSACTIONS");
    expect(waitForState(h, "CompleteAbort", TXN_ID, 30_000)).toBe(true);
    expect(initProducer(h).producerEpoch).toBe(zombie.producerEpoch + 2);
  });
});

describe("InitProducerId with the producer's current id and epoch (KIP-360)", () => {
  it("the current pair bumps the epoch and remembers the previous one as lastProducerEpoch", () => {
    const h = txnHarness();
    const p = initProducer(h);
    const next = initProducer(h, { producerId: p.producerId, producerEpoch: p.producerEpoch });
    expect(next).toMatchObject({ producerId: p.producerId, producerEpoch: p.producerEpoch + 1 });
    expect(h.transactionState(TXN_ID)?.lastProducerEpoch).toBe(p.producerEpoch);
  });

  it("a retry with the pair before the bump (expected == lastProducerEpoch) gets the current epoch again, without a bump", () => {
    const h = txnHarness();
    const p = initProducer(h);
    const bumped = initProducer(h, { producerId: p.producerId, producerEpoch: p.producerEpoch });
    const retried = initProducer(h, { producerId: p.producerId, producerEpoch: p.producerEpoch });
    expect(retried).toEqual(bumped);
    expect(h.transactionState(TXN_ID)?.producerEpoch).toBe(bumped.producerEpoch);
  });

  it("an expected epoch that is neither the current nor the last one is PRODUCER_FENCED", () => {
    const h = txnHarness();
    const p0 = initProducer(h);
    initProducer(h); // a new producer (no expected pair): last epoch forgotten
    const response = initProducerIdResponse(h, { producerId: p0.producerId, producerEpoch: p0.producerEpoch });
    expect(response.error).toBe("PRODUCER_FENCED");
  });

  it("an expected producer id that is not the id's is PRODUCER_FENCED", () => {
    const h = txnHarness();
    const p = initProducer(h);
    expect(initProducerIdResponse(h, { producerId: p.producerId + 1000, producerEpoch: p.producerEpoch }).error).toBe("PRODUCER_FENCED");
  });

  it("a producer id without an epoch is INVALID_REQUEST", () => {
    const h = txnHarness();
    const p = initProducer(h);
    expect(initProducerIdResponse(h, { producerId: p.producerId, producerEpoch: -1 }).error).toBe("INVALID_REQUEST");
  });
});

describe("InitProducerId at an exhausted epoch: producer-id rotation", () => {
  // maxProducerEpoch 5: epochs are exhausted at 5 - 1 = 4.
  const cluster = { maxProducerEpoch: 5 };

  function initUntilExhausted() {
    const h = txnHarness({ cluster });
    let p = initProducer(h);
    while (p.producerEpoch < 4) p = initProducer(h);
    return { h, exhausted: p };
  }

  it("the epochs count up to max - 1 under one producer id", () => {
    const { h, exhausted } = initUntilExhausted();
    expect(exhausted.producerEpoch).toBe(4);
    expect(h.transactionState(TXN_ID)?.producerId).toBe(exhausted.producerId);
  });

  it("the next InitProducerId rotates to a new producer id at epoch 0", () => {
    const { h, exhausted } = initUntilExhausted();
    const rotated = initProducer(h);
    expect(rotated.producerId).not.toBe(exhausted.producerId);
    expect(rotated.producerEpoch).toBe(0);
    expect(h.transactionState(TXN_ID)).toMatchObject({ state: "Empty", producerId: rotated.producerId, producerEpoch: 0 });
  });

  it("with the exhausted pair as the expected one, the rotation records the last epoch and a retry gets the same new pair", () => {
    const { h, exhausted } = initUntilExhausted();
    const expected = { producerId: exhausted.producerId, producerEpoch: exhausted.producerEpoch };
    const rotated = initProducer(h, expected);
    expect(rotated.producerEpoch).toBe(0);
    expect(rotated.producerId).not.toBe(exhausted.producerId);
    expect(h.transactionState(TXN_ID)?.lastProducerEpoch).toBe(exhausted.producerEpoch);
    // A retry of the same request (its answer lost): the previous id with an exhausted epoch is not fenced.
    expect(initProducer(h, expected)).toEqual(rotated);
  });

  it("fencing a transaction at the exhausted epoch aborts it at the maximum epoch, and the retry rotates the producer id", () => {
    const { h, exhausted } = initUntilExhausted();
    expect(addPartitions(h, exhausted, [tp(0)])).toEqual(["NONE"]);
    expect(produceTxn(h, exhausted, ["a"]).error).toBe("NONE");
    expect(initProducerIdResponse(h).error).toBe("CONCURRENT_TRANSACTIONS");
    expect(waitForState(h, "CompleteAbort")).toBe(true);
    expect(markersOf(h, 0)).toEqual([{ producerId: exhausted.producerId, producerEpoch: 5, offset: 1 }]);
    const rotated = initProducer(h);
    expect(rotated.producerId).not.toBe(exhausted.producerId);
    expect(rotated.producerEpoch).toBe(0);
  });
});
