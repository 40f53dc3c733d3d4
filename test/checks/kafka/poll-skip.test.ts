import { describe, expect, it } from "vitest";
import { kafkaHistoryOf } from "../../../src/checks/kafka/kafka-history.js";
import { checkPollSkips } from "../../../src/checks/kafka/poll-skip.js";
import { KafkaHistoryBuilder, records } from "./kafka-builder.js";

const check = (b: KafkaHistoryBuilder) => checkPollSkips(kafkaHistoryOf(b.ops));

describe("poll-skip", () => {
  it("reports a jump over an offset another consumer read, with the read that proves the record", () => {
    const b = new KafkaHistoryBuilder();
    const proof = b.poll("c2", records("t", 0, [[1, "b"]]));
    const before = b.poll("c1", records("t", 0, [[0, "a"]]));
    const after = b.poll("c1", records("t", 0, [[2, "c"]]));
    const violations = check(b);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({
      invariant: "poll-skip",
      message: "c1 polled t-0 offset 2 right after offset 0, skipping offset 1 known to hold b",
      evidence: {
        ops: [proof.index, before.index, after.index],
        data: { topic: "t", partition: 0, offset: 2, previousOffset: 0, skippedOffsets: [1], skippedCount: 1, values: ["b"], processes: ["c1", "c2"] },
      },
    });
  });

  it("reports a jump over an acknowledged offset, within one poll", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "x", 0, 3);
    b.sendOk("p1", "t", "y", 0, 4);
    b.poll("c1", records("t", 0, [[2, "c"], [5, "f"]]));
    expect(check(b).map((v) => v.message)).toEqual(["c1 polled t-0 offset 5 right after offset 2, skipping 2 offsets from 3 known to hold x and y"]);
  });

  it("a gap with no known record (a transaction marker, a compacted offset) is not a skip", () => {
    const b = new KafkaHistoryBuilder();
    b.poll("c1", records("t", 0, [[0, "a"]]));
    b.poll("c1", records("t", 0, [[2, "c"], [7, "h"]]));
    expect(check(b)).toEqual([]);
  });

  it("a seek between the polls is not a skip", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "b", 0, 1);
    b.poll("c1", records("t", 0, [[0, "a"]]));
    b.seek("c1", "t", 0, 2);
    b.poll("c1", records("t", 0, [[2, "c"]]));
    expect(check(b)).toEqual([]);
  });

  it("an assign between the polls is not a skip", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "b", 0, 1);
    b.poll("c1", records("t", 0, [[0, "a"]]));
    b.assign("c1", [["t", 0]]);
    b.poll("c1", records("t", 0, [[2, "c"]]));
    expect(check(b)).toEqual([]);
  });

  it("an info poll between the polls is not a skip: it may have returned the records", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "b", 0, 1);
    b.poll("c1", records("t", 0, [[0, "a"]]));
    b.pollInfo("c1");
    b.poll("c1", records("t", 0, [[2, "c"]]));
    expect(check(b)).toEqual([]);
  });

  it("a read_committed consumer may skip records only acknowledged or read uncommitted (they may be aborted)", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "b", 0, 1);
    b.poll("c2", records("t", 0, [[2, "c"]]));
    b.poll("c1", records("t", 0, [[0, "a"], [3, "d"]]), "read_committed");
    expect(check(b)).toEqual([]);
  });

  it("a read_committed consumer may not skip a record another read_committed consumer read", () => {
    const b = new KafkaHistoryBuilder();
    b.poll("c2", records("t", 0, [[1, "b"]]), "read_committed");
    b.poll("c1", records("t", 0, [[0, "a"], [2, "c"]]), "read_committed");
    expect(check(b).map((v) => v.evidence.data.skippedOffsets)).toEqual([[1]]);
  });

  it("going backwards is not a skip (nonmonotonic-poll judges it)", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "b", 0, 1);
    b.poll("c1", records("t", 0, [[3, "d"], [0, "a"]]));
    expect(check(b)).toEqual([]);
  });
});
