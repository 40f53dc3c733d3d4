import { describe, expect, it } from "vitest";
import { handleAddPartitionsToTxn } from "../../../../src/nodes/kafka/txn/coordinator-logic.js";
import { GROUP_METADATA_TOPIC } from "../../../../src/nodes/kafka/txn/protocol.js";
import { partitionFor } from "../../../../src/nodes/kafka/txn/transaction-log.js";
import { CoordinatorDriver, TP0, TP1, TP2 } from "./helpers.js";

/**
 * AddPartitionsToTxn (explicit under TV1, implicit from partition leaders under TV2),
 * AddOffsetsToTxn, and KIP-890 part 1's verify-only requests: facts §1.3 and §1.7.
 */

const ID = "txn-a";

describe("AddPartitionsToTxn", () => {
  it("an empty or null transactional.id is INVALID_REQUEST for every partition", () => {
    const c = new CoordinatorDriver();
    expect(c.addPartitions("", { producerId: 1, producerEpoch: 0 }, [TP0, TP1]).reply).toEqual({
      api: "AddPartitionsToTxn",
      results: [
        { ...TP0, error: "INVALID_REQUEST" },
        { ...TP1, error: "INVALID_REQUEST" },
      ],
    });
    expect(c.addPartitions(null, { producerId: 1, producerEpoch: 0 }, [TP0]).reply).toMatchObject({ results: [{ error: "INVALID_REQUEST" }] });
  });

  it("an unknown transactional.id is INVALID_PRODUCER_ID_MAPPING and creates nothing", () => {
    const c = new CoordinatorDriver();
    expect(c.addPartitions(ID, { producerId: 1, producerEpoch: 0 }, [TP0])).toMatchObject({ appended: false, reply: { results: [{ error: "INVALID_PRODUCER_ID_MAPPING" }] } });
    expect(c.has(ID)).toBe(false);
  });

  it("another producer id is INVALID_PRODUCER_ID_MAPPING", () => {
    const c = new CoordinatorDriver();
    const p = c.init(ID);
    expect(c.addPartitions(ID, { ...p, producerId: p.producerId + 1 }, [TP0]).reply).toMatchObject({ results: [{ error: "INVALID_PRODUCER_ID_MAPPING" }] });
  });

  it("another epoch, older or newer, is PRODUCER_FENCED and nothing is added", () => {
    const c = new CoordinatorDriver();
    const old = c.init(ID);
    const p = c.init(ID);
    expect(c.addPartitions(ID, old, [TP0]).reply).toMatchObject({ results: [{ error: "PRODUCER_FENCED" }] });
    expect(c.addPartitions(ID, { ...p, producerEpoch: p.producerEpoch + 1 }, [TP0]).reply).toMatchObject({ results: [{ error: "PRODUCER_FENCED" }] });
    expect(c.metadata(ID).state).toBe("Empty");
  });

  it("a pending transition is CONCURRENT_TRANSACTIONS, checked before the producer id (KAFKA-18660)", () => {
    const c = new CoordinatorDriver();
    const p = c.init(ID);
    handleAddPartitionsToTxn(c.cache, { transactionalId: ID, ...p, partitions: [TP0], verifyOnly: false, transactionVersion: 2 }, c.ctx);
    expect(c.addPartitions(ID, p, [TP1]).reply).toMatchObject({ results: [{ error: "CONCURRENT_TRANSACTIONS" }] });
    expect(c.addPartitions(ID, { producerId: 4242, producerEpoch: 0 }, [TP1]).reply).toMatchObject({ results: [{ error: "CONCURRENT_TRANSACTIONS" }] });
  });

  it("PrepareCommit / PrepareAbort is CONCURRENT_TRANSACTIONS until Complete* is written", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 1 } });
    const p = c.init(ID);
    c.begin(ID, p);
    const end = c.endTxn(ID, p, "COMMIT");
    c.metadata(ID).clearPendingState();
    expect(c.addPartitions(ID, p, [TP1])).toMatchObject({ appended: false, reply: { results: [{ error: "CONCURRENT_TRANSACTIONS" }] } });
    expect(end.reply).toMatchObject({ error: "NONE" });
  });

  it("from Empty the partitions are appended as Ongoing, with the start timestamp of the coordinator's clock", () => {
    const c = new CoordinatorDriver();
    const p = c.init(ID);
    c.nowMs = 2_000_000;
    const outcome = c.addPartitions(ID, p, [TP1, TP0]);
    expect(outcome.append?.transit).toMatchObject({ txnState: "Ongoing", topicPartitions: [TP0, TP1], txnStartTimestamp: 2_000_000 });
    expect(outcome.reply).toMatchObject({ results: [{ ...TP0, error: "NONE" }, { ...TP1, error: "NONE" }] });
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "Ongoing", txnStartTimestamp: 2_000_000, txnLastUpdateTimestamp: 2_000_000 });
  });

  it("partitions already in the Ongoing transaction are answered NONE without a log write", () => {
    const c = new CoordinatorDriver();
    const p = c.init(ID);
    c.begin(ID, p, [TP0, TP1]);
    expect(c.addPartitions(ID, p, [TP1])).toMatchObject({ appended: false, reply: { results: [{ error: "NONE" }] } });
  });

  it("a new partition in an Ongoing transaction appends the union and keeps the start timestamp", () => {
    const c = new CoordinatorDriver();
    const p = c.init(ID);
    c.begin(ID, p, [TP0]);
    const started = c.metadata(ID).txnStartTimestamp;
    c.nowMs += 500;
    const outcome = c.addPartitions(ID, p, [TP2]);
    expect(outcome.append?.transit).toMatchObject({ topicPartitions: [TP2, TP0], txnStartTimestamp: started });
    expect(c.metadata(ID).txnLastUpdateTimestamp).toBe(c.nowMs);
  });

  it("after CompleteCommit a new transaction starts at the current time with only the new partitions", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 1 } });
    const p = c.init(ID);
    c.begin(ID, p, [TP0]);
    c.finish(ID, p, "COMMIT");
    c.nowMs += 10_000;
    c.begin(ID, p, [TP1]);
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "Ongoing", topicPartitions: [TP1], txnStartTimestamp: c.nowMs });
  });

  it("an implicit (TV2) add records the client's transaction version", () => {
    const c = new CoordinatorDriver();
    const p = c.init(ID);
    c.addPartitions(ID, p, [TP0], { transactionVersion: 2 });
    expect(c.metadata(ID).clientTransactionVersion).toBe(2);
  });

  it("a failed append answers the mapped error and leaves the transaction as it was", () => {
    const c = new CoordinatorDriver();
    const p = c.init(ID);
    expect(c.addPartitions(ID, p, [TP0], { appendError: "REQUEST_TIMED_OUT" }).reply).toMatchObject({ results: [{ error: "COORDINATOR_NOT_AVAILABLE" }] });
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "Empty", topicPartitions: [], pendingState: null });
  });
});

