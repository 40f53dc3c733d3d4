import { describe, expect, it } from "vitest";
import { handleEndTxn, onMarkersWritten } from "../../../../src/nodes/kafka/txn/coordinator-logic.js";
import { TXN_BUGS } from "../../../../src/nodes/kafka/txn/bugs.js";
import type { TransactionVersion } from "../../../../src/nodes/kafka/txn/protocol.js";
import { CoordinatorDriver, must, TP0, TP1, type Producer } from "./helpers.js";

/**
 * EndTxn, facts §1.3 (TV1) and §1.7 (TV2), request by request: the answer, whether Prepare* is
 * written, the markers, and the answer to retries in every state.
 */

const ID = "txn-a";

function ongoing(transactionVersion: TransactionVersion, bugs: readonly string[] = []): { c: CoordinatorDriver; p: Producer } {
  const c = new CoordinatorDriver({ config: { transactionVersion }, bugs });
  const p = c.init(ID);
  c.begin(ID, p, [TP0, TP1]);
  return { c, p };
}

describe("EndTxn, both versions", () => {
  for (const tv of [1, 2] as const) {
    it(`TV${tv}: an empty transactional.id is INVALID_REQUEST; an unknown one INVALID_PRODUCER_ID_MAPPING`, () => {
      const { c, p } = ongoing(tv);
      expect(c.endTxn("", p, "COMMIT").reply).toMatchObject({ error: "INVALID_REQUEST" });
      expect(c.endTxn("nobody", p, "COMMIT").reply).toMatchObject({ error: "INVALID_PRODUCER_ID_MAPPING" });
    });

    it(`TV${tv}: another producer id is INVALID_PRODUCER_ID_MAPPING and the transaction stays Ongoing`, () => {
      const { c, p } = ongoing(tv);
      expect(c.endTxn(ID, { ...p, producerId: p.producerId + 1 }, "COMMIT")).toMatchObject({ appended: false, reply: { error: "INVALID_PRODUCER_ID_MAPPING" } });
      expect(c.metadata(ID).state).toBe("Ongoing");
    });

    it(`TV${tv}: the answer comes once Prepare* is durable, before any marker is written`, () => {
      const { c, p } = ongoing(tv);
      const outcome = c.endTxn(ID, p, "COMMIT");
      expect(outcome.appended).toBe(true);
      expect(outcome.reply).toMatchObject({ api: "EndTxn", error: "NONE" });
      expect(c.metadata(ID).snapshot()).toMatchObject({ state: "PrepareCommit", pendingState: "CompleteCommit", topicPartitions: [TP0, TP1] });
      expect(outcome.markers?.entry).toMatchObject({ result: "COMMIT", partitions: [TP0, TP1], coordinatorEpoch: 0 });
    });

    it(`TV${tv}: Complete* is written only after every partition acknowledged its marker`, () => {
      const { c, p } = ongoing(tv);
      const work = must(c.endTxn(ID, p, "ABORT").markers);
      expect(onMarkersWritten(c.cache, work, [{ partition: TP0, error: "NONE" }], c.ctx)).toEqual({ kind: "waiting" });
      expect(c.metadata(ID).snapshot()).toMatchObject({ state: "PrepareAbort", topicPartitions: [TP1] });
      const last = onMarkersWritten(c.cache, work, [{ partition: TP1, error: "NONE" }], c.ctx);
      expect(last.kind).toBe("append");
      if (last.kind === "append") c.complete(last.append);
      expect(c.metadata(ID).snapshot()).toMatchObject({ state: "CompleteAbort", topicPartitions: [], pendingState: null });
    });

    it(`TV${tv}: a failed Prepare* append answers the mapped error and the transaction stays Ongoing`, () => {
      const { c, p } = ongoing(tv);
      expect(c.endTxn(ID, p, "COMMIT", { appendError: "NOT_ENOUGH_REPLICAS_AFTER_APPEND" }).reply).toMatchObject({ error: "COORDINATOR_NOT_AVAILABLE" });
      expect(c.metadata(ID).snapshot()).toMatchObject({ state: "Ongoing", pendingState: null, producerEpoch: p.producerEpoch });
    });

    it(`TV${tv}: while Complete* is pending a retry gets CONCURRENT_TRANSACTIONS`, () => {
      const { c, p } = ongoing(tv);
      c.endTxn(ID, p, "COMMIT");
      expect(c.endTxn(ID, p, "COMMIT")).toMatchObject({ appended: false, reply: { error: "CONCURRENT_TRANSACTIONS" } });
    });
  }
});

