import { describe, expect, it } from "vitest";
import { checkKafkaDataHistory } from "../../../src/checks/kafka/index.js";
import { records, TxnHistoryBuilder } from "./txn-builder.js";

/** The data-plane checkers (src/checks/kafka) on transactional histories: kafka-history.ts folds f:"txn" sends. */
describe("data checkers on transactional histories", () => {
  it("records of committed, aborted and undecided transactions read by their readers are explained sends", () => {
    const b = new TxnHistoryBuilder();
    b.committed("w1", "t1", [["t", 0, 0, "a"]]);
    b.txn("w1", "t1", [["t", 0, 1, "b"]], "ok", { outcome: "ABORT" });
    b.txn("w1", "t1", [["t", 0, 3, "c"]], "info");
    b.assign("u1", [["t", 0]], "read_uncommitted");
    b.poll("u1", records("t", 0, [[0, "a"], [1, "b"], [3, "c"]]));
    b.assign("r1", [["t", 0]]);
    b.poll("r1", records("t", 0, [[0, "a"], [3, "c"]]));
    expect(checkKafkaDataHistory(b.ops)).toEqual([]);
  });

  it("a read_committed reader (isolationLevel in its assign) stepping over an aborted transaction does not skip known records", () => {
    const b = new TxnHistoryBuilder();
    b.committed("w1", "t1", [["t", 0, 0, "a"]]);
    b.txn("w1", "t1", [["t", 0, 2, "b"]], "ok", { outcome: "ABORT" });
    b.committed("w1", "t1", [["t", 0, 4, "c"]]);
    b.assign("u1", [["t", 0]], "read_uncommitted");
    b.poll("u1", records("t", 0, [[0, "a"], [2, "b"], [4, "c"]]));
    b.assign("r1", [["t", 0]]);
    b.poll("r1", records("t", 0, [[0, "a"], [4, "c"]]));
    expect(checkKafkaDataHistory(b.ops)).toEqual([]);
  });

  it("a record of a committed transaction that a read_committed reader read past is a lost write", () => {
    const b = new TxnHistoryBuilder();
    b.committed("w1", "t1", [["t", 0, 0, "a"], ["t", 0, 1, "b"]]);
    b.assign("r1", [["t", 0]]);
    b.poll("r1", records("t", 0, [[1, "b"]]));
    expect(checkKafkaDataHistory(b.ops).map((v) => v.invariant)).toEqual(["lost-write"]);
  });

  it("records of aborted and undecided transactions that readers read past are not lost writes", () => {
    const b = new TxnHistoryBuilder();
    b.txn("w1", "t1", [["t", 0, 0, "a"]], "ok", { outcome: "ABORT" });
    b.txn("w1", "t1", [["t", 0, 2, "b"]], "info");
    b.committed("w1", "t1", [["t", 0, 4, "c"]]);
    b.assign("r1", [["t", 0]]);
    b.poll("r1", records("t", 0, [[4, "c"]]));
    b.endOffsets("r1", [["t", 0, 6]]);
    expect(checkKafkaDataHistory(b.ops)).toEqual([]);
  });

  it("a transactional value read at two offsets is a duplicate", () => {
    const b = new TxnHistoryBuilder();
    b.committed("w1", "t1", [["t", 0, 0, "a"]]);
    b.assign("r1", [["t", 0]]);
    b.poll("r1", records("t", 0, [[0, "a"], [2, "a"]]));
    expect(checkKafkaDataHistory(b.ops).map((v) => v.invariant)).toContain("duplicate");
  });
});
