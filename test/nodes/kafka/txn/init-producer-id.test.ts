import { describe, expect, it } from "vitest";
import { handleInitProducerId } from "../../../../src/nodes/kafka/txn/coordinator-logic.js";
import { IllegalTxnStateError } from "../../../../src/nodes/kafka/txn/transaction-metadata.js";
import { CoordinatorDriver, must, TP0, type InitReply } from "./helpers.js";

/**
 * InitProducerId at the transaction coordinator, facts §1.2, one rule per test: what it answers,
 * whether it writes to `__transaction_state`, and what it must not do.
 */

const ID = "txn-a";

describe("InitProducerId: request validation", () => {
  it("a null transactional.id gets a fresh producer id at epoch 0 and the coordinator keeps no state", () => {
    const c = new CoordinatorDriver();
    const outcome = c.initProducerId(null);
    expect(outcome).toMatchObject({ appended: false, reply: { error: "NONE", producerId: 1000, producerEpoch: 0 } });
    expect([...c.cache.all()]).toHaveLength(0);
  });

  it("a null transactional.id without a producer-id block gets COORDINATOR_LOAD_IN_PROGRESS", () => {
    const c = new CoordinatorDriver();
    c.producerIdsAvailable = false;
    expect(c.initProducerId(null).reply).toMatchObject({ error: "COORDINATOR_LOAD_IN_PROGRESS", producerId: -1, producerEpoch: -1 });
  });

  it("an empty transactional.id is INVALID_REQUEST, with no state created", () => {
    const c = new CoordinatorDriver();
    expect(c.initProducerId("")).toMatchObject({ appended: false, reply: { error: "INVALID_REQUEST" } });
    expect([...c.cache.all()]).toHaveLength(0);
  });

  it("a producer id without an epoch (or the reverse) is INVALID_REQUEST", () => {
    const c = new CoordinatorDriver();
    expect(c.initProducerId(ID, { producerId: 5 }).reply).toMatchObject({ error: "INVALID_REQUEST" });
    expect(c.initProducerId(ID, { producerEpoch: 5 }).reply).toMatchObject({ error: "INVALID_REQUEST" });
    expect(c.has(ID)).toBe(false);
  });

  it("a timeout above transaction.max.timeout.ms (or not positive) is INVALID_TRANSACTION_TIMEOUT, with no state created", () => {
    const c = new CoordinatorDriver({ config: { transactionMaxTimeoutMs: 10_000 } });
    expect(c.initProducerId(ID, { timeoutMs: 10_001 }).reply).toMatchObject({ error: "INVALID_TRANSACTION_TIMEOUT" });
    expect(c.initProducerId(ID, { timeoutMs: 0 }).reply).toMatchObject({ error: "INVALID_TRANSACTION_TIMEOUT" });
    expect(c.has(ID)).toBe(false);
    expect(c.initProducerId(ID, { timeoutMs: 10_000 }).reply).toMatchObject({ error: "NONE" });
  });

  it("while the id's partition loads the answer is COORDINATOR_LOAD_IN_PROGRESS; on another broker NOT_COORDINATOR", () => {
    const c = new CoordinatorDriver();
    const partition = c.cache.partitionFor(ID);
    c.cache.startLoading(partition, 1);
    expect(c.initProducerId(ID).reply).toMatchObject({ error: "COORDINATOR_LOAD_IN_PROGRESS" });
    c.cache.unload(partition);
    expect(c.initProducerId(ID).reply).toMatchObject({ error: "NOT_COORDINATOR" });
  });
});

