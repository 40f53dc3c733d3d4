import { describe, expect, it } from "vitest";
import { KafkaProducer, type EndTransactionResult, type TxnCallback } from "../../../../src/nodes/kafka/client/producer.js";
import type { ProducerOptions } from "../../../../src/nodes/kafka/client/producer-config.js";
import { ProducerConfigError, resolveProducerConfig } from "../../../../src/nodes/kafka/client/producer-config.js";
import { TransactionStateError, type TxnCallResult } from "../../../../src/nodes/kafka/client/transaction-manager.js";
import type { KafkaRequest } from "../../../../src/nodes/kafka/protocol.js";
import { buildFakeTxnSystem, type FakeTxnSystem } from "../../../helpers/kafka-fake-txn-coordinator.js";
import { addHost, allDone, sendAll, values } from "./harness.js";

const TXN_ID = "tx-1";

function txnSystem(options: { brokers?: number[]; partitions?: number } = {}): FakeTxnSystem {
  return buildFakeTxnSystem({ brokers: options.brokers ?? [1], topics: [{ name: "t", partitions: options.partitions ?? 1 }] });
}

function addTxnProducer(sys: FakeTxnSystem, options: Partial<ProducerOptions> = {}): KafkaProducer {
  const host = addHost(sys);
  const producer = new KafkaProducer(host.ctx, { bootstrapBrokers: sys.cluster.brokers, transactionalId: TXN_ID, ...options }, host.correlationIds);
  host.producer = producer;
  return producer;
}

/** Calls `call` with a callback and returns a box its result lands in. */
function capture<T>(call: (callback: (result: T) => void) => void): { value: T | undefined } {
  const box: { value: T | undefined } = { value: undefined };
  call((result) => (box.value = result));
  return box;
}

function initialized(sys: FakeTxnSystem, options: Partial<ProducerOptions> = {}): KafkaProducer {
  const producer = addTxnProducer(sys, options);
  const init = capture<TxnCallResult>((cb: TxnCallback) => producer.initTransactions(cb));
  expect(sys.runUntil(() => init.value !== undefined)).toBe(true);
  expect(init.value).toEqual({ ok: true });
  return producer;
}

const records = (vals: readonly string[], partition?: number) => vals.map((value) => ({ topic: "t", key: null, value, ...(partition === undefined ? {} : { partition }) }));

function commit(sys: FakeTxnSystem, producer: KafkaProducer, limitMs = 60_000): EndTransactionResult | undefined {
  const end = capture<EndTransactionResult>((cb) => producer.commitTransaction(cb));
  sys.runUntil(() => end.value !== undefined, limitMs);
  return end.value;
}

function abort(sys: FakeTxnSystem, producer: KafkaProducer): EndTransactionResult | undefined {
  const end = capture<EndTransactionResult>((cb) => producer.abortTransaction(cb));
  sys.runUntil(() => end.value !== undefined, 60_000);
  return end.value;
}

function types(sys: FakeTxnSystem): KafkaRequest["type"][] {
  return sys.cluster.received.map((r) => r.request.type).filter((t) => t !== "Metadata");
}

describe("transactional producer config", () => {
  it("a transactionalId forces idempotence on, with Kafka's transaction defaults", () => {
    const config = resolveProducerConfig({ bootstrapBrokers: [1], transactionalId: "x" });
    expect(config).toMatchObject({ enableIdempotence: true, transactionTimeoutMs: 60_000, transactionVersion: 2 });
  });

  it("a transactionalId with idempotence switched off is a config error", () => {
    expect(() => resolveProducerConfig({ bootstrapBrokers: [1], transactionalId: "x", enableIdempotence: false })).toThrow(ProducerConfigError);
  });
});

