import { describe, expect, it } from "vitest";
import { kafkaHistoryOf } from "../../../src/checks/kafka/kafka-history.js";
import { checkKafkaLostWrites } from "../../../src/checks/kafka/lost-write.js";
import { KafkaHistoryBuilder, records } from "./kafka-builder.js";

const check = (b: KafkaHistoryBuilder) => checkKafkaLostWrites(kafkaHistoryOf(b.ops));

describe("lost-write", () => {
  it("reports an acknowledged send that readers went past without reading, with the ack and the passing read", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "a", 0, 0);
    const ack = b.sendOk("p1", "t", "b", 0, 1);
    b.sendOk("p1", "t", "c", 0, 2);
    const read = b.poll("c1", records("t", 0, [[0, "a"], [2, "c"]]));
    const violations = check(b);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({
      invariant: "lost-write",
      kind: "safety",
      message: "send of b by p1 was acknowledged at t-0 offset 1 but never read, though c1 read past it",
      evidence: {
        ops: [ack.index, read.index],
        timeUs: read.timeUs,
        data: { topic: "t", partition: 0, offset: 1, values: ["b"], processes: ["p1", "c1"], readableEnd: 3 },
      },
    });
  });

  it("names, for each consumer, the first poll that went past the lost offset", () => {
    const b = new KafkaHistoryBuilder();
    const ack = b.sendOk("p1", "t", "a", 0, 1);
    const c1Past = b.poll("c1", records("t", 0, [[0, "x"], [2, "y"]]));
    b.poll("c1", records("t", 0, [[3, "z"]]));
    b.poll("c2", records("t", 0, [[0, "x"]]));
    const c2Past = b.poll("c2", records("t", 0, [[2, "y"]]));
    const violations = check(b);
    expect(violations.map((v) => v.evidence.ops)).toEqual([[ack.index, c1Past.index, c2Past.index]]);
    expect(violations[0]?.evidence.data.passedBy).toEqual(["c1", "c2"]);
  });

  it("reports a send acknowledged below the recorded end offset even when no reader got there", () => {
    const b = new KafkaHistoryBuilder();
    const ack = b.sendOk("p1", "t", "a", 0, 0);
    const end = b.endOffsets("c1", [["t", 0, 1]]);
    const violations = check(b);
    expect(violations.map((v) => v.evidence.ops)).toEqual([[ack.index, end.index]]);
    expect(violations[0]?.message).toBe("send of a by p1 was acknowledged at t-0 offset 0 but never read, though end offsets put the readable end at 1");
  });

  it("a value one reader saw is still lost when another reader later crosses its offset without seeing it", () => {
    const b = new KafkaHistoryBuilder();
    const ack = b.sendOk("p1", "t", "a", 0, 0);
    const seen = b.poll("c1", records("t", 0, [[0, "a"]]));
    const crossing = b.poll("c2", records("t", 0, [[0, "x"], [1, "y"]]));
    const violations = check(b);
    expect(violations).toHaveLength(1);
    expect(violations[0]?.message).toBe("send of a by p1 was acknowledged at t-0 offset 0 and read by c1, but c2 later read across that offset without seeing it: the record left the log");
    expect(violations[0]?.evidence.ops).toEqual([ack.index, seen.index, crossing.index]);
  });

  it("a reader that crossed the offset before the acknowledgement proves nothing", () => {
    const b = new KafkaHistoryBuilder();
    b.poll("c2", records("t", 0, [[0, "x"], [1, "y"]]));
    b.sendOk("p1", "t", "a", 0, 0);
    b.poll("c1", records("t", 0, [[0, "a"]]));
    expect(check(b)).toEqual([]);
  });

  it("a send acknowledged at or beyond the readable end is not lost", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "a", 0, 0);
    b.sendOk("p1", "t", "b", 0, 1);
    b.poll("c1", records("t", 0, [[0, "a"]]));
    b.endOffsets("c1", [["t", 0, 1]]);
    expect(check(b)).toEqual([]);
  });

  it("an indefinite send never read is not lost", () => {
    const b = new KafkaHistoryBuilder();
    b.sendInfo("p1", "t", "a");
    b.sendPending("p2", "t", "b");
    b.poll("c1", records("t", 0, [[0, "x"], [1, "y"], [2, "z"]]));
    b.endOffsets("c1", [["t", 0, 3]]);
    expect(check(b)).toEqual([]);
  });

  it("a failed send never read is not lost", () => {
    const b = new KafkaHistoryBuilder();
    b.sendFail("p1", "t", "a");
    b.poll("c1", records("t", 0, [[0, "x"], [1, "y"]]));
    expect(check(b)).toEqual([]);
  });

  it("an acknowledged value read at another offset of the partition is not lost", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "a", 0, 0);
    b.poll("c1", records("t", 0, [[1, "a"], [2, "b"]]));
    expect(check(b)).toEqual([]);
  });

  it("an acknowledged value read only in another partition is lost from its own", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "a", 0, 0);
    b.poll("c1", [["t", 1, 0, "a"], ["t", 0, 1, "b"]]);
    expect(check(b).map((v) => v.evidence.data.partition)).toEqual([0]);
  });

  it("reports a lost value once even when it was acknowledged twice and many readers passed it", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "a", 0, 0);
    b.sendOk("p1", "t", "a", 0, 1);
    b.poll("c1", records("t", 0, [[2, "b"]]));
    b.poll("c2", records("t", 0, [[2, "b"]]));
    expect(check(b)).toHaveLength(1);
  });
});
