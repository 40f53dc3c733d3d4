import { describe, expect, it } from "vitest";
import { TRANSACTION_STATE_TOPIC } from "../../../src/nodes/kafka/txn/protocol.js";
import { partitionFor } from "../../../src/nodes/kafka/txn/transaction-log.js";
import type { KafkaHarness } from "../../../src/systems/kafka/harness.js";
import {
  addPartitions,
  endTxn,
  holdMarkers,
  initProducer,
  markersOf,
  offsetsOf,
  produceTxn,
  sendEndTxn,
  tp,
  TXN_ID,
  txnHarness,
  waitForState,
  type Producer,
} from "./helpers.js";

/** facts §1.3: the coordinator's state machine — AddPartitionsToTxn, EndTxn (TV1 and TV2), markers. */

/** The log end of the `__transaction_state` partition that holds TXN_ID: it grows by one per transition. */
function txnLogEnd(h: KafkaHarness): number {
  const partition = partitionFor(TXN_ID, h.cluster.transactionStateLogNumPartitions);
  const leader = h.leaderOf(TRANSACTION_STATE_TOPIC, partition);
  return h.replicas(TRANSACTION_STATE_TOPIC, partition).find((r) => r.broker === leader)?.logEndOffset ?? -1;
}

/** A TV1 transaction with data on both partitions of `events`. */
function ongoingOnTwoPartitions(h: KafkaHarness): Producer {
  const p = initProducer(h);
  expect(addPartitions(h, p, [tp(0), tp(1)])).toEqual(["NONE", "NONE"]);
  expect(produceTxn(h, p, ["a0"], { partition: 0 }).error).toBe("NONE");
  expect(produceTxn(h, p, ["a1"], { partition: 1 }).error).toBe("NONE");
  return p;
}

/** A TV1 transaction held in PrepareCommit: its markers are held in the network. */
function heldInPrepareCommit() {
  const h = txnHarness();
  const p = initProducer(h);
  expect(addPartitions(h, p, [tp(0)])).toEqual(["NONE"]);
  expect(produceTxn(h, p, ["a"]).error).toBe("NONE");
  holdMarkers(h);
  const id = sendEndTxn(h, p, "COMMIT");
  h.runUntil(() => h.response(id) !== undefined);
  return { h, p, response: h.response(id) };
}

