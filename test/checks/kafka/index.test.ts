import { describe, expect, it } from "vitest";
import { checkKafkaDataHistory, KAFKA_DATA_INVARIANTS } from "../../../src/checks/kafka/index.js";
import { KafkaHistoryBuilder, records } from "./kafka-builder.js";

/** One bug of each kind, in one history. */
function buggyHistory(): KafkaHistoryBuilder {
  const b = new KafkaHistoryBuilder();
  b.sendOk("p1", "t", "a", 0, 0);
  b.sendOk("p1", "t", "b", 0, 1); // lost: c1 reads past offset 1 without it
  b.sendOk("p1", "t", "c", 0, 2);
  b.sendFail("p1", "t", "f"); // read anyway: unexpected-write
  b.poll("c1", records("t", 0, [[0, "a"], [2, "c"], [3, "f"]])); // skips known offset 1
  b.poll("c1", records("t", 0, [[2, "c"]])); // nonmonotonic
  b.poll("c2", records("t", 0, [[2, "z"], [4, "a"]])); // inconsistent at 2; a duplicated at 4
  return b;
}

describe("checkKafkaDataHistory", () => {
  it("lists every data-plane invariant as a history safety check", () => {
    expect(KAFKA_DATA_INVARIANTS.map((i) => i.name)).toEqual([
      "duplicate",
      "lost-write",
      "unexpected-write",
      "inconsistent-offsets",
      "nonmonotonic-poll",
      "poll-skip",
    ]);
    expect(KAFKA_DATA_INVARIANTS.every((i) => i.kind === "safety" && i.when === "history")).toBe(true);
  });

  it("a clean history of sends, failed and indefinite sends, polls, a seek back and end offsets has no violations", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "a", 0, 0);
    b.sendInfo("p1", "t", "b");
    b.sendFail("p1", "t", "c");
    b.sendOk("p1", "t", "d", 0, 2);
    b.assign("c1", [["t", 0]]);
    b.poll("c1", records("t", 0, [[0, "a"], [1, "b"]]));
    b.poll("c1", records("t", 0, [[2, "d"]]));
    b.seek("c1", "t", 0, 0);
    b.poll("c1", records("t", 0, [[0, "a"], [1, "b"], [2, "d"]]));
    b.endOffsets("c1", [["t", 0, 3]]);
    expect(checkKafkaDataHistory(b.ops)).toEqual([]);
  });

  it("reports each kind of bug under its invariant", () => {
    const names = checkKafkaDataHistory(buggyHistory().ops).map((v) => v.invariant);
    expect([...new Set(names)].sort()).toEqual(KAFKA_DATA_INVARIANTS.map((i) => i.name).sort());
  });

  it("every violation's evidence names history ops in order, their trace indices, the latest time and the data", () => {
    const b = buggyHistory();
    for (const violation of checkKafkaDataHistory(b.ops)) {
      const ops = violation.evidence.ops.map((index) => b.ops[index]);
      expect(ops.length).toBeGreaterThan(0);
      expect([...violation.evidence.ops].sort((x, y) => x - y)).toEqual(violation.evidence.ops);
      expect(violation.evidence.traceIndices).toEqual(ops.map((op) => op?.traceIndex));
      expect(violation.evidence.timeUs).toBe(Math.max(...ops.map((op) => op?.timeUs ?? 0)));
      expect(violation.evidence.data).toMatchObject({ topic: "t", partition: 0, values: expect.any(Array), processes: expect.any(Array) });
      expect(violation.message).not.toContain("\n");
    }
  });

  it("is a pure function of the history", () => {
    const ops = buggyHistory().ops;
    expect(checkKafkaDataHistory(ops)).toEqual(checkKafkaDataHistory(ops));
  });

  it("checks a history of 10^5 ops in near-linear time", () => {
    const b = new KafkaHistoryBuilder();
    const partitions = 8;
    const perPartition = 5_000;
    const next = new Array<number>(partitions).fill(0);
    for (let i = 0; i < partitions * perPartition; i++) {
      const partition = i % partitions;
      b.sendOk(`p${partition % 4}`, "t", `v${i}`, partition, next[partition]!++);
    }
    for (const consumer of ["c1", "c2"]) {
      for (let partition = 0; partition < partitions; partition++) {
        for (let offset = 0; offset < perPartition; offset += 100) {
          const batch = Array.from({ length: 100 }, (_, k) => [offset + k, `v${(offset + k) * partitions + partition}`] as const);
          b.poll(consumer, records("t", partition, batch));
        }
      }
    }
    expect(b.ops.length).toBeGreaterThanOrEqual(80_000);
    const started = process.hrtime.bigint();
    expect(checkKafkaDataHistory(b.ops)).toEqual([]);
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(elapsedMs).toBeLessThan(5_000);
  });
});
