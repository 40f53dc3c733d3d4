import { describe, expect, it } from "vitest";
import { batchOf } from "../../../src/systems/kafka/harness.js";
import {
  addPartitions,
  dataValues,
  endTxn,
  fetch,
  initProducer,
  listLatestOffset,
  markersOf,
  offsetsOf,
  produceBatch,
  producePlain,
  produceTxn,
  tp,
  TOPIC,
  txnBatch,
  TXN_ID,
  txnHarness,
  waitForState,
  writeMarker,
} from "./helpers.js";

/** facts §1.4 (LSO, aborted index, read_committed) and §1.3's marker validation at the partition. */

/** Partition 0 holds: 0 "x" (plain), 1 "a" (the transaction's first batch), 2 "y" (plain). */
function openTransactionBetweenPlainWrites() {
  const h = txnHarness();
  const p = initProducer(h);
  expect(producePlain(h, ["x"]).baseOffset).toBe(0);
  expect(addPartitions(h, p, [tp(0)])).toEqual(["NONE"]);
  expect(produceTxn(h, p, ["a"]).baseOffset).toBe(1);
  expect(producePlain(h, ["y"]).baseOffset).toBe(2);
  h.runFor(100);
  return { h, p };
}

describe("the last stable offset while a transaction is open", () => {
  it("is the open transaction's first offset, below the high watermark", () => {
    const { h, p } = openTransactionBetweenPlainWrites();
    expect(offsetsOf(h)).toEqual({ logEndOffset: 3, highWatermark: 3, lastStableOffset: 1 });
    expect(h.ongoingTransactions(TOPIC, 0)).toEqual([{ producerId: p.producerId, firstOffset: 1 }]);
  });

  it("a read_committed Fetch stops at the LSO; a read_uncommitted one reads to the high watermark", () => {
    const { h } = openTransactionBetweenPlainWrites();
    const committed = fetch(h, "read_committed");
    expect(dataValues(committed)).toEqual(["x"]);
    expect(committed.lastStableOffset).toBe(1);
    expect(dataValues(fetch(h, "read_uncommitted"))).toEqual(["x", "a", "y"]);
  });

  it("ListOffsets(latest) answers the LSO to read_committed and the high watermark to read_uncommitted", () => {
    const { h } = openTransactionBetweenPlainWrites();
    expect(listLatestOffset(h, "read_committed")).toBe(1);
    expect(listLatestOffset(h, "read_uncommitted")).toBe(3);
  });

  it("is the smallest first offset of the open transactions: a later transaction's commit does not move it", () => {
    const { h, p } = openTransactionBetweenPlainWrites();
    const other = initProducer(h, { transactionalId: "other" });
    addPartitions(h, other, [tp(0)]);
    expect(produceTxn(h, other, ["b"]).baseOffset).toBe(3);
    expect(endTxn(h, other, "COMMIT").error).toBe("NONE");
    expect(waitForState(h, "CompleteCommit", "other")).toBe(true);
    h.runFor(100);
    expect(offsetsOf(h).lastStableOffset).toBe(1);
    endTxn(h, p, "COMMIT");
    waitForState(h, "CompleteCommit");
    h.runFor(100);
    expect(offsetsOf(h)).toEqual({ logEndOffset: 6, highWatermark: 6, lastStableOffset: 6 });
  });

  it("never exceeds the high watermark: an open transaction's unreplicated first batch leaves LSO = HW", () => {
    const h = txnHarness();
    const p = initProducer(h);
    addPartitions(h, p, [tp(0)]);
    h.apply({ kind: "hold", type: "Fetch", to: h.leaderNode(TOPIC, 0), durationMs: 1000, count: 2 });
    h.send(h.leaderNode(TOPIC, 0), { type: "Produce", acks: -1, timeoutMs: 30_000, transactionalId: TXN_ID, topicData: [{ topic: TOPIC, partition: 0, batch: txnBatch(p, ["a"]) }] });
    h.runUntil(() => offsetsOf(h).logEndOffset === 1);
    expect(offsetsOf(h)).toEqual({ logEndOffset: 1, highWatermark: 0, lastStableOffset: 0 });
    h.runFor(2000);
    expect(offsetsOf(h)).toEqual({ logEndOffset: 1, highWatermark: 1, lastStableOffset: 0 });
  });

  it("advances past a marker only once the high watermark has passed it (the marker is replicated)", () => {
    const { h, p } = openTransactionBetweenPlainWrites();
    // Hold the followers' next fetches: the marker reaches the leader's log, not the HW.
    h.apply({ kind: "hold", type: "Fetch", to: h.leaderNode(TOPIC, 0), durationMs: 1000, count: 2 });
    endTxn(h, p, "COMMIT");
    h.runUntil(() => markersOf(h).length === 1);
    expect(offsetsOf(h)).toEqual({ logEndOffset: 4, highWatermark: 3, lastStableOffset: 1 });
    h.runFor(2000);
    expect(offsetsOf(h)).toEqual({ logEndOffset: 4, highWatermark: 4, lastStableOffset: 4 });
  });
});

