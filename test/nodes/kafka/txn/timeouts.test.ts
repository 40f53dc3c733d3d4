import { describe, expect, it } from "vitest";
import { abortTimedOutTransactions, handleAddPartitionsToTxn, type TimeoutAbort } from "../../../../src/nodes/kafka/txn/coordinator-logic.js";
import { TXN_BUGS } from "../../../../src/nodes/kafka/txn/bugs.js";
import type { TransactionVersion } from "../../../../src/nodes/kafka/txn/protocol.js";
import { CoordinatorDriver, must, TP0, type Producer } from "./helpers.js";

/**
 * The timeout scan (abortTimedOutTransactions, facts §1.3): an Ongoing transaction older than
 * its timeout on the coordinator's clock is fenced (epoch + 1, the KAFKA-6119 fix) and aborted.
 * With `no-fence-on-timeout` it is aborted at the same epoch and the zombie can commit.
 */

const ID = "txn-a";
const TIMEOUT_MS = 10_000;

function ongoing(transactionVersion: TransactionVersion, bugs: readonly string[] = [], maxProducerEpoch?: number): { c: CoordinatorDriver; p: Producer } {
  const c = new CoordinatorDriver({ config: { transactionVersion, ...(maxProducerEpoch === undefined ? {} : { maxProducerEpoch }) }, bugs });
  let p = c.init(ID, { timeoutMs: TIMEOUT_MS });
  if (maxProducerEpoch !== undefined) while (!c.metadata(ID).isProducerEpochExhausted) p = c.init(ID, { timeoutMs: TIMEOUT_MS, ...p });
  c.begin(ID, p, [TP0]);
  return { c, p };
}

/** Runs the scan and applies every abort it decides, with all markers written. */
function scanAndAbort(c: CoordinatorDriver): TimeoutAbort[] {
  const aborts = abortTimedOutTransactions(c.cache, c.ctx);
  for (const abort of aborts) {
    const outcome = c.apply(abort.decision);
    expect(outcome.reply).toBeUndefined(); // nobody waits for a timeout abort
    c.writeMarkers(must(outcome.markers));
  }
  return aborts;
}

describe("which transactions time out", () => {
  it("only once txnStartTimestamp + txnTimeoutMs < now (strictly), on the coordinator's clock", () => {
    const { c } = ongoing(2);
    const started = c.metadata(ID).txnStartTimestamp;
    c.nowMs = started + TIMEOUT_MS;
    expect(abortTimedOutTransactions(c.cache, c.ctx)).toEqual([]);
    c.nowMs += 1;
    expect(abortTimedOutTransactions(c.cache, c.ctx).map((a) => a.transactionalId)).toEqual([ID]);
  });

  it("a transaction that is not Ongoing never times out", () => {
    const c = new CoordinatorDriver();
    const p = c.init(ID, { timeoutMs: TIMEOUT_MS });
    c.nowMs += 10 * TIMEOUT_MS;
    expect(abortTimedOutTransactions(c.cache, c.ctx)).toEqual([]);
    c.begin(ID, p);
    c.endTxn(ID, p, "COMMIT");
    c.nowMs += 10 * TIMEOUT_MS;
    expect(abortTimedOutTransactions(c.cache, c.ctx)).toEqual([]);
  });

  it("an expired transaction with a pending transition is left alone", () => {
    const { c, p } = ongoing(2);
    handleAddPartitionsToTxn(c.cache, { transactionalId: ID, ...p, partitions: [{ topic: "x", partition: 0 }], verifyOnly: false, transactionVersion: 2 }, c.ctx);
    c.nowMs += 2 * TIMEOUT_MS;
    expect(abortTimedOutTransactions(c.cache, c.ctx)).toEqual([]);
    expect(c.metadata(ID).pendingState).toBe("Ongoing");
  });

  it("adding partitions does not restart the clock: the start timestamp is the first add's", () => {
    const { c, p } = ongoing(1);
    c.nowMs += TIMEOUT_MS;
    c.addPartitions(ID, p, [{ topic: "x", partition: 1 }]);
    c.nowMs += 1;
    expect(abortTimedOutTransactions(c.cache, c.ctx)).toHaveLength(1);
  });
});