describe("AddOffsetsToTxn", () => {
  it("adds __consumer_offsets-partitionFor(groupId) to the transaction", () => {
    const c = new CoordinatorDriver({ config: { offsetsTopicPartitions: 50 } });
    const p = c.init(ID);
    const outcome = c.addOffsets(ID, p, "copier-group");
    const offsets = { topic: GROUP_METADATA_TOPIC, partition: partitionFor("copier-group", 50) };
    expect(outcome.reply).toEqual({ api: "AddOffsetsToTxn", error: "NONE" });
    expect(c.metadata(ID).topicPartitions).toEqual([offsets]);
  });

  it("follows AddPartitionsToTxn's checks: a stale epoch is PRODUCER_FENCED", () => {
    const c = new CoordinatorDriver();
    const old = c.init(ID);
    c.init(ID);
    expect(c.addOffsets(ID, old, "g").reply).toEqual({ api: "AddOffsetsToTxn", error: "PRODUCER_FENCED" });
  });
});

describe("AddPartitionsToTxn verify-only (KIP-890 part 1)", () => {
  it("answers NONE for partitions in the transaction and TRANSACTION_ABORTABLE for the others, without a log write", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 1 } });
    const p = c.init(ID);
    c.begin(ID, p, [TP0]);
    const before = c.appends.length;
    expect(c.addPartitions(ID, p, [TP0, TP1], { verifyOnly: true })).toMatchObject({
      appended: false,
      reply: { results: [{ ...TP0, error: "NONE" }, { ...TP1, error: "TRANSACTION_ABORTABLE" }] },
    });
    expect(c.appends.length).toBe(before);
    expect(c.metadata(ID).topicPartitions).toEqual([TP0]);
  });

  it("a partition added to no transaction (Empty) is TRANSACTION_ABORTABLE", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 1 } });
    const p = c.init(ID);
    expect(c.addPartitions(ID, p, [TP0], { verifyOnly: true }).reply).toMatchObject({ results: [{ error: "TRANSACTION_ABORTABLE" }] });
  });

  it("a stale epoch is PRODUCER_FENCED; an unknown id or another producer id INVALID_PRODUCER_ID_MAPPING", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 1 } });
    const old = c.init(ID);
    const p = c.init(ID);
    expect(c.addPartitions(ID, old, [TP0], { verifyOnly: true }).reply).toMatchObject({ results: [{ error: "PRODUCER_FENCED" }] });
    expect(c.addPartitions(ID, { ...p, producerId: 1 }, [TP0], { verifyOnly: true }).reply).toMatchObject({ results: [{ error: "INVALID_PRODUCER_ID_MAPPING" }] });
    expect(c.addPartitions("unknown", p, [TP0], { verifyOnly: true }).reply).toMatchObject({ results: [{ error: "INVALID_PRODUCER_ID_MAPPING" }] });
  });

  it("PrepareCommit / PrepareAbort is CONCURRENT_TRANSACTIONS; a pending transition alone is not checked", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 1 } });
    const p = c.init(ID);
    c.begin(ID, p, [TP0]);
    handleAddPartitionsToTxn(c.cache, { transactionalId: ID, ...p, partitions: [TP1], verifyOnly: false, transactionVersion: 1 }, c.ctx);
    expect(c.metadata(ID).pendingState).toBe("Ongoing");
    expect(c.addPartitions(ID, p, [TP0], { verifyOnly: true }).reply).toMatchObject({ results: [{ error: "NONE" }] });
    c.metadata(ID).clearPendingState();
    c.endTxn(ID, p, "ABORT");
    expect(c.addPartitions(ID, p, [TP0], { verifyOnly: true }).reply).toMatchObject({ results: [{ error: "CONCURRENT_TRANSACTIONS" }] });
  });
});