describe("InitProducerId: first use and epoch bumps", () => {
  it("a new id is created at epoch -1 and the first bump hands out epoch 0 — only after the append", () => {
    const c = new CoordinatorDriver();
    const decision = handleInitProducerId(c.cache, { transactionalId: ID, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }, c.ctx);
    expect(decision.kind).toBe("append");
    // Cached before the append, at epoch -1, with the Empty transition pending.
    expect(c.metadata(ID).snapshot()).toMatchObject({ producerId: 1000, producerEpoch: -1, state: "Empty", pendingState: "Empty" });
    if (decision.kind !== "append") return;
    expect(decision.append.transit).toMatchObject({ producerId: 1000, producerEpoch: 0, txnState: "Empty" });
    expect(c.complete(decision.append).reply).toMatchObject({ error: "NONE", producerId: 1000, producerEpoch: 0 });
    expect(c.metadata(ID).snapshot()).toMatchObject({ producerEpoch: 0, pendingState: null, lastProducerEpoch: -1 });
  });

  it("a new id without a producer-id block gets COORDINATOR_LOAD_IN_PROGRESS and nothing is cached", () => {
    const c = new CoordinatorDriver();
    c.producerIdsAvailable = false;
    expect(c.initProducerId(ID).reply).toMatchObject({ error: "COORDINATOR_LOAD_IN_PROGRESS" });
    expect(c.has(ID)).toBe(false);
  });

  it("a failed append answers the mapped error, clears the pending state and leaves the epoch", () => {
    const c = new CoordinatorDriver();
    c.init(ID);
    expect(c.initProducerId(ID, { appendError: "NOT_ENOUGH_REPLICAS" }).reply).toMatchObject({ error: "COORDINATOR_NOT_AVAILABLE", producerId: -1 });
    expect(c.metadata(ID).snapshot()).toMatchObject({ producerEpoch: 0, pendingState: null });
    expect(c.initProducerId(ID, { appendError: "NOT_LEADER_OR_FOLLOWER" }).reply).toMatchObject({ error: "NOT_COORDINATOR" });
  });

  it("a new producer (no expected epoch) bumps the epoch and forgets the last one", () => {
    const c = new CoordinatorDriver();
    c.init(ID);
    expect(c.init(ID)).toEqual({ producerId: 1000, producerEpoch: 1 });
    expect(c.metadata(ID).lastProducerEpoch).toBe(-1);
  });

  it("the new timeout is taken on every bump", () => {
    const c = new CoordinatorDriver();
    c.init(ID, { timeoutMs: 60_000 });
    c.init(ID, { timeoutMs: 5_000 });
    expect(c.metadata(ID).txnTimeoutMs).toBe(5_000);
  });

  it("a pending transition answers CONCURRENT_TRANSACTIONS without preparing anything", () => {
    const c = new CoordinatorDriver();
    c.init(ID);
    handleInitProducerId(c.cache, { transactionalId: ID, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }, c.ctx);
    expect(c.initProducerId(ID)).toMatchObject({ appended: false, reply: { error: "CONCURRENT_TRANSACTIONS" } });
  });

  it("in PrepareCommit or PrepareAbort (pending or not) the answer is CONCURRENT_TRANSACTIONS", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 1 } });
    const p = c.init(ID);
    c.begin(ID, p);
    const end = c.endTxn(ID, p, "COMMIT");
    expect(c.initProducerId(ID).reply).toMatchObject({ error: "CONCURRENT_TRANSACTIONS" });
    // Drop the pending Complete* (its append went to a coordinator that lost leadership).
    c.metadata(ID).clearPendingState();
    expect(c.metadata(ID).state).toBe("PrepareCommit");
    expect(c.initProducerId(ID)).toMatchObject({ appended: false, reply: { error: "CONCURRENT_TRANSACTIONS" } });
    expect(end.markers).toBeDefined();
  });

  it("Empty, CompleteCommit and CompleteAbort all bump the epoch", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 1 } });
    let p = c.init(ID);
    c.begin(ID, p);
    c.finish(ID, p, "COMMIT");
    expect(c.metadata(ID).state).toBe("CompleteCommit");
    p = c.init(ID);
    expect(p.producerEpoch).toBe(1);
    c.begin(ID, p);
    c.finish(ID, p, "ABORT");
    expect(c.metadata(ID).state).toBe("CompleteAbort");
    expect(c.init(ID).producerEpoch).toBe(2);
  });

  it("a persisted Dead or PrepareEpochFence is a model error (Kafka: IllegalStateException)", () => {
    const c = new CoordinatorDriver();
    // A log that (wrongly) holds Dead: the load path builds the metadata as stored.
    const partition = c.cache.partitionFor(ID);
    c.logs.set(partition, [{ key: { version: 0, transactionalId: ID }, value: { version: 1, producerId: 1, previousProducerId: -1, nextProducerId: -1, producerEpoch: 0, transactionTimeoutMs: 60_000, transactionStatus: 6, transactionPartitions: [], transactionLastUpdateTimestampMs: 0, transactionStartTimestampMs: -1, clientTransactionVersion: 2 } }]);
    c.becomeLeader(partition, 1);
    expect(() => c.initProducerId(ID)).toThrow(IllegalTxnStateError);
  });
});

