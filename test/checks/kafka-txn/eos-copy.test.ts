import { describe, expect, it } from "vitest";
import { checkEosCopy, copyValueOf, parseCopyValue } from "../../../src/checks/kafka-txn/eos-copy.js";
import { txnHistoryOf } from "../../../src/checks/kafka-txn/txn-history.js";
import { records, TxnHistoryBuilder, type Placed } from "./txn-builder.js";

function check(b: TxnHistoryBuilder) {
  return checkEosCopy(txnHistoryOf(b.ops));
}

const copy = (offset: number): string => copyValueOf("in", 0, offset, `x${offset}`);

/** One copier transaction of c1: the inputs at `offsets` of in-0, copied to out-0 at `at`, committing `next`. */
function copierTxn(b: TxnHistoryBuilder, offsets: readonly number[], at: number, next: number, outcome: "COMMIT" | "ABORT" = "COMMIT"): void {
  const sends: Placed[] = offsets.map((o, i) => ["out", 0, at + i, copy(o)]);
  b.begin("c1", "copier", sends, { groupId: "g", inputs: offsets.map((o) => ["in", 0, o, `x${o}`]), offsets: [["in", 0, next]] });
  b.end("c1", "ok", { outcome });
}

/** Input x0..x2 at in-0 offsets 0..2, committed by w1. */
function withInput(): TxnHistoryBuilder {
  const b = new TxnHistoryBuilder();
  b.committed("w1", "t1", [0, 1, 2].map((o) => ["in", 0, o, `x${o}`] as const));
  b.assign("r1", [["out", 0]]);
  return b;
}

describe("eos-copy", () => {
  it("an output value names its input record, whatever the value holds", () => {
    expect(parseCopyValue(copyValueOf("in.put-1", 3, 42, "a:b:c"))).toEqual(["in.put-1", 3, 42, "a:b:c"]);
    expect(parseCopyValue("a")).toBeUndefined();
  });

  it("every input below the committed offset copied once, and read to the end, holds", () => {
    const b = withInput();
    copierTxn(b, [0, 1], 0, 2);
    b.poll("r1", records("out", 0, [[0, copy(0)], [1, copy(1)]]));
    b.endOffsets("r1", [["out", 0, 3]]);
    expect(check(b)).toEqual([]);
  });

  it("an input copied into two committed outputs is duplicated", () => {
    const b = withInput();
    copierTxn(b, [0, 1], 0, 2);
    copierTxn(b, [1], 3, 2);
    b.poll("r1", records("out", 0, [[0, copy(0)], [1, copy(1)], [3, copy(1)]]));
    const found = check(b);
    expect(found.map((v) => v.message)).toEqual(["duplicated: input in-0 offset 1 was copied 2 times in the committed output of group g: out-0 offset 1 and out-0 offset 3"]);
    expect(found[0]?.invariant).toBe("eos-copy");
  });

  it("an input an aborted transaction processed and the next committed offset skipped is lost (no rewind after abort)", () => {
    const b = withInput();
    copierTxn(b, [0], 0, 1, "ABORT");
    copierTxn(b, [1], 2, 2);
    b.poll("r1", records("out", 0, [[2, copy(1)]]));
    const drain = b.endOffsets("r1", [["out", 0, 4]]);
    expect(check(b).map((v) => v.message)).toEqual([
      `input lost: input in-0 offset 0 (x0) lies below group g's committed offset 2, but no copy of it was read from out under read_committed, though r1 read the output to its end (op ${drain.index})`,
    ]);
  });

  it("a missing copy is not judged before a read_committed reader drained the output", () => {
    const b = withInput();
    copierTxn(b, [0], 0, 1, "ABORT");
    copierTxn(b, [1], 2, 2);
    b.poll("r1", records("out", 0, [[2, copy(1)]]));
    expect(check(b)).toEqual([]);
  });

  it("a committed copy of an input at or above the group's committed offset is an offset behind its output", () => {
    const b = withInput();
    copierTxn(b, [0, 1], 0, 2);
    b.poll("r1", records("out", 0, [[0, copy(0)], [1, copy(1)]]));
    b.committedOffsets("c1", "g", [["in", 0, 1]]);
    expect(check(b).map((v) => v.message)).toEqual([expect.stringMatching(/^offset behind output: input in-0 offset 1 was copied to out-0 offset 1 .* committed offset is at most 1/)]);
  });

  it("a copy naming another value than its input offset held is a wrong input", () => {
    const b = withInput();
    copierTxn(b, [0], 0, 1);
    b.history.invoke("r2", "assign", { partitions: [["in", 0]], isolationLevel: "read_committed" });
    b.history.ok("r2", { partitions: [["in", 0]], isolationLevel: "read_committed" });
    b.poll("r2", records("in", 0, [[0, "x0"]]));
    b.poll("r1", records("out", 0, [[0, copyValueOf("in", 0, 0, "y")]]));
    expect(check(b).map((v) => v.message)).toEqual([expect.stringMatching(/^wrong input: .* names input in-0 offset 0 as y, but that offset held x0/)]);
  });
});