describe("transaction manager state machine", () => {
  it("initTransactions looks up the transaction coordinator, then sends InitProducerId with the transaction timeout", () => {
    const sys = txnSystem();
    const producer = initialized(sys, { transactionTimeoutMs: 12_345 });
    expect(types(sys)).toEqual(["FindCoordinator", "InitProducerId"]);
    expect(sys.cluster.requests("FindCoordinator")[0]).toMatchObject({ key: TXN_ID, keyType: "TRANSACTION" });
    expect(sys.cluster.requests("InitProducerId")[0]).toMatchObject({ transactionalId: TXN_ID, transactionTimeoutMs: 12_345, producerId: -1, producerEpoch: -1 });
    expect(producer.transactionState).toBe("READY");
    expect(producer.producerIdAndEpoch).toEqual({ producerId: 5000, producerEpoch: 0 });
  });

  it("begin, commit: READY → IN_TRANSACTION → COMMITTING_TRANSACTION → READY", () => {
    const sys = txnSystem();
    const producer = initialized(sys);
    expect(producer.beginTransaction()).toEqual({ ok: true });
    expect(producer.transactionState).toBe("IN_TRANSACTION");
    const results = sendAll(producer, records(["a"]));
    const end = capture<EndTransactionResult>((cb) => producer.commitTransaction(cb));
    expect(producer.transactionState).toBe("COMMITTING_TRANSACTION");
    expect(sys.runUntil(() => end.value !== undefined && allDone(results))).toBe(true);
    expect(producer.transactionState).toBe("READY");
    expect(end.value).toEqual({ ok: true, outcome: { kind: "committed", producerId: 5000, producerEpoch: 0 } });
  });

  it("illegal calls throw: beginTransaction before initTransactions, twice, and commit outside a transaction", () => {
    const sys = txnSystem();
    const fresh = addTxnProducer(sys);
    expect(() => fresh.beginTransaction()).toThrow(TransactionStateError);
    const sys2 = txnSystem();
    const producer = initialized(sys2);
    expect(() => producer.commitTransaction(() => undefined)).toThrow(TransactionStateError);
    producer.beginTransaction();
    expect(() => producer.beginTransaction()).toThrow(TransactionStateError);
  });

  it("a send outside a transaction fails without being sent", () => {
    const sys = txnSystem();
    const producer = initialized(sys);
    const results = sendAll(producer, records(["a"]));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(results[0]).toMatchObject({ ok: false, error: "ILLEGAL_STATE", definite: true });
    expect(sys.cluster.requests("Produce")).toHaveLength(0);
  });

  it("transactional methods on a producer without a transactionalId throw", () => {
    const sys = txnSystem();
    const host = addHost(sys);
    const producer = new KafkaProducer(host.ctx, { bootstrapBrokers: [1] }, host.correlationIds);
    expect(() => producer.initTransactions(() => undefined)).toThrow(TransactionStateError);
  });
});