describe("InitProducerId: KIP-360 expected producer id and epoch", () => {
  it("expected == current epoch: bump, and remember the current epoch as the last", () => {
    const c = new CoordinatorDriver();
    const p = c.init(ID);
    expect(c.init(ID, p)).toEqual({ producerId: p.producerId, producerEpoch: 1 });
    expect(c.metadata(ID).lastProducerEpoch).toBe(0);
  });

  it("expected == last epoch: a retry of a bump that succeeded gets the current epoch again, not a new one", () => {
    const c = new CoordinatorDriver();
    const p = c.init(ID);
    c.init(ID, p);
    expect(c.init(ID, p)).toEqual({ producerId: p.producerId, producerEpoch: 1 });
    expect(c.metadata(ID).producerEpoch).toBe(1);
  });

  it("expected epoch neither current nor last: PRODUCER_FENCED, and the epoch does not move", () => {
    const c = new CoordinatorDriver();
    const p = c.init(ID);
    c.init(ID); // another producer: last epoch forgotten
    expect(c.initProducerId(ID, p)).toMatchObject({ appended: false, reply: { error: "PRODUCER_FENCED" } });
    expect(c.metadata(ID).producerEpoch).toBe(1);
  });

  it("an expected producer id that is not the id's is PRODUCER_FENCED", () => {
    const c = new CoordinatorDriver();
    const p = c.init(ID);
    expect(c.initProducerId(ID, { producerId: p.producerId + 1, producerEpoch: p.producerEpoch }).reply).toMatchObject({ error: "PRODUCER_FENCED" });
  });

  it("on an entry still at epoch -1 any expected pair is accepted and the new id is returned at epoch 0", () => {
    const c = new CoordinatorDriver();
    expect(c.init(ID, { producerId: 55, producerEpoch: 9 })).toEqual({ producerId: 1000, producerEpoch: 0 });
  });

  it("the previous producer id is accepted only with an exhausted epoch (a retry across a rotation)", () => {
    const c = new CoordinatorDriver({ config: { maxProducerEpoch: 5 } });
    let p = c.init(ID);
    for (let i = 0; i < 4; i++) p = c.init(ID, p);
    expect(p.producerEpoch).toBe(4);
    const rotated = c.init(ID, p);
    expect(rotated).toEqual({ producerId: 1001, producerEpoch: 0 });
    expect(c.metadata(ID).snapshot()).toMatchObject({ previousProducerId: 1000, lastProducerEpoch: 4 });
    // The lost response's retry, with the old pair, gets the rotated pair again.
    expect(c.init(ID, p)).toEqual(rotated);
    // The old id with an epoch that is not exhausted is a zombie.
    expect(c.initProducerId(ID, { producerId: 1000, producerEpoch: 3 }).reply).toMatchObject({ error: "PRODUCER_FENCED" });
  });
});

