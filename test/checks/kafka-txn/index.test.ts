import { describe, expect, it } from "vitest";
import { checkKafkaTxnHistory, KAFKA_TXN_INVARIANTS } from "../../../src/checks/kafka-txn/index.js";
import { records, TxnHistoryBuilder } from "./txn-builder.js";

/** One anomaly of each read-side kind. */
function buggyHistory(): TxnHistoryBuilder {
  const b = new TxnHistoryBuilder();
  b.init("w1", "t1", 0);
  b.txn("w1", "t1", [["t", 0, 0, "aborted"]], "ok", { outcome: "ABORT" });
  b.assign("r1", [["t", 0], ["t", 1]]);
  b.begin("w1", "t1", [["t", 0, 2, "early"]]);
  const early = b.poll("r1", records("t", 0, [[0, "aborted"], [2, "early"]]));
  b.end("w1", "ok", { outcome: "COMMIT", endRequestedUs: early.timeUs + 1 });
  b.committed("w1", "t1", [["t", 0, 4, "half"], ["t", 1, 0, "other-half"]]);
  b.poll("r1", records("t", 0, [[4, "half"]]));
  b.endOffsets("r1", [["t", 0, 6], ["t", 1, 2]]);
  return b;
}

describe("checkKafkaTxnHistory", () => {
  it("lists every transaction invariant as a history safety check", () => {
    expect(KAFKA_TXN_INVARIANTS.map((i) => i.name)).toEqual(["aborted-read", "uncommitted-read", "read-committed-unstable", "torn-transaction", "zombie-commit", "eos-copy"]);
    expect(KAFKA_TXN_INVARIANTS.every((i) => i.kind === "safety" && i.when === "history" && i.description.length > 0)).toBe(true);
  });

  it("runs every checker on one fold", () => {
    expect(checkKafkaTxnHistory(buggyHistory().ops).map((v) => v.invariant)).toEqual(["aborted-read", "uncommitted-read", "torn-transaction"]);
  });

  it("runs only the invariants named in the options", () => {
    expect(checkKafkaTxnHistory(buggyHistory().ops, { invariants: ["torn-transaction"] }).map((v) => v.invariant)).toEqual(["torn-transaction"]);
  });

  it("a clean transactional history has no violations", () => {
    const b = new TxnHistoryBuilder();
    b.init("w1", "t1", 0);
    b.committed("w1", "t1", [["t", 0, 0, "a"], ["t", 1, 0, "b"]]);
    b.txn("w1", "t1", [["t", 0, 2, "c"]], "ok", { outcome: "ABORT" });
    b.txn("w1", "t1", [["t", 1, 2, "d"]], "info");
    b.assign("r1", [["t", 0], ["t", 1]]);
    b.poll("r1", records("t", 0, [[0, "a"]]));
    b.poll("r1", records("t", 1, [[0, "b"], [2, "d"]]));
    b.endOffsets("r1", [["t", 0, 4], ["t", 1, 4]]);
    expect(checkKafkaTxnHistory(b.ops)).toEqual([]);
  });
});