describe("EndTxn under transaction version 1", () => {
  it("Ongoing: Prepare* keeps the epoch and the answer carries no producer id or epoch", () => {
    const { c, p } = ongoing(1);
    const outcome = c.endTxn(ID, p, "COMMIT");
    expect(outcome.append?.transit).toMatchObject({ txnState: "PrepareCommit", producerEpoch: p.producerEpoch });
    expect(outcome.reply).toEqual({ api: "EndTxn", error: "NONE", producerId: -1, producerEpoch: -1 });
    expect(outcome.markers?.entry).toMatchObject({ producerId: p.producerId, producerEpoch: p.producerEpoch });
  });

  it("the epoch must be exactly the current one (KAFKA-9600): older or newer is PRODUCER_FENCED", () => {
    const { c, p } = ongoing(1);
    expect(c.endTxn(ID, { ...p, producerEpoch: p.producerEpoch + 1 }, "COMMIT").reply).toMatchObject({ error: "PRODUCER_FENCED" });
    const fresh = new CoordinatorDriver({ config: { transactionVersion: 1 } });
    const old = fresh.init(ID);
    const now = fresh.init(ID);
    fresh.begin(ID, now);
    expect(fresh.endTxn(ID, old, "COMMIT").reply).toMatchObject({ error: "PRODUCER_FENCED" });
    expect(c.metadata(ID).state).toBe("Ongoing");
  });

  it("CompleteCommit + COMMIT and CompleteAbort + ABORT are idempotent retries: NONE, no write", () => {
    for (const result of ["COMMIT", "ABORT"] as const) {
      const { c, p } = ongoing(1);
      c.finish(ID, p, result);
      expect(c.endTxn(ID, p, result)).toMatchObject({ appended: false, reply: { error: "NONE", producerId: -1, producerEpoch: -1 } });
    }
  });

  it("CompleteCommit + ABORT and CompleteAbort + COMMIT are INVALID_TXN_STATE", () => {
    const commit = ongoing(1);
    commit.c.finish(ID, commit.p, "COMMIT");
    expect(commit.c.endTxn(ID, commit.p, "ABORT").reply).toMatchObject({ error: "INVALID_TXN_STATE" });
    const abort = ongoing(1);
    abort.c.finish(ID, abort.p, "ABORT");
    expect(abort.c.endTxn(ID, abort.p, "COMMIT").reply).toMatchObject({ error: "INVALID_TXN_STATE" });
  });

  it("PrepareCommit + COMMIT is CONCURRENT_TRANSACTIONS, PrepareCommit + ABORT INVALID_TXN_STATE (no pending transition)", () => {
    const { c, p } = ongoing(1);
    c.endTxn(ID, p, "COMMIT");
    c.metadata(ID).clearPendingState();
    expect(c.endTxn(ID, p, "COMMIT").reply).toMatchObject({ error: "CONCURRENT_TRANSACTIONS" });
    expect(c.endTxn(ID, p, "ABORT").reply).toMatchObject({ error: "INVALID_TXN_STATE" });
  });

  it("PrepareAbort + ABORT is CONCURRENT_TRANSACTIONS, PrepareAbort + COMMIT INVALID_TXN_STATE", () => {
    const { c, p } = ongoing(1);
    c.endTxn(ID, p, "ABORT");
    c.metadata(ID).clearPendingState();
    expect(c.endTxn(ID, p, "ABORT").reply).toMatchObject({ error: "CONCURRENT_TRANSACTIONS" });
    expect(c.endTxn(ID, p, "COMMIT").reply).toMatchObject({ error: "INVALID_TXN_STATE" });
  });

  it("Empty accepts neither COMMIT nor ABORT: INVALID_TXN_STATE, no write", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 1 } });
    const p = c.init(ID);
    expect(c.endTxn(ID, p, "COMMIT")).toMatchObject({ appended: false, reply: { error: "INVALID_TXN_STATE" } });
    expect(c.endTxn(ID, p, "ABORT")).toMatchObject({ appended: false, reply: { error: "INVALID_TXN_STATE" } });
  });

  it("a delayed EndTxn of transaction n completes transaction n + 1 (KAFKA-17754: TV1 has no transaction number)", () => {
    const { c, p } = ongoing(1);
    c.finish(ID, p, "ABORT");
    c.begin(ID, p, [TP0]);
    // The abort of transaction n, delayed in the network, arrives now: it aborts n + 1.
    expect(c.endTxn(ID, p, "ABORT").reply).toMatchObject({ error: "NONE" });
    expect(c.metadata(ID).state).toBe("PrepareAbort");
  });
});