describe("InitProducerId: epoch exhaustion and producer-id rotation", () => {
  it("an exhausted epoch rotates to a new producer id at epoch 0; without an expected epoch no last epoch is recorded", () => {
    const c = new CoordinatorDriver({ config: { maxProducerEpoch: 3 } });
    for (let i = 0; i < 3; i++) c.init(ID);
    expect(c.metadata(ID).producerEpoch).toBe(2);
    expect(c.metadata(ID).isProducerEpochExhausted).toBe(true);
    expect(c.init(ID)).toEqual({ producerId: 1001, producerEpoch: 0 });
    expect(c.metadata(ID).snapshot()).toMatchObject({ previousProducerId: 1000, lastProducerEpoch: -1 });
  });

  it("rotation needs a producer-id block: without one COORDINATOR_LOAD_IN_PROGRESS, and nothing changes", () => {
    const c = new CoordinatorDriver({ config: { maxProducerEpoch: 3 } });
    for (let i = 0; i < 3; i++) c.init(ID);
    c.producerIdsAvailable = false;
    expect(c.initProducerId(ID).reply).toMatchObject({ error: "COORDINATOR_LOAD_IN_PROGRESS" });
    expect(c.metadata(ID).snapshot()).toMatchObject({ producerId: 1000, producerEpoch: 2, pendingState: null });
  });

  it("an exhausted epoch with an expected epoch that is only the last one is not rotated (Kafka answers UNKNOWN_SERVER_ERROR)", () => {
    const c = new CoordinatorDriver({ config: { maxProducerEpoch: 3 } });
    const p = c.init(ID, c.init(ID));
    c.init(ID, p);
    expect(c.metadata(ID).snapshot()).toMatchObject({ producerEpoch: 2, lastProducerEpoch: 1 });
    expect(c.initProducerId(ID, p).reply).toMatchObject({ error: "UNKNOWN_SERVER_ERROR" });
    expect(c.metadata(ID).pendingState).toBeNull();
  });
});

