import { describe, expect, it } from "vitest";
import { kafkaHistoryOf } from "../../../src/checks/kafka/kafka-history.js";
import { checkUnexpectedWrites } from "../../../src/checks/kafka/unexpected-write.js";
import { KafkaHistoryBuilder, records } from "./kafka-builder.js";

const check = (b: KafkaHistoryBuilder) => checkUnexpectedWrites(kafkaHistoryOf(b.ops));

describe("unexpected-write", () => {
  it("reports a value read that was never sent", () => {
    const b = new KafkaHistoryBuilder();
    const read = b.poll("c1", records("t", 0, [[0, "ghost"]]));
    const violations = check(b);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({
      invariant: "unexpected-write",
      kind: "safety",
      message: "value ghost read at t-0 offset 0 by c1 but was never sent",
      evidence: { ops: [read.index], data: { topic: "t", partition: 0, offset: 0, values: ["ghost"], processes: ["c1"] } },
    });
  });

  it("reports a value read whose only send definitely failed, with the failed send", () => {
    const b = new KafkaHistoryBuilder();
    const fail = b.sendFail("p1", "t", "a", "NOT_ENOUGH_REPLICAS");
    const read = b.poll("c1", records("t", 0, [[0, "a"]]));
    const violations = check(b);
    expect(violations.map((v) => v.evidence.ops)).toEqual([[fail.index - 1, fail.index, read.index]]);
    expect(violations[0]?.message).toBe("value a read at t-0 offset 0 by c1, but its only send definitely failed (NOT_ENOUGH_REPLICAS)");
    expect(violations[0]?.evidence.data.processes).toEqual(["c1", "p1"]);
  });

  it("reports a value once however often it is read", () => {
    const b = new KafkaHistoryBuilder();
    b.poll("c1", records("t", 0, [[0, "ghost"]]));
    b.poll("c2", records("t", 0, [[0, "ghost"]]));
    expect(check(b)).toHaveLength(1);
  });

  it("a value read from an indefinite send is fine", () => {
    const b = new KafkaHistoryBuilder();
    b.sendInfo("p1", "t", "a");
    b.poll("c1", records("t", 0, [[0, "a"]]));
    expect(check(b)).toEqual([]);
  });

  it("a value read from a send that never completed is fine", () => {
    const b = new KafkaHistoryBuilder();
    b.sendPending("p1", "t", "a");
    b.poll("c1", records("t", 0, [[0, "a"]]));
    expect(check(b)).toEqual([]);
  });

  it("a value whose first send failed and whose retry was acknowledged is fine", () => {
    const b = new KafkaHistoryBuilder();
    b.sendFail("p1", "t", "a");
    b.sendOk("p1", "t", "a", 0, 0);
    b.poll("c1", records("t", 0, [[0, "a"]]));
    expect(check(b)).toEqual([]);
  });

  it("a value sent to another topic is unexpected in this one", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "in", "a", 0, 0);
    b.poll("c1", records("out", 0, [[0, "a"]]));
    expect(check(b).map((v) => v.evidence.data.topic)).toEqual(["out"]);
  });
});
