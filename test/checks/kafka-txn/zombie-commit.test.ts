import { describe, expect, it } from "vitest";
import { txnHistoryOf } from "../../../src/checks/kafka-txn/txn-history.js";
import { checkZombieCommits } from "../../../src/checks/kafka-txn/zombie-commit.js";
import { records, TxnHistoryBuilder } from "./txn-builder.js";

function check(b: TxnHistoryBuilder) {
  return checkZombieCommits(txnHistoryOf(b.ops));
}

describe("zombie-commit", () => {
  it("a commit the older instance asked for after the newer instance's init completed is a zombie commit", () => {
    const b = new TxnHistoryBuilder();
    b.init("w1", "t1", 0);
    b.begin("w1", "t1", [["t", 0, 0, "a"]]);
    const fence = b.init("w2", "t1", 1);
    b.end("w1", "ok", { outcome: "COMMIT", endRequestedUs: fence.timeUs + 5 });
    const found = check(b);
    expect(found.map((v) => v.invariant)).toEqual(["zombie-commit"]);
    expect(found[0]?.message).toBe(
      `the transaction of w1 (transactionalId t1, op 2) was acknowledged COMMIT (op 5), though w1 asked to end it at ${fence.timeUs + 5}µs, after w2's initTransactions for t1 had fenced it (op 4 at ${fence.timeUs}µs (epoch 1 over 0))`,
    );
    expect(found[0]?.evidence.ops).toEqual([1, 2, 4, 5]);
  });

  it("a commit asked for before the newer instance's init completed is legitimate", () => {
    const b = new TxnHistoryBuilder();
    b.init("w1", "t1", 0);
    const begin = b.begin("w1", "t1", [["t", 0, 0, "a"]]);
    b.init("w2", "t1", 1);
    b.end("w1", "ok", { outcome: "COMMIT", endRequestedUs: begin.timeUs + 5 });
    expect(check(b)).toEqual([]);
  });

  it("a transaction of the newest instance is never a zombie", () => {
    const b = new TxnHistoryBuilder();
    b.init("w2", "t1", 0);
    b.init("w1", "t1", 1);
    b.begin("w1", "t1", [["t", 0, 0, "a"]]);
    b.end("w1", "ok", { outcome: "COMMIT", endRequestedUs: b.nowUs + 5 });
    expect(check(b)).toEqual([]);
  });

  it("a fenced instance's transaction with unknown outcome that read_committed readers see is a zombie commit", () => {
    const b = new TxnHistoryBuilder();
    b.init("w1", "t1", 0);
    b.begin("w1", "t1", [["t", 0, 0, "a"]]);
    const fence = b.init("w2", "t1", 1);
    b.end("w1", "info", { endRequestedUs: fence.timeUs + 5 });
    b.assign("r1", [["t", 0]]);
    b.poll("r1", records("t", 0, [[0, "a"]]));
    expect(check(b).map((v) => v.message)).toEqual([expect.stringContaining("became visible: r1 read a at t-0 offset 0 under read_committed (op 9)")]);
  });

  it("a fenced instance's transaction that failed and was never seen is no zombie commit", () => {
    const b = new TxnHistoryBuilder();
    b.init("w1", "t1", 0);
    b.begin("w1", "t1", [["t", 0, 0, "a"]]);
    const fence = b.init("w2", "t1", 1);
    b.end("w1", "fail", { endRequestedUs: fence.timeUs + 5, error: "PRODUCER_FENCED" });
    expect(check(b)).toEqual([]);
  });
});