describe("transaction version 1", () => {
  it("AddPartitionsToTxn names a new partition before its first batch is sent; batches are transactional", () => {
    const sys = txnSystem({ partitions: 2 });
    const producer = initialized(sys, { transactionVersion: 1 });
    producer.beginTransaction();
    const results = sendAll(producer, [...records(["a"], 0), ...records(["b"], 1)]);
    expect(commit(sys, producer)).toMatchObject({ ok: true });
    expect(allDone(results)).toBe(true);
    const order = types(sys);
    expect(order.indexOf("AddPartitionsToTxn")).toBeLessThan(order.indexOf("Produce"));
    const added = sys.cluster.requests("AddPartitionsToTxn").flatMap((r) => r.partitions.map((p) => p.partition));
    expect(added.sort()).toEqual([0, 1]);
    const produce = sys.cluster.requests("Produce")[0];
    expect(produce?.transactionalId).toBe(TXN_ID);
    expect(produce?.topicData.every((d) => d.batch.isTransactional)).toBe(true);
    expect(sys.coordinator.ended).toEqual([{ transactionalId: TXN_ID, result: "COMMIT", producerId: 5000, producerEpoch: 0, partitions: ["t-0", "t-1"] }]);
  });

  it("a batch waits while its partition's AddPartitionsToTxn is unanswered", () => {
    const sys = txnSystem();
    const producer = initialized(sys, { transactionVersion: 1, lingerMs: 0 });
    sys.cluster.inject({ api: "AddPartitionsToTxn", action: { kind: "delay-response", ms: 300 } });
    producer.beginTransaction();
    const results = sendAll(producer, records(["a"]));
    sys.runMs(250);
    expect(sys.cluster.requests("Produce")).toHaveLength(0);
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(sys.cluster.requests("Produce")).toHaveLength(1);
  });

  it("CONCURRENT_TRANSACTIONS on the first AddPartitionsToTxn of a transaction is retried after 20 ms", () => {
    const sys = txnSystem();
    const producer = initialized(sys, { transactionVersion: 1 });
    sys.cluster.inject({ api: "AddPartitionsToTxn", action: { kind: "error", error: "CONCURRENT_TRANSACTIONS" }, count: 2 });
    producer.beginTransaction();
    const results = sendAll(producer, records(["a"]));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    const times = sys.cluster.received.filter((r) => r.request.type === "AddPartitionsToTxn").map((r) => r.atUs);
    expect(times).toHaveLength(3);
    // 20 ms of backoff plus a 1 ms response and a 1 ms request.
    expect(((times[1] as number) - (times[0] as number)) / 1000).toBeCloseTo(22, 0);
    expect(results[0]).toMatchObject({ ok: true });
  });

  it("sendOffsetsToTransaction: AddOffsetsToTxn to the transaction coordinator, then TxnOffsetCommit with the group metadata to the group coordinator", () => {
    const sys = txnSystem({ brokers: [1, 2] });
    sys.coordinator.groupCoordinator = 2;
    const producer = initialized(sys, { transactionVersion: 1 });
    producer.beginTransaction();
    const group = { groupId: "g", generationId: 7, memberId: "m-1", groupInstanceId: null };
    const sent = capture<TxnCallResult>((cb) => producer.sendOffsetsToTransaction([{ topic: "in", partition: 0, offset: 42 }], group, cb));
    expect(sys.runUntil(() => sent.value !== undefined)).toBe(true);
    expect(sent.value).toEqual({ ok: true });
    expect(types(sys).slice(2)).toEqual(["AddOffsetsToTxn", "FindCoordinator", "TxnOffsetCommit"]);
    expect(sys.cluster.requests("AddOffsetsToTxn")[0]).toMatchObject({ groupId: "g", producerId: 5000, producerEpoch: 0 });
    expect(sys.cluster.requests("FindCoordinator")[1]).toMatchObject({ key: "g", keyType: "GROUP" });
    const commitRequest = sys.cluster.received.find((r) => r.request.type === "TxnOffsetCommit");
    expect(commitRequest?.broker).toBe(2);
    expect(commitRequest?.request).toMatchObject({ groupId: "g", generationId: 7, memberId: "m-1", groupInstanceId: null, offsets: [{ topic: "in", partition: 0, offset: 42 }] });
    expect(commit(sys, producer)).toMatchObject({ ok: true });
    expect(sys.coordinator.committedOffsets.get("g/in-0")).toBe(42);
  });

  it("after an abortable produce error the abort bumps the epoch with InitProducerId(current pid, epoch)", () => {
    const sys = txnSystem();
    const producer = initialized(sys, { transactionVersion: 1 });
    sys.cluster.inject({ api: "Produce", tp: "t-0", action: { kind: "error", error: "TRANSACTION_ABORTABLE" } });
    producer.beginTransaction();
    const results = sendAll(producer, records(["a"]));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(producer.transactionState).toBe("ABORTABLE_ERROR");
    expect(commit(sys, producer)).toMatchObject({ ok: false, errorClass: "abortable", outcome: undefined });
    expect(abort(sys, producer)).toEqual({ ok: true, outcome: { kind: "aborted", producerId: 5000, producerEpoch: 0 } });
    expect(types(sys).slice(-2)).toEqual(["EndTxn", "InitProducerId"]);
    expect(sys.cluster.requests("InitProducerId")[1]).toMatchObject({ producerId: 5000, producerEpoch: 0 });
    expect(producer.producerIdAndEpoch).toEqual({ producerId: 5000, producerEpoch: 1 });
    expect(producer.transactionState).toBe("READY");
  });
});

