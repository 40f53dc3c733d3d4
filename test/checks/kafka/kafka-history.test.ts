import { describe, expect, it } from "vitest";
import { historyReader } from "../../../sim/history.js";
import { KafkaHistoryFold, kafkaHistoryOf, partitionKey } from "../../../src/checks/kafka/kafka-history.js";
import { KafkaHistoryBuilder, records } from "./kafka-builder.js";

describe("kafkaHistoryOf", () => {
  it("keys partitions topic-partition, as Kafka prints them", () => {
    expect(partitionKey("orders", 3)).toBe("orders-3");
  });

  it("places an acknowledged send at the partition and offset its ok reported", () => {
    const b = new KafkaHistoryBuilder();
    const ok = b.sendOk("p1", "t", "a", 1, 4);
    const facts = kafkaHistoryOf(b.ops).partitions.get("t-1");
    expect(facts?.acks.get(4)).toEqual([expect.objectContaining({ value: "a", offset: 4, ok })]);
    expect(facts?.knownOffsets).toEqual([4]);
  });

  it("records every send's outcome, including sends that never completed, and places none but ok", () => {
    const b = new KafkaHistoryBuilder();
    b.sendFail("p1", "t", "f");
    b.sendInfo("p1", "t", "i");
    b.sendPending("p2", "t", "n");
    const history = kafkaHistoryOf(b.ops);
    const outcome = (value: string) => history.sends.get("t")?.get(value)?.map((s) => s.outcome);
    expect([outcome("f"), outcome("i"), outcome("n")]).toEqual([["fail"], ["info"], ["pending"]]);
    expect(history.partitions.get("t-0")).toBeUndefined();
  });

  it("an ok send with a negative offset counts as sent but is not placed", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "a", 0, -1);
    const history = kafkaHistoryOf(b.ops);
    expect(history.sends.get("t")?.get("a")?.[0]).toMatchObject({ outcome: "ok", offset: undefined });
    expect(history.partitions.get("t-0")?.acks.size ?? 0).toBe(0);
  });

  it("folds reads per offset: first poll, distinct readers, read count; and per value its distinct positions", () => {
    const b = new KafkaHistoryBuilder();
    const first = b.poll("c1", records("t", 0, [[0, "a"], [1, "b"]]));
    b.poll("c2", records("t", 0, [[0, "a"]]));
    b.poll("c1", records("t", 0, [[0, "a"]]));
    const history = kafkaHistoryOf(b.ops);
    const facts = history.partitions.get("t-0");
    const observations = facts?.observed.get(0) ?? [];
    expect(observations).toHaveLength(1);
    const [o] = observations;
    expect({ value: o?.value, offset: o?.offset, first: o?.first, processes: o?.processes, reads: o?.reads, committed: o?.committed }).toEqual({ value: "a", offset: 0, first, processes: ["c1", "c2"], reads: 3, committed: false });
    expect(facts?.highestReadOffset).toBe(1);
    expect(history.reads.get("t")?.get("a")?.map((p) => [p.partition, p.observation.offset])).toEqual([[0, 0]]);
  });

  it("offsets read by a read_committed poll are kept apart from offsets only acknowledged or read uncommitted", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "a", 0, 0);
    b.poll("c1", records("t", 0, [[1, "b"]]));
    b.poll("c2", records("t", 0, [[2, "c"]]), "read_committed");
    const facts = kafkaHistoryOf(b.ops).partitions.get("t-0");
    expect(facts?.knownOffsets).toEqual([0, 1, 2]);
    expect(facts?.committedOffsets).toEqual([2]);
  });

  it("a poll without an isolation level takes the one its consumer's last assign stated", () => {
    const b = new KafkaHistoryBuilder();
    b.history.invoke("c1", "assign", { partitions: [["t", 0]], isolation: "read_committed" });
    b.history.ok("c1", { partitions: [["t", 0]] });
    b.poll("c1", records("t", 0, [[0, "a"]]));
    b.poll("c1", records("t", 0, [[1, "b"]]), "read_uncommitted");
    const history = kafkaHistoryOf(b.ops);
    expect(history.consumers.get("c1")?.map((s) => (s.kind === "poll" ? s.isolation : s.kind))).toEqual(["reposition", "read_committed", "read_uncommitted"]);
    expect(history.partitions.get("t-0")?.committedOffsets).toEqual([0]);
  });

  it("keeps the largest end offset recorded for a partition, with its op", () => {
    const b = new KafkaHistoryBuilder();
    const larger = b.endOffsets("c1", [["t", 0, 7]]);
    b.endOffsets("c2", [["t", 0, 5]]);
    expect(kafkaHistoryOf(b.ops).partitions.get("t-0")?.endOffset).toEqual({ offset: 7, op: larger });
  });

  it("lists each consumer's polls, seeks and assigns in order; an info poll is an unknown poll", () => {
    const b = new KafkaHistoryBuilder();
    b.assign("c1", [["t", 0], ["t", 1]]);
    b.poll("c1", records("t", 0, [[0, "a"]]));
    b.pollInfo("c1");
    b.seek("c1", "t", 1, 5);
    const steps = kafkaHistoryOf(b.ops).consumers.get("c1") ?? [];
    expect(steps.map((s) => s.kind)).toEqual(["reposition", "poll", "unknown-poll", "reposition"]);
    expect(steps[0]).toMatchObject({ partitions: ["t-0", "t-1"] });
    expect(steps[3]).toMatchObject({ partitions: ["t-1"] });
  });

  it("a fold fed op by op finishes once: a pending send counts as pending, and no op may follow the finish", () => {
    const b = new KafkaHistoryBuilder();
    b.sendOk("p1", "t", "a", 0, 0);
    b.sendPending("p2", "t", "b");
    const ops = b.ops;
    const fold = new KafkaHistoryFold(historyReader(ops));
    for (const op of ops) fold.add(op);
    const folded = fold.finish();
    expect(fold.finish()).toBe(folded);
    expect(folded.sends.get("t")?.get("b")?.map((s) => s.outcome)).toEqual(["pending"]);
    expect(folded.partitions.get("t-0")?.acks.get(0)?.map((a) => a.value)).toEqual(["a"]);
    expect(() => fold.add(ops[0] as (typeof ops)[number])).toThrow(/after the fold finished/);
  });
});
