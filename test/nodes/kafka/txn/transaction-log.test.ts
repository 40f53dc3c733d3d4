import { describe, expect, it } from "vitest";
import { onAppendCompleted } from "../../../../src/nodes/kafka/txn/coordinator-logic.js";
import {
  fromKafkaRecord,
  javaStringHashCode,
  kafkaUtilsAbs,
  loadPartition,
  partitionFor,
  recordsOfBatches,
  toKafkaRecord,
  transactionLogRecord,
  transactionLogTombstone,
  type TransactionLogRecord,
} from "../../../../src/nodes/kafka/txn/transaction-log.js";
import { IllegalTxnStateError, TransactionMetadata } from "../../../../src/nodes/kafka/txn/transaction-metadata.js";
import { CoordinatorDriver, must, TP0, TP1, TP2, transit } from "./helpers.js";

/**
 * The `__transaction_state` records and the load a new coordinator does on failover
 * (facts §1.3), and the partition an id maps to (Utils.abs(hashCode) % n, exactly as Java).
 */

const ID = "txn-a";

/** Reference: Java's String.hashCode over UTF-16 units in exact integer arithmetic, wrapped to int32. */
function referenceHashCode(s: string): number {
  let h = 0n;
  for (let i = 0; i < s.length; i++) h = (h * 31n + BigInt(s.charCodeAt(i))) % 2n ** 32n;
  return Number(BigInt.asIntN(32, h));
}

describe("partitionFor", () => {
  // Values printed by Java 17's String.hashCode and Utils.abs(h) % 50.
  const java: readonly [string, number, number][] = [
    ["", 0, 0],
    ["a", 97, 47],
    ["hello", 99162322, 22],
    ["polygenelubricants", -2147483648, 0],
    ["my-txn-1", -1894316499, 49],
    ["copier-7", -520220676, 26],
    ["Aa", 2112, 12],
    ["BB", 2112, 12],
    ["transactional-id-é", 1051134075, 25],
    ["zzzzzzzzzz", -1580979136, 36],
    ["group-😀", 508083057, 7],
  ];

  for (const [id, hash, partition] of java) {
    it(`"${id}" hashes to ${hash} and lands in partition ${partition} of 50, as in Java`, () => {
      expect(javaStringHashCode(id)).toBe(hash);
      expect(partitionFor(id, 50)).toBe(partition);
    });
  }

  it("Utils.abs maps Integer.MIN_VALUE to 0 (Math.abs would keep it negative in Java)", () => {
    expect(kafkaUtilsAbs(-2147483648)).toBe(0);
    expect(kafkaUtilsAbs(-5)).toBe(5);
    expect(partitionFor("polygenelubricants", 7)).toBe(0);
  });

  it("agrees with an exact-arithmetic reference on many ids and always lands in [0, n)", () => {
    for (let i = 0; i < 2000; i++) {
      const id = `producer-${i * 7919}-${String.fromCharCode(0x4e00 + (i % 500))}`;
      expect(javaStringHashCode(id)).toBe(referenceHashCode(id));
      const p = partitionFor(id, 13);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(13);
    }
  });

  it("refuses a partition count that is not a positive integer", () => {
    expect(() => partitionFor("x", 0)).toThrow();
  });
});