describe("read_committed after the transaction ends", () => {
  it("a commit is not indexed: the data comes back with no aborted transactions", () => {
    const { h, p } = openTransactionBetweenPlainWrites();
    endTxn(h, p, "COMMIT");
    waitForState(h, "CompleteCommit");
    h.runFor(100);
    const response = fetch(h, "read_committed");
    expect(dataValues(response)).toEqual(["x", "a", "y"]);
    expect(response.abortedTransactions).toEqual([]);
    expect(h.abortedTransactions(TOPIC, 0)).toEqual([]);
  });

  it("an abort is indexed as (producerId, firstOffset, lastOffset = the marker's offset)", () => {
    const { h, p } = openTransactionBetweenPlainWrites();
    endTxn(h, p, "ABORT");
    waitForState(h, "CompleteAbort");
    h.runFor(100);
    expect(h.abortedTransactions(TOPIC, 0)).toEqual([{ producerId: p.producerId, firstOffset: 1, lastOffset: 3, lastStableOffset: 4 }]);
    expect(offsetsOf(h).lastStableOffset).toBe(4);
  });

  it("a read_committed Fetch over an aborted transaction lists it (for the consumer to drop); read_uncommitted gets no list", () => {
    const { h, p } = openTransactionBetweenPlainWrites();
    endTxn(h, p, "ABORT");
    waitForState(h, "CompleteAbort");
    h.runFor(100);
    const committed = fetch(h, "read_committed");
    expect(committed.abortedTransactions).toEqual([{ producerId: p.producerId, firstOffset: 1 }]);
    expect(committed.batches.map((b) => b.baseOffset)).toEqual([0, 1, 2, 3]);
    expect(fetch(h, "read_uncommitted").abortedTransactions).toBeNull();
  });

  it("two interleaved aborted transactions are both listed; the first's index entry records the other's open start as its LSO", () => {
    const h = txnHarness();
    const a = initProducer(h, { transactionalId: "a" });
    const b = initProducer(h, { transactionalId: "b" });
    addPartitions(h, a, [tp(0)]);
    addPartitions(h, b, [tp(0)]);
    expect(produceTxn(h, a, ["a"]).baseOffset).toBe(0);
    expect(produceTxn(h, b, ["b"]).baseOffset).toBe(1);
    endTxn(h, a, "ABORT");
    expect(waitForState(h, "CompleteAbort", "a")).toBe(true);
    endTxn(h, b, "ABORT");
    expect(waitForState(h, "CompleteAbort", "b")).toBe(true);
    h.runFor(100);
    expect(h.abortedTransactions(TOPIC, 0)).toEqual([
      { producerId: a.producerId, firstOffset: 0, lastOffset: 2, lastStableOffset: 1 },
      { producerId: b.producerId, firstOffset: 1, lastOffset: 3, lastStableOffset: 4 },
    ]);
    expect(fetch(h, "read_committed").abortedTransactions).toEqual([
      { producerId: a.producerId, firstOffset: 0 },
      { producerId: b.producerId, firstOffset: 1 },
    ]);
  });

  it("a read_committed Fetch that starts after the aborted transaction's marker gets no aborted entry", () => {
    const { h, p } = openTransactionBetweenPlainWrites();
    endTxn(h, p, "ABORT");
    waitForState(h, "CompleteAbort");
    expect(producePlain(h, ["z"]).baseOffset).toBe(4);
    h.runFor(100);
    const response = fetch(h, "read_committed", { fetchOffset: 4 });
    expect(dataValues(response)).toEqual(["z"]);
    expect(response.abortedTransactions).toEqual([]);
  });
});