describe("EndTxn under transaction version 2", () => {
  it("Ongoing: Prepare* bumps the epoch and the answer names the producer id and the new epoch", () => {
    const { c, p } = ongoing(2);
    const outcome = c.endTxn(ID, p, "COMMIT");
    expect(outcome.append?.transit).toMatchObject({ txnState: "PrepareCommit", producerEpoch: p.producerEpoch + 1, lastProducerEpoch: p.producerEpoch });
    expect(outcome.reply).toEqual({ api: "EndTxn", error: "NONE", producerId: p.producerId, producerEpoch: p.producerEpoch + 1 });
    // The markers carry the bumped epoch and transaction version 2 (KIP-1228).
    expect(outcome.markers?.entry).toMatchObject({ producerEpoch: p.producerEpoch + 1, transactionVersion: 2 });
  });

  it("a retry at the old epoch after CompleteCommit is NONE with the current pair, and writes nothing", () => {
    const { c, p } = ongoing(2);
    const next = c.finish(ID, p, "COMMIT");
    expect(c.endTxn(ID, p, "COMMIT")).toMatchObject({ appended: false, reply: { error: "NONE", ...next } });
  });

  it("a retry at the old epoch after CompleteAbort is NONE", () => {
    const { c, p } = ongoing(2);
    c.finish(ID, p, "ABORT");
    expect(c.endTxn(ID, p, "ABORT").reply).toMatchObject({ error: "NONE" });
  });

  it("a retry of the other result at the old epoch: CompleteCommit + ABORT is INVALID_TXN_STATE", () => {
    const { c, p } = ongoing(2);
    c.finish(ID, p, "COMMIT");
    expect(c.endTxn(ID, p, "ABORT")).toMatchObject({ appended: false, reply: { error: "INVALID_TXN_STATE" } });
  });

  it("a commit at the old epoch after an abort it did not ask for is PRODUCER_FENCED, not the fatal INVALID_TXN_STATE (KAFKA-20785)", () => {
    const { c, p } = ongoing(2);
    c.finish(ID, p, "ABORT");
    expect(c.endTxn(ID, p, "COMMIT")).toMatchObject({ appended: false, reply: { error: "PRODUCER_FENCED" } });
  });

  it("at the current epoch, CompleteCommit / CompleteAbort + COMMIT is INVALID_TXN_STATE", () => {
    for (const result of ["COMMIT", "ABORT"] as const) {
      const { c, p } = ongoing(2);
      const next = c.finish(ID, p, result);
      expect(c.endTxn(ID, next, "COMMIT").reply).toMatchObject({ error: "INVALID_TXN_STATE" });
    }
  });

  it("at the current epoch, Complete* + ABORT aborts an empty transaction: PrepareAbort with a bump and no partitions", () => {
    for (const result of ["COMMIT", "ABORT"] as const) {
      const { c, p } = ongoing(2);
      const next = c.finish(ID, p, result);
      c.nowMs += 100;
      const outcome = c.endTxn(ID, next, "ABORT");
      expect(outcome.append?.transit).toMatchObject({ txnState: "PrepareAbort", producerEpoch: next.producerEpoch + 1, topicPartitions: [], txnStartTimestamp: c.nowMs });
      expect(outcome.reply).toMatchObject({ error: "NONE", producerEpoch: next.producerEpoch + 1 });
      // No marker to write: Complete* follows at once.
      c.writeMarkers(must(outcome.markers));
      expect(c.metadata(ID).state).toBe("CompleteAbort");
    }
  });

  it("Empty + ABORT at the current epoch aborts (the client was unsure whether a partition was added)", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 2 } });
    const p = c.init(ID);
    expect(c.endTxn(ID, p, "ABORT").append?.transit).toMatchObject({ txnState: "PrepareAbort", producerEpoch: 1, topicPartitions: [] });
  });

  it("Empty + COMMIT is INVALID_TXN_STATE; Empty at the previous epoch is PRODUCER_FENCED", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 2 } });
    c.init(ID);
    const p = c.init(ID);
    expect(c.endTxn(ID, p, "COMMIT").reply).toMatchObject({ error: "INVALID_TXN_STATE" });
    expect(c.endTxn(ID, { ...p, producerEpoch: p.producerEpoch - 1 }, "ABORT").reply).toMatchObject({ error: "PRODUCER_FENCED" });
  });

  it("in Prepare* without a pending transition, a retry is CONCURRENT_TRANSACTIONS and the current epoch PRODUCER_FENCED", () => {
    const { c, p } = ongoing(2);
    const next = c.endTxn(ID, p, "COMMIT").reply as { producerId: number; producerEpoch: number };
    c.metadata(ID).clearPendingState();
    expect(c.endTxn(ID, p, "COMMIT").reply).toMatchObject({ error: "CONCURRENT_TRANSACTIONS" });
    expect(c.endTxn(ID, p, "ABORT").reply).toMatchObject({ error: "INVALID_TXN_STATE" });
    expect(c.endTxn(ID, { producerId: next.producerId, producerEpoch: next.producerEpoch }, "COMMIT").reply).toMatchObject({ error: "PRODUCER_FENCED" });
  });

  it("a pending transition is CONCURRENT_TRANSACTIONS even for an epoch that would be fenced (KAFKA-18464)", () => {
    const { c, p } = ongoing(2);
    const next = c.endTxn(ID, p, "COMMIT").reply as { producerId: number; producerEpoch: number };
    // The next transaction's empty abort arrives while Complete* is pending: not self-fenced.
    expect(c.endTxn(ID, { producerId: next.producerId, producerEpoch: next.producerEpoch }, "ABORT").reply).toMatchObject({ error: "CONCURRENT_TRANSACTIONS" });
  });

  it("an Ongoing transaction requires the current epoch: older or newer is PRODUCER_FENCED", () => {
    const { c, p } = ongoing(2);
    expect(c.endTxn(ID, { ...p, producerEpoch: p.producerEpoch + 1 }, "COMMIT").reply).toMatchObject({ error: "PRODUCER_FENCED" });
    expect(c.metadata(ID).state).toBe("Ongoing");
  });

  it("a delayed EndTxn of transaction n cannot complete transaction n + 1 (the KAFKA-17754 fix)", () => {
    const { c, p } = ongoing(2);
    const next = c.finish(ID, p, "COMMIT");
    c.begin(ID, next, [TP0]);
    expect(c.endTxn(ID, p, "COMMIT")).toMatchObject({ appended: false, reply: { error: "PRODUCER_FENCED" } });
    expect(c.endTxn(ID, p, "ABORT")).toMatchObject({ appended: false, reply: { error: "PRODUCER_FENCED" } });
    expect(c.metadata(ID).state).toBe("Ongoing");
  });

  it("with no-epoch-bump-per-txn a delayed EndTxn of transaction n completes transaction n + 1 (KAFKA-17754)", () => {
    const { c, p } = ongoing(2, [TXN_BUGS.noEpochBumpPerTxn]);
    const next = c.finish(ID, p, "COMMIT");
    expect(next).toEqual(p);
    c.begin(ID, next, [TP0]);
    // The commit of transaction n, delayed, commits n + 1 before its producer asked.
    expect(c.endTxn(ID, p, "COMMIT").reply).toMatchObject({ error: "NONE", producerId: -1, producerEpoch: -1 });
    expect(c.metadata(ID).state).toBe("PrepareCommit");
  });

  it("with no-epoch-bump-per-txn a retry after Complete* is still answered NONE and an empty abort still works", () => {
    const { c, p } = ongoing(2, [TXN_BUGS.noEpochBumpPerTxn]);
    c.finish(ID, p, "COMMIT");
    expect(c.endTxn(ID, p, "COMMIT")).toMatchObject({ appended: false, reply: { error: "NONE" } });
    const abort = c.endTxn(ID, p, "ABORT");
    expect(abort.append?.transit).toMatchObject({ txnState: "PrepareAbort", producerEpoch: p.producerEpoch });
    expect(abort.markers?.entry.transactionVersion).toBe(1);
  });
});

