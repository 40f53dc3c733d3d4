import { describe, expect, it } from "vitest";
import { checkAbortedReads } from "../../../src/checks/kafka-txn/aborted-read.js";
import { txnHistoryOf } from "../../../src/checks/kafka-txn/txn-history.js";
import { records, TRACE_BASE, TxnHistoryBuilder } from "./txn-builder.js";

function check(b: TxnHistoryBuilder) {
  return checkAbortedReads(txnHistoryOf(b.ops));
}

describe("aborted-read", () => {
  it("a read_committed poll returning a record of a transaction that completed ok with outcome ABORT is an aborted read", () => {
    const b = new TxnHistoryBuilder();
    const end = b.txn("w1", "t1", [["t", 0, 0, "a"]], "ok", { outcome: "ABORT" });
    b.assign("r1", [["t", 0]]);
    const poll = b.poll("r1", records("t", 0, [[0, "a"]]));
    const [v, ...rest] = check(b);
    expect(rest).toEqual([]);
    expect(v?.invariant).toBe("aborted-read");
    expect(v?.message).toBe("r1 read a at t-0 offset 0 under read_committed (op 5), but the transaction of w1 (transactionalId t1, op 0) that sent it completed ok with outcome ABORT at op 1");
    expect(v?.evidence.ops).toEqual([0, end.index, poll.index]);
    expect(v?.evidence.traceIndices).toEqual([TRACE_BASE, TRACE_BASE + 1, TRACE_BASE + 5]);
  });

  it("a record of a transaction that failed is an aborted read", () => {
    const b = new TxnHistoryBuilder();
    b.txn("w1", "t1", [["t", 0, 0, "a"]], "fail", { error: "INVALID_PRODUCER_EPOCH" });
    b.assign("r1", [["t", 0]]);
    b.poll("r1", records("t", 0, [[0, "a"]]));
    expect(check(b).map((v) => v.message)).toEqual([expect.stringContaining("completed fail (INVALID_PRODUCER_EPOCH) at op 1")]);
  });

  it("a read_uncommitted consumer may read aborted records", () => {
    const b = new TxnHistoryBuilder();
    b.txn("w1", "t1", [["t", 0, 0, "a"]], "ok", { outcome: "ABORT" });
    b.assign("r1", [["t", 0]], "read_uncommitted");
    b.poll("r1", records("t", 0, [[0, "a"]]));
    expect(check(b)).toEqual([]);
  });

  it("a record of a transaction whose outcome is unknown (info) may be read", () => {
    const b = new TxnHistoryBuilder();
    b.txn("w1", "t1", [["t", 0, 0, "a"]], "info");
    b.assign("r1", [["t", 0]]);
    b.poll("r1", records("t", 0, [[0, "a"]]));
    expect(check(b)).toEqual([]);
  });

  it("reads of several records of one aborted transaction are one violation", () => {
    const b = new TxnHistoryBuilder();
    b.txn("w1", "t1", [["t", 0, 0, "a"], ["t", 0, 1, "b"]], "ok", { outcome: "ABORT" });
    b.assign("r1", [["t", 0]]);
    b.poll("r1", records("t", 0, [[0, "a"], [1, "b"]]));
    const found = check(b);
    expect(found).toHaveLength(1);
    expect(found[0]?.evidence.data.values).toEqual(["a", "b"]);
  });
});
