import { describe, expect, it } from "vitest";
import { checkKafkaDuplicates } from "../../../src/checks/kafka/duplicate.js";
import { kafkaHistoryOf } from "../../../src/checks/kafka/kafka-history.js";
import { KafkaHistoryBuilder, records, TRACE_BASE } from "./kafka-builder.js";

const check = (b: KafkaHistoryBuilder) => checkKafkaDuplicates(kafkaHistoryOf(b.ops));

describe("duplicate", () => {
  it("reports a value read at two offsets of a partition by different consumers, with both reads", () => {
    const b = new KafkaHistoryBuilder();
    const first = b.poll("c1", records("t", 0, [[0, "a"]]));
    const second = b.poll("c2", records("t", 0, [[3, "a"]]));
    const violations = check(b);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({
      invariant: "duplicate",
      kind: "safety",
      evidence: {
        ops: [first.index, second.index],
        traceIndices: [first.index + TRACE_BASE, second.index + TRACE_BASE],
        timeUs: second.timeUs,
        data: { topic: "t", partition: 0, offsets: [0, 3], values: ["a"], processes: ["c1", "c2"] },
      },
    });
    expect(violations[0]?.message).toBe("value a was read at 2 positions of t: t-0 offset 0 (read by c1) and t-0 offset 3 (read by c2)");
  });

  it("reports a value present twice in one poll", () => {
    const b = new KafkaHistoryBuilder();
    b.poll("c1", records("t", 0, [[0, "a"], [1, "a"]]));
    expect(check(b).map((v) => v.evidence.data.offsets)).toEqual([[0, 1]]);
  });

  it("reports a value read in two partitions of one topic", () => {
    const b = new KafkaHistoryBuilder();
    b.poll("c1", [["t", 0, 0, "a"], ["t", 1, 0, "a"]]);
    expect(check(b).map((v) => v.evidence.data.positions)).toEqual([[[0, 0], [1, 0]]]);
  });

  it("reports a value once however many extra positions it has", () => {
    const b = new KafkaHistoryBuilder();
    b.poll("c1", records("t", 0, [[0, "a"], [1, "a"], [2, "a"]]));
    b.poll("c2", records("t", 0, [[1, "a"]]));
    expect(check(b)).toHaveLength(1);
  });

  it("a value acknowledged at one offset but read only at another is not a duplicate", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "a", 0, 2);
    b.poll("c1", records("t", 0, [[5, "a"]]));
    expect(check(b)).toEqual([]);
  });

  it("a value acknowledged at one offset and read there and at another is a duplicate", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "a", 0, 2);
    b.poll("c1", records("t", 0, [[2, "a"], [5, "a"]]));
    expect(check(b).map((v) => v.evidence.data.offsets)).toEqual([[2, 5]]);
  });

  it("reading one offset many times (several consumers, re-reads after a seek) is not a duplicate", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "a", 0, 0);
    b.poll("c1", records("t", 0, [[0, "a"]]));
    b.poll("c2", records("t", 0, [[0, "a"]]));
    b.seek("c1", "t", 0, 0);
    b.poll("c1", records("t", 0, [[0, "a"]]));
    expect(check(b)).toEqual([]);
  });

  it("a retried send acknowledged once is not a duplicate", () => {
    const b = new KafkaHistoryBuilder();
    b.sendInfo("p1", "t", "a");
    b.sendOk("p1", "t", "a", 0, 0);
    b.poll("c1", records("t", 0, [[0, "a"]]));
    expect(check(b)).toEqual([]);
  });

  it("the same value in two topics (a consume-transform-produce copy) is not a duplicate", () => {
    const b = new KafkaHistoryBuilder();
    b.poll("c1", [["in", 0, 0, "a"], ["out", 0, 0, "a"]]);
    expect(check(b)).toEqual([]);
  });
});
