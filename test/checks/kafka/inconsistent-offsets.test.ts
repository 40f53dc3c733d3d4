import { describe, expect, it } from "vitest";
import { checkKafkaDuplicates } from "../../../src/checks/kafka/duplicate.js";
import { checkInconsistentOffsets } from "../../../src/checks/kafka/inconsistent-offsets.js";
import { kafkaHistoryOf } from "../../../src/checks/kafka/kafka-history.js";
import { KafkaHistoryBuilder, records } from "./kafka-builder.js";

const check = (b: KafkaHistoryBuilder) => checkInconsistentOffsets(kafkaHistoryOf(b.ops));

describe("inconsistent-offsets", () => {
  it("reports an offset two reads disagree on, with the first read of each value", () => {
    const b = new KafkaHistoryBuilder();
    const first = b.poll("c1", records("t", 0, [[4, "a"]]));
    const second = b.poll("c2", records("t", 0, [[4, "b"]]));
    const violations = check(b);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({
      invariant: "inconsistent-offsets",
      message: "t-0 offset 4 holds 2 different values: a (read by c1) and b (read by c2)",
      evidence: { ops: [first.index, second.index], data: { topic: "t", partition: 0, offset: 4, values: ["a", "b"], processes: ["c1", "c2"] } },
    });
  });

  it("reports a read that disagrees with the acknowledgement of that offset", () => {
    const b = new KafkaHistoryBuilder();
    const ack = b.sendOk("p1", "t", "a", 0, 4);
    const read = b.poll("c1", records("t", 0, [[4, "b"]]));
    const violations = check(b);
    expect(violations.map((v) => v.evidence.ops)).toEqual([[ack.index, read.index]]);
    expect(violations[0]?.message).toBe("t-0 offset 4 holds 2 different values: a (acknowledged to p1) and b (read by c1)");
  });

  it("two acknowledged sends of different values at one offset are inconsistent-offsets, not duplicate", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "a", 0, 4);
    b.sendOk("p2", "t", "b", 0, 4);
    const history = kafkaHistoryOf(b.ops);
    expect(checkInconsistentOffsets(history).map((v) => v.evidence.data.values)).toEqual([["a", "b"]]);
    expect(checkKafkaDuplicates(history)).toEqual([]);
  });

  it("reads and an acknowledgement that agree are consistent", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "a", 0, 4);
    b.poll("c1", records("t", 0, [[4, "a"]]));
    b.poll("c2", records("t", 0, [[4, "a"]]));
    expect(check(b)).toEqual([]);
  });

  it("the same offset number in different partitions is not one position", () => {
    const b = new KafkaHistoryBuilder();
    b.poll("c1", [["t", 0, 4, "a"], ["t", 1, 4, "b"], ["u", 0, 4, "c"]]);
    expect(check(b)).toEqual([]);
  });

  it("failed and indefinite sends place nothing", () => {
    const b = new KafkaHistoryBuilder();
    b.sendFail("p1", "t", "a");
    b.sendInfo("p1", "t", "b");
    b.poll("c1", records("t", 0, [[0, "c"]]));
    expect(check(b)).toEqual([]);
  });
});
