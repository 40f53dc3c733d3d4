import { describe, expect, it } from "vitest";
import { txnHistoryOf } from "../../../src/checks/kafka-txn/txn-history.js";
import { checkUncommittedReads } from "../../../src/checks/kafka-txn/uncommitted-read.js";
import { records, TxnHistoryBuilder } from "./txn-builder.js";

function check(b: TxnHistoryBuilder) {
  return checkUncommittedReads(txnHistoryOf(b.ops));
}

describe("uncommitted-read", () => {
  it("a read_committed poll that completed before the writer asked to commit saw uncommitted data", () => {
    const b = new TxnHistoryBuilder();
    b.assign("r1", [["t", 0]]);
    b.begin("w1", "t1", [["t", 0, 0, "a"]]);
    const poll = b.poll("r1", records("t", 0, [[0, "a"]]));
    b.end("w1", "ok", { outcome: "COMMIT", endRequestedUs: poll.timeUs + 5 });
    const found = check(b);
    expect(found.map((v) => v.invariant)).toEqual(["uncommitted-read"]);
    expect(found[0]?.message).toBe(`r1's read_committed poll (op 4) returned a at t-0 offset 0 at ${poll.timeUs}µs, a record of the transaction of w1 (transactionalId t1, op 2), before w1 asked to end it at ${poll.timeUs + 5}µs`);
    expect(found[0]?.evidence.ops).toEqual([2, 4, 5]);
  });

  it("a read after the writer asked to commit is not judged, even before the commit was acknowledged", () => {
    const b = new TxnHistoryBuilder();
    b.assign("r1", [["t", 0]]);
    const begin = b.begin("w1", "t1", [["t", 0, 0, "a"]]);
    b.poll("r1", records("t", 0, [[0, "a"]]));
    b.end("w1", "ok", { outcome: "COMMIT", endRequestedUs: begin.timeUs + 5 });
    expect(check(b)).toEqual([]);
  });

  it("a record of a transaction whose end the writer never asked for, and that did not definitely abort, was uncommitted", () => {
    const b = new TxnHistoryBuilder();
    b.assign("r1", [["t", 0]]);
    b.txn("w1", "t1", [["t", 0, 0, "a"]], "info", { endRequestedUs: null });
    b.poll("r1", records("t", 0, [[0, "a"]]));
    expect(check(b).map((v) => v.message)).toEqual([expect.stringContaining("though w1 never asked to end it")]);
  });

  it("a transaction that never completed is not judged: when its end was asked is unknown", () => {
    const b = new TxnHistoryBuilder();
    b.assign("r1", [["t", 0]]);
    b.begin("w1", "t1", [["t", 0, 0, "a"]]);
    b.poll("r1", records("t", 0, [[0, "a"]]));
    expect(check(b)).toEqual([]);
  });

  it("a read_uncommitted consumer may read open transactions", () => {
    const b = new TxnHistoryBuilder();
    b.assign("r1", [["t", 0]], "read_uncommitted");
    b.begin("w1", "t1", [["t", 0, 0, "a"]]);
    const poll = b.poll("r1", records("t", 0, [[0, "a"]]));
    b.end("w1", "ok", { outcome: "COMMIT", endRequestedUs: poll.timeUs + 5 });
    expect(check(b)).toEqual([]);
  });
});