describe("AddPartitionsToTxn (TV1)", () => {
  it("adds the partitions: the id goes Ongoing with exactly those partitions", () => {
    const h = txnHarness();
    const p = initProducer(h);
    expect(addPartitions(h, p, [tp(1), tp(0)])).toEqual(["NONE", "NONE"]);
    expect(h.transactionState(TXN_ID)).toMatchObject({ state: "Ongoing", partitions: [tp(0), tp(1)], pendingState: null });
  });

  it("partitions already in the transaction are answered NONE without a log write", () => {
    const h = txnHarness();
    const p = initProducer(h);
    addPartitions(h, p, [tp(0), tp(1)]);
    const before = txnLogEnd(h);
    expect(addPartitions(h, p, [tp(0)])).toEqual(["NONE"]);
    expect(txnLogEnd(h)).toBe(before);
  });

  it("an unknown transactional id or another producer id is INVALID_PRODUCER_ID_MAPPING", () => {
    const h = txnHarness();
    const p = initProducer(h);
    expect(addPartitions(h, { ...p, transactionalId: "never-initialised" }, [tp(0)])).toEqual(["INVALID_PRODUCER_ID_MAPPING"]);
    expect(addPartitions(h, { ...p, producerId: p.producerId + 1000 }, [tp(0)])).toEqual(["INVALID_PRODUCER_ID_MAPPING"]);
  });

  // MODEL BUG (see the report): the broker hands AddPartitionsToTxn to the coordinator without
  // KafkaApis.handleAddPartitionsToTxnRequest's metadata check, so an unknown partition joins the
  // transaction, and its markers then wait for a leader forever (the commit hangs in PrepareCommit).
  it("a partition the cluster does not have is UNKNOWN_TOPIC_OR_PARTITION and is not added", () => {
    const h = txnHarness();
    const p = initProducer(h);
    expect(addPartitions(h, p, [tp(0, "no-such-topic")])).toEqual(["UNKNOWN_TOPIC_OR_PARTITION"]);
    expect(h.transactionState(TXN_ID)?.state).toBe("Empty");
  });

  it("one unknown partition fails the whole request: the known ones are OPERATION_NOT_ATTEMPTED", () => {
    const h = txnHarness();
    const p = initProducer(h);
    expect(addPartitions(h, p, [tp(0), tp(7)])).toEqual(["OPERATION_NOT_ATTEMPTED", "UNKNOWN_TOPIC_OR_PARTITION"]);
    expect(h.transactionState(TXN_ID)?.partitions).toEqual([]);
  });

  it("a client cannot add a partition of an internal topic (TOPIC_AUTHORIZATION_FAILED)", () => {
    const h = txnHarness();
    const p = initProducer(h);
    expect(addPartitions(h, p, [tp(0, "__consumer_offsets")])).toEqual(["TOPIC_AUTHORIZATION_FAILED"]);
    expect(h.transactionState(TXN_ID)?.state).toBe("Empty");
  });

  it("a partition added but never written still gets the marker, which moves neither its LSO nor its index", () => {
    const h = txnHarness();
    const p = initProducer(h);
    addPartitions(h, p, [tp(0), tp(1)]);
    produceTxn(h, p, ["a"], { partition: 0 });
    endTxn(h, p, "ABORT");
    expect(waitForState(h, "CompleteAbort")).toBe(true);
    h.runFor(100);
    expect(markersOf(h, 1)).toEqual([{ producerId: p.producerId, producerEpoch: p.producerEpoch, offset: 0 }]);
    expect(h.abortedTransactions("events", 1)).toEqual([]);
    expect(offsetsOf(h, 1)).toEqual({ logEndOffset: 1, highWatermark: 1, lastStableOffset: 1 });
  });

  it("a transactional Produce to a partition not added fails verification and is not appended", () => {
    const h = txnHarness();
    const p = initProducer(h);
    addPartitions(h, p, [tp(0)]);
    // The coordinator answers TRANSACTION_ABORTABLE; a client before Produce v11 hears
    // INVALID_TXN_STATE, and the model takes transaction version 1 clients to be such clients.
    expect(produceTxn(h, p, ["stray"], { partition: 1 }).error).toBe("INVALID_TXN_STATE");
    expect(offsetsOf(h, 1).logEndOffset).toBe(0);
  });
});