describe("transaction log records", () => {
  function prepared(): TransactionMetadata {
    return new TransactionMetadata({ transactionalId: ID, producerId: 7, previousProducerId: 6, producerEpoch: 3, txnTimeoutMs: 60_000, state: "Ongoing", topicPartitions: [TP0, TP1, TP2], txnStartTimestamp: 5, txnLastUpdateTimestamp: 9, clientTransactionVersion: 2 });
  }

  it("the key is the transactional id; the value holds the transition with partitions grouped by topic", () => {
    const transit = prepared().prepareAbortOrCommit("PrepareCommit", 2, 99, 20, false);
    expect(transactionLogRecord(ID, transit, 2)).toEqual({
      key: { version: 0, transactionalId: ID },
      value: {
        version: 1,
        producerId: 7,
        previousProducerId: 7,
        nextProducerId: 99,
        producerEpoch: 4,
        transactionTimeoutMs: 60_000,
        transactionStatus: 2,
        transactionPartitions: [
          { topic: "other", partitionIds: [0] },
          { topic: "out", partitionIds: [0, 1] },
        ],
        transactionLastUpdateTimestampMs: 20,
        transactionStartTimestampMs: 5,
        clientTransactionVersion: 2,
      },
    });
  });

  it("a cluster at transaction.version 0 writes value version 0, which drops the tagged fields", () => {
    const transit = prepared().prepareAbortOrCommit("PrepareCommit", 2, 99, 20, false);
    expect(transactionLogRecord(ID, transit, 0).value).toMatchObject({ version: 0, previousProducerId: -1, nextProducerId: -1, clientTransactionVersion: 0 });
  });

  it("Empty is written without partitions; an Empty transition with partitions is a model error", () => {
    const m = new TransactionMetadata({ transactionalId: ID, producerId: 7, producerEpoch: 3, txnTimeoutMs: 60_000, state: "Empty", txnLastUpdateTimestamp: 9 });
    const empty = transit(m.prepareIncrementProducerEpoch(60_000, undefined, 10));
    expect(transactionLogRecord(ID, empty, 2).value?.transactionPartitions).toBeNull();
    expect(() => transactionLogRecord(ID, { ...empty, topicPartitions: [TP0] }, 2)).toThrow(IllegalTxnStateError);
  });

  it("records survive the trip through a KafkaRecord, tombstones included", () => {
    const record = transactionLogRecord(ID, prepared().prepareAbortOrCommit("PrepareAbort", 2, -1, 20, false), 2);
    expect(fromKafkaRecord(toKafkaRecord(record, 20))).toEqual(record);
    expect(fromKafkaRecord(toKafkaRecord(transactionLogTombstone(ID), 20))).toEqual({ key: { version: 0, transactionalId: ID }, value: null });
  });

  it("records are read back from a partition's batches in log order, control batches skipped", () => {
    const a = transactionLogRecord("a", prepared().prepareAbortOrCommit("PrepareAbort", 2, -1, 20, false), 2);
    const b = transactionLogTombstone("b");
    const batch = (records: TransactionLogRecord[], isControl = false) => ({
      baseOffset: 0,
      partitionLeaderEpoch: 0,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      isTransactional: false,
      isControl,
      records: records.map((r) => toKafkaRecord(r, 1)),
    });
    expect(recordsOfBatches([batch([a]), batch([b], true), batch([b])])).toEqual([a, b]);
  });
});

describe("loading a partition", () => {
  it("the last value of each id wins and a tombstone removes it", () => {
    const m = new TransactionMetadata({ transactionalId: ID, producerId: 7, producerEpoch: 3, txnTimeoutMs: 60_000, state: "Empty", txnLastUpdateTimestamp: 9 });
    const first = transactionLogRecord(ID, transit(m.prepareIncrementProducerEpoch(60_000, undefined, 10)), 2);
    const second: TransactionLogRecord = { ...first, value: { ...must(first.value), producerEpoch: 5 } };
    const other: TransactionLogRecord = { key: { version: 0, transactionalId: "b" }, value: first.value };
    const loaded = loadPartition([first, second, other, transactionLogTombstone("b")], { maxProducerEpoch: 32767 });
    expect([...loaded.transactions.keys()]).toEqual([ID]);
    expect(loaded.transactions.get(ID)?.producerEpoch).toBe(5);
  });

  it("what is not persisted comes back empty: no last epoch, no pending state, no failed fence", () => {
    const c = new CoordinatorDriver();
    const p = c.init(ID);
    c.init(ID, p);
    expect(c.metadata(ID).lastProducerEpoch).toBe(0);
    c.becomeLeader(c.cache.partitionFor(ID), 1);
    expect(c.metadata(ID).snapshot()).toMatchObject({ producerEpoch: 1, lastProducerEpoch: -1, pendingState: null, hasFailedEpochFence: false });
  });

  it("so a KIP-360 retry of InitProducerId that spans a failover is fenced (Kafka keeps no last epoch in the log)", () => {
    const c = new CoordinatorDriver();
    const p = c.init(ID);
    c.init(ID, p);
    c.becomeLeader(c.cache.partitionFor(ID), 1);
    expect(c.initProducerId(ID, p).reply).toMatchObject({ error: "PRODUCER_FENCED" });
  });

  it("lists the Prepare* ids to complete and the Ongoing ids the timeout scan will handle", () => {
    const c = new CoordinatorDriver({ config: { transactionStateTopicPartitions: 1 } });
    for (const id of ["committing", "aborting", "open", "idle"]) {
      const p = c.init(id);
      if (id !== "idle") c.begin(id, p);
      if (id === "committing") c.endTxn(id, p, "COMMIT");
      if (id === "aborting") c.endTxn(id, p, "ABORT");
    }
    const loaded = loadPartition(c.logs.get(0) ?? [], c.config);
    expect(loaded.toComplete).toEqual([
      { transactionalId: "committing", result: "COMMIT" },
      { transactionalId: "aborting", result: "ABORT" },
    ]);
    expect(loaded.ongoing).toEqual(["open"]);
  });
});