describe("timeout aborts fence the producer", () => {
  for (const tv of [1, 2] as const) {
    it(`TV${tv}: the abort is written with epoch + 1 and its markers carry it`, () => {
      const { c, p } = ongoing(tv);
      c.nowMs += 2 * TIMEOUT_MS;
      const [abort] = abortTimedOutTransactions(c.cache, c.ctx);
      const outcome = c.apply(must(abort).decision);
      expect(outcome.append?.transit).toMatchObject({ txnState: "PrepareAbort", producerEpoch: p.producerEpoch + 1 });
      expect(outcome.markers?.entry).toMatchObject({ result: "ABORT", producerEpoch: p.producerEpoch + 1, partitions: [TP0] });
    });

    it(`TV${tv}: the zombie can neither add partitions nor commit afterwards`, () => {
      const { c, p } = ongoing(tv);
      c.nowMs += 2 * TIMEOUT_MS;
      scanAndAbort(c);
      expect(c.metadata(ID).snapshot()).toMatchObject({ state: "CompleteAbort", producerEpoch: p.producerEpoch + 1 });
      expect(c.addPartitions(ID, p, [TP0])).toMatchObject({ appended: false, reply: { results: [{ error: "PRODUCER_FENCED" }] } });
      expect(c.endTxn(ID, p, "COMMIT")).toMatchObject({ appended: false, reply: { error: "PRODUCER_FENCED" } });
    });
  }

  it("TV1: the fence leaves no last epoch behind", () => {
    const { c } = ongoing(1);
    c.nowMs += 2 * TIMEOUT_MS;
    scanAndAbort(c);
    expect(c.metadata(ID).lastProducerEpoch).toBe(-1);
  });

  it("TV2: the timed-out producer's own abort at its old epoch is answered as a retry (NONE with the bumped epoch), without another write", () => {
    const { c, p } = ongoing(2);
    c.nowMs += 2 * TIMEOUT_MS;
    scanAndAbort(c);
    expect(c.endTxn(ID, p, "ABORT")).toMatchObject({ appended: false, reply: { error: "NONE", producerEpoch: p.producerEpoch + 1 } });
  });

  it("the scan uses the server's transaction version, whatever the client used", () => {
    const c = new CoordinatorDriver({ config: { transactionVersion: 2 } });
    const p = c.init(ID, { timeoutMs: TIMEOUT_MS });
    c.addPartitions(ID, p, [TP0], { transactionVersion: 1 });
    c.nowMs += 2 * TIMEOUT_MS;
    const [abort] = abortTimedOutTransactions(c.cache, c.ctx);
    const outcome = c.apply(must(abort).decision);
    expect(outcome.append?.transit).toMatchObject({ producerEpoch: 1, lastProducerEpoch: 0, clientTransactionVersion: 2 });
  });

  it("TV2: a timeout at the exhausted epoch rotates the producer id at Complete, and the late client abort is a retry (KAFKA-20090)", () => {
    const { c, p } = ongoing(2, [], 4);
    expect(p.producerEpoch).toBe(3);
    c.nowMs += 2 * TIMEOUT_MS;
    scanAndAbort(c);
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "CompleteAbort", producerId: 1001, producerEpoch: 0, previousProducerId: p.producerId });
    expect(c.endTxn(ID, p, "ABORT")).toMatchObject({ appended: false, reply: { error: "NONE", producerId: 1001, producerEpoch: 0 } });
    expect(c.metadata(ID).state).toBe("CompleteAbort");
  });

  it("a timeout abort whose append fails clears its pending state; the next scan tries again", () => {
    const { c } = ongoing(2);
    c.nowMs += 2 * TIMEOUT_MS;
    const [abort] = abortTimedOutTransactions(c.cache, c.ctx);
    c.apply(must(abort).decision, "NOT_ENOUGH_REPLICAS");
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "Ongoing", pendingState: null, producerEpoch: 0 });
    expect(abortTimedOutTransactions(c.cache, c.ctx)).toHaveLength(1);
  });

  it("TV1: a timeout abort whose append fails marks the failed fence, so the next attempt reuses the epoch (KAFKA-9666)", () => {
    const { c } = ongoing(1);
    c.nowMs += 2 * TIMEOUT_MS;
    c.apply(must(abortTimedOutTransactions(c.cache, c.ctx)[0]).decision, "NOT_ENOUGH_REPLICAS");
    expect(c.metadata(ID).snapshot()).toMatchObject({ producerEpoch: 1, hasFailedEpochFence: true });
    const retry = c.apply(must(abortTimedOutTransactions(c.cache, c.ctx)[0]).decision);
    expect(retry.append?.transit.producerEpoch).toBe(1);
  });
});

describe("no-fence-on-timeout (KAFKA-6119)", () => {
  for (const tv of [1, 2] as const) {
    it(`TV${tv}: the abort keeps the producer's epoch`, () => {
      const { c, p } = ongoing(tv, [TXN_BUGS.noFenceOnTimeout]);
      c.nowMs += 2 * TIMEOUT_MS;
      const outcome = c.apply(must(abortTimedOutTransactions(c.cache, c.ctx)[0]).decision);
      expect(outcome.append?.transit).toMatchObject({ txnState: "PrepareAbort", producerEpoch: p.producerEpoch });
      expect(outcome.markers?.entry.producerEpoch).toBe(p.producerEpoch);
    });

    it(`TV${tv}: the zombie resumes, adds its partition again and commits`, () => {
      const { c, p } = ongoing(tv, [TXN_BUGS.noFenceOnTimeout]);
      c.nowMs += 2 * TIMEOUT_MS;
      scanAndAbort(c);
      expect(c.addPartitions(ID, p, [TP0]).reply).toMatchObject({ results: [{ error: "NONE" }] });
      expect(c.endTxn(ID, p, "COMMIT").reply).toMatchObject({ error: "NONE" });
      expect(c.metadata(ID).state).toBe("PrepareCommit");
    });
  }
});

describe("timeouts after a failover", () => {
  it("an Ongoing transaction loaded by a new coordinator times out against the new host's clock and the persisted start", () => {
    const { c, p } = ongoing(2);
    const started = c.metadata(ID).txnStartTimestamp;
    const partition = c.cache.partitionFor(ID);
    // The new leader's clock is behind: the transaction is not yet expired for it.
    c.nowMs = started + TIMEOUT_MS - 5_000;
    expect(c.becomeLeader(partition, 1)).toEqual([]);
    expect(c.metadata(ID).snapshot()).toMatchObject({ state: "Ongoing", txnStartTimestamp: started, producerEpoch: p.producerEpoch });
    expect(abortTimedOutTransactions(c.cache, c.ctx)).toEqual([]);
    c.nowMs = started + TIMEOUT_MS + 1;
    expect(abortTimedOutTransactions(c.cache, c.ctx)).toHaveLength(1);
  });
});
