import { describe, expect, it } from "vitest";
import { checkTornTransactions } from "../../../src/checks/kafka-txn/torn-transaction.js";
import { txnHistoryOf } from "../../../src/checks/kafka-txn/txn-history.js";
import { records, TxnHistoryBuilder, type Placed } from "./txn-builder.js";

function check(b: TxnHistoryBuilder) {
  return checkTornTransactions(txnHistoryOf(b.ops));
}

/** a at t-0 offset 0 and b at t-1 offset 0, in one transaction of w1; c at t-1 offset 2, committed by w2. */
const AB: readonly Placed[] = [
  ["t", 0, 0, "a"],
  ["t", 1, 0, "b"],
];

function withLaterC(b: TxnHistoryBuilder): TxnHistoryBuilder {
  b.committed("w2", "t2", [["t", 1, 2, "c"]]);
  b.assign("r1", [["t", 0], ["t", 1]]);
  return b;
}

describe("torn-transaction", () => {
  it("a reader that returned part of a committed transaction and read past another of its records is torn", () => {
    const b = withLaterC(new TxnHistoryBuilder());
    b.committed("w1", "t1", AB);
    b.poll("r1", records("t", 0, [[0, "a"]]));
    const crossing = b.poll("r1", records("t", 1, [[2, "c"]]));
    const found = check(b);
    expect(found.map((v) => v.invariant)).toEqual(["torn-transaction"]);
    expect(found[0]?.message).toBe(
      `the transaction of w1 (transactionalId t1, op 4) (committed) was seen in part: r1 read a at t-0 offset 0 (op 7) under read_committed but read past b at t-1 offset 0 (op ${crossing.index}) without returning it`,
    );
    expect(found[0]?.evidence.ops).toEqual([4, 5, 7, crossing.index]);
  });

  it("a committed transaction returned whole is not torn", () => {
    const b = withLaterC(new TxnHistoryBuilder());
    b.committed("w1", "t1", AB);
    b.poll("r1", records("t", 0, [[0, "a"]]));
    b.poll("r1", records("t", 1, [[0, "b"], [2, "c"]]));
    expect(check(b)).toEqual([]);
  });

  it("an info transaction seen whole is not torn", () => {
    const b = withLaterC(new TxnHistoryBuilder());
    b.txn("w1", "t1", AB, "info");
    b.poll("r1", records("t", 0, [[0, "a"]]));
    b.poll("r1", records("t", 1, [[0, "b"], [2, "c"]]));
    expect(check(b)).toEqual([]);
  });

  it("an info transaction not seen at all is not torn", () => {
    const b = withLaterC(new TxnHistoryBuilder());
    b.txn("w1", "t1", AB, "info");
    b.poll("r1", records("t", 1, [[2, "c"]]));
    b.endOffsets("r1", [["t", 0, 1], ["t", 1, 3]]);
    expect(check(b)).toEqual([]);
  });

  it("an info transaction seen in part is torn", () => {
    const b = withLaterC(new TxnHistoryBuilder());
    b.txn("w1", "t1", AB, "info");
    b.poll("r1", records("t", 0, [[0, "a"]]));
    b.poll("r1", records("t", 1, [[2, "c"]]));
    expect(check(b).map((v) => v.message)).toEqual([expect.stringContaining("(outcome unknown) was seen in part")]);
  });

  it("a record no read_committed reader returned, passed by a reader that saw none of the transaction, tears it (write side)", () => {
    const b = new TxnHistoryBuilder();
    b.committed("w1", "t1", AB);
    b.committed("w2", "t2", [["t", 1, 2, "c"]]);
    b.assign("r1", [["t", 0]]);
    b.assign("r2", [["t", 1]]);
    b.poll("r1", records("t", 0, [[0, "a"]]));
    b.poll("r2", records("t", 1, [[2, "c"]]));
    expect(check(b).map((v) => v.message)).toEqual([expect.stringContaining("but no read_committed reader ever returned b at t-1 offset 0, though r2 read past it")]);
  });

  it("end offsets the reader reached count as reading past", () => {
    const b = new TxnHistoryBuilder();
    b.committed("w1", "t1", AB);
    b.assign("r1", [["t", 0], ["t", 1]]);
    b.poll("r1", records("t", 0, [[0, "a"]]));
    b.endOffsets("r1", [["t", 0, 2], ["t", 1, 2]]);
    expect(check(b)).toHaveLength(1);
  });

  it("reading past an offset before the writer asked to end the transaction proves nothing", () => {
    const b = new TxnHistoryBuilder();
    b.committed("w2", "t2", [["t", 1, 2, "c"]]);
    b.assign("r1", [["t", 0], ["t", 1]]);
    b.begin("w1", "t1", AB);
    b.poll("r1", records("t", 1, [[2, "c"]]));
    b.end("w1", "ok", { outcome: "COMMIT", endRequestedUs: b.nowUs + 1 });
    b.poll("r1", records("t", 0, [[0, "a"]]));
    expect(check(b)).toEqual([]);
  });

  it("an aborted transaction seen in part is not torn (aborted-read judges it)", () => {
    const b = withLaterC(new TxnHistoryBuilder());
    b.txn("w1", "t1", AB, "ok", { outcome: "ABORT" });
    b.poll("r1", records("t", 0, [[0, "a"]]));
    b.poll("r1", records("t", 1, [[2, "c"]]));
    expect(check(b)).toEqual([]);
  });

  it("a committed transaction no read_committed reader saw is not torn (lost-write judges it)", () => {
    const b = withLaterC(new TxnHistoryBuilder());
    b.committed("w1", "t1", AB);
    b.endOffsets("r1", [["t", 0, 1], ["t", 1, 3]]);
    expect(check(b)).toEqual([]);
  });
});