describe("InitProducerId on an Ongoing transaction: fencing through PrepareEpochFence", () => {
  for (const transactionVersion of [1, 2] as const) {
    it(`TV${transactionVersion}: the ongoing transaction is aborted with epoch + 1 and the client gets CONCURRENT_TRANSACTIONS, only after the append`, () => {
      const c = new CoordinatorDriver({ config: { transactionVersion } });
      const p = c.init(ID);
      c.begin(ID, p);
      const outcome = c.initProducerId(ID);
      expect(outcome.append?.transit).toMatchObject({ txnState: "PrepareAbort", producerEpoch: p.producerEpoch + 1, topicPartitions: [TP0] });
      expect(outcome.reply).toEqual({ api: "InitProducerId", error: "CONCURRENT_TRANSACTIONS", producerId: -1, producerEpoch: -1 });
      // The markers carry the fence epoch, which fences the zombie at the partitions.
      expect(outcome.markers?.entry).toMatchObject({ result: "ABORT", producerEpoch: p.producerEpoch + 1, partitions: [TP0] });
      expect(c.metadata(ID).state).toBe("PrepareAbort");
    });

    it(`TV${transactionVersion}: the retry after the abort completes bumps again, so the new producer gets old + 2 and never the fence epoch`, () => {
      const c = new CoordinatorDriver({ config: { transactionVersion } });
      const p = c.init(ID);
      c.begin(ID, p);
      const fence = c.initProducerId(ID);
      expect(c.initProducerId(ID).reply).toMatchObject({ error: "CONCURRENT_TRANSACTIONS" });
      c.writeMarkers(must(fence.markers, "markers"));
      expect(c.metadata(ID).state).toBe("CompleteAbort");
      expect(c.init(ID)).toEqual({ producerId: p.producerId, producerEpoch: p.producerEpoch + 2 });
    });
  }

  it("TV1: the fence writes no last epoch, so the fenced producer cannot claim the fence epoch as a retry", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 1 } });
    const p = c.init(ID);
    c.begin(ID, p);
    c.writeMarkers(must(c.initProducerId(ID).markers, "markers"));
    expect(c.metadata(ID).snapshot()).toMatchObject({ producerEpoch: 1, lastProducerEpoch: -1 });
    expect(c.initProducerId(ID, p).reply).toMatchObject({ error: "PRODUCER_FENCED" });
  });

  it("TV1: a fence whose append fails keeps its raised epoch in memory and the next fence reuses it (KAFKA-9666)", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 1 } });
    const p = c.init(ID);
    c.begin(ID, p);
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(c.initProducerId(ID, { appendError: "NOT_ENOUGH_REPLICAS" }).reply).toMatchObject({ error: "COORDINATOR_NOT_AVAILABLE" });
      expect(c.metadata(ID).snapshot()).toMatchObject({ state: "Ongoing", producerEpoch: 1, hasFailedEpochFence: true, pendingState: null });
    }
    const fence = c.initProducerId(ID);
    expect(fence.append?.transit.producerEpoch).toBe(1);
    expect(fence.reply).toMatchObject({ error: "CONCURRENT_TRANSACTIONS" });
    c.writeMarkers(must(fence.markers, "markers"));
    expect(c.metadata(ID).hasFailedEpochFence).toBe(false);
  });

  it("TV2: a fence whose append fails leaves the epoch and the flag untouched (the abort's own bump is the fence)", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 2 } });
    const p = c.init(ID);
    c.begin(ID, p);
    expect(c.initProducerId(ID, { appendError: "NOT_ENOUGH_REPLICAS" }).reply).toMatchObject({ error: "COORDINATOR_NOT_AVAILABLE" });
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "Ongoing", producerEpoch: 0, hasFailedEpochFence: false, pendingState: null });
    expect(c.initProducerId(ID).append?.transit.producerEpoch).toBe(1);
  });

  it("TV2: fencing at the exhausted epoch bumps once (no overflow, KAFKA-19367) and rotates the producer id at Complete (KAFKA-20090)", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 2, maxProducerEpoch: 4 } });
    let p = c.init(ID);
    for (let i = 0; i < 3; i++) p = c.init(ID, p);
    expect(p.producerEpoch).toBe(3);
    c.begin(ID, p);
    const fence = c.initProducerId(ID);
    expect(fence.append?.transit).toMatchObject({ txnState: "PrepareAbort", producerEpoch: 4, nextProducerId: 1001 });
    c.writeMarkers(must(fence.markers, "markers"));
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "CompleteAbort", producerId: 1001, producerEpoch: 0, previousProducerId: 1000 });
    expect(c.init(ID)).toEqual({ producerId: 1001, producerEpoch: 1 });
  });

  it("TV1: fencing at the exhausted epoch uses the maximum epoch; the retry then rotates the producer id", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 1, maxProducerEpoch: 4 } });
    let p = c.init(ID);
    for (let i = 0; i < 3; i++) p = c.init(ID, p);
    c.begin(ID, p);
    const fence = c.initProducerId(ID);
    expect(fence.append?.transit).toMatchObject({ txnState: "PrepareAbort", producerEpoch: 4, lastProducerEpoch: -1 });
    c.writeMarkers(must(fence.markers, "markers"));
    expect(c.init(ID)).toEqual({ producerId: 1001, producerEpoch: 0 });
  });

  it("the coordinator moving between the append and its completion answers NOT_COORDINATOR and installs nothing", () => {
    const c = new CoordinatorDriver();
    const p = c.init(ID);
    const decision = handleInitProducerId(c.cache, { transactionalId: ID, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }, c.ctx);
    if (decision.kind !== "append") throw new Error("append expected");
    // Leadership moves to a newer epoch; the new coordinator loads the log as it was.
    c.becomeLeader(decision.append.partition, 1);
    expect(c.complete(decision.append).reply).toMatchObject({ error: "NOT_COORDINATOR" });
    expect(c.metadata(ID).snapshot()).toMatchObject({ producerEpoch: p.producerEpoch, pendingState: null });
  });
});

describe("InitProducerId reply shape", () => {
  it("errors never carry a producer id or epoch", () => {
    const c = new CoordinatorDriver();
    const reply = c.initProducerId("").reply as InitReply;
    expect({ producerId: reply.producerId, producerEpoch: reply.producerEpoch }).toEqual({ producerId: -1, producerEpoch: -1 });
  });
});