describe("EndTxn under transaction version 1", () => {
  it("COMMIT writes a COMMIT marker to every partition, then the id rests in CompleteCommit with no partitions", () => {
    const h = txnHarness();
    const p = ongoingOnTwoPartitions(h);
    const response = endTxn(h, p, "COMMIT");
    expect(response.error).toBe("NONE");
    expect(waitForState(h, "CompleteCommit")).toBe(true);
    expect(h.transactionState(TXN_ID)).toMatchObject({ producerId: p.producerId, producerEpoch: p.producerEpoch, partitions: [] });
    for (const partition of [0, 1]) {
      expect(markersOf(h, partition)).toEqual([{ producerId: p.producerId, producerEpoch: p.producerEpoch, offset: 1 }]);
      expect(h.ongoingTransactions("events", partition)).toEqual([]);
    }
    expect(h.abortedTransactions("events", 0)).toEqual([]);
  });

  it("COMMIT moves the LSO of every partition past its marker", () => {
    const h = txnHarness();
    const p = ongoingOnTwoPartitions(h);
    expect([offsetsOf(h, 0).lastStableOffset, offsetsOf(h, 1).lastStableOffset]).toEqual([0, 0]);
    endTxn(h, p, "COMMIT");
    waitForState(h, "CompleteCommit");
    h.runFor(100);
    for (const partition of [0, 1]) expect(offsetsOf(h, partition)).toEqual({ logEndOffset: 2, highWatermark: 2, lastStableOffset: 2 });
  });

  it("the response comes once PrepareCommit is durable, before any marker is written", () => {
    const { h, response } = heldInPrepareCommit();
    expect(response).toMatchObject({ type: "EndTxnResponse", error: "NONE" });
    expect(h.transactionState(TXN_ID)?.state).toBe("PrepareCommit");
    expect(markersOf(h, 0)).toEqual([]);
    expect(offsetsOf(h, 0).lastStableOffset).toBe(0);
  });

  it("while the markers are outstanding Complete* is already pending (prepareComplete runs when they are sent)", () => {
    const { h } = heldInPrepareCommit();
    expect(h.transactionState(TXN_ID)).toMatchObject({ state: "PrepareCommit", pendingState: "CompleteCommit" });
  });

  it("in PrepareCommit: a retried EndTxn(COMMIT) and AddPartitionsToTxn are CONCURRENT_TRANSACTIONS", () => {
    const { h, p } = heldInPrepareCommit();
    expect(endTxn(h, p, "COMMIT").error).toBe("CONCURRENT_TRANSACTIONS");
    expect(addPartitions(h, p, [tp(1)])).toEqual(["CONCURRENT_TRANSACTIONS"]);
  });

  it("in PrepareCommit: EndTxn(ABORT) is CONCURRENT_TRANSACTIONS too, as the pending check comes before the state table", () => {
    // Kafka's endTransactionWithTV1 checks pendingTransitionInProgress before the state match, and
    // the pending CompleteCommit is set for as long as markers are outstanding: the table's
    // "PrepareCommit + ABORT: INVALID_TXN_STATE" is only reachable with no marker in flight.
    const { h, p } = heldInPrepareCommit();
    expect(endTxn(h, p, "ABORT").error).toBe("CONCURRENT_TRANSACTIONS");
    expect(h.transactionState(TXN_ID)?.state).toBe("PrepareCommit");
  });

  it("once the held markers land, the transaction completes", () => {
    const { h } = heldInPrepareCommit();
    h.runFor(10_000);
    expect(waitForState(h, "CompleteCommit")).toBe(true);
  });

  it("Complete* waits for every partition's marker: one partition's held marker keeps the id in PrepareCommit", () => {
    // Replication factor 1 puts the two partitions on different brokers, so one broker's markers can be held alone.
    const h = txnHarness({ cluster: { topics: [{ name: "events", partitions: 2, replicationFactor: 1 }] } });
    const [a, b] = [0, 1];
    expect(h.leaderNode("events", b)).not.toBe(h.leaderNode("events", a));
    const p = initProducer(h);
    addPartitions(h, p, [tp(a), tp(b)]);
    produceTxn(h, p, ["a"], { partition: a });
    produceTxn(h, p, ["b"], { partition: b });
    h.apply({ kind: "hold", type: "WriteTxnMarkers", to: h.leaderNode("events", b), durationMs: 10_000, count: 1 });
    endTxn(h, p, "COMMIT");
    h.runFor(1000);
    expect(markersOf(h, a)).toHaveLength(1);
    expect(markersOf(h, b)).toHaveLength(0);
    expect(h.transactionState(TXN_ID)).toMatchObject({ state: "PrepareCommit", partitions: [tp(b)] });
    h.runFor(10_000);
    expect(waitForState(h, "CompleteCommit")).toBe(true);
  });

  it("a retried EndTxn(COMMIT) after CompleteCommit is NONE and writes nothing", () => {
    const h = txnHarness();
    const p = ongoingOnTwoPartitions(h);
    endTxn(h, p, "COMMIT");
    waitForState(h, "CompleteCommit");
    const before = txnLogEnd(h);
    expect(endTxn(h, p, "COMMIT").error).toBe("NONE");
    h.runFor(100);
    expect(txnLogEnd(h)).toBe(before);
    expect(markersOf(h, 0)).toHaveLength(1);
  });

  it("EndTxn(ABORT) after CompleteCommit is INVALID_TXN_STATE", () => {
    const h = txnHarness();
    const p = ongoingOnTwoPartitions(h);
    endTxn(h, p, "COMMIT");
    waitForState(h, "CompleteCommit");
    expect(endTxn(h, p, "ABORT").error).toBe("INVALID_TXN_STATE");
  });

  it("a retried EndTxn(ABORT) after CompleteAbort is NONE; EndTxn(COMMIT) then is INVALID_TXN_STATE", () => {
    const h = txnHarness();
    const p = ongoingOnTwoPartitions(h);
    endTxn(h, p, "ABORT");
    expect(waitForState(h, "CompleteAbort")).toBe(true);
    expect(endTxn(h, p, "ABORT").error).toBe("NONE");
    expect(endTxn(h, p, "COMMIT").error).toBe("INVALID_TXN_STATE");
  });

  it("EndTxn with no partition added (Empty) is INVALID_TXN_STATE", () => {
    const h = txnHarness();
    const p = initProducer(h);
    expect(endTxn(h, p, "COMMIT").error).toBe("INVALID_TXN_STATE");
    expect(endTxn(h, p, "ABORT").error).toBe("INVALID_TXN_STATE");
    expect(h.transactionState(TXN_ID)?.state).toBe("Empty");
  });

  it("the epoch must equal the current one (KAFKA-9600): an older or a newer epoch is PRODUCER_FENCED", () => {
    const h = txnHarness();
    initProducer(h);
    const p = initProducer(h);
    addPartitions(h, p, [tp(0)]);
    expect(endTxn(h, { ...p, producerEpoch: p.producerEpoch - 1 }, "COMMIT").error).toBe("PRODUCER_FENCED");
    expect(endTxn(h, { ...p, producerEpoch: p.producerEpoch + 1 }, "COMMIT").error).toBe("PRODUCER_FENCED");
    expect(h.transactionState(TXN_ID)?.state).toBe("Ongoing");
  });

  it("another producer id is INVALID_PRODUCER_ID_MAPPING", () => {
    const h = txnHarness();
    const p = initProducer(h);
    addPartitions(h, p, [tp(0)]);
    expect(endTxn(h, { ...p, producerId: p.producerId + 1000 }, "COMMIT").error).toBe("INVALID_PRODUCER_ID_MAPPING");
  });
});