describe("errors and retries", () => {
  it("INVALID_PRODUCER_EPOCH on a produce is abortable, not fatal (KIP-588)", () => {
    const sys = txnSystem();
    const producer = initialized(sys);
    sys.cluster.inject({ api: "Produce", tp: "t-0", action: { kind: "error", error: "INVALID_PRODUCER_EPOCH" } });
    producer.beginTransaction();
    const results = sendAll(producer, records(["a"]));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(producer.transactionState).toBe("ABORTABLE_ERROR");
    expect(abort(sys, producer)).toMatchObject({ ok: true });
  });

  it("COORDINATOR_LOAD_IN_PROGRESS on InitProducerId is retried after retry.backoff.ms", () => {
    const sys = txnSystem();
    sys.cluster.inject({ api: "InitProducerId", action: { kind: "error", error: "COORDINATOR_LOAD_IN_PROGRESS" } });
    initialized(sys, { retryBackoffMs: 250 });
    const times = sys.cluster.received.filter((r) => r.request.type === "InitProducerId").map((r) => r.atUs);
    expect(times).toHaveLength(2);
    expect(((times[1] as number) - (times[0] as number)) / 1000).toBeCloseTo(252, 0);
    expect(types(sys).filter((t) => t === "FindCoordinator")).toHaveLength(1);
  });

  it("NOT_COORDINATOR on TxnOffsetCommit looks the group coordinator up again", () => {
    const sys = txnSystem({ brokers: [1, 2] });
    const producer = initialized(sys);
    producer.beginTransaction();
    const group = { groupId: "g", generationId: 1, memberId: "m", groupInstanceId: null };
    const sent = capture<TxnCallResult>((cb) => producer.sendOffsetsToTransaction([{ topic: "in", partition: 0, offset: 3 }], group, cb));
    // The lookup names broker 1; the group moves to broker 2 before TxnOffsetCommit arrives.
    sys.runMs(1);
    sys.coordinator.groupCoordinator = 2;
    expect(sys.runUntil(() => sent.value !== undefined)).toBe(true);
    expect(sent.value).toEqual({ ok: true });
    const commits = sys.cluster.received.filter((r) => r.request.type === "TxnOffsetCommit").map((r) => r.broker);
    expect(commits).toEqual([1, 2]);
    expect(sys.cluster.requests("FindCoordinator").filter((r) => r.keyType === "GROUP")).toHaveLength(2);
  });

  it("the idempotent path is untouched: no coordinator requests, non-transactional batches", () => {
    const sys = txnSystem();
    const host = addHost(sys);
    const producer = new KafkaProducer(host.ctx, { bootstrapBrokers: [1] }, host.correlationIds);
    host.producer = producer;
    const results = sendAll(producer, records(["a"]));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(types(sys)).toEqual(["InitProducerId", "Produce"]);
    const produce = sys.cluster.requests("Produce")[0];
    expect([produce?.transactionalId, produce?.topicData[0]?.batch.isTransactional]).toEqual([null, false]);
  });
});

describe("transaction version 2", () => {
  it("sends no AddPartitionsToTxn, and adopts the producer epoch EndTxn answers with", () => {
    const sys = txnSystem();
    const producer = initialized(sys);
    producer.beginTransaction();
    sendAll(producer, records(["a"]));
    expect(commit(sys, producer)).toEqual({ ok: true, outcome: { kind: "committed", producerId: 5000, producerEpoch: 0 } });
    expect(sys.cluster.requests("AddPartitionsToTxn")).toHaveLength(0);
    expect(sys.cluster.requests("EndTxn")[0]).toMatchObject({ producerEpoch: 0, transactionVersion: 2, result: "COMMIT" });
    expect(producer.producerIdAndEpoch).toEqual({ producerId: 5000, producerEpoch: 1 });
    producer.beginTransaction();
    const next = sendAll(producer, records(["b"]));
    expect(sys.runUntil(() => allDone(next))).toBe(true);
    const batch = sys.cluster.requests("Produce")[1]?.topicData[0]?.batch;
    expect([batch?.producerEpoch, batch?.baseSequence]).toEqual([1, 0]);
  });

  it("sendOffsetsToTransaction sends TxnOffsetCommit without AddOffsetsToTxn", () => {
    const sys = txnSystem();
    const producer = initialized(sys);
    producer.beginTransaction();
    const group = { groupId: "g", generationId: 1, memberId: "m", groupInstanceId: "i" };
    const sent = capture<TxnCallResult>((cb) => producer.sendOffsetsToTransaction([{ topic: "in", partition: 1, offset: 5 }], group, cb));
    expect(sys.runUntil(() => sent.value !== undefined)).toBe(true);
    expect(sys.cluster.requests("AddOffsetsToTxn")).toHaveLength(0);
    expect(sys.cluster.requests("TxnOffsetCommit")).toHaveLength(1);
    expect(commit(sys, producer)).toMatchObject({ ok: true });
  });

  it("an abortable error is recovered by the abort's EndTxn, without InitProducerId", () => {
    const sys = txnSystem();
    const producer = initialized(sys);
    sys.cluster.inject({ api: "Produce", tp: "t-0", action: { kind: "error", error: "INVALID_TXN_STATE" } });
    producer.beginTransaction();
    const results = sendAll(producer, records(["a"]));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(producer.transactionState).toBe("ABORTABLE_ERROR");
    expect(abort(sys, producer)).toMatchObject({ ok: true, outcome: { kind: "aborted" } });
    expect(sys.cluster.requests("InitProducerId")).toHaveLength(1);
    expect(producer.producerIdAndEpoch.producerEpoch).toBe(1);
  });
});

