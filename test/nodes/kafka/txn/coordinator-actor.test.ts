import { describe, expect, it } from "vitest";
import type { KafkaError } from "../../../../src/nodes/kafka/errors.js";
import { TXN_BUGS } from "../../../../src/nodes/kafka/txn/bugs.js";
import { transactionCoordinatorFactory } from "../../../../src/nodes/kafka/txn/coordinator.js";
import { TXN_ASSERTIONS, TXN_COVERAGE } from "../../../../src/nodes/kafka/txn/coverage.js";
import { TRANSACTION_STATE_TOPIC } from "../../../../src/nodes/kafka/txn/protocol.js";
import { fromKafkaRecord } from "../../../../src/nodes/kafka/txn/transaction-log.js";
import { TRANSACTION_STATES } from "../../../../src/nodes/kafka/txn/transaction-metadata.js";
import { CoordinatorHarness, TP_A0 } from "./actor-harness.js";
import { must } from "./helpers.js";

describe("TransactionCoordinator: requests through the actor", () => {
  it("answers InitProducerId only once its append completes, echoing the correlation id", () => {
    const h = new CoordinatorHarness();
    const id = h.request({ type: "InitProducerId", transactionalId: "t1", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(h.responsesTo(id)).toEqual([]);
    h.completeAppends();
    expect(h.responseTo(id)).toEqual({ type: "InitProducerIdResponse", correlationId: id, error: "NONE", producerId: 1000, producerEpoch: 0 });
  });

  it("appends to the id's __transaction_state partition with acks=all and the transaction timeout", () => {
    const h = new CoordinatorHarness();
    h.request({ type: "InitProducerId", transactionalId: "t1", transactionTimeoutMs: 45_000, producerId: -1, producerEpoch: -1 });
    expect(h.services.appendsAsked).toHaveLength(1);
    expect(h.services.appendsAsked[0]).toMatchObject({ topic: TRANSACTION_STATE_TOPIC, partition: h.partitionOf("t1"), acks: -1, timeoutMs: 45_000 });
    const record = fromKafkaRecord(must(h.services.appendsAsked[0]?.records[0]));
    expect(record.key.transactionalId).toBe("t1");
    expect(record.value?.transactionStatus).toBe(TRANSACTION_STATES.Empty.id);
  });

  it("appends with acks=1 under txn-log-acks-1", () => {
    const h = new CoordinatorHarness({ bugs: [TXN_BUGS.txnLogAcks1] });
    h.request({ type: "InitProducerId", transactionalId: "t1", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(h.services.appendsAsked[0]?.acks).toBe(1);
  });

  it("runs init, add, commit end to end: EndTxn answered after PrepareCommit, CompleteCommit after the markers", () => {
    const h = new CoordinatorHarness({ config: { transactionVersion: 1 } });
    const producer = h.initProducer("t1");
    expect(h.addPartitions("t1", producer, [TP_A0])).toMatchObject({ type: "AddPartitionsToTxnResponse", results: [{ ...TP_A0, error: "NONE" }] });

    const end = h.request({ type: "EndTxn", transactionalId: "t1", ...producer, result: "COMMIT", transactionVersion: 1 });
    expect(h.responsesTo(end)).toEqual([]);
    expect(h.completeAppends()).toBe(1);
    expect(h.responseTo(end)).toMatchObject({ type: "EndTxnResponse", error: "NONE" });
    expect(h.coordinator.transactionState("t1")?.state).toBe("PrepareCommit");

    expect(h.markerRequests()).toHaveLength(1);
    h.answerAllMarkers();
    expect(h.completeAppends()).toBe(1);
    expect(h.coordinator.transactionState("t1")).toMatchObject({ state: "CompleteCommit", producerId: producer.producerId, producerEpoch: 0, partitions: [], pendingState: null });
    expect(h.tracesOf("txn.state").map((r) => r.fields?.state)).toEqual(["Empty", "Ongoing", "PrepareCommit", "CompleteCommit"]);
  });

  it("traces txn.state with the report's field names", () => {
    const h = new CoordinatorHarness();
    h.initProducer("t1");
    expect(h.tracesOf("txn.state")[0]?.fields).toEqual({ txnId: "t1", state: "Empty", producerId: 1000, epoch: 0, partitions: "", coordinatorEpoch: 0, reason: "init" });
  });

  it("caps the client's transaction version at the cluster's: a TV2 EndTxn on a TV1 cluster bumps no epoch", () => {
    const h = new CoordinatorHarness({ config: { transactionVersion: 1 } });
    const producer = h.initProducer("t1");
    h.addPartitions("t1", producer, [TP_A0]);
    const end = h.request({ type: "EndTxn", transactionalId: "t1", ...producer, result: "COMMIT", transactionVersion: 2 });
    h.completeAppends();
    expect(h.responseTo(end)).toMatchObject({ error: "NONE", producerId: -1, producerEpoch: -1 });
    expect(h.coordinator.transactionState("t1")?.producerEpoch).toBe(producer.producerEpoch);
  });

  it("answers NOT_COORDINATOR for an id whose partition it does not lead", () => {
    const probe = new CoordinatorHarness();
    const h = new CoordinatorHarness({ lead: [(probe.partitionOf("t1") + 1) % probe.config.transactionStateTopicPartitions] });
    const id = h.request({ type: "InitProducerId", transactionalId: "t1", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(h.responseTo(id)).toMatchObject({ type: "InitProducerIdResponse", error: "NOT_COORDINATOR" });
    expect(h.services.appendsAsked).toEqual([]);
  });

  it("answers COORDINATOR_LOAD_IN_PROGRESS while the partition loads, and serves it afterwards", () => {
    const h = new CoordinatorHarness({ lead: [], config: { transactionLogLoadTimeMs: 50 } });
    h.coordinator.onBecomeLeader(h.partitionOf("t1"), 3);
    const early = h.request({ type: "InitProducerId", transactionalId: "t1", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(h.responseTo(early)).toMatchObject({ error: "COORDINATOR_LOAD_IN_PROGRESS" });
    h.advance(50);
    expect(h.coordinator.ownedPartitions).toEqual([h.partitionOf("t1")]);
    expect(h.initProducer("t1")).toEqual({ producerId: 1000, producerEpoch: 0 });
    expect(h.coordinator.transactionState("t1")?.coordinatorEpoch).toBe(3);
  });

  it("answers COORDINATOR_LOAD_IN_PROGRESS while the broker has no producer ids", () => {
    const h = new CoordinatorHarness();
    h.services.producerIdsAvailable = false;
    const id = h.request({ type: "InitProducerId", transactionalId: "t1", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(h.responseTo(id)).toMatchObject({ error: "COORDINATOR_LOAD_IN_PROGRESS" });
  });

  it.each<[KafkaError, KafkaError]>([
    ["NOT_ENOUGH_REPLICAS", "COORDINATOR_NOT_AVAILABLE"],
    ["REQUEST_TIMED_OUT", "COORDINATOR_NOT_AVAILABLE"],
    ["NOT_LEADER_OR_FOLLOWER", "NOT_COORDINATOR"],
    ["MESSAGE_TOO_LARGE", "UNKNOWN_SERVER_ERROR"],
  ])("maps an append failing with %s to %s and clears the pending state", (appendError, answered) => {
    const h = new CoordinatorHarness();
    const id = h.request({ type: "InitProducerId", transactionalId: "t1", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    h.completeAppends(appendError);
    expect(h.responseTo(id)).toMatchObject({ error: answered });
    expect(h.coordinator.transactionState("t1")?.pendingState).toBeNull();
  });

  it("after NOT_ENOUGH_REPLICAS_AFTER_APPEND the client hears COORDINATOR_NOT_AVAILABLE, but a reload finds the record", () => {
    const h = new CoordinatorHarness();
    const id = h.request({ type: "InitProducerId", transactionalId: "t1", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    h.completeAppends("NOT_ENOUGH_REPLICAS_AFTER_APPEND");
    expect(h.responseTo(id)).toMatchObject({ error: "COORDINATOR_NOT_AVAILABLE" });
    expect(h.coordinator.transactionState("t1")?.producerEpoch).toBe(-1);
    h.coordinator.onBecomeLeader(h.partitionOf("t1"), 1);
    h.advance(0);
    expect(h.coordinator.transactionState("t1")).toMatchObject({ state: "Empty", producerEpoch: 0 });
  });

  it("reports an illegal transition as an assertion failure and answers UNKNOWN_SERVER_ERROR", () => {
    const h = new CoordinatorHarness({ lead: [] });
    const partition = h.partitionOf("t1");
    h.seedLog(partition, [deadRecord("t1")]);
    h.coordinator.onBecomeLeader(partition, 1);
    h.advance(0);
    const id = h.request({ type: "InitProducerId", transactionalId: "t1", transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    expect(h.responseTo(id)).toMatchObject({ error: "UNKNOWN_SERVER_ERROR" });
    expect(h.sim.assert.failures.map((f) => f.name)).toEqual([TXN_ASSERTIONS.legalTransitions]);
  });

  it("counts a zombie fenced when a request with an old epoch gets PRODUCER_FENCED", () => {
    const h = new CoordinatorHarness();
    const first = h.initProducer("t1");
    h.initProducer("t1");
    expect(h.hits(TXN_COVERAGE.zombieFenced)).toBe(0);
    const add = h.request({ type: "AddPartitionsToTxn", transactionalId: "t1", ...first, partitions: [TP_A0], verifyOnly: false, transactionVersion: 2 });
    expect(h.responseTo(add)).toMatchObject({ results: [{ error: "PRODUCER_FENCED" }] });
    expect(h.hits(TXN_COVERAGE.zombieFenced)).toBe(1);
  });

  it("counts an epoch exhausted when InitProducerId rotates the producer id", () => {
    const h = new CoordinatorHarness({ config: { maxProducerEpoch: 3 } });
    let producer = h.initProducer("t1");
    while (producer.producerId === 1000) producer = h.initProducer("t1");
    expect(producer).toEqual({ producerId: 1001, producerEpoch: 0 });
    expect(h.hits(TXN_COVERAGE.epochExhausted)).toBe(1);
  });

  it("answers verify-only AddPartitionsToTxn from a partition leader without appending", () => {
    const h = new CoordinatorHarness();
    const producer = h.initProducer("t1");
    h.addPartitions("t1", producer, [TP_A0]);
    const appends = h.services.appendsAsked.length;
    const verify = h.request({ type: "AddPartitionsToTxn", transactionalId: "t1", ...producer, partitions: [TP_A0, { topic: "a", partition: 7 }], verifyOnly: true, transactionVersion: 2 });
    expect(h.responseTo(verify)).toMatchObject({ results: [{ ...TP_A0, error: "NONE" }, { topic: "a", partition: 7, error: "TRANSACTION_ABORTABLE" }] });
    expect(h.services.appendsAsked).toHaveLength(appends);
  });

  it("builds a coordinator per broker from the factory with the given config", () => {
    const h = new CoordinatorHarness();
    const coordinator = transactionCoordinatorFactory({ transactionStateTopicPartitions: 7 })(h.services);
    expect(coordinator.topic).toBe(TRANSACTION_STATE_TOPIC);
    expect(coordinator.handles("EndTxn") && coordinator.handles("InitProducerId")).toBe(true);
    expect(coordinator.handles("WriteTxnMarkers") || coordinator.handles("TxnOffsetCommit")).toBe(false);
  });
});

function deadRecord(transactionalId: string): Parameters<CoordinatorHarness["seedLog"]>[1][number] {
  return {
    key: { version: 0, transactionalId },
    value: {
      version: 1,
      producerId: 5,
      previousProducerId: -1,
      nextProducerId: -1,
      producerEpoch: 0,
      transactionTimeoutMs: 60_000,
      transactionStatus: TRANSACTION_STATES.Dead.id,
      transactionPartitions: [],
      transactionLastUpdateTimestampMs: 0,
      transactionStartTimestampMs: -1,
      clientTransactionVersion: 2,
    },
  };
}