describe("coordinator failover", () => {
  it("requests for a partition being loaded get COORDINATOR_LOAD_IN_PROGRESS", () => {
    const c = new CoordinatorDriver();
    const p = c.init(ID);
    c.cache.startLoading(c.cache.partitionFor(ID), 1);
    expect(c.endTxn(ID, p, "COMMIT").reply).toMatchObject({ error: "COORDINATOR_LOAD_IN_PROGRESS" });
    expect(c.addPartitions(ID, p, [TP0]).reply).toMatchObject({ results: [{ error: "COORDINATOR_LOAD_IN_PROGRESS" }] });
  });

  it("a new coordinator resends the markers of a PrepareCommit with the stored id and epoch and its own coordinator epoch, then completes", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 2 } });
    const p = c.init(ID);
    c.begin(ID, p, [TP0, TP1]);
    const before = must(c.endTxn(ID, p, "COMMIT").markers);
    // The old coordinator dies before any marker is written.
    const [work, ...others] = c.becomeLeader(c.cache.partitionFor(ID), 3);
    expect(others).toEqual([]);
    expect(must(work).entry).toEqual({ ...before.entry, coordinatorEpoch: 3 });
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "PrepareCommit", pendingState: "CompleteCommit" });
    c.writeMarkers(must(work));
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "CompleteCommit", producerEpoch: p.producerEpoch + 1, pendingState: null });
  });

  it("while the reloaded transaction completes, a client retry gets CONCURRENT_TRANSACTIONS, then NONE", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 2 } });
    const p = c.init(ID);
    c.begin(ID, p);
    c.endTxn(ID, p, "COMMIT");
    const [work] = c.becomeLeader(c.cache.partitionFor(ID), 1);
    expect(c.endTxn(ID, p, "COMMIT").reply).toMatchObject({ error: "CONCURRENT_TRANSACTIONS" });
    c.writeMarkers(must(work));
    expect(c.endTxn(ID, p, "COMMIT").reply).toMatchObject({ error: "NONE", producerEpoch: p.producerEpoch + 1 });
  });

  it("the old coordinator's append that completes after the move answers NOT_COORDINATOR and changes nothing", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 1 } });
    const p = c.init(ID);
    c.begin(ID, p);
    const decision = c.endTxn(ID, p, "COMMIT", { appendError: "NONE" });
    expect(decision.appended).toBe(true);
    const partition = c.cache.partitionFor(ID);
    c.becomeLeader(partition, 1);
    // A second append prepared under epoch 0 is reported after the move.
    const stale = { ...must(decision.append), coordinatorEpoch: 0 };
    expect(onAppendCompleted(c.cache, stale, "NONE", c.ctx).reply).toMatchObject({ error: "NOT_COORDINATOR" });
    expect(c.metadata(ID).state).toBe("PrepareCommit");
  });

  it("a load that a newer election overtook is discarded", () => {
    const c = new CoordinatorDriver();
    c.init(ID);
    const partition = c.cache.partitionFor(ID);
    c.cache.startLoading(partition, 5);
    c.cache.startLoading(partition, 6);
    expect(c.cache.finishLoading(partition, 5, loadPartition([], c.config))).toBe(false);
    expect(c.cache.isLoading(partition)).toBe(true);
  });

  it("markers of the old coordinator epoch are abandoned once the partition moved", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 1 } });
    const p = c.init(ID);
    c.begin(ID, p);
    const old = must(c.endTxn(ID, p, "COMMIT").markers);
    c.becomeLeader(c.cache.partitionFor(ID), 1);
    expect(c.writeMarkers(old)).toBeUndefined();
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "PrepareCommit", topicPartitions: [TP0] });
  });
});