describe("ending a transaction", () => {
  it("commit flushes: lingering batches go out at once, and EndTxn only after they are acknowledged", () => {
    const sys = txnSystem();
    const producer = initialized(sys, { lingerMs: 10_000 });
    producer.beginTransaction();
    const results = sendAll(producer, records(values("v", 3)));
    const started = sys.sim.nowUs;
    expect(commit(sys, producer)).toMatchObject({ ok: true });
    expect(sys.sim.nowUs - started).toBeLessThan(1_000_000);
    expect(results.every((r) => r?.ok === true)).toBe(true);
    const order = types(sys);
    expect(order.lastIndexOf("Produce")).toBeLessThan(order.indexOf("EndTxn"));
  });

  it("abort fails the batches not yet sent (TRANSACTION_ABORTED, definitely not written) and ends with EndTxn(ABORT)", () => {
    const sys = txnSystem();
    const producer = initialized(sys, { lingerMs: 10_000 });
    producer.beginTransaction();
    const results = sendAll(producer, records(["a", "b"]));
    sys.runMs(50);
    expect(abort(sys, producer)).toMatchObject({ ok: true, outcome: { kind: "aborted" } });
    expect(results.every((r) => r?.ok === false && r.error === "TRANSACTION_ABORTED" && r.definite)).toBe(true);
    expect(sys.cluster.requests("Produce")).toHaveLength(0);
    expect(sys.cluster.requests("EndTxn")[0]?.result).toBe("ABORT");
  });

  it("an EndTxn that finds the coordinator moved looks it up again and goes to the new one", () => {
    const sys = txnSystem({ brokers: [1, 2] });
    const producer = initialized(sys);
    producer.beginTransaction();
    sendAll(producer, records(["a"]));
    sys.coordinator.transactionCoordinator = 2;
    expect(commit(sys, producer)).toMatchObject({ ok: true });
    const endTxns = sys.cluster.received.filter((r) => r.request.type === "EndTxn");
    expect(endTxns.map((r) => r.broker)).toEqual([1, 2]);
    expect(types(sys).filter((t) => t === "FindCoordinator")).toHaveLength(2);
  });

  it("a timed-out EndTxn is sent again; if it is never answered, closing leaves the commit unknown", () => {
    const sys = txnSystem();
    const producer = initialized(sys, { requestTimeoutMs: 1_000, deliveryTimeoutMs: 5_000 });
    producer.beginTransaction();
    sendAll(producer, records(["a"]));
    sys.cluster.inject({ api: "EndTxn", action: { kind: "drop-request" }, count: Number.POSITIVE_INFINITY });
    const end = capture<EndTransactionResult>((cb) => producer.commitTransaction(cb));
    sys.runMs(5_000);
    expect(end.value).toBeUndefined();
    expect(sys.cluster.requests("EndTxn").length).toBeGreaterThanOrEqual(3);
    producer.close();
    expect(end.value).toEqual({ ok: false, error: "PRODUCER_CLOSED", errorClass: "fatal", outcome: { kind: "unknown", error: "PRODUCER_CLOSED" } });
  });

  it("a lost EndTxn response is retried and the coordinator's NONE for the retry commits", () => {
    const sys = txnSystem();
    const producer = initialized(sys, { requestTimeoutMs: 1_000, deliveryTimeoutMs: 5_000 });
    producer.beginTransaction();
    sendAll(producer, records(["a"]));
    sys.cluster.inject({ api: "EndTxn", action: { kind: "drop-response" } });
    expect(commit(sys, producer)).toMatchObject({ ok: true, outcome: { kind: "committed" } });
    expect(sys.cluster.requests("EndTxn")).toHaveLength(2);
    expect(sys.coordinator.ended).toHaveLength(1);
  });

  it("closing before EndTxn(COMMIT) was sent leaves the transaction definitely not committed", () => {
    const sys = txnSystem();
    const producer = initialized(sys, { lingerMs: 10_000 });
    producer.beginTransaction();
    sendAll(producer, records(["a"]));
    sys.cluster.inject({ api: "Produce", action: { kind: "drop-request" }, count: Number.POSITIVE_INFINITY });
    const end = capture<EndTransactionResult>((cb) => producer.commitTransaction(cb));
    sys.runMs(500);
    producer.close();
    expect(end.value).toMatchObject({ ok: false, outcome: { kind: "not-committed" } });
  });
});

