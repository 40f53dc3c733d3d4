import { describe, expect, it } from "vitest";
import { kafkaHistoryOf } from "../../../src/checks/kafka/kafka-history.js";
import { checkNonmonotonicPolls } from "../../../src/checks/kafka/nonmonotonic-poll.js";
import { KafkaHistoryBuilder, records } from "./kafka-builder.js";

const check = (b: KafkaHistoryBuilder) => checkNonmonotonicPolls(kafkaHistoryOf(b.ops));

describe("nonmonotonic-poll", () => {
  it("reports a poll that returns a lower offset than the consumer's previous poll of the partition", () => {
    const b = new KafkaHistoryBuilder();
    const before = b.poll("c1", records("t", 0, [[4, "e"], [5, "f"]]));
    const after = b.poll("c1", records("t", 0, [[3, "d"]]));
    const violations = check(b);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({
      invariant: "nonmonotonic-poll",
      message: "c1 polled t-0 offset 3 after offset 5, with no seek or assign in between",
      evidence: {
        ops: [before.index, after.index],
        data: { topic: "t", partition: 0, offset: 3, previousOffset: 5, values: ["f", "d"], processes: ["c1"] },
      },
    });
  });

  it("reports the same offset returned again", () => {
    const b = new KafkaHistoryBuilder();
    b.poll("c1", records("t", 0, [[4, "e"]]));
    b.poll("c1", records("t", 0, [[4, "e"]]));
    expect(check(b).map((v) => v.message)).toEqual(["c1 polled t-0 offset 4 again, with no seek or assign in between"]);
  });

  it("reports a step back within one poll", () => {
    const b = new KafkaHistoryBuilder();
    b.poll("c1", records("t", 0, [[4, "e"], [2, "c"]]));
    expect(check(b).map((v) => v.message)).toEqual(["c1 polled t-0 offset 2 after offset 4 in the same poll, with no seek or assign in between"]);
  });

  it("a seek backwards is not nonmonotonic", () => {
    const b = new KafkaHistoryBuilder();
    b.poll("c1", records("t", 0, [[4, "e"]]));
    b.seek("c1", "t", 0, 0);
    b.poll("c1", records("t", 0, [[0, "a"]]));
    expect(check(b)).toEqual([]);
  });

  it("an assign of the partition resets its position", () => {
    const b = new KafkaHistoryBuilder();
    b.poll("c1", records("t", 0, [[4, "e"]]));
    b.assign("c1", [["t", 0]]);
    b.poll("c1", records("t", 0, [[2, "c"]]));
    expect(check(b)).toEqual([]);
  });

  it("a seek of another partition does not reset this one", () => {
    const b = new KafkaHistoryBuilder();
    b.poll("c1", records("t", 0, [[4, "e"]]));
    b.seek("c1", "t", 1, 0);
    b.poll("c1", records("t", 0, [[2, "c"]]));
    expect(check(b)).toHaveLength(1);
  });

  it("an info poll in between does not reset the position", () => {
    const b = new KafkaHistoryBuilder();
    b.poll("c1", records("t", 0, [[4, "e"]]));
    b.pollInfo("c1");
    b.poll("c1", records("t", 0, [[2, "c"]]));
    expect(check(b)).toHaveLength(1);
  });

  it("other consumers and other partitions are judged separately", () => {
    const b = new KafkaHistoryBuilder();
    b.poll("c1", records("t", 0, [[4, "e"]]));
    b.poll("c2", records("t", 0, [[0, "a"]]));
    b.poll("c1", [["t", 1, 0, "x"], ["u", 0, 0, "y"]]);
    expect(check(b)).toEqual([]);
  });
});