describe("EndTxn under transaction version 2 at the epoch limit", () => {
  function exhausted(): { c: CoordinatorDriver; p: Producer } {
    const c = new CoordinatorDriver({ config: { transactionVersion: 2, maxProducerEpoch: 4 } });
    let p = c.init(ID);
    for (let i = 0; i < 3; i++) p = c.init(ID, p);
    expect(p.producerEpoch).toBe(3);
    c.begin(ID, p, [TP0]);
    return { c, p };
  }

  it("a commit at the exhausted epoch takes the last epoch, names a next producer id, and the answer is the new id at epoch 0", () => {
    const { c, p } = exhausted();
    const outcome = c.endTxn(ID, p, "COMMIT");
    expect(outcome.append?.transit).toMatchObject({ txnState: "PrepareCommit", producerId: p.producerId, producerEpoch: 4, nextProducerId: 1001 });
    expect(outcome.reply).toMatchObject({ error: "NONE", producerId: 1001, producerEpoch: 0 });
    // The markers still carry the old id at the last epoch.
    expect(outcome.markers?.entry).toMatchObject({ producerId: p.producerId, producerEpoch: 4 });
    c.writeMarkers(must(outcome.markers));
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "CompleteCommit", producerId: 1001, producerEpoch: 0, previousProducerId: p.producerId, nextProducerId: -1 });
  });

  it("a retry with the old id after the rotation is recognised through previousProducerId: NONE with the new pair", () => {
    const { c, p } = exhausted();
    c.finish(ID, p, "COMMIT");
    expect(c.endTxn(ID, p, "COMMIT")).toMatchObject({ appended: false, reply: { error: "NONE", producerId: 1001, producerEpoch: 0 } });
  });

  it("the new id may start its transaction only once Complete* is written (CONCURRENT_TRANSACTIONS before)", () => {
    const { c, p } = exhausted();
    const outcome = c.endTxn(ID, p, "COMMIT");
    expect(c.addPartitions(ID, { producerId: 1001, producerEpoch: 0 }, [TP0]).reply).toMatchObject({ results: [{ error: "CONCURRENT_TRANSACTIONS" }] });
    c.writeMarkers(must(outcome.markers));
    expect(c.addPartitions(ID, { producerId: 1001, producerEpoch: 0 }, [TP0]).reply).toMatchObject({ results: [{ error: "NONE" }] });
  });

  it("without a producer-id block the commit at the exhausted epoch is COORDINATOR_LOAD_IN_PROGRESS and nothing is prepared", () => {
    const { c, p } = exhausted();
    c.producerIdsAvailable = false;
    expect(c.endTxn(ID, p, "COMMIT")).toMatchObject({ appended: false, reply: { error: "COORDINATOR_LOAD_IN_PROGRESS" } });
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "Ongoing", pendingState: null });
  });
});

describe("EndTxn decision is pure until applied", () => {
  it("a refused request changes nothing in the metadata", () => {
    const { c, p } = ongoing(2);
    const before = c.metadata(ID).snapshot();
    handleEndTxn(c.cache, { transactionalId: ID, ...p, producerEpoch: 99, result: "COMMIT", transactionVersion: 2 }, c.ctx);
    expect(c.metadata(ID).snapshot()).toEqual(before);
  });
});
