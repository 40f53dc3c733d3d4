import { describe, expect, it } from "vitest";
import { checkReadCommittedUnstable } from "../../../src/checks/kafka-txn/read-committed-unstable.js";
import { txnHistoryOf } from "../../../src/checks/kafka-txn/txn-history.js";
import { records, TxnHistoryBuilder } from "./txn-builder.js";

function check(b: TxnHistoryBuilder) {
  return checkReadCommittedUnstable(txnHistoryOf(b.ops));
}

/** w1's transaction (a at t-0 offset 0) ends info; w2 commits b at offset 2. */
function infoThenCommitted(): TxnHistoryBuilder {
  const b = new TxnHistoryBuilder();
  b.txn("w1", "t1", [["t", 0, 0, "a"]], "info");
  b.committed("w2", "t2", [["t", 0, 2, "b"]]);
  b.assign("r1", [["t", 0]]);
  b.assign("r2", [["t", 0]]);
  return b;
}

describe("read-committed-unstable", () => {
  it("a record of an info transaction that one reader returned and a later reader read past without returning is unstable", () => {
    const b = infoThenCommitted();
    const seen = b.poll("r1", records("t", 0, [[0, "a"]]));
    const crossing = b.poll("r2", records("t", 0, [[2, "b"]]));
    const found = check(b);
    expect(found.map((v) => v.invariant)).toEqual(["read-committed-unstable"]);
    expect(found[0]?.message).toBe(
      `r1 read a at t-0 offset 0 under read_committed (op ${seen.index}), a record of the transaction of w1 (transactionalId t1, op 0) that completed info (REQUEST_TIMED_OUT) at op 1; later r2 read past that offset under read_committed (op ${crossing.index}) without returning it`,
    );
    expect(found[0]?.evidence.ops).toEqual([0, 1, seen.index, crossing.index]);
  });

  it("an info transaction every later reader also returned is stable", () => {
    const b = infoThenCommitted();
    b.poll("r1", records("t", 0, [[0, "a"]]));
    b.poll("r2", records("t", 0, [[0, "a"], [2, "b"]]));
    expect(check(b)).toEqual([]);
  });

  it("a reader that passed the offset before anyone returned the record proves nothing", () => {
    const b = infoThenCommitted();
    b.poll("r2", records("t", 0, [[2, "b"]]));
    b.poll("r1", records("t", 0, [[0, "a"]]));
    expect(check(b)).toEqual([]);
  });

  it("recorded end offsets above the record's offset are a crossing", () => {
    const b = infoThenCommitted();
    b.poll("r1", records("t", 0, [[0, "a"]]));
    b.endOffsets("r2", [["t", 0, 3]]);
    expect(check(b)).toHaveLength(1);
  });

  it("a committed transaction's record going missing is not judged here (lost-write judges it)", () => {
    const b = new TxnHistoryBuilder();
    b.committed("w1", "t1", [["t", 0, 0, "a"]]);
    b.committed("w2", "t2", [["t", 0, 2, "b"]]);
    b.assign("r1", [["t", 0]]);
    b.assign("r2", [["t", 0]]);
    b.poll("r1", records("t", 0, [[0, "a"]]));
    b.poll("r2", records("t", 0, [[2, "b"]]));
    expect(check(b)).toEqual([]);
  });
});