describe("EndTxn under transaction version 2 (KIP-890 part 2)", () => {
  const tv2 = { cluster: { transactionVersion: 2 as const } };

  it("a Produce adds its partition implicitly: the id goes Ongoing without AddPartitionsToTxn", () => {
    const h = txnHarness(tv2);
    const p = initProducer(h);
    expect(produceTxn(h, p, ["a"], { partition: 1 }).error).toBe("NONE");
    expect(h.transactionState(TXN_ID)).toMatchObject({ state: "Ongoing", partitions: [tp(1)] });
  });

  it("EndTxn(COMMIT) bumps the epoch: the response carries epoch + 1 and the markers are written at it", () => {
    const h = txnHarness(tv2);
    const p = initProducer(h);
    produceTxn(h, p, ["a"]);
    const response = endTxn(h, p, "COMMIT", 2);
    expect(response).toMatchObject({ error: "NONE", producerId: p.producerId, producerEpoch: p.producerEpoch + 1 });
    expect(waitForState(h, "CompleteCommit")).toBe(true);
    expect(h.transactionState(TXN_ID)).toMatchObject({ producerEpoch: p.producerEpoch + 1, lastProducerEpoch: p.producerEpoch });
    expect(markersOf(h, 0)).toEqual([{ producerId: p.producerId, producerEpoch: p.producerEpoch + 1, offset: 1 }]);
  });

  it("a retry of the EndTxn (the old epoch) after CompleteCommit is NONE with the bumped epoch", () => {
    const h = txnHarness(tv2);
    const p = initProducer(h);
    produceTxn(h, p, ["a"]);
    endTxn(h, p, "COMMIT", 2);
    waitForState(h, "CompleteCommit");
    expect(endTxn(h, p, "COMMIT", 2)).toMatchObject({ error: "NONE", producerId: p.producerId, producerEpoch: p.producerEpoch + 1 });
  });

  it("a late Produce of the committed transaction (old epoch) is INVALID_PRODUCER_EPOCH at the partition", () => {
    const h = txnHarness(tv2);
    const p = initProducer(h);
    produceTxn(h, p, ["a"]);
    endTxn(h, p, "COMMIT", 2);
    waitForState(h, "CompleteCommit");
    expect(produceTxn(h, p, ["late"], { baseSequence: 1 }).error).toBe("INVALID_PRODUCER_EPOCH");
  });

  it("EndTxn(ABORT) with no partition (Empty) is allowed: NONE, epoch + 1, CompleteAbort, no marker", () => {
    const h = txnHarness(tv2);
    const p = initProducer(h);
    expect(endTxn(h, p, "ABORT", 2)).toMatchObject({ error: "NONE", producerId: p.producerId, producerEpoch: p.producerEpoch + 1 });
    expect(waitForState(h, "CompleteAbort")).toBe(true);
    expect(markersOf(h, 0)).toEqual([]);
    expect(markersOf(h, 1)).toEqual([]);
  });

  it("EndTxn(COMMIT) with no partition (Empty) is INVALID_TXN_STATE", () => {
    const h = txnHarness(tv2);
    const p = initProducer(h);
    expect(endTxn(h, p, "COMMIT", 2).error).toBe("INVALID_TXN_STATE");
  });

  /** A TV2 transaction on events-0 that ended with `result`; the producer at its epoch before the end. */
  function endedTv2(result: "COMMIT" | "ABORT") {
    const h = txnHarness(tv2);
    const p = initProducer(h);
    expect(produceTxn(h, p, ["a"]).error).toBe("NONE");
    expect(endTxn(h, p, result, 2).error).toBe("NONE");
    expect(waitForState(h, result === "COMMIT" ? "CompleteCommit" : "CompleteAbort")).toBe(true);
    return { h, p, bumped: { ...p, producerEpoch: p.producerEpoch + 1 } };
  }

  it("a retried EndTxn(ABORT) at the old epoch after CompleteAbort is NONE with the bumped epoch", () => {
    const { h, p, bumped } = endedTv2("ABORT");
    expect(endTxn(h, p, "ABORT", 2)).toMatchObject({ error: "NONE", producerEpoch: bumped.producerEpoch });
  });

  it("EndTxn(ABORT) at the old epoch after CompleteCommit is INVALID_TXN_STATE (a mismatched retry)", () => {
    const { h, p } = endedTv2("COMMIT");
    expect(endTxn(h, p, "ABORT", 2).error).toBe("INVALID_TXN_STATE");
  });

  it("EndTxn(COMMIT) at the old epoch after a coordinator abort is PRODUCER_FENCED (KAFKA-20785)", () => {
    const { h, p } = endedTv2("ABORT");
    expect(endTxn(h, p, "COMMIT", 2).error).toBe("PRODUCER_FENCED");
  });

  it("an epoch below the retry epoch is PRODUCER_FENCED", () => {
    const { h, p } = endedTv2("COMMIT");
    expect(endTxn(h, { ...p, producerEpoch: p.producerEpoch - 1 }, "COMMIT", 2).error).toBe("PRODUCER_FENCED");
  });

  it("the next transaction's first Produce while the previous one's markers are outstanding is retriable and not appended", () => {
    const h = txnHarness(tv2);
    const p = initProducer(h);
    produceTxn(h, p, ["a"]);
    holdMarkers(h);
    const id = sendEndTxn(h, p, "COMMIT", 2);
    h.runUntil(() => h.response(id) !== undefined);
    const next = { ...p, producerEpoch: p.producerEpoch + 1 };
    // Verification meets CONCURRENT_TRANSACTIONS; the leader turns it into NOT_ENOUGH_REPLICAS for the client.
    expect(produceTxn(h, next, ["b"]).error).toBe("NOT_ENOUGH_REPLICAS");
    expect(offsetsOf(h, 0).logEndOffset).toBe(1);
    h.runFor(10_000);
    expect(waitForState(h, "CompleteCommit")).toBe(true);
    expect(produceTxn(h, next, ["b"]).baseOffset).toBe(2);
  });

  it("at an exhausted epoch the commit hands out a new producer id at epoch 0", () => {
    const h = txnHarness({ cluster: { transactionVersion: 2, maxProducerEpoch: 5 } });
    let p = initProducer(h);
    while (p.producerEpoch < 4) p = initProducer(h);
    produceTxn(h, p, ["a"]);
    const response = endTxn(h, p, "COMMIT", 2);
    expect(response.error).toBe("NONE");
    expect(response.producerId).not.toBe(p.producerId);
    expect(response.producerEpoch).toBe(0);
    expect(waitForState(h, "CompleteCommit")).toBe(true);
    expect(h.transactionState(TXN_ID)).toMatchObject({ producerId: response.producerId, producerEpoch: 0 });
  });

  it("a retry of that commit with the old producer id and exhausted epoch is NONE with the new pair", () => {
    const h = txnHarness({ cluster: { transactionVersion: 2, maxProducerEpoch: 5 } });
    let p = initProducer(h);
    while (p.producerEpoch < 4) p = initProducer(h);
    produceTxn(h, p, ["a"]);
    const first = endTxn(h, p, "COMMIT", 2);
    expect(waitForState(h, "CompleteCommit")).toBe(true);
    expect(endTxn(h, p, "COMMIT", 2)).toMatchObject({ error: "NONE", producerId: first.producerId, producerEpoch: 0 });
  });
});