describe("close", () => {
  it("fails the pending call whose request is out, and every call after it", () => {
    const sys = txnSystem();
    const producer = initialized(sys);
    producer.beginTransaction();
    sys.cluster.inject({ api: "TxnOffsetCommit", action: { kind: "drop-request" } });
    const group = { groupId: "g", generationId: 1, memberId: "m", groupInstanceId: null };
    const sent = capture<TxnCallResult>((cb) => producer.sendOffsetsToTransaction([{ topic: "in", partition: 0, offset: 1 }], group, cb));
    sys.runMs(200);
    expect(sent.value).toBeUndefined();
    producer.close();
    expect(sent.value).toEqual({ ok: false, error: "PRODUCER_CLOSED", errorClass: "fatal" });
    expect(producer.beginTransaction()).toMatchObject({ ok: false, error: "PRODUCER_CLOSED" });
  });
});

describe("fatal errors", () => {
  it("PRODUCER_FENCED from EndTxn(COMMIT) is fatal: the commit is unknown, the producer is closed to every later call", () => {
    const sys = txnSystem();
    const producer = initialized(sys);
    producer.beginTransaction();
    sendAll(producer, records(["a"]));
    sys.cluster.inject({ api: "EndTxn", action: { kind: "error", error: "PRODUCER_FENCED" } });
    expect(commit(sys, producer)).toEqual({ ok: false, error: "PRODUCER_FENCED", errorClass: "fatal", outcome: { kind: "unknown", error: "PRODUCER_FENCED" } });
    expect(producer.transactionState).toBe("FATAL_ERROR");
    expect(producer.beginTransaction()).toEqual({ ok: false, error: "PRODUCER_FENCED", errorClass: "fatal" });
    const later = sendAll(producer, records(["b"]));
    expect(later[0]).toMatchObject({ ok: false, definite: true });
  });

  it("INVALID_PRODUCER_EPOCH from the coordinator is taken as PRODUCER_FENCED", () => {
    const sys = txnSystem();
    const producer = initialized(sys, { transactionVersion: 1 });
    sys.cluster.inject({ api: "AddPartitionsToTxn", action: { kind: "error", error: "INVALID_PRODUCER_EPOCH" } });
    producer.beginTransaction();
    const results = sendAll(producer, records(["a"]));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(producer.transactionState).toBe("FATAL_ERROR");
    expect(results[0]).toMatchObject({ ok: false, error: "PRODUCER_FENCED", definite: true });
    expect(sys.cluster.requests("Produce")).toHaveLength(0);
  });

  it("a newer instance fences the older: its next coordinator request fails fatally, before any EndTxn(COMMIT)", () => {
    const sys = txnSystem();
    const producer = initialized(sys, { transactionVersion: 1 });
    sys.coordinator.fence(TXN_ID);
    producer.beginTransaction();
    sendAll(producer, records(["a"]));
    const end = commit(sys, producer);
    expect(end).toMatchObject({ ok: false, errorClass: "fatal", outcome: { kind: "not-committed" } });
    expect(sys.cluster.requests("EndTxn")).toHaveLength(0);
  });

  it("PRODUCER_FENCED on a produce is fatal; INVALID_TXN_STATE from EndTxn is fatal", () => {
    const sys = txnSystem();
    const producer = initialized(sys);
    sys.cluster.inject({ api: "Produce", tp: "t-0", action: { kind: "error", error: "PRODUCER_FENCED" } });
    producer.beginTransaction();
    const results = sendAll(producer, records(["a"]));
    expect(sys.runUntil(() => allDone(results))).toBe(true);
    expect(producer.transactionState).toBe("FATAL_ERROR");

    const sys2 = txnSystem();
    const other = initialized(sys2);
    other.beginTransaction();
    sendAll(other, records(["a"]));
    sys2.cluster.inject({ api: "EndTxn", action: { kind: "error", error: "INVALID_TXN_STATE" } });
    expect(commit(sys2, other)).toMatchObject({ ok: false, errorClass: "fatal" });
  });
});