describe("marker validation at the partition (appendEndTxnMarker)", () => {
  /** A producer id the coordinator handed out that has written nothing to partition 1 yet. */
  function quietProducer() {
    const h = txnHarness();
    const p = initProducer(h);
    const coordinatorEpoch = h.transactionState(TXN_ID)?.coordinatorEpoch ?? -1;
    return { h, p, coordinatorEpoch };
  }

  it("a marker for a producer with no open transaction raises its epoch there, without an index entry or an LSO move", () => {
    const { h, p, coordinatorEpoch } = quietProducer();
    expect(writeMarker(h, "ABORT", { producerId: p.producerId, producerEpoch: p.producerEpoch + 1, coordinatorEpoch, partition: 1 })).toBe("NONE");
    h.runFor(100);
    expect(h.abortedTransactions(TOPIC, 1)).toEqual([]);
    expect(offsetsOf(h, 1)).toEqual({ logEndOffset: 1, highWatermark: 1, lastStableOffset: 1 });
    // The old epoch's idempotent write is now fenced at this partition.
    const stale = { ...batchOf(["old"], { producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: 0 }) };
    expect(produceBatch(h, stale, 1, null).error).toBe("INVALID_PRODUCER_EPOCH");
  });

  it("a marker below the producer's epoch at the partition is INVALID_PRODUCER_EPOCH (transaction version 1)", () => {
    const { h, p, coordinatorEpoch } = quietProducer();
    writeMarker(h, "ABORT", { producerId: p.producerId, producerEpoch: p.producerEpoch + 1, coordinatorEpoch, partition: 1 });
    expect(writeMarker(h, "ABORT", { producerId: p.producerId, producerEpoch: p.producerEpoch, coordinatorEpoch, partition: 1 })).toBe("INVALID_PRODUCER_EPOCH");
    expect(markersOf(h, 1)).toHaveLength(1);
  });

  it("a marker from an older coordinator epoch than the last marker's is TRANSACTION_COORDINATOR_FENCED", () => {
    const { h, p } = quietProducer();
    writeMarker(h, "ABORT", { producerId: p.producerId, producerEpoch: p.producerEpoch, coordinatorEpoch: 5, partition: 1 });
    expect(writeMarker(h, "ABORT", { producerId: p.producerId, producerEpoch: p.producerEpoch, coordinatorEpoch: 4, partition: 1 })).toBe("TRANSACTION_COORDINATOR_FENCED");
  });

  it("under transaction version 2 a marker must be above the open transaction's epoch (KIP-1228)", () => {
    const h = txnHarness({ cluster: { transactionVersion: 2 } });
    const p = initProducer(h);
    expect(produceTxn(h, p, ["a"]).error).toBe("NONE");
    const coordinatorEpoch = h.transactionState(TXN_ID)?.coordinatorEpoch ?? -1;
    expect(writeMarker(h, "ABORT", { producerId: p.producerId, producerEpoch: p.producerEpoch, coordinatorEpoch, transactionVersion: 2 })).toBe("INVALID_PRODUCER_EPOCH");
    expect(h.ongoingTransactions(TOPIC, 0)).toEqual([{ producerId: p.producerId, firstOffset: 0 }]);
  });

  it("under transaction version 2 a retried marker (same epoch, transaction already ended) is accepted (KAFKA-19999)", () => {
    const h = txnHarness({ cluster: { transactionVersion: 2 } });
    const p = initProducer(h);
    produceTxn(h, p, ["a"]);
    endTxn(h, p, "COMMIT", 2);
    expect(waitForState(h, "CompleteCommit")).toBe(true);
    const coordinatorEpoch = h.transactionState(TXN_ID)?.coordinatorEpoch ?? -1;
    expect(writeMarker(h, "COMMIT", { producerId: p.producerId, producerEpoch: p.producerEpoch + 1, coordinatorEpoch, transactionVersion: 2 })).toBe("NONE");
    h.runFor(100);
    expect(h.abortedTransactions(TOPIC, 0)).toEqual([]);
    expect(offsetsOf(h).lastStableOffset).toBe(offsetsOf(h).highWatermark);
  });

  it("WriteTxnMarkers is answered only once the marker is replicated (acks=all)", () => {
    const { h, p } = openTransactionBetweenPlainWrites();
    h.apply({ kind: "hold", type: "Fetch", to: h.leaderNode(TOPIC, 0), durationMs: 1000, count: 2 });
    const coordinatorEpoch = h.transactionState(TXN_ID)?.coordinatorEpoch ?? -1;
    const id = h.send(h.leaderNode(TOPIC, 0), {
      type: "WriteTxnMarkers",
      markers: [{ producerId: p.producerId, producerEpoch: p.producerEpoch, coordinatorEpoch, result: "COMMIT", transactionVersion: 1, partitions: [tp(0)] }],
    });
    h.runFor(500);
    expect(markersOf(h)).toHaveLength(1);
    expect(h.response(id)).toBeUndefined();
    h.runFor(1000);
    expect(h.response(id)).toMatchObject({ markers: [{ producerId: p.producerId, partitions: [{ error: "NONE" }] }] });
  });
});

